"""The tenant API routes the web console needs: the call report, the customer CSV import, what a version
changed, and a profile's prompt previewed for a chosen caller and time. Each is checked as a tenant admin, a
viewer and another tenant (an adversary) would check it: real handler, moto tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.common import dynamo, table
from functions.common.clock import iso
from functions.tenant_config.models import Channel
from functions.webhook.models import Decision
from tests.fixtures import tenants as demo
from tests.fixtures.aws import CALLS_TABLE_NAME
from tests.fixtures.tenant_api import TenantClient

DAY = datetime(2026, 5, 3, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def one_row_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's TransactWriteItems is not thread-safe (it deep-copies the table while other threads write), so the
    import writes its rows one at a time here; in AWS it writes IMPORT_CONCURRENCY rows at once."""
    monkeypatch.setenv("IMPORT_CONCURRENCY", "1")


MAY = "from=2026-05-01&to=2026-05-07"


def log_calls(calls: list[tuple[int, str, Channel, Decision, datetime]], outcomes: dict[int, str]) -> None:
    """Call items as the decision log and the outcome recorder leave them (written by hand, so these tests do
    not depend on how the writers build them): keys, time index, decision, and a completion for `outcomes`."""
    client = boto3.client("dynamodb")
    for call_id, tenant_id, channel, decision, at in calls:
        item: dict[str, Any] = {
            table.PARTITION_KEY: table.tenant_pk(tenant_id),
            table.SORT_KEY: table.call_sk(call_id),
            table.CALL_TIME_INDEX_PARTITION_KEY: table.tenant_pk(tenant_id),
            table.CALL_TIME_INDEX_SORT_KEY: f"{iso(at)}#{call_id}",
            "tenant_id": tenant_id,
            "call_id": call_id,
            "channel": channel,
            "widget_id": "pricing" if channel == "web" else None,
            "decided_at": iso(at),
            "decision": decision.outcome,
            "reason": decision.reason,
            "rule_id": decision.rule_id,
            "variant": decision.variant,
            "profile_id": decision.profile_id,
        }
        if call_id in outcomes:
            item |= {
                "completion_key": f"{outcomes[call_id]}#90",
                "status": outcomes[call_id],
                "duration_seconds": 90,
                "billable_minutes": 2,
                "billing_total_cents": 30,
            }
        plain = {key: value for key, value in item.items() if value is not None}
        client.put_item(TableName=CALLS_TABLE_NAME, Item=dynamo.to_attributes(plain))


def ab(call_id: int, variant: str) -> Decision:
    profile = "receptionist" if variant == "A" else "receptionist-warm"
    return Decision(demo.TENANT_ID, "config", "rule", rule_id="greeting-test", variant=variant, profile_id=profile)


@pytest.fixture
def calls_logged(admin: TenantClient) -> None:
    """demo: 12 phone calls on variant A (10 completed) and 12 on B (12 completed) on 2026-05-03, 2 web sessions
    and a fallback on 2026-05-04; globex (another tenant): 5 phone calls the same day that must never show."""
    calls: list[tuple[int, str, Channel, Decision, datetime]] = []
    calls += [(1000 + i, "demo", "phone", ab(1000 + i, "A"), DAY + timedelta(minutes=i)) for i in range(12)]
    calls += [(2000 + i, "demo", "phone", ab(2000 + i, "B"), DAY + timedelta(minutes=i)) for i in range(12)]
    pricing = Decision(demo.TENANT_ID, "config", "rule", rule_id="pricing-page", profile_id="web-pricing")
    calls += [(3000 + i, "demo", "web", pricing, DAY + timedelta(days=1)) for i in range(2)]
    calls += [(3100, "demo", "phone", Decision(demo.TENANT_ID, "fallback", "no_profile"), DAY + timedelta(days=1))]
    calls += [
        (9000 + i, "globex", "phone", Decision("globex", "config", "default_profile", profile_id="x"), DAY)
        for i in range(5)
    ]
    log_calls(
        calls,
        {1000 + i: "completed" if i < 10 else "failed" for i in range(12)} | {2000 + i: "completed" for i in range(12)},
    )


# ------------------------------------------------------------------------------------------------ call report


