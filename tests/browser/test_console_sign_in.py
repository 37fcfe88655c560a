"""Signing in to the local run's console as any of its tenants (the picker), at desktop and phone width, in headless
Chromium against `python -m local`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LocalStack, shot

pytestmark = pytest.mark.browser

SECOND = "northwind"
SECOND_NAME = "Northwind Clinic"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def second_tenant(stack: LocalStack) -> str:
    """A second tenant onboarded by the operator (already there when another test made it)."""
    status, body = stack.request(
        "POST", "/admin/tenants", {"tenant_id": SECOND, "display_name": SECOND_NAME, "timezone": "Europe/London"}
    )
    assert status in (201, 409), body
    return SECOND


def open_sign_in(page: Any, stack: LocalStack, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"{stack.base_url}/console")  # the picker lists the tenants the run has now
    page.wait_for_selector("body[data-ready='true']")


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_sign_in_as_a_second_tenant_with_the_picker(
    page: Any, stack: LocalStack, second_tenant: str, viewport: dict[str, int], size: str
) -> None:
    # Given the local console's sign-in, once the operator has onboarded a second tenant
    from playwright.sync_api import expect

    open_sign_in(page, stack, viewport)
    picker = page.get_by_label("Tenant")
    # Then the picker offers the run's tenants by name, the demo tenant chosen first
    expect(picker.locator(f"option[value='{second_tenant}']")).to_have_text(f"{SECOND_NAME} ({second_tenant})")
    assert picker.input_value() == "demo"
    assert "Local run only" in page.locator("#sign-in").inner_text()

    # When the person picks the second tenant
    picker.select_option(second_tenant)
    button = page.get_by_role("button", name=f"Sign in as the {second_tenant} admin", exact=True)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= viewport["width"]  # nothing off the side of a phone
    shot(page, f"sign-in-picker-{size}")
    button.click()

    # Then the console is that tenant's, as an admin: its own default profile, none of the demo's
    page.wait_for_selector("#nav:not([hidden])")
    expect(page.locator("#who")).to_contain_text(f"tenant {second_tenant} · admin")
    profiles = page.locator("ul[aria-label='Profiles']")
    expect(profiles).to_be_visible()
    assert "receptionist" not in profiles.inner_text()
    shot(page, f"sign-in-second-tenant-{size}")


def test_sign_in_as_a_second_tenants_viewer_then_back_to_the_demo(
    page: Any, stack: LocalStack, second_tenant: str
) -> None:
    from playwright.sync_api import expect

    open_sign_in(page, stack, PHONE)
    page.get_by_label("Tenant").select_option(second_tenant)
    page.get_by_role("button", name=f"Sign in as the {second_tenant} viewer", exact=True).click()
    expect(page.locator("#who")).to_contain_text(f"tenant {second_tenant} · viewer (read only)")

    # When they sign out, the picker is there again; choosing the demo tenant signs in to the demo's console
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_label("Tenant").select_option("demo")
    page.get_by_role("button", name="Sign in as the demo admin", exact=True).click()
    expect(page.locator("#who")).to_contain_text("tenant demo · admin")
    expect(page.locator("ul[aria-label='Profiles']")).to_contain_text("receptionist")
