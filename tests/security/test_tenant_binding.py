"""Attacks through items of a tenant's own partition (written around every API) and through phone numbers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common import table
from functions.common.errors import NumberTaken
from functions.tenant_config.items import item_id_of
from functions.tenant_config.live import Snapshot, compile_snapshot
from functions.tenant_config.models import Tenant
from functions.tenant_config.publishing import Drafts, PublishRefused
from functions.tenant_config.store import ConfigStore
from tests.fixtures import tenants as demo
from tests.fixtures.aws import TABLE_NAME, get_call, put_by_hand, wait_for_decision
from tests.fixtures.emf import metrics_of
from tests.fixtures.outcomes import drain_outcomes
from tests.security.conftest import MALLORY, VICTIM, Invoke, body


def test_a_tenant_item_claiming_to_be_the_victim_is_never_published_or_obeyed(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], json_logs: Any
) -> None:
    # Mallory gets her own tenant item rewritten (around every API) to say it is the victim's.
    put_by_hand(
        aws["dynamodb"],
        MALLORY,
        table.TENANT_SK,
        tenant_id=VICTIM,
        display_name="Acme Dental",
        default_profile_id="main",
        tenant_index_pk=table.TENANT_INDEX_PARTITION_VALUE,
        tenant_index_sk=VICTIM,
    )
    store = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="tenant:mallory", writer="tenant")
    drafts = Drafts(store, aws["dynamodb"], TABLE_NAME, "tenant:mallory")

    # Publishing refuses it, naming the item: it can never reach the router.
    with pytest.raises(PublishRefused) as refused:
        drafts.publish(MALLORY)
    assert "the settings" in refused.value.fields and "tenant_id" in refused.value.fields["the settings"][0]

    # A published item forged the same way (written by hand) is invalid: the call falls back, is counted,
    # and is logged and recorded as Mallory's.
    forged = Snapshot(Tenant(tenant_id=VICTIM, display_name="Acme Dental", default_profile_id="main"))
    put_by_hand(aws["dynamodb"], MALLORY, table.LIVE_SK, version=9, config=compile_snapshot(forged))
    status, answer = invoke(mallory_url, body("web.incoming", call_id=31, from_number="web", to_number=""))
    assert (status, answer) == (200, {})
    line = next(entry for entry in json_logs() if entry["message"].startswith("webhook answered"))
    assert (line["tenant_id"], line["reason"]) == (MALLORY, "invalid_item")
    assert VICTIM not in json.dumps([entry.get("tenant_id") for entry in json_logs()])
    assert metrics_of(line)["InvalidItem"][0] == 1
    assert get_call(aws["dynamodb"], VICTIM, 31) is None
    # The operator's list of tenants is not fooled either: the partition names the tenant, the item is
    # listed apart as invalid, and the other tenants are still listed.
    listing = store.list_tenants()
    assert [item_id_of(tenant) for tenant in listing.items] == [VICTIM]
    assert [(error.tenant_id, error.fields) for error in listing.invalid] == [(MALLORY, ["tenant_id"])]


def test_a_number_listed_by_two_tenants_routes_to_its_owner_only(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any]
) -> None:
    # Mallory lists the victim's number in her tenant item, by hand (no claim is written that way) ...
    store = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="mallory-admin", writer="operator")
    mallory = store.get(MALLORY, "tenant", MALLORY)
    assert isinstance(mallory, Tenant)
    put_by_hand(
        aws["dynamodb"],
        MALLORY,
        table.TENANT_SK,
        **mallory.model_dump(mode="json", exclude_none=True) | {"phone_numbers": [demo.DEMO_NUMBER]},
    )
    # ... and then puts it again through the tool, as if the list were already hers.
    listed = store.get(MALLORY, "tenant", MALLORY)
    assert isinstance(listed, Tenant)
    with pytest.raises(NumberTaken) as refused:
        store.put(MALLORY, listed, expected_version=listed.version)
    assert VICTIM not in str(refused.value)  # the owner is never named to Mallory
    assert store.number_owner(demo.DEMO_NUMBER) == VICTIM

    # A call to that number through the org-level endpoint is the victim's, never Mallory's.
    call = body("telephony.incoming", call_id=77, from_number="+14155550123", to_number=demo.DEMO_NUMBER)
    status, answer = invoke(f"/webhooks/{demo.ORG_TOKEN}", call)
    assert status == 200 and "Acme Dental" in answer["prompt"]


def test_an_outcome_event_for_the_victims_call_is_refused_and_counted(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # The victim's real call, answered by the router for the victim.
    incoming = body("web.incoming", call_id=555, from_number="web", to_number="")
    assert invoke(f"/webhooks/{demo.PRICING_TOKEN}", incoming)[0] == 200
    wait_for_decision(aws["dynamodb"], VICTIM, 555)

    # Mallory sends a signed completion for that call, with a huge bill, to her own URL. The webhook only
    # queues it (ThunderPhone signed it); the outcome recorder attributes it, refuses it and counts it.
    forged = body("web.complete", call_id=555, direction="widget", status="completed", billable_minutes=99_999)
    status, answer = invoke(mallory_url, forged)
    drained = drain_outcomes(aws["sqs"])

    assert (status, answer) == (200, {"received": True})
    assert (drained.delivered, drained.failed) == (1, [])  # consumed: refused once, never retried
    assert '"OutcomeRefused"' in capsys.readouterr().out
    victims = get_call(aws["dynamodb"], VICTIM, 555)
    assert victims is not None and "billable_minutes" not in victims
    assert get_call(aws["dynamodb"], MALLORY, 555) is None


def test_an_outcome_naming_the_victims_number_bills_nobody_without_the_victims_decision(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any]
) -> None:
    # Even at the org-level endpoint, a number in a body alone never decides whose bill it is.
    forged = body(
        "telephony.complete", call_id=9_001, to_number=demo.DEMO_NUMBER, status="completed", billable_minutes=500
    )

    status, _ = invoke(f"/webhooks/{demo.ORG_TOKEN}", forged)
    drain_outcomes(aws["sqs"])

    assert status == 200
    assert get_call(aws["dynamodb"], VICTIM, 9_001) is None
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, 9_001) is not None
