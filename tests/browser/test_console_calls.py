"""The calls list and one call's story as a clinic manager reads them, and the tenant's own time everywhere, in
headless Chromium against `python -m local`: a signed call is placed, found in the list by its filters, and opened;
the browser's clock zone (Playwright's `timezone_id`) is another than the tenant's (New York)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import LocalStack, open_console_page, open_section, open_tab, settled, shot
from tests.browser.test_console import open_profile, sign_in
from tests.fixtures import tenants as demo
from tests.fixtures.clock import eventually

pytestmark = pytest.mark.browser

NEW_YORK = ZoneInfo("America/New_York")
BROWSER_ZONE = "Asia/Tokyo"  # 13 or 14 hours from the tenant's: any time read from the browser's clock shows
WIDTHS = {"desktop": 1280, "phone": 390}
ZONE_NAMES = ("EST", "EDT")  # New York's short names, in winter and in summer


@pytest.fixture
def open_console(chromium: str, stack: LocalStack, tmp_path: Path) -> Iterator[Callable[[int], Any]]:
    """Opens the console in a fresh Chromium whose clock is in Tokyo, at a given width; console errors fail the test."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        contexts: list[Any] = []

        def open_at(width: int) -> Any:
            context, page = open_console_page(
                playwright,
                chromium,
                tmp_path / f"chromium-{len(contexts)}",
                stack,
                problems,
                viewport={"width": width, "height": 900},
                timezone_id=BROWSER_ZONE,
                locale="en-US",
            )
            contexts.append(context)
            sign_in(page)
            return page

        try:
            yield open_at
        finally:
            for context in contexts:
                context.close()
    assert problems == []


def place_vip_call(stack: LocalStack) -> int:
    """Jane Doe (VIP) calls the clinic's number; ThunderPhone reports the call's end three minutes later."""
    call_id = random.randrange(10**9, 2 * 10**9)
    data = {"call_id": call_id, "from_number": demo.VIP_CALLER, "to_number": demo.DEMO_NUMBER}
    assert stack.webhook("org-level", "telephony.incoming", data)[0] == 200
    ended = {
        **data,
        "direction": "inbound",
        "status": "completed",
        "end_reason": "caller_hangup",
        "duration_seconds": 185,
        "billable_minutes": 4,
        "billing_total_cents": 36,
        "start_time": datetime.now(NEW_YORK).isoformat(),
    }
    assert stack.webhook("org-level", "telephony.complete", ended)[0] == 200

    def has_outcome() -> bool:
        status, story = stack.api("GET", f"/calls/{call_id}")
        return status == 200 and story.get("outcome") is not None

    eventually(has_outcome, f"call {call_id} and its outcome", every_s=0.2)
    return call_id


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_manager_finds_a_call_by_its_filters_and_reads_its_story(
    open_console: Callable[[int], Any], stack: LocalStack, width: str
) -> None:
    call_id = place_vip_call(stack)
    page = open_console(WIDTHS[width])
    # When the manager opens every call and keeps today's phone calls (today in New York, not in Tokyo)
    open_section(page, "Calls")
    open_tab(page, "Calls pages", "Every call")
    page.wait_for_selector("#calls-count:not(:has-text('Loading'))")
    page.select_option("#calls-channel", "phone")
    page.get_by_role("button", name="Today", exact=True).click()
    page.wait_for_function("location.hash.includes('channel=phone') && location.hash.includes('day=')")
    settled(page)  # the list drawn again for the filters now in the address
    today = datetime.now(NEW_YORK).date().isoformat()
    assert page.locator("#calls-day").input_value() == today
    item = page.locator(f"li[data-call='{call_id}']")
    item.wait_for()
    # Then the call reads in words: the tenant's time with its zone, the masked caller, the rule and the outcome
    text = item.inner_text()
    assert any(name in text for name in ZONE_NAMES), text
    assert "Phone call from +1415*****00 (a customer)" in text
    assert "Rule 'vip' → profile 'vip-concierge'" in text and "3 min 5 s · caller hangup · $0.36" in text
    assert demo.VIP_CALLER not in page.content()
    shot(page, f"calls-list-{width}")
    # When the manager opens it, Then its story says when, why, what answered and how it went
    item.get_by_role("link").click()
    page.wait_for_selector("#story")
    story = page.locator("#story").inner_text()
    assert "America/New York" in story and any(name in story for name in ZONE_NAMES)
    assert "The rule 'vip' was the first rule, in priority order, whose conditions all held:" in story
    assert "The customer is in the segment 'vip'." in story
    assert "'vip-concierge', as saved in its version" in story and "Published version" in story
    assert "Yes: answered with the configuration published at the time." in story
    assert page.locator("#story-outcome").inner_text() == (
        "Completed, lasted 3 min 5 s, ended by caller hangup, 4 billed minutes, cost $0.36."
    )
    assert "{" not in story and "/tenant/v1" not in story and "None" not in story
    shot(page, f"call-story-{width}")
    # And back to the list, filters kept
    page.go_back()
    settled(page)
    page.locator(f"li[data-call='{call_id}']").wait_for()
    assert page.locator("#calls-channel").input_value() == "phone"


