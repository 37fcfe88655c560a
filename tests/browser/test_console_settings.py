"""The Settings view as a clinic manager uses it: opening hours, closed days, time zone and the company name,
saved to the draft in words; what the operator owns is read only; viewers change nothing. Desktop and phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LocalStack, open_section, shot
from tests.browser.test_console import reset_draft, sign_in

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def open_settings(page: Any, width: int, role: str = "admin") -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, role)
    open_section(page, "Settings")
    page.wait_for_selector("#settings-form")


@pytest.mark.parametrize("width", WIDTHS)
def test_change_opening_hours_closed_day_and_company_name(page: Any, stack: LocalStack, width: int) -> None:
    reset_draft(stack)
    open_settings(page, width)
    # The variable shows where it is used, counted from the profiles' prompts
    company = page.locator("#variables tr[data-variable='company_name']")
    assert "used by 5 profiles" in company.locator(".use").inner_text()
    assert "used by 1 profile (receptionist)" in page.locator("#variables tr[data-variable='city'] .use").inner_text()
    # What the operator owns is shown, with who changes it, and cannot be edited
    owned = page.locator("#operator-owned")
    assert "Acme Dental" in owned.inner_text() and "Only your Switchboard operator" in owned.inner_text()
    assert owned.locator("input, select, textarea, button").count() == 0
    # When the manager opens on Sunday mornings, closes Saturday, adds a closed day and renames the company
    page.get_by_role("button", name="Open on Sunday", exact=True).click()
    page.get_by_label("Sunday opens at").fill("10:00")
    page.get_by_label("Sunday closes at").fill("12:30")
    page.get_by_role("button", name="Remove these Saturday hours", exact=True).click()
    page.get_by_role("button", name="Add a closed day", exact=True).click()
    page.locator("#closed-dates input").last.fill("2027-01-01")
    page.get_by_label("Value of company_name").fill("Acme Family Dental")
    shot(page, f"settings-01-edited-{width}")
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    page.wait_for_selector("#settings-save-message:has-text('Settings saved to the draft')")
    # Then the draft holds exactly that, and the words said nothing of versions, paths or codes
    status, settings = stack.api("GET", "/settings")
    assert status == 200
    weekly = settings["business_hours"]["weekly"]
    assert weekly["sun"] == ["10:00-12:30"] and "sat" not in weekly and weekly["mon"] == ["09:00-17:30"]
    assert settings["business_hours"]["closed_dates"] == ["2026-12-25", "2027-01-01"]
    assert settings["variables"]["company_name"] == "Acme Family Dental"
    text = page.locator("#settings-save-message").inner_text()
    assert "/tenant" not in text and "version" not in text
    reset_draft(stack)


def test_open_until_midnight_and_all_day_are_kept_as_written(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    open_settings(page, 1280)
    # When the manager keeps Friday open until midnight and Saturday open all day (00:00 closes at midnight)
    page.get_by_label("Friday closes at").fill("00:00")
    page.get_by_label("Saturday opens at").fill("00:00")
    page.get_by_label("Saturday closes at").fill("00:00")
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    page.wait_for_selector("#settings-save-message:has-text('Settings saved to the draft')")
    # Then the draft holds the whole day, to its last minute
    weekly = stack.api("GET", "/settings")[1]["business_hours"]["weekly"]
    assert weekly["fri"] == ["09:00-24:00"] and weekly["sat"] == ["00:00-24:00"]
    # And saving again from a fresh page, with nothing changed, changes nothing (midnight is not read as 23:59)
    open_section(page, "Profiles")
    open_section(page, "Settings")
    assert page.get_by_label("Saturday closes at").input_value() == "00:00"
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    page.wait_for_selector("#settings-save-message:not([hidden])")
    again = stack.api("GET", "/settings")[1]["business_hours"]["weekly"]
    assert again == weekly
    reset_draft(stack)


def test_mistakes_are_explained_beside_the_field_and_nothing_is_saved(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    _, before = stack.api("GET", "/settings")
    open_settings(page, 1280)
    # When the manager closes Monday before it opens, names a variable with a space, and picks no real zone
    page.get_by_label("Monday closes at").fill("08:00")
    page.get_by_role("button", name="Add a variable", exact=True).click()
    page.get_by_label("Variable name").last.fill("opening note")
    page.get_by_label("Value of opening note").fill("Closed for lunch 12-13")
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    # Then each problem is said in words next to its control, and nothing was written
    page.wait_for_selector("#settings-save-message:has-text('2 things to fix')")
    assert "is not after opening time" in page.locator("td[data-day='mon'] .field-error:not([hidden])").inner_text()
    assert "cannot be a variable name" in page.locator("#variables .field-error:not([hidden])").inner_text()
    assert stack.api("GET", "/settings")[1]["version"] == before["version"]
    # When the zone is one the API does not know, its refusal is shown beside the zone in words
    page.get_by_label("Monday closes at").fill("17:30")
    page.get_by_label("Variable name").last.fill("opening_note")
    page.fill("#settings-timezone", "Mars/Olympus")
    assert "Not a time zone we know" in page.locator("#zone-now").inner_text()
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    page.wait_for_selector("[data-field='timezone'] .field-error:not([hidden])")
    assert "unknown time zone" in page.locator("[data-field='timezone'] .field-error").inner_text()
    shot(page, "settings-02-errors")
    # Removing a variable a prompt uses says which profiles will have a gap
    page.get_by_role("button", name="Remove variable city", exact=True).click()
    warning = page.locator("#settings-save-message").inner_text()
    assert "city is used by 1 profile (receptionist)" in warning and "say nothing where it was" in warning
    # When fixed from the searchable list, it saves
    page.fill("#settings-timezone", "Europe/Paris")
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    page.wait_for_selector("#settings-save-message:has-text('Settings saved')")
    _, after = stack.api("GET", "/settings")
    assert after["timezone"] == "Europe/Paris" and after["variables"]["opening_note"] == "Closed for lunch 12-13"
    assert "city" not in after["variables"]
    reset_draft(stack)


def test_a_change_saved_meanwhile_shows_both_versions_in_words(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    open_settings(page, 1280)
    _, current = stack.api("GET", "/settings")
    variables = {**current["variables"], "city": "Queens"}
    assert stack.api("PATCH", "/settings", {"variables": variables}, if_match=current["version"])[0] == 200
    page.get_by_label("Value of company_name").fill("Acme Smiles")
    page.get_by_role("button", name="Save settings to draft", exact=True).click()
    panel = page.locator("#conflict-panel")
    panel.wait_for()
    assert "city = Queens" in panel.locator(".conflict-theirs").inner_text()
    assert "company_name = Acme Smiles" in panel.locator(".conflict-mine").inner_text()
    assert "{" not in panel.inner_text()  # words, not JSON
    page.get_by_role("button", name="Keep mine", exact=True).click()
    page.wait_for_selector("#settings-save-message:has-text('Settings saved')")
    assert stack.api("GET", "/settings")[1]["variables"]["company_name"] == "Acme Smiles"
    reset_draft(stack)


@pytest.mark.parametrize("width", WIDTHS)
def test_viewer_reads_settings_without_edit_controls(page: Any, stack: LocalStack, width: int) -> None:
    open_settings(page, width, role="viewer")
    assert page.get_by_role("button", name="Save settings to draft", exact=True).count() == 0
    assert page.locator("#settings-form button").count() == 0
    assert page.locator("#settings-timezone").get_attribute("readonly") is not None
    assert "only admins can change them" in page.locator("#settings-form").inner_text()
    shot(page, f"settings-03-viewer-{width}")
