"""The loader groups of reads that are no tenant's (every route, the signing secrets, the origin secret) can never
be a tenant's: a tenant's reads are grouped by its id, so a tenant whose id matched one of them would share that
group's slots and queue, and by flooding its own URL could hold up the one read every tenant's calls need."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from functions.common.types import is_tenant_id
from functions.webhook.adapters import INTERNAL_GROUPS, DynamoTenantStore, SecretsManagerSource
from functions.webhook.loading import FairLoader
from tests.fixtures.clock import FakeClock

# Tenant ids that were the internal groups' names before they were made impossible ones.
CLASHING_IDS = ("routes", "signing-secrets", "origin-secret")


class FakeAws:
    """Just enough of DynamoDB and Secrets Manager for the reads to run: no item, and one valid secret each."""

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def batch_get_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        if SecretId.startswith("tools/"):
            return {"SecretString": json.dumps({"key": "value"})}
        if SecretId == "origin":
            return {"SecretString": json.dumps({"header": "origin-value"})}
        return {"SecretString": json.dumps({"secrets": ["whsec_test_secret"]})}


def recording(loader: FairLoader) -> list[str]:
    """The group of every load submitted to `loader`, in order."""
    groups: list[str] = []
    submit = loader.submit

    def submit_and_record(group: str, run: Callable[[], Any]) -> Future[Any]:
        groups.append(group)
        return submit(group, run)

    loader.submit = submit_and_record  # type: ignore[method-assign]
    return groups


def test_no_internal_group_name_is_a_tenant_id() -> None:
    assert INTERNAL_GROUPS
    assert [group for group in INTERNAL_GROUPS if is_tenant_id(group)] == []


@pytest.mark.parametrize("tenant_id", CLASHING_IDS)
def test_a_tenant_named_like_an_internal_read_shares_no_loader_group_with_it(tenant_id: str) -> None:
    assert is_tenant_id(tenant_id)
    clock = FakeClock()
    aws = FakeAws()
    store = DynamoTenantStore(aws, "table", ttl_seconds=60, max_tenants=4, max_customers=4, clock=clock)
    secrets = SecretsManagerSource(
        aws,
        store.caches,
        signing_secret_name="signing",
        tool_secret_prefix="tools/",
        max_tenants=4,
        origin_secret_name="origin",
    )
    groups = recording(store.loader)
    # The tenant's own reads: its configuration, a customer and its tool credentials
    store.load(tenant_id, "+15550100")
    secrets.tool_secrets(tenant_id)
    tenant_groups = set(groups)
    assert tenant_groups == {tenant_id}
    # The reads that are no tenant's
    groups.clear()
    store.route("made-up-token")
    secrets.signing_secrets()
    secrets.origin_values()
    assert len(groups) == 3
    assert set(groups).isdisjoint(tenant_groups)
