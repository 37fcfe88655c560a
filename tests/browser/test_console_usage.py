"""The console's Usage page and usage banner: the tenant's plan read-only, this month's sessions, minutes and cost,
the sessions still waiting for their cost, and a warning on every page once the plan's warning share is used."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import LocalStack, shot
from tests.browser.test_console import sign_in
from tests.fixtures.clock import eventually

pytestmark = pytest.mark.browser

CALL_ENDED, CALL_WAITING = 7_701, 7_702


def plan(stack: LocalStack) -> dict[str, Any]:
    status, view = stack.request("GET", "/admin/tenants/demo/plan")
    assert status == 200, view
    return view  # type: ignore[no-any-return]


@pytest.fixture
def nearly_capped(stack: LocalStack) -> Iterator[dict[str, Any]]:
    """The demo tenant with one more ended session (4 minutes) and one still going, on a plan ~85% used."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    for call_id in (CALL_ENDED, CALL_WAITING):
        stack.webhook("pricing", "web.incoming", {"call_id": call_id, "from_number": "web", "to_number": ""})
    ended = {
        "call_id": CALL_ENDED,
        "direction": "widget",
        "status": "completed",
        "duration_seconds": 230,
        "billable_minutes": 4,
        "billing_total_cents": 36,
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": (start + timedelta(seconds=230)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "from_number": "web",
        "to_number": "",
    }
    before = plan(stack)["billable_minutes"]
    assert stack.webhook("pricing", "web.complete", ended)[0] == 200
    # the outcome recorder counts it in the background
    used = eventually(
        lambda: (minutes := plan(stack)["billable_minutes"]) >= before + 4 and minutes, "4 minutes counted", every_s=0.5
    )
    cap = math.ceil(used / 0.85)
    status, view = stack.request("PUT", "/admin/tenants/demo/plan", {"monthly_minutes": cap, "alert_percent": 80})
    assert status == 200 and not view["capped"], view
    try:
        yield view
    finally:
        stack.request("DELETE", "/admin/tenants/demo/plan")


def test_usage_page_shows_the_plan_read_only_and_the_months_sessions(
    page: Any, stack: LocalStack, nearly_capped: dict[str, Any]
) -> None:
    cap = nearly_capped["plan"]["monthly_minutes"]
    sign_in(page, role="viewer")
    # Then every page warns that the month is past the warning level, and links to the usage
    banner = page.locator("#usage-banner")
    banner.wait_for()
    assert "This month has used" in banner.inner_text() and f"of {cap} minutes" in banner.inner_text()
    assert "{" not in banner.inner_text() and "http" not in banner.inner_text()
    banner.get_by_role("link", name="See your usage", exact=True).click()
    # And the Usage page shows the plan, read only, and this month
    page.wait_for_selector("#usage-plan")
    plan_text = page.locator("#usage-plan").inner_text()
    assert f"Limit: {cap} minutes a month." in plan_text and "Your provider sets your plan" in plan_text
    assert page.locator("#usage-plan input, #usage-plan button").count() == 0
    status, usage = stack.api("GET", "/usage")
    assert status == 200
    totals = usage["statement"]["totals"]
    assert page.locator("#usage-sessions .value").inner_text() == str(totals["sessions"])
    assert page.locator("#usage-cost .value").inner_text() == f"${totals['cost_cents'] / 100:.2f}"
    # And a session still going is counted and named as waiting for its cost
    assert totals["without_cost"] >= 1
    assert "still waiting for ThunderPhone's record" in page.locator("#usage-waiting").inner_text()
    rows = page.locator("#usage-lines tbody tr", has_text="cost not known yet")
    assert rows.count() >= 1
    # And times are the tenant's (America/New_York), with the zone named
    first = page.locator("#usage-lines tbody tr").first.inner_text()
    assert "EST" in first or "EDT" in first, first
    shot(page, "20-usage")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "21-usage-phone")


def test_a_month_with_every_cost_known_reads_as_sentences_only(page: Any, stack: LocalStack) -> None:
    sign_in(page)
    page.goto(f"{stack.base_url}/console#usage")
    page.wait_for_selector("#usage-sessions")
    # When the admin looks at a month long before the demo's calls (nothing in it, nothing waiting for a cost)
    page.locator("#usage-month").fill("2026-01")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_selector("#usage-lines:has-text('No sessions in this month')")
    text = page.locator("#view").inner_text()
    # Then the page has no waiting notice and no stray programming words
    assert page.locator("#usage-waiting").count() == 0
    assert not {"null", "undefined", "NaN", "{"} & set(text.replace(".", " ").split()), text