def test_a_session_without_an_outcome_says_so_and_an_unknown_call_says_what_to_do(
    open_console: Callable[[int], Any], stack: LocalStack
) -> None:
    call_id = random.randrange(2 * 10**9, 3 * 10**9)
    session = {"call_id": call_id, "from_number": "web", "to_number": ""}
    assert stack.webhook("pricing", "web.incoming", session)[0] == 200
    eventually(lambda: stack.api("GET", f"/calls/{call_id}")[0] == 200, f"session {call_id}", every_s=0.2)
    page = open_console(WIDTHS["desktop"])
    page.evaluate("location.hash = '#calls/list?widget=pricing&channel=web'")
    page.locator(f"li[data-call='{call_id}']").get_by_role("link").click()
    page.wait_for_selector("#story")
    assert page.locator("#story-title").inner_text().startswith("Web session on ")
    assert "It started from the widget 'pricing'." in page.locator("#story").inner_text()
    assert page.locator("#story-no-outcome").inner_text().startswith("No outcome yet")
    # A call that is not the tenant's: words, and the way back
    page.evaluate("location.hash = '#calls/4242'")
    error = page.locator("#story-error")
    error.wait_for()
    assert error.inner_text().startswith("There is no such call among your calls")
    assert page.locator("#story-back").is_visible()


def test_the_chart_links_each_day_to_that_days_calls(open_console: Callable[[int], Any], stack: LocalStack) -> None:
    place_vip_call(stack)
    page = open_console(WIDTHS["desktop"])
    open_section(page, "Calls")
    page.wait_for_selector("#report svg")
    today = datetime.now(NEW_YORK).date().isoformat()
    caption = page.locator("#daily-title + .legend + figure figcaption").inner_text()
    assert " 1 phone calls" not in caption and " 1 web sessions" not in caption
    shot(page, "calls-overview")
    # When the manager clicks today's bar (today in New York)
    page.locator(f"svg a.bar[data-day='{today}']").click()
    settled(page)
    page.wait_for_selector("#calls-list li")
    # Then the list shows that day's calls, as many as the chart counts
    assert page.locator("#calls-day").input_value() == today
    status, report = stack.api("GET", f"/calls/report?from={today}&to={today}")
    assert status == 200
    if report["sessions"] <= 25:
        assert page.locator("#calls-list li").count() == report["sessions"]


def test_times_are_the_tenants_with_the_zone_and_the_preview_starts_at_its_now(
    open_console: Callable[[int], Any], stack: LocalStack
) -> None:
    before = datetime.now(NEW_YORK).replace(second=0, microsecond=0)
    page = open_console(WIDTHS["desktop"])
    open_profile(page, "receptionist")
    page.wait_for_selector("#preview-at")
    after = datetime.now(NEW_YORK).replace(second=0, microsecond=0)
    # The preview's time is now in New York, not the browser's Tokyo clock, and the field says which zone it is
    shown = datetime.fromisoformat(page.locator("#preview-at").input_value())
    assert before.replace(tzinfo=None) <= shown <= after.replace(tzinfo=None) + timedelta(minutes=1)
    assert "America/New York" in page.locator("label[for='preview-at']").inner_text()
    # When previewing at that default time, Then the answer is the one New York's hours choose
    page.get_by_role("button", name="Preview", exact=True).click()
    page.wait_for_selector("#preview-output p")
    said = page.locator("#preview-output p").first.inner_text()
    assert any(name in said for name in ZONE_NAMES), said
    # And the publishing history names the zone of every time
    open_section(page, "Draft & history")
    page.wait_for_selector("table")
    history = page.locator("table").first.inner_text()
    assert any(name in history for name in ZONE_NAMES), history
    shot(page, "tenant-time-history")