def test_the_report_counts_the_tenants_own_calls_by_day_channel_widget_and_reason(
    calls_logged: None, viewer: TenantClient
) -> None:
    status, report, _ = viewer.get(f"/calls/report?{MAY}")

    assert status == 200
    assert report["tenant_id"] == demo.TENANT_ID and report["period"] == {"start": "2026-05-01", "end": "2026-05-07"}
    assert report["sessions"] == 27  # globex's 5 calls are not here
    assert report["by_channel"] == {"phone": 25, "web": 2}
    assert report["by_widget"] == {"pricing": 2}  # web sessions only
    assert (report["decided"], report["fallbacks"]) == (27, 1)
    assert report["fallback_by_reason"] == [{"reason": "no_profile", "count": 1, "rate": round(1 / 27, 4)}]
    assert (report["with_outcome"], report["minutes"], report["cost_cents"]) == (24, 48, 720)
    assert [(d["day"], d["sessions"], d["web"], d["phone"], d["fallbacks"]) for d in report["daily"]][2:4] == [
        ("2026-05-03", 24, 0, 24, 0),
        ("2026-05-04", 3, 2, 1, 1),
    ]
    assert len(report["daily"]) == 7


def test_the_report_compares_variants_in_plain_english(calls_logged: None, viewer: TenantClient) -> None:
    (experiment,) = viewer.get(f"/calls/report?{MAY}")[1]["experiments"]
    a, b = experiment["variants"]

    assert (experiment["rule_id"], experiment["baseline"], experiment["sessions"]) == ("greeting-test", "A", 24)
    assert (a["variant"], a["completed"], a["with_outcome"], a["completion_rate"]) == ("A", 10, 12, 0.8333)
    assert (b["variant"], b["completed"], b["completion_rate"], b["minutes"], b["cost_cents"]) == (
        "B",
        12,
        1.0,
        24,
        360,
    )
    assert b["completion_vs_baseline"]["test"] == "two-proportion z" and b["grade_vs_baseline"] is None
    assert b["completion_vs_baseline"]["significant"] is False
    p = b["completion_vs_baseline"]["p_value"]
    assert b["indication"] == f"B completes more calls than A; not yet significant (p = {p:.2g})"
    assert a["indication"].startswith("A is the baseline")


def test_the_report_says_when_there_are_not_enough_calls_yet(admin: TenantClient) -> None:
    log_calls(
        [
            (1, "demo", "phone", ab(1, "A"), DAY),
            (2, "demo", "phone", ab(2, "A"), DAY),
            (3, "demo", "phone", ab(3, "B"), DAY),
        ],
        {1: "completed", 3: "completed"},
    )
    b = admin.get(f"/calls/report?{MAY}")[1]["experiments"][0]["variants"][1]

    assert b["completion_vs_baseline"] is None
    assert b["indication"] == "not enough calls yet to compare (1 of 10 needed with an outcome)"


def test_a_tenant_without_calls_gets_zeros_for_the_last_seven_days(admin: TenantClient) -> None:
    status, report, _ = admin.get("/calls/report")

    today = datetime.now(UTC).date()
    assert status == 200
    assert report["period"] == {"start": str(today - timedelta(days=6)), "end": str(today)}
    assert (report["sessions"], report["by_channel"], report["experiments"]) == (0, {"phone": 0, "web": 0}, [])
    assert report["fallback_rate"] is None and [d["sessions"] for d in report["daily"]] == [0] * 7


def test_days_counts_back_from_today(admin: TenantClient) -> None:
    now = datetime.now(UTC)
    log_calls([(7, "demo", "phone", ab(7, "A"), now - timedelta(seconds=5))], {})
    report = admin.get("/calls/report?days=1")[1]

    assert report["period"]["start"] == report["period"]["end"] == str(now.date())
    assert report["sessions"] == 1


