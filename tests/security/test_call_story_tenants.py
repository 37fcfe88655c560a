"""Another tenant's calls through the calls list and a call's story: a call id of the victim's (guessed, or
predicted and claimed by the attacker's own signed incoming event) tells the attacker nothing of the victim's
call: not found in the same words as a call that never was, or only the attacker's own claim, never the
victim's caller, outcome or cost."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from functions.common.clock import iso
from tests.fixtures import tenants as demo
from tests.fixtures.outcomes import drain_outcomes
from tests.fixtures.tenant_api import TenantClient
from tests.security.conftest import MALLORY, VICTIM, Clock, Invoke, body

ORG = f"/webhooks/{demo.ORG_TOKEN}"
WIDGET = f"/webhooks/{demo.PRICING_TOKEN}"


def phone_call(call_id: int) -> bytes:
    return body("telephony.incoming", call_id=call_id, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER)


def web_session(call_id: int) -> bytes:
    return body("web.incoming", call_id=call_id, from_number="web", to_number="")


def web_complete(call_id: int, start: datetime) -> bytes:
    facts = {"direction": "widget", "status": "completed", "billable_minutes": 3, "billing_total_cents": 27}
    return body("web.complete", call_id=call_id, start_time=iso(start), **facts)


def test_another_tenants_call_is_not_found_in_the_words_of_a_call_that_never_was(
    mallory_url: str, invoke: Invoke, tenant_api_env: dict[str, Any]
) -> None:
    # Given the victim's phone call, answered and recorded
    assert invoke(ORG, phone_call(61_001))[0] == 200
    assert TenantClient(VICTIM, "viewer").get("/calls/61001")[0] == 200
    mallory = TenantClient(MALLORY, "admin")
    # When Mallory asks for it by id, and for an id nobody has
    theirs = mallory.get("/calls/61001")
    nobodys = mallory.get("/calls/61999")
    # Then both are the same 404, and her own list is empty
    assert theirs[0] == nobodys[0] == 404
    assert theirs[1] == nobodys[1]
    status, page, _ = mallory.get("/calls")
    assert status == 200 and page["calls"] == []


def test_a_predicted_call_id_shows_the_attacker_only_its_own_claim(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], clock: Clock, tenant_api_env: dict[str, Any]
) -> None:
    start, call_id = clock.at, 62_002
    # Given Mallory claims the victim's session id on her own URL seconds before it starts (the call is contested)
    clock.at = start - timedelta(seconds=5)
    assert invoke(mallory_url, web_session(call_id))[0] == 200
    clock.at = start
    assert invoke(WIDGET, web_session(call_id))[0] == 200
    clock.at = start + timedelta(minutes=5)
    assert invoke(ORG, web_complete(call_id, start))[0] == 200
    drain_outcomes(aws["sqs"])
    # When Mallory opens that call's story and lists her calls
    status, story, _ = TenantClient(MALLORY, "viewer").get(f"/calls/{call_id}")
    _, page, _ = TenantClient(MALLORY, "viewer").get("/calls")
    # Then she sees her own answer only: no outcome, no cost, no widget or rule of the victim's
    assert status == 200
    assert story["outcome"] is None and story["grade"] is None and story["caller"] is None
    assert story["widget_id"] is None and story["rule_id"] is None
    assert [call["call_id"] for call in page["calls"]] == [call_id] and page["calls"][0]["outcome"] is None
    assert "pricing" not in json.dumps([story, page])
