"""GET /tenant/v1/customers/export: the caller's own customers as a CSV file a spreadsheet reads as data, that
an import reads back; for viewers too; and the profile-in-use refusal in words."""

from __future__ import annotations

import csv
import io

from functions.common import csv_cells
from tests.fixtures import tenants as demo
from tests.fixtures.tenant_api import TenantClient, tenant_api_transport

URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/tenant/v1/customers/export"


def export(tenant_id: str, role: str = "admin") -> tuple[int, dict[str, str], str]:
    status, headers, body = tenant_api_transport(tenant_id, role)("GET", URL, {}, b"")
    return status, headers, body.decode()


def rows(text: str) -> list[dict[str, str]]:
    return [{key: csv_cells.read(value) for key, value in row.items()} for row in csv.DictReader(io.StringIO(text))]


def test_export_is_a_csv_of_the_tenants_customers_that_reads_back(admin: TenantClient) -> None:
    # Given a customer whose variable would run as a formula in a spreadsheet
    status, _, _ = admin.put(
        "/customers/%2B15551234567", {"name": '=HYPERLINK("x")', "variables": {"d": "-5%"}}, create=True
    )
    assert status == 201
    # When the admin exports
    status, headers, text = export(demo.TENANT_ID)
    # Then it is a CSV download named for the tenant, every customer once, formulas written as text
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == f'attachment; filename="customers-{demo.TENANT_ID}.csv"'
    assert "'=HYPERLINK" in text
    by_phone = {row["phone"]: row for row in rows(text)}
    assert set(by_phone) == {demo.VIP_CALLER, "+14155550123", "+15551234567"}
    assert by_phone["+15551234567"]["name"] == '=HYPERLINK("x")' and by_phone["+15551234567"]["var.d"] == "-5%"
    assert by_phone[demo.VIP_CALLER]["segment"] == "vip" and by_phone[demo.VIP_CALLER]["var.dentist"] == "Dr. Patel"
    # And the file imports back unchanged
    status, imported, _ = admin.post("/customers/import", {"csv": text})
    assert (status, imported["unchanged"], imported["created"], imported["updated"]) == (200, 3, 0, 0)


def test_export_etag_changes_with_the_customers(admin: TenantClient) -> None:
    _, first, _ = export(demo.TENANT_ID)
    _, again, _ = export(demo.TENANT_ID)
    assert first["ETag"] == again["ETag"] and first["ETag"].startswith('W/"')
    admin.put("/customers/%2B15550000001", {"name": "New"}, create=True)
    _, after, _ = export(demo.TENANT_ID)
    assert after["ETag"] != first["ETag"]


def test_viewers_may_export_and_other_tenants_get_only_their_own(admin: TenantClient, globex: TenantClient) -> None:
    # Viewers can read every customer page by page already: the file gives them nothing more.
    status, _, text = export(demo.TENANT_ID, "viewer")
    assert status == 200 and demo.VIP_CALLER in text
    # Another tenant's export holds its own customers only (none), never the demo's
    status, _, text = export("globex")
    assert status == 200 and rows(text) == [] and demo.VIP_CALLER not in text
    # And without a token nothing is exported
    status, _, body = tenant_api_transport(None)("GET", URL, {}, b"")
    assert status == 401 and "+1415" not in body.decode()


def test_export_is_not_mistaken_for_a_customer_id(admin: TenantClient) -> None:
    # /customers/export is the export route; customer ids never look like that (E.164 or kind:value)
    status, body, _ = admin.get("/customers/email%3Aexport")
    assert status == 404 and body["error"] == "not_found"


def test_deleting_a_profile_in_use_says_which_rule_and_what_to_do(admin: TenantClient) -> None:
    _, _, headers = admin.get("/profiles/after-hours")
    status, body, _ = admin.request("DELETE", "/profiles/after-hours", headers={"if-match": headers["ETag"]})
    assert (status, body["error"]) == (409, "integrity")
    assert body["message"] == (
        "profile 'after-hours' is still used by rule 'after-hours'; "
        "change that rule first (another profile, or delete it)"
    )
    _, _, headers = admin.get("/profiles/receptionist")
    status, body, _ = admin.request("DELETE", "/profiles/receptionist", headers={"if-match": headers["ETag"]})
    assert status == 409
    assert body["message"].startswith(
        "profile 'receptionist' is still used by the tenant's default profile setting and rule 'greeting-test'"
    )
    assert "choose another default profile in the settings first" in body["message"]
    # A profile nothing uses is deleted (draft), and the rule that used one can be deleted too
    status, _, _ = admin.put("/profiles/spare", {"prompt": "Hello", "voice": "en-US-Ava1"}, create=True)
    _, _, headers = admin.get("/profiles/spare")
    assert admin.request("DELETE", "/profiles/spare", headers={"if-match": headers["ETag"]})[0] == 200
    assert admin.get("/profiles/spare")[0] == 404