def test_another_tenant_sees_only_its_own_calls(calls_logged: None, globex: TenantClient) -> None:
    report = TenantClient("globex", "viewer").get(f"/calls/report?{MAY}")[1]

    assert (report["tenant_id"], report["sessions"], report["experiments"]) == ("globex", 5, [])


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("days=0", "days", "days must be a whole number from 1 to 90"),
        ("days=91", "days", "days must be a whole number from 1 to 90"),
        ("days=week", "days", "days must be a whole number from 1 to 90"),
        ("from=2026-05-01", "to", "to is missing"),
        ("from=2026-05-10&to=2026-05-01", "to", "to (2026-05-01) is before from (2026-05-10)"),
        ("from=2026-01-01&to=2026-04-30", "to", "is 120 days; a report covers at most 92 days"),
        ("from=May 1st&to=2026-05-02", "from", "from must be a date like 2026-05-01"),
        ("days=7&from=2026-05-01&to=2026-05-02", "days", "either days or from and to"),
    ],
)
def test_a_bad_period_is_explained(admin: TenantClient, query: str, field: str, words: str) -> None:
    status, body, _ = admin.get(f"/calls/report?{query}")

    assert (status, body["error"]) == (400, "invalid_request")
    assert words in body["message"] and field in body["fields"]


def test_ninety_two_days_is_the_longest_range(admin: TenantClient) -> None:
    status, report, _ = admin.get("/calls/report?from=2026-01-01&to=2026-04-02")
    assert status == 200 and len(report["daily"]) == 92


# ------------------------------------------------------------------------------------------ customer import

CSV = (
    "phone,name,segment,prompt_addendum,var.dentist\n"
    "+14155550100,Jane Doe,vip,Prefers mornings.,Dr. Chen\n"  # exists (version 1): updated
    '+14155550177,Maria Garcia,vip,"Speaks Spanish.\nOffer afternoons.",Dr. Patel\n'  # lines 3-4
    "+14155550123,John Smith,regular,,\n"  # exists, same content: unchanged
    "email:sam@example.com,Sam Taylor,,,\n"
)


def test_an_import_creates_and_overwrites_customers_and_bumps_versions(admin: TenantClient) -> None:
    _, before, headers = admin.get("/customers/%2B14155550100")
    assert headers["ETag"] == '"1"'

    status, body, _ = admin.post("/customers/import", {"csv": CSV})

    assert status == 200
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 1, 1)
    status, jane, headers = admin.get("/customers/%2B14155550100")
    assert headers["ETag"] == '"2"' and jane["prompt_addendum"] == "Prefers mornings."
    assert jane["variables"] == {"dentist": "Dr. Chen"} and jane["updated_by"]
    maria = admin.get("/customers/%2B14155550177")[1]
    assert maria["prompt_addendum"] == "Speaks Spanish.\nOffer afternoons." and maria["version"] == 1
    assert admin.get("/customers/email:sam@example.com")[1]["name"] == "Sam Taylor"
    assert admin.get("/customers/%2B14155550123")[2]["ETag"] == '"1"'  # unchanged: not rewritten
    # Someone who read Jane before the import cannot overwrite it blindly.
    status, body, _ = admin.put("/customers/%2B14155550100", before | {"name": "Old Jane"}, etag='"1"')
    assert (status, body["error"]) == (412, "precondition_failed") and body["current"]["name"] == "Jane Doe"
    # The same file again changes nothing.
    assert admin.post("/customers/import", {"csv": CSV})[1] | {"effective": ""} == {
        "created": 0,
        "updated": 0,
        "unchanged": 4,
        "effective": "",
    }


def test_one_bad_row_writes_nothing_and_every_bad_line_is_named(admin: TenantClient) -> None:
    text = (
        "phone,name,segment\n"
        "+14155550199,Ok Person,vip\n"
        "0612345678,Local Number,vip\n"  # line 3: not E.164
        '"+14155550198","Quoted\n'
        f'Name",{"s" * 65}\n'  # lines 4-5: a segment too long
        "+14155550199,Twice,vip\n"  # line 6: the same customer as line 2
        "+14155550197,Too,many,cells\n"  # line 7
    )
    status, body, _ = admin.post("/customers/import", {"csv": text})

    assert (status, body["error"]) == (400, "invalid_request")
    assert set(body["fields"]) == {"line 3", "line 4", "line 6", "line 7"}
    assert "phone must be a phone number in E.164 form" in body["fields"]["line 3"][0]
    assert "segment" in body["fields"]["line 4"][0]
    assert body["fields"]["line 6"] == ["+14155550199 already appears on line 2"]
    assert body["fields"]["line 7"] == ["this row has more cells than the header has columns"]
    assert "4 of 5 rows are invalid" in body["message"] and "nothing was imported" in body["message"]
    assert admin.get("/customers/%2B14155550199")[0] == 404


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("name,segment\nAna,vip\n", "line 1", "a `phone` (or `customer_id`) column is required"),
        ("phone,email\n+14155550101,a@b.c\n", "line 1", "unknown column(s) email"),
        ("phone,name\n", "csv", "no customers"),
        ("", "line 1", "column is required"),
    ],
)
def test_a_file_that_cannot_be_read_is_explained(admin: TenantClient, text: str, field: str, words: str) -> None:
    status, body, _ = admin.post("/customers/import", {"csv": text})

    assert (status, body["error"]) == (400, "invalid_request")
    assert field in body["fields"] and words in body["message"]


