"""What a publish that cannot land says: a rollback after the tenant's settings were removed says so once, rather
than retrying and blaming settings that "kept changing"."""

from __future__ import annotations

from typing import Any

import pytest

from functions.common import table
from functions.tenant_config.publishing import Drafts, PublishConflict
from functions.tenant_config.store import ConfigStore
from tests.fixtures import tenants as demo
from tests.fixtures.aws import TABLE_NAME, seed


@pytest.fixture
def drafts(aws: dict[str, Any]) -> Drafts:
    seed(aws["dynamodb"], TABLE_NAME, demo.TENANT_ID, demo.demo_items())
    store = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="alice", writer="operator")
    return Drafts(store, aws["dynamodb"], TABLE_NAME, "alice")


def test_a_rollback_after_the_settings_were_removed_says_so(drafts: Drafts, aws: dict[str, Any]) -> None:
    profile = drafts.store.get(demo.TENANT_ID, "profile", "web-pricing")
    assert profile is not None
    drafts.store.put(demo.TENANT_ID, profile.model_copy(update={"prompt": "v2"}), expected_version=profile.version)
    drafts.publish(demo.TENANT_ID)
    key = {table.PARTITION_KEY: {"S": table.tenant_pk(demo.TENANT_ID)}, table.SORT_KEY: {"S": table.TENANT_SK}}
    aws["dynamodb"].delete_item(TableName=TABLE_NAME, Key=key)
    with pytest.raises(PublishConflict, match="settings have been removed") as refused:
        drafts.rollback(demo.TENANT_ID, 1)
    assert "ask the operator" in str(refused.value)
