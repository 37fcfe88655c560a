"""Creating, building and deleting what a tenant owns, as a clinic manager does it in the console: a new profile with
the product and voice pickers, a rule built from named controls that reads back as a sentence, one VIP customer,
deletes that ask first, an integrity refusal in words, the customers as a CSV file; viewers get no edit controls."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LocalStack, open_section, shot
from tests.browser.test_console import open_profile, reset_draft, sign_in

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def go(page: Any, width: int, section: str, role: str = "admin") -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, role)
    open_section(page, section)


def delete_customer(stack: LocalStack, phone: str) -> None:
    status, customer = stack.api("GET", f"/customers/%2B{phone[1:]}")
    if status == 200:
        stack.api("DELETE", f"/customers/%2B{phone[1:]}", if_match=customer["version"])


@pytest.mark.parametrize("width", WIDTHS)
def test_new_profile_then_a_pricing_widget_rule_with_the_builder(page: Any, stack: LocalStack, width: int) -> None:
    reset_draft(stack)
    go(page, width, "Profiles")
    page.wait_for_selector("#profile-form")
    # When the manager creates a profile, choosing the product from the list and typing a voice
    page.get_by_role("button", name="+ New profile", exact=True).click()
    page.fill("#profile-profile_id", "pricing-help")
    page.fill("#profile-prompt", "You explain {{ company_name }}'s prices to visitors of the pricing page.")
    page.select_option("#profile-product", "bolt")
    assert "balanced" in page.locator("#profile-product option:checked").inner_text()
    page.fill("#profile-voice", "James")  # not a voice name: refused in words before anything is sent
    page.get_by_role("button", name="Create profile", exact=True).click()
    page.wait_for_selector("[data-field='voice'] .field-error:not([hidden])")
    assert "does not look like a voice name" in page.locator("[data-field='voice'] .field-error").inner_text()
    page.fill("#profile-voice", "en-US-Ava1")
    page.get_by_role("button", name="Create profile", exact=True).click()
    page.wait_for_selector("#profile-form h3:has-text('Profile pricing-help')")
    # And builds a rule: website sessions from the pricing widget -> that profile, checked first
    open_section(page, "Rules")
    page.get_by_role("button", name="+ New rule", exact=True).click()
    builder = page.locator("#new-rule form")
    builder.get_by_label("Rule name").fill("pricing-visitors")
    builder.get_by_label("Checked").select_option("first")
    builder.get_by_label("Website voice sessions").check()
    builder.get_by_label("pricing", exact=True).check()  # a widget the tenant's rules and calls already name
    builder.get_by_label("Answer with profile").select_option("pricing-help")
    # Then the rule reads back as a sentence, with no JSON anywhere on the page
    assert builder.locator(".readback").inner_text() == "Website voice sessions from the pricing widget → pricing-help"
    assert "{" not in page.locator("#view").inner_text().replace("{{", "")
    shot(page, f"editing-01-rule-builder-{width}")
    builder.get_by_role("button", name="Add rule to draft", exact=True).click()
    page.wait_for_selector("#rules-message:has-text('pricing-visitors added')")
    order = page.eval_on_selector_all("#rules-list li[data-rule]", "els => els.map(e => e.dataset.rule)")
    assert order[0] == "pricing-visitors"
    sentence = page.locator("li[data-rule='pricing-visitors'] .rule-sentence").inner_text()
    assert sentence == "Website voice sessions from the pricing widget → pricing-help"
    # And the draft holds exactly that rule, which a preview of a pricing-page session now picks
    status, rule = stack.api("GET", "/rules/pricing-visitors")
    assert status == 200 and rule["profile_id"] == "pricing-help"
    assert rule["when"]["channel"] == "web" and rule["when"]["widget_ids"] == ["pricing"]
    _, preview = stack.api("POST", "/simulate", {"channel": "web", "widget_id": "pricing"})
    assert preview["rule_id"] == "pricing-visitors" and preview["profile_id"] == "pricing-help"
    assert stack.api("GET", "/profiles/pricing-help")[1]["product"] == "bolt"
    reset_draft(stack)


def test_the_builder_edits_an_ab_rule_in_plain_words(page: Any, stack: LocalStack) -> None:
    reset_draft(stack)
    go(page, 1280, "Rules")
    page.wait_for_selector("#rules-list li[data-rule]")
    row = page.locator("li[data-rule='after-hours']")
    assert row.locator(".rule-sentence").inner_text() == "Phone calls outside opening hours → after-hours"
    page.get_by_role("button", name="Edit greeting-test", exact=True).click()
    form = page.locator("li[data-rule='greeting-test'] form")
    # The stickiness choice is in words, and choosing it says so in the sentence
    form.get_by_label("Keep a returning caller on the same greeting (phone calls only)").check()
    form.get_by_label("Phone calls", exact=True).check()
    form.get_by_label("Weight of variant A").fill("75")
    form.get_by_label("Weight of variant B").fill("25")
    readback = form.locator(".readback").inner_text()
    assert readback == (
        "Phone calls → A/B test: A receptionist 75%, B receptionist-warm 25% "
        "(a returning caller keeps the same greeting)"
    )
    form.get_by_role("button", name="Save rule to draft", exact=True).click()
    page.wait_for_selector("#rules-message:has-text('greeting-test saved')")
    _, rule = stack.api("GET", "/rules/greeting-test")
    assert rule["bucket_by"] == "caller" and rule["when"]["channel"] == "phone"
    # A mistake is said beside its control: a caller prefix without +
    page.get_by_role("button", name="Edit after-hours", exact=True).click()
    form = page.locator("li[data-rule='after-hours'] form")
    form.get_by_label("Callers whose number starts with").fill("44")
    form.get_by_role("button", name="Save rule to draft", exact=True).click()
    error = form.locator("[data-field='caller_prefixes'] .field-error")
    error.wait_for()
    assert "is not a number start" in error.inner_text()
    reset_draft(stack)


@pytest.mark.parametrize("width", WIDTHS)
def test_delete_asks_first_and_a_profile_in_use_is_refused_in_words(page: Any, stack: LocalStack, width: int) -> None:
    reset_draft(stack)
    go(page, width, "Profiles")
    open_profile(page, "after-hours")
    # When the manager deletes a profile a rule uses, the confirmation names the rule first
    page.get_by_role("button", name="Delete profile", exact=True).click()
    confirm = page.locator("#profile-delete-confirm [role='alertdialog']")
    confirm.wait_for()
    assert "rule 'after-hours'" in confirm.inner_text()
    shot(page, f"editing-02-delete-confirm-{width}")
    page.locator("#profile-delete-yes").click()
    # Then the refusal says what is in the way and what to do, in words
    message = page.locator("#profile-message")
    message.wait_for(state="visible")
    assert message.inner_text() == (
        "Profile 'after-hours' is still used by rule 'after-hours'; change that rule first (another profile, or "
        "delete it)."
    )
    assert stack.api("GET", "/profiles/after-hours")[0] == 200
    # When the rule is deleted first (after its own confirmation; "Keep it" keeps it), the profile can go
    open_section(page, "Rules")
    page.get_by_role("button", name="Delete after-hours", exact=True).click()
    page.get_by_role("button", name="Keep it", exact=True).click()
    assert page.locator("li[data-rule='after-hours']").count() == 1
    page.get_by_role("button", name="Delete after-hours", exact=True).click()
    page.locator("#delete-rule-after-hours-yes").click()
    page.wait_for_selector("#rules-message:has-text('after-hours deleted')")
    assert page.locator("li[data-rule='after-hours']").count() == 0
    open_section(page, "Profiles")
    open_profile(page, "after-hours")
    page.get_by_role("button", name="Delete profile", exact=True).click()
    page.locator("#profile-delete-confirm [role='alertdialog']").wait_for()
    assert "No rule uses it" in page.locator("#profile-delete-confirm").inner_text()
    page.locator("#profile-delete-yes").click()
    page.locator("ul[aria-label='Profiles']").get_by_role("button", name="receptionist", exact=True).wait_for()
    page.wait_for_function(
        "() => ![...document.querySelectorAll(\"ul[aria-label='Profiles'] button\")]"
        ".some(b => b.textContent === 'after-hours')"
    )
    assert stack.api("GET", "/profiles/after-hours")[0] == 404
    reset_draft(stack)


@pytest.mark.parametrize("width", WIDTHS)
def test_add_one_vip_customer_then_delete_them(page: Any, stack: LocalStack, width: int) -> None:
    phone = f"+1415555{random.randrange(1000, 9999)}"
    delete_customer(stack, phone)
    go(page, width, "Customers")
    page.locator("#customer-results table").wait_for()
    page.get_by_role("button", name="+ New customer", exact=True).click()
    page.fill("#customer-id", phone)
    page.get_by_label("Name", exact=True).fill("Maria Lopez")
    page.locator("form input[name=segment]").fill("vip")
    page.locator("form textarea[name=variables]").fill("dentist = Dr. Chen")
    page.locator("#customer-override").fill("You are Maria's personal concierge at {{ company_name }}.")
    shot(page, f"editing-03-new-customer-{width}")
    page.get_by_role("button", name="Add customer", exact=True).click()
    page.wait_for_selector("form[aria-label] h3:has-text('Customer Maria Lopez')")
    status, customer = stack.api("GET", f"/customers/%2B{phone[1:]}")
    assert status == 200 and customer["segment"] == "vip" and customer["variables"] == {"dentist": "Dr. Chen"}
    assert customer["prompt_override"].startswith("You are Maria's personal concierge")
    # Adding the same number again is refused in words
    page.get_by_role("button", name="+ New customer", exact=True).click()
    page.fill("#customer-id", phone)
    page.get_by_role("button", name="Add customer", exact=True).click()
    page.locator("form[aria-label] .notice.error:has-text('already exists. Find them in the list above')").wait_for()
    # Deleting asks first, and says what the caller then gets
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name="Edit Maria Lopez", exact=True).click()
    page.get_by_role("button", name="Delete customer", exact=True).click()
    assert "answered as any unknown caller's" in page.locator("#customer-delete-confirm").inner_text()
    page.locator("#customer-delete-yes").click()
    page.wait_for_selector("#export-message:has-text('deleted')")
    assert stack.api("GET", f"/customers/%2B{phone[1:]}")[0] == 404


def test_customers_download_as_csv_for_viewers_too(page: Any, stack: LocalStack) -> None:
    go(page, 1280, "Customers", role="viewer")
    page.locator("#customer-results table").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download all as CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "customers.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert any(row["phone"].endswith("4155550100") and row["name"] == "Jane Doe" for row in rows)


@pytest.mark.parametrize("width", WIDTHS)
def test_viewer_sees_no_create_or_delete_controls(page: Any, stack: LocalStack, width: int) -> None:
    go(page, width, "Rules", role="viewer")
    page.wait_for_selector("#rules-list li[data-rule]")
    assert page.get_by_role("button", name="+ New rule", exact=True).count() == 0
    assert page.locator("#rules-list button").count() == 0
    open_section(page, "Profiles")
    page.wait_for_selector("#profile-form")
    assert page.get_by_role("button", name="Delete profile", exact=True).count() == 0
    assert page.locator("#profile-product").is_disabled()
    open_section(page, "Customers")
    page.locator("#customer-results table").wait_for()
    assert page.get_by_role("button", name="+ New customer", exact=True).count() == 0
    page.get_by_role("button", name="View Jane Doe", exact=True).click()
    assert page.get_by_role("button", name="Delete customer", exact=True).count() == 0
    assert page.get_by_role("button", name="Save customer", exact=True).count() == 0
    shot(page, f"editing-04-viewer-customer-{width}")