def test_more_than_a_thousand_rows_is_refused_before_anything_is_written(admin: TenantClient) -> None:
    rows = "".join(f"+1415555{n:04d},P{n}\n" for n in range(1001))
    status, body, _ = admin.post("/customers/import", {"csv": "phone,name\n" + rows})

    assert (status, body["error"]) == (400, "invalid_request")
    assert "the file has 1001 customers; import at most 1000" in body["message"]
    assert admin.get("/customers/%2B14155550000")[0] == 404


def test_a_body_over_the_api_limit_is_refused(admin: TenantClient) -> None:
    status, body, _ = admin.post("/customers/import", {"csv": "phone,name\n" + "+14155550101," + "x" * 300_000})
    assert (status, body["error"]) == (413, "body_too_large")


def test_an_import_is_for_admins_and_needs_a_csv(admin: TenantClient, viewer: TenantClient) -> None:
    status, body, _ = viewer.post("/customers/import", {"csv": CSV})
    assert (status, body["error"]) == (403, "forbidden")
    assert admin.get("/customers/%2B14155550177")[0] == 404
    status, body, _ = admin.post("/customers/import", {"rows": []})
    assert (status, body["error"]) == (422, "invalid_request") and "csv" in body["fields"]


def test_an_import_never_touches_another_tenants_customer_with_the_same_id(
    admin: TenantClient, globex: TenantClient
) -> None:

    status, body, _ = globex.post("/customers/import", {"csv": "phone,name,segment\n+14155550100,Mallory,regular\n"})

    assert (status, body["created"], body["updated"]) == (200, 1, 0)  # its own, new customer
    jane, headers = admin.get("/customers/%2B14155550100")[1:]
    assert (jane["name"], jane["segment"], headers["ETag"]) == ("Jane Doe", "vip", '"1"')
    assert globex.get("/customers/%2B14155550100")[1]["name"] == "Mallory"
    assert [c["customer_id"] for c in globex.get("/customers")[1]["items"]] == ["+14155550100"]


# ---------------------------------------------------------------------------------------------- version diff


def test_a_versions_changes_are_what_it_changed_from_the_one_before(admin: TenantClient, viewer: TenantClient) -> None:
    _, profile, headers = admin.get("/profiles/web-pricing")
    admin.put("/profiles/web-pricing", profile | {"prompt": "New prices."}, etag=headers["ETag"])
    admin.delete("/rules/vip", etag='"1"')
    assert admin.post("/draft/publish")[0] == 201
    assert admin.post("/versions/1/rollback")[0] == 201

    status, two, headers = viewer.get("/versions/2/changes")
    assert status == 200 and headers.get("ETag")
    assert two == {
        "version": 2,
        "compared_with": 1,
        "restored_from": None,
        "changes": [
            {"kind": "profile", "id": "web-pricing", "change": "changed", "fields": ["prompt"]},
            {"kind": "rule", "id": "vip", "change": "removed", "fields": []},
        ],
    }
    three = viewer.get("/versions/3/changes")[1]
    assert (three["restored_from"], three["compared_with"]) == (1, 2)
    assert [(c["id"], c["change"]) for c in three["changes"]] == [("web-pricing", "changed"), ("vip", "added")]
    one = viewer.get("/versions/1/changes")[1]
    assert one["compared_with"] is None and {c["change"] for c in one["changes"]} == {"added"}
    assert {(c["kind"], c["id"]) for c in one["changes"]} >= {("settings", "settings"), ("rule", "vip")}


