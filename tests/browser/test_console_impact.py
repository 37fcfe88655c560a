"""The draft's impact as a clinic manager reads it, in headless Chromium against `python -m local` (whose demo
week of replayed calls gives it calls to replay): edit a prompt, open the draft, read how many recent callers would
hear something different and one call's prompt before and after, publish. At desktop and phone width."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from tests.browser.conftest import LocalStack, open_section, shot
from tests.browser.test_console import open_profile, reset_draft, sign_in

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
HEARD = re.compile(r"^(\d+) of the last (\d+) calls would hear something different: (.+)\.$")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_prompt_edit_shows_what_callers_would_hear_then_publishes(page: Any, stack: LocalStack, width: str) -> None:
    reset_draft(stack)
    _, history = stack.api("GET", "/versions")
    live = history["versions"][0]["version"]
    page.set_viewport_size(WIDTHS[width])
    marker = f"M{random.randrange(10**6)}"
    try:
        # Given the admin rewrites the receptionist's prompt in the editor and saves it to the draft
        sign_in(page)
        open_profile(page, "receptionist")
        page.locator("#profile-prompt").fill(
            f"You are the friendly receptionist of {{{{ company_name }}}}, code {marker}. Help book visits."
        )
        page.get_by_role("button", name="Save to draft", exact=True).click()
        page.wait_for_selector("#profile-message:has-text('Callers hear it after you publish')")
        assert "/tenant/v1" not in page.locator("#profile-message").inner_text()

        # When they open the draft
        open_section(page, "Draft & history")
        heard = page.locator("#impact-heard")
        heard.wait_for()
        # Then one sentence says how many recent callers would hear something different, and in which part:
        # the numbers the tenant API computed, in words
        _, impact = stack.api("GET", "/draft/impact?days=7")
        match = HEARD.match(heard.inner_text())
        assert match, heard.inner_text()
        assert (int(match.group(1)), int(match.group(2))) == (impact["heard_differently"], impact["calls_checked"])
        assert match.group(3).startswith(f"prompt changed for {impact['heard_by_part']['prompt']}")
        assert impact["heard_differently"] >= 1
        assert page.locator("#impact-routing").inner_text() == (
            "Every call would still be answered by the same rule and profile."
        )
        # And one of those calls, named by its kind and its time in the tenant's zone, shows its prompt's changes:
        # the old words struck through, the new ones underlined, the placeholders filled in
        sample = page.locator("#impact-sample")
        title = sample.locator("h4").inner_text()
        assert title.startswith("For example: Phone call") or title.startswith("For example: Web session")
        assert re.search(r"E[SD]T|GMT-[45]", title), title  # the demo tenant's zone, America/New_York
        added = " ".join(sample.locator("#impact-diff ins").all_inner_texts())
        removed = " ".join(sample.locator("#impact-diff del").all_inner_texts())
        assert "friendly" in added and f"code {marker}" in added
        assert "in Brooklyn" in removed and "{{" not in removed + added
        sample.get_by_text("Show both prompts in full").click()
        assert "You are the receptionist of Acme Dental in Brooklyn" in page.locator("#impact-before").inner_text()
        assert f"the friendly receptionist of Acme Dental, code {marker}" in page.locator("#impact-after").inner_text()
        # Nothing a clinic manager reads names an API path, a status code or a stored principal
        draft_text = page.locator("main").inner_text()
        for developer_words in ("/tenant/v1", "tenant:demo:", "{{", "HTTP", "If-Match"):
            assert developer_words not in draft_text
        shot(page, f"impact-{width}-1-draft")

        # When they publish
        page.get_by_role("button", name=f"Publish as version {live + 1}", exact=True).click()
        page.wait_for_selector(f"#draft-message:has-text('Published version {live + 1}')")
        # Then nothing is left to compare, and the history names who published, by sign-in name
        page.get_by_text("Nothing to compare: the draft is the same as what callers get today.").wait_for()
        published = page.locator(f"tr[data-version='{live + 1}']").inner_text()
        assert "local-admin@demo" in published and "tenant:" not in published
        shot(page, f"impact-{width}-2-published")
    finally:
        # The stack is shared: put back what callers got before.
        reset_draft(stack)
        _, now = stack.api("GET", "/versions")
        if now["versions"][0]["version"] != live:
            status, _ = stack.api("POST", f"/versions/{live}/rollback")
            assert status == 201


def test_a_routing_edit_lists_the_calls_another_rule_would_answer(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    # Given the pricing page's rule is switched off in the draft
    _, rule = stack.api("GET", "/rules/pricing-page")
    assert stack.api("PUT", "/rules/pricing-page", {**rule, "enabled": False}, if_match=rule["version"])[0] == 200
    try:
        sign_in(page)
        open_section(page, "Draft & history")
        page.locator("#impact-heard").wait_for()
        # Then the draft says how many calls another rule would answer, and lists them in words
        _, impact = stack.api("GET", "/draft/impact?days=7")
        moved = impact["routing_changed"]
        assert moved >= 1
        assert page.locator("#impact-routing").inner_text() == (
            f"{moved} call{'' if moved == 1 else 's'} would be answered by another rule or profile:"
        )
        first = page.locator("#impact-routed li").first.inner_text()
        assert first.startswith("Web session on the pricing widget, ")
        assert "Today: rule “pricing-page” → profile “web-pricing”" in first
        assert re.search(r"With the draft: rule “greeting-test”, variant [AB] → profile “receptionist", first)
        shot(page, "impact-desktop-3-routing")
    finally:
        reset_draft(stack)
