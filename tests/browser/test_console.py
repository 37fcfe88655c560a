"""The tenant console as an admin (and a viewer) uses it, in headless Chromium against `python -m local`."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.browser.conftest import LocalStack, open_section, settled, shot
from tests.fixtures import tenants as demo
from tests.fixtures.clock import eventually

pytestmark = pytest.mark.browser


def sign_in(page: Any, role: str = "admin") -> None:
    name = "Sign in as the demo admin" if role == "admin" else "Sign in as the demo viewer"
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_selector("#nav:not([hidden])")
    settled(page)


def open_profile(page: Any, profile_id: str) -> None:
    """Opens a profile from the list, once its editor has drawn (the view opens the first profile by itself: a
    click while that loads must not act on the form it is about to replace)."""
    page.locator("ul[aria-label='Profiles']").get_by_role("button", name=profile_id, exact=True).click()
    page.wait_for_selector(f"#profile-editor[aria-busy='false'] #profile-form h3:has-text('Profile {profile_id}')")


def reset_draft(stack: LocalStack) -> None:
    status, _ = stack.api("DELETE", "/draft")
    assert status == 200


def test_sign_in_with_the_keyboard_on_the_local_button(page: Any, stack: LocalStack) -> None:
    # Given the sign-in page (focus starts on the first sign-in button), When the admin presses Enter
    assert page.evaluate("document.activeElement.id") == "sign-in-local-admin"
    page.keyboard.press("Enter")
    # Then the console opens on the profiles, says who is signed in, and focus moves to the heading
    page.wait_for_selector("#profile-form")
    assert "tenant demo · admin" in page.locator("#who").inner_text()
    assert page.evaluate("document.activeElement.tagName") == "H2"
    assert page.evaluate("sessionStorage.length") == 1  # the token lives in this tab only
    assert page.context.cookies() == []  # and no cookie at all
    shot(page, "01-signed-in-profiles")


def test_prompt_editor_shows_placeholders_warns_and_previews(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    sign_in(page)
    open_profile(page, "receptionist")
    # When the admin types a prompt with a known, a customer, an unknown and a never-set placeholder
    prompt = page.locator("#profile-prompt")
    prompt.fill(
        'You are {{ company_name }}\'s receptionist in {{ city }}. Greet {{ customer.name | default("the caller") }}'
        " ({{ nickname }}) at {{ call.local_time }} on {{ call.moon_phase }}."
    )
    # Then the editor lists what the prompt uses and warns, before saving, about what may render empty
    chips = page.locator("ul[aria-label='Placeholders this profile uses'] li")
    assert chips.count() == 6
    warnings = page.locator("#placeholder-warnings").inner_text()
    assert "nickname" in warnings and "call.moon_phase" in warnings and "company_name" not in warnings
    # When saved, Then the API's own warnings are shown next to the editor
    page.get_by_role("button", name="Save to draft", exact=True).click()
    page.wait_for_selector("#api-warnings")
    api_warnings = page.locator("#api-warnings").inner_text()
    assert "nickname" in api_warnings and "call.moon_phase" in api_warnings
    # When previewing it for Jane Doe on a Tuesday morning
    page.select_option("#preview-caller", demo.VIP_CALLER)
    page.fill("#preview-at", "2026-12-01T10:15")
    page.get_by_role("button", name="Preview", exact=True).click()
    # Then the rendered prompt is this profile's, filled for that caller and moment
    rendered = page.locator("#preview-prompt").inner_text()
    assert "Acme Dental's receptionist in Brooklyn" in rendered and "Jane Doe" in rendered and "10:15" in rendered
    assert "call.moon_phase" in page.locator("#preview-missing").inner_text()
    shot(page, "02-prompt-editor-warnings-preview")
    reset_draft(stack)


def test_stale_edit_shows_both_versions_and_keep_mine_retries(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    sign_in(page)
    open_profile(page, "after-hours")
    # Given someone else saves the same profile through the API while the page has it open
    status, theirs = stack.api("GET", "/profiles/after-hours")
    assert status == 200
    their_prompt = "THEIRS: {{ company_name }} is closed. Take a message."
    status, saved = stack.api(
        "PUT", "/profiles/after-hours", {**theirs, "prompt": their_prompt}, if_match=theirs["version"]
    )
    assert status == 200
    their_version = saved["item"]["version"]
    # When the admin saves their own edit
    my_prompt = "MINE: {{ company_name }} is closed until {{ call.local_date }}. Take a message."
    page.locator("#profile-prompt").fill(my_prompt)
    page.get_by_role("button", name="Save to draft", exact=True).click()
    # Then nothing is lost: both versions are shown side by side, and focus moves to them
    panel = page.locator("#conflict-panel")
    panel.wait_for()
    assert "MINE:" in panel.locator(".conflict-mine").first.inner_text()
    assert "THEIRS:" in panel.locator(".conflict-theirs").first.inner_text()
    assert page.evaluate("document.activeElement.id") == "conflict-panel"
    assert page.locator("#profile-prompt").input_value() == my_prompt
    shot(page, "03-conflict-both-versions")
    # When the admin keeps theirs... no: keeps their own change, retried on the new version
    page.get_by_role("button", name=f"Keep mine (save over version {their_version})", exact=True).click()
    page.wait_for_selector("#profile-message:has-text('Saved')")
    status, stored = stack.api("GET", "/profiles/after-hours")
    assert stored["prompt"] == my_prompt and stored["version"] == their_version + 1

    # And when it happens again, "Take theirs" loads the other change into the editor
    status, saved = stack.api(
        "PUT", "/profiles/after-hours", {**stored, "prompt": "THEIRS AGAIN"}, if_match=stored["version"]
    )
    page.locator("#profile-prompt").fill("MINE AGAIN")
    page.get_by_role("button", name="Save to draft", exact=True).click()
    page.locator("#conflict-panel").wait_for()
    page.get_by_role("button", name="Take theirs", exact=True).click()
    assert page.locator("#profile-prompt").input_value() == "THEIRS AGAIN"
    assert page.locator("#conflict-panel").count() == 0
    reset_draft(stack)


def test_publish_shows_changes_then_roll_back_from_history(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    # Given a drafted change to the pricing page's prompt
    status, profile = stack.api("GET", "/profiles/web-pricing")
    new_prompt = f"You quote {{{{ company_name }}}}'s prices, briefly ({random.randrange(10**6)})."
    changed = {**profile, "prompt": new_prompt}
    status, _ = stack.api("PUT", "/profiles/web-pricing", changed, if_match=profile["version"])
    assert status == 200
    status, history = stack.api("GET", "/versions")
    before = history["versions"][0]["version"]
    sign_in(page)
    open_section(page, "Draft & history")
    # Then the draft lists the change with a diff against live
    changes = page.locator("#draft-changes")
    changes.get_by_text("profile web-pricing").wait_for()
    changes.locator("summary").first.click()
    assert new_prompt in changes.locator(".diff .add").first.inner_text()
    page.locator("#impact-heard").wait_for()
    shot(page, "04-draft-changes-impact")
    # When published
    page.get_by_role("button", name=f"Publish as version {before + 1}", exact=True).click()
    page.wait_for_selector(f"#draft-message:has-text('Published version {before + 1}')")
    assert page.locator("#draft-title").inner_text().startswith("Draft: 0 unpublished changes")
    # Then the history shows it live; its changes can be read
    row = page.locator(f"tr[data-version='{before + 1}']")
    row.get_by_role("button", name=f"Changes in version {before + 1}", exact=True).click()
    page.locator(f"tr[data-version='{before + 1}'] + tr").get_by_text("profile web-pricing").wait_for()
    # When rolled back to the version before, after confirming
    page.locator(f"#rollback-{before}").click()
    page.locator(f"#rollback-yes-{before}").click()
    page.wait_for_selector("#draft-message:has-text('Rolled back')")
    status, history = stack.api("GET", "/versions")
    assert history["versions"][0]["version"] == before + 2
    assert history["versions"][0]["restored_from"] == before
    status, profile = stack.api("GET", "/profiles/web-pricing")
    assert profile["prompt"] != new_prompt
    shot(page, "05-history-after-rollback")


def seed_calls(stack: LocalStack) -> int:
    """Web sessions on the A/B rule (the tenant's key) and the pricing widget, phone calls through the org-level
    endpoint, and completions for most of them. Returns how many sessions were started."""
    base = random.randrange(10**6, 10**9)
    sessions = 0
    for i in range(16):
        call_id = base + i
        web = {"call_id": call_id, "from_number": "web", "to_number": ""}
        assert stack.webhook("key", "web.incoming", web)[0] == 200
        sessions += 1
        status = "completed" if i % 4 else "failed"
        stack.webhook(
            "key",
            "web.complete",
            {"call_id": call_id, "direction": "widget", "status": status, "billable_minutes": 2 + i % 3},
        )
    for i in range(4):
        call_id = base + 100 + i
        stack.webhook("pricing", "web.incoming", {"call_id": call_id, "from_number": "web", "to_number": ""})
        sessions += 1
    for i in range(3):
        call_id = base + 200 + i
        data = {"call_id": call_id, "from_number": "+14155550123", "to_number": demo.DEMO_NUMBER}
        stack.webhook("org-level", "telephony.incoming", data)
        sessions += 1
        stack.webhook(
            "org-level",
            "telephony.complete",
            {**data, "status": "completed", "billable_minutes": 3, "billing_total_cents": 27, "direction": "inbound"},
        )
    return sessions


def test_calls_page_plots_sessions_fallbacks_and_says_the_ab_result(page: Any, stack: LocalStack) -> None:
    # Given calls answered by the router and their completions recorded, on top of the demo's week of history
    def completed(report: dict[str, Any]) -> int:
        return sum(v.get("completed") or 0 for e in report["experiments"] for v in e["variants"])

    status, before = stack.api("GET", "/calls/report?days=7")
    assert status == 200, before
    sessions = before["sessions"] + seed_calls(stack)

    def recorded() -> dict[str, Any] | None:
        status, report = stack.api("GET", "/calls/report?days=7")
        assert status == 200, report
        return report if report["sessions"] >= sessions and completed(report) >= completed(before) + 12 else None

    report = eventually(recorded, f"{sessions} sessions and 12 more completions in the report", every_s=1)
    sign_in(page)
    open_section(page, "Calls")
    # Then the page plots sessions per day by channel, widgets and fallbacks, and says the A/B result in words
    page.wait_for_selector("#report svg")
    assert page.locator("#kpi-sessions .value").inner_text() == str(report["sessions"])
    daily = page.locator("figure svg[role='img']").first
    assert daily.locator("rect").count() >= 2  # web and phone bars
    assert "web" in (daily.locator("desc").text_content() or "")
    experiment = page.locator(".experiment[data-rule='greeting-test']")
    experiment.wait_for()
    sentence = experiment.locator(".indication").first.inner_text()
    indication = next(v["indication"] for e in report["experiments"] for v in e["variants"] if v["indication"])
    assert sentence == indication and len(sentence) > 20  # the API's plain-English sentence, as it says it
    assert experiment.locator("svg rect").count() >= 2  # one bar per variant
    shot(page, "06-calls-report")


def test_customers_import_reports_errors_by_line_and_writes_nothing(page: Any, stack: LocalStack) -> None:
    sign_in(page)
    open_section(page, "Customers")
    page.get_by_text("customers", exact=False).first.wait_for()
    page.locator("#customer-results table").wait_for()
    # When a CSV with a bad third line is imported
    page.fill("#import-csv", "customer_id,name,segment\n+14155550177,Ann Lee,regular\nnot-a-number,Bob,regular\n")
    page.get_by_role("button", name="Import", exact=True).click()
    # Then the problem is listed by line and focus moves to the CSV
    page.wait_for_selector("#import-errors li")
    assert "line 3" in page.locator("#import-errors").inner_text()
    assert page.evaluate("document.activeElement.id") == "import-csv"
    status, _ = stack.api("GET", "/customers/%2B14155550177")
    assert status == 404  # nothing written
    shot(page, "07-customers-import-errors")
    # When the CSV is fixed, Then both rows are written
    page.fill("#import-csv", "customer_id,name,segment\n+14155550177,Ann Lee,regular\n")
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_selector("#import-message:has-text('Imported')")
    assert stack.api("GET", "/customers/%2B14155550177")[0] == 200


def test_viewer_sees_no_edit_buttons(page: Any, stack: LocalStack) -> None:
    sign_in(page, role="viewer")
    assert "viewer (read only)" in page.locator("#who").inner_text()
    page.wait_for_selector("#profile-form")
    assert page.get_by_role("button", name="Save to draft", exact=True).count() == 0
    assert page.get_by_role("button", name="+ New profile", exact=True).count() == 0
    assert page.locator("#profile-prompt").get_attribute("readonly") is not None
    shot(page, "08-viewer-profiles")
    open_section(page, "Rules")
    page.wait_for_selector("#rules-list li")
    assert page.locator("#rules-list button").count() == 0
    open_section(page, "Draft & history")
    page.wait_for_selector("#versions")
    assert page.locator("#publish, #discard, [id^='rollback-']").count() == 0
    open_section(page, "Customers")
    page.locator("#customer-results table").wait_for()
    assert page.get_by_role("button", name="Import", exact=True).count() == 0


def test_rules_reorder_disable_and_reweight_in_evaluation_order(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    sign_in(page)
    open_section(page, "Rules")
    page.wait_for_selector("#rules-list li[data-rule]")
    order = lambda: page.eval_on_selector_all("#rules-list li[data-rule]", "els => els.map(e => e.dataset.rule)")  # noqa: E731
    assert order() == ["vip", "after-hours", "pricing-page", "greeting-test"]
    # When the admin moves after-hours down, Then it is evaluated after pricing-page, and focus stays on the button
    page.get_by_role("button", name="Move after-hours down", exact=True).click()
    page.wait_for_selector("#rules-message:has-text('moved down')")
    page.wait_for_function(  # the list is drawn again from the API once both priorities are saved
        """() => [...document.querySelectorAll('#rules-list li[data-rule]')].map(e => e.dataset.rule).join()
            === 'vip,pricing-page,after-hours,greeting-test'"""
    )
    assert order() == ["vip", "pricing-page", "after-hours", "greeting-test"]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move after-hours down"
    # When the A/B rule is disabled, and its variant A given more weight
    page.get_by_role("button", name="Disable greeting-test", exact=True).click()
    page.wait_for_selector("li[data-rule='greeting-test'] .badge.off")
    page.get_by_role("button", name="Edit greeting-test", exact=True).click()
    page.get_by_label("Weight of variant A").fill("80")
    page.get_by_role("button", name="Save rule to draft", exact=True).click()
    page.wait_for_selector("#rules-message:has-text('greeting-test saved')")
    shot(page, "09-rules")
    # Then the draft holds all three changes
    _, rules = stack.api("GET", "/rules")
    by_id = {rule["rule_id"]: rule for rule in rules["items"]}
    assert by_id["after-hours"]["priority"] > by_id["pricing-page"]["priority"]
    assert by_id["greeting-test"]["enabled"] is False
    assert {v["name"]: v["weight"] for v in by_id["greeting-test"]["variants"]} == {"A": 80, "B": 50}
    reset_draft(stack)