def test_a_missing_version_has_no_changes(admin: TenantClient, globex: TenantClient) -> None:
    status, body, _ = admin.get("/versions/4/changes")
    assert (status, body["error"], body["message"]) == (404, "not_found", "version 4 was never published")
    assert admin.get("/versions/0/changes")[0] == 422
    _, profile, headers = admin.get("/profiles/web-pricing")
    admin.put("/profiles/web-pricing", profile | {"prompt": "New prices."}, etag=headers["ETag"])
    assert admin.post("/draft/publish")[1]["version"] == 2
    status, body, _ = TenantClient("globex", "viewer").get("/versions/2/changes")
    assert (status, body["message"]) == (404, "version 2 was never published")  # globex published its version 1 only


# ------------------------------------------------------------------------------------ prompt preview at a time


def test_a_profile_is_previewed_for_a_chosen_caller_and_time(viewer: TenantClient) -> None:
    call = {"channel": "phone", "caller": demo.VIP_CALLER, "profile_id": "receptionist"}
    status, body, _ = viewer.post("/simulate", call | {"at": "2026-05-04T21:30:00-04:00"})

    assert status == 200
    assert (body["profile_id"], body["rule_id"], body["outcome"]) == ("receptionist", None, "config")
    assert body["received_at"] == "2026-05-04T21:30:00-04:00" and body["local_time"] == "2026-05-04T21:30-04:00"
    assert "It is Monday 21:30" in body["answer"]["prompt"] and "Greet Jane Doe" in body["answer"]["prompt"]
    assert body["reasons"][0] == "profile 'receptionist' was asked for: the rules were not evaluated"
    # The same moment in UTC renders the tenant's local time; without an offset it is the tenant's wall clock.
    utc = viewer.post("/simulate", call | {"at": "2026-05-05T01:30:00Z"})[1]
    assert "It is Monday 21:30" in utc["answer"]["prompt"]
    local = viewer.post("/simulate", call | {"at": "2026-05-05T09:15:00"})[1]
    assert "It is Tuesday 09:15" in local["answer"]["prompt"]
    # Without profile_id the rules choose: Jane is a VIP.
    assert viewer.post("/simulate", {"channel": "phone", "caller": demo.VIP_CALLER})[1]["profile_id"] == "vip-concierge"


def test_a_preview_of_a_missing_profile_or_a_bad_time_is_explained(admin: TenantClient) -> None:
    status, body, _ = admin.post("/simulate", {"channel": "web", "profile_id": "nobody"})
    assert (status, body["error"], body["message"]) == (
        404,
        "not_found",
        "there is no profile 'nobody' in the draft configuration",
    )
    status, body, _ = admin.post("/simulate", {"channel": "web", "at": "next tuesday"})
    assert (status, body["error"]) == (422, "invalid_request") and "at" in body["fields"]
    status, body, _ = admin.post("/simulate", {"channel": "web", "profile_id": "../x"})
    assert status == 422 and "profile_id" in body["fields"]


def test_a_preview_uses_the_draft_profile(admin: TenantClient) -> None:
    _, profile, headers = admin.get("/profiles/after-hours")
    admin.put(
        "/profiles/after-hours", profile | {"prompt": "Draft prompt for {{ company_name }}."}, etag=headers["ETag"]
    )
    call = {"channel": "web", "profile_id": "after-hours", "at": "2026-05-04T12:00:00Z"}

    assert admin.post("/simulate", call)[1]["answer"]["prompt"] == "Draft prompt for Acme Dental."
    assert "is closed" in admin.post("/simulate", call | {"config": "live"})[1]["answer"]["prompt"]


def test_an_import_is_logged_by_tenant_and_counts_never_by_content(admin: TenantClient, json_logs: Any) -> None:
    assert admin.post("/customers/import", {"csv": CSV})[0] == 200

    (line,) = [entry for entry in json_logs() if entry.get("message") == "customers imported"]
    assert (line["tenant_id"], line["customers_created"], line["customers_updated"]) == ("demo", 2, 1)
    assert "Maria" not in json.dumps(line) and "+14155550177" not in json.dumps(line)
