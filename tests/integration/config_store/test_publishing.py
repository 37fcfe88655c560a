"""Publishing against moto: one winner when two publish at once, rollbacks that lose no edit, operator
fields that take effect without a publish."""

from __future__ import annotations

from typing import Any

import pytest

from functions.common import dynamo, table
from functions.tenant_config.models import Tenant
from functions.tenant_config.publishing import DraftNotEmpty, Drafts, PublishConflict
from functions.tenant_config.store import ConfigStore
from tests.fixtures import tenants as demo
from tests.fixtures.aws import TABLE_NAME, seed


@pytest.fixture
def drafts(aws: dict[str, Any]) -> Drafts:
    seed(aws["dynamodb"], TABLE_NAME, demo.TENANT_ID, demo.demo_items())
    store = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="alice", writer="operator")
    return Drafts(store, aws["dynamodb"], TABLE_NAME, "alice")


def edit_prompt(drafts: Drafts, prompt: str) -> None:
    profile = drafts.store.get(demo.TENANT_ID, "profile", "web-pricing")
    assert profile is not None
    drafts.store.put(demo.TENANT_ID, profile.model_copy(update={"prompt": prompt}), expected_version=profile.version)


def test_two_publishes_based_on_the_same_version_have_one_winner(
    drafts: Drafts, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = drafts.live(demo.TENANT_ID)
    edit_prompt(drafts, "first")
    assert drafts.publish(demo.TENANT_ID).version == 2
    edit_prompt(drafts, "second")
    monkeypatch.setattr(drafts, "live", lambda tenant_id: stale)  # read before the other publish landed
    with pytest.raises(PublishConflict, match="someone else published version 2"):
        drafts.publish(demo.TENANT_ID)
    monkeypatch.undo()
    live = drafts.live(demo.TENANT_ID)
    assert live is not None and live.version == 2 and live.snapshot.profiles["web-pricing"].prompt == "first"


def test_a_rollback_waits_for_unpublished_edits(drafts: Drafts) -> None:
    edit_prompt(drafts, "published")
    drafts.publish(demo.TENANT_ID)
    edit_prompt(drafts, "unpublished work")
    with pytest.raises(DraftNotEmpty, match="1 unpublished change"):
        drafts.rollback(demo.TENANT_ID, 1)
    profile = drafts.store.get(demo.TENANT_ID, "profile", "web-pricing")
    assert profile is not None and profile.prompt == "unpublished work"


def test_a_rollback_keeps_the_operators_current_fields(drafts: Drafts) -> None:
    edit_prompt(drafts, "v2")
    drafts.publish(demo.TENANT_ID)
    tenant = drafts.store.get(demo.TENANT_ID, "tenant", demo.TENANT_ID)
    assert isinstance(tenant, Tenant)
    drafts.store.put(
        demo.TENANT_ID, tenant.model_copy(update={"display_name": "Acme Dental Group"}), expected_version=tenant.version
    )
    drafts.rollback(demo.TENANT_ID, 1)
    live = drafts.live(demo.TENANT_ID)
    assert live is not None and live.version == 3 and live.restored_from == 1
    assert live.snapshot.settings is not None and live.snapshot.settings.display_name == "Acme Dental Group"
    assert live.snapshot.profiles["web-pricing"].prompt != "v2"
    assert [v.version for v in drafts.versions(demo.TENANT_ID)] == [3, 2, 1]


def test_an_operators_change_racing_the_first_publish_reaches_live(aws: dict[str, Any]) -> None:
    import boto3

    # Given a tenant whose draft was never published
    seed(aws["dynamodb"], TABLE_NAME, demo.TENANT_ID, demo.demo_items(), publish=False)
    tenants = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="tenant:demo:ana", writer="tenant")
    first_publish = Drafts(tenants, aws["dynamodb"], TABLE_NAME, "tenant:demo:ana")
    operator_client = boto3.client("dynamodb")
    operator = ConfigStore(operator_client, TABLE_NAME, actor="operator", writer="operator")
    tenant = operator.get(demo.TENANT_ID, "tenant", demo.TENANT_ID)
    assert isinstance(tenant, Tenant)
    published: list[int] = []

    def publish_first(**_: Any) -> None:
        if not published:
            published.append(first_publish.publish(demo.TENANT_ID).version)

    # When the tenant's first publish lands after the operator's suspension has looked for LIVE (and found none)
    # and before it is written
    operator_client.meta.events.register("before-call.dynamodb.TransactWriteItems", publish_first)
    operator.put(demo.TENANT_ID, tenant.model_copy(update={"status": "suspended"}), expected_version=tenant.version)

    # Then the suspension is in LIVE too
    live = dynamo.get(aws["dynamodb"], TABLE_NAME, table.tenant_pk(demo.TENANT_ID), table.LIVE_SK, consistent=True)
    assert published == [1] and live is not None and live["status"] == "suspended"
