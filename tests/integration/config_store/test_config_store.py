"""ConfigStore against moto: round trips, optimistic concurrency, history, number claims, bulk loads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.common import table
from functions.common.errors import InvalidItem, ItemNotFound, NumberTaken, OperatorOwnedChange, VersionConflict
from functions.tenant_config.items import item_id_of
from functions.tenant_config.models import AgentProfile, Customer, RoutingRule, Tenant
from functions.tenant_config.store import ConfigStore
from tests.fixtures.aws import TABLE_NAME, put_by_hand
from tests.integration.config_store import samples

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(aws: dict[str, Any]) -> ConfigStore:
    return ConfigStore(
        aws["dynamodb"], TABLE_NAME, actor="alice", writer="operator", clock=Clock(), sleep=lambda _: None
    )


def raw_item(aws: dict[str, Any], pk: str, sk: str) -> dict[str, Any] | None:
    return aws["dynamodb"].get_item(TableName=TABLE_NAME, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")


def test_config_store_put_get_round_trip_sets_version_and_author(store: ConfigStore) -> None:
    # Given a new profile
    written = store.put("acme", AgentProfile.model_validate(samples.profile()), expected_version=None)
    # Then it is stored at version 1 with who and when
    read = store.get("acme", "profile", "reception")
    assert read == written
    assert read is not None
    assert (read.version, read.updated_by, read.updated_at) == (1, "alice", T0 + timedelta(minutes=1))
    assert store.get("acme", "profile", "missing") is None


def test_config_store_update_needs_the_current_version(store: ConfigStore) -> None:
    v1 = store.put("acme", AgentProfile.model_validate(samples.profile()), expected_version=None)
    v2 = store.put("acme", v1.model_copy(update={"prompt": "Second prompt."}), expected_version=1)
    assert v2.version == 2
    # When someone writes based on version 1 again
    with pytest.raises(VersionConflict) as caught:
        store.put("acme", v1.model_copy(update={"prompt": "Stale edit."}), expected_version=1)
    # Then the conflict carries the stored item and nothing was overwritten
    assert caught.value.expected == 1
    assert caught.value.current == v2
    stored = store.get("acme", "profile", "reception")
    assert isinstance(stored, AgentProfile)
    assert stored.prompt == "Second prompt."


def test_config_store_create_refuses_an_existing_item(store: ConfigStore) -> None:
    model = Customer.model_validate(samples.customer())
    store.put("acme", model, expected_version=None)
    with pytest.raises(VersionConflict) as caught:
        store.put("acme", model, expected_version=None)
    assert caught.value.current_version == 1


def test_config_store_history_keeps_every_version_and_restores_one(store: ConfigStore) -> None:
    v1 = store.put("acme", AgentProfile.model_validate(samples.profile(prompt="First.")), expected_version=None)
    store.put("acme", v1.model_copy(update={"prompt": "Second."}), expected_version=1)
    history = store.history("acme", "profile", "reception")
    assert [(entry.version, entry.updated_by) for entry in history] == [(1, "alice"), (2, "alice")]
    assert isinstance(history[0].item, AgentProfile)
    assert history[0].item.prompt == "First."
    # When version 1 is restored
    restored = store.restore("acme", "profile", "reception", 1, expected_version=2)
    # Then it comes back as version 3 and version 2 stays in history
    assert isinstance(restored, AgentProfile)
    assert (restored.version, restored.prompt) == (3, "First.")
    assert [entry.version for entry in store.history("acme", "profile", "reception")] == [1, 2, 3]


def test_config_store_restore_with_stale_version_writes_nothing(store: ConfigStore) -> None:
    v1 = store.put("acme", AgentProfile.model_validate(samples.profile(prompt="First.")), expected_version=None)
    store.put("acme", v1.model_copy(update={"prompt": "Second."}), expected_version=1)
    with pytest.raises(VersionConflict):
        store.restore("acme", "profile", "reception", 1, expected_version=1)
    assert store.get("acme", "profile", "reception").version == 2  # type: ignore[union-attr]


def test_config_store_delete_keeps_history_and_recreate_continues_versions(store: ConfigStore) -> None:
    v1 = store.put("acme", RoutingRule.model_validate(samples.rule()), expected_version=None)
    with pytest.raises(VersionConflict):
        store.delete("acme", "rule", "vip", expected_version=7)
    store.delete("acme", "rule", "vip", expected_version=1)
    assert store.get("acme", "rule", "vip") is None
    with pytest.raises(ItemNotFound):
        store.delete("acme", "rule", "vip", expected_version=1)
    history = store.history("acme", "rule", "vip")
    assert [(entry.version, entry.item is None) for entry in history] == [(1, False), (2, True)]
    with pytest.raises(ItemNotFound):
        store.restore("acme", "rule", "vip", 2, expected_version=None)
    # Re-creating continues after the tombstone, so history is never overwritten
    again = store.restore("acme", "rule", "vip", 1, expected_version=None)
    assert again.version == 3
    assert again.model_dump(exclude={"version", "updated_at", "updated_by"}) == v1.model_dump(
        exclude={"version", "updated_at", "updated_by"}
    )
    assert [entry.version for entry in store.history("acme", "rule", "vip")] == [1, 2, 3]


def test_config_store_tenant_claims_and_releases_numbers(store: ConfigStore, aws: dict[str, Any]) -> None:
    acme = store.put("acme", Tenant.model_validate(samples.tenant()), expected_version=None)
    assert store.number_owner("+33180000001") == "acme"
    # Another tenant cannot take the number, and nothing of its write lands
    other = Tenant.model_validate(samples.tenant(tenant_id="globex", display_name="Globex"))
    with pytest.raises(NumberTaken) as caught:
        store.put("globex", other, expected_version=None)
    assert caught.value.number == "+33180000001"
    assert "acme" not in str(caught.value)  # the owner is never named to another tenant
    assert store.get("globex", "tenant", "globex") is None
    # Moving to a new number releases the old one
    store.put("acme", acme.model_copy(update={"phone_numbers": ["+33180000002"]}), expected_version=1)
    assert store.number_owner("+33180000001") is None
    assert store.number_owner("+33180000002") == "acme"
    store.put("globex", other, expected_version=None)
    assert store.number_owner("+33180000001") == "globex"
    assert sorted(tenant.tenant_id for tenant in store.list_tenants().items) == ["acme", "globex"]
    # Deleting a tenant releases its numbers; its history item does not show up as a tenant
    store.delete("acme", "tenant", "acme", expected_version=2)
    assert store.number_owner("+33180000002") is None
    assert [item_id_of(tenant) for tenant in store.list_tenants().items] == ["globex"]


def test_config_store_a_tenants_writes_keep_the_operators_fields_and_never_touch_claims_or_live(
    store: ConfigStore, aws: dict[str, Any]
) -> None:
    import boto3

    # Given a tenant the operator created, with a phone number
    acme = store.put("acme", Tenant.model_validate(samples.tenant()), expected_version=None)
    client = boto3.client("dynamodb")
    requests: list[str] = []
    client.meta.events.register("before-parameter-build.dynamodb", lambda params, **_: requests.append(str(params)))
    tenants_store = ConfigStore(client, TABLE_NAME, actor="tenant:acme:ana", writer="tenant")

    # When the tenant changes a setting of its own, Then it is written without a single request about number
    # claims or the published configuration
    saved = tenants_store.put("acme", acme.model_copy(update={"timezone": "Europe/Berlin"}), expected_version=1)
    assert saved.version == 2 and store.number_owner("+33180000001") == "acme"
    assert requests and not [r for r in requests if table.NUMBER_PREFIX in r or table.LIVE_SK in r]

    # and whatever it sends, the operator's fields, its tenant item's existence and other tenants stay the operator's
    for change, fields in (
        ({"status": "suspended"}, ["status"]),
        ({"display_name": "Acme"}, ["display_name"]),
        ({"phone_numbers": ["+33180000001", "+33180000009"]}, ["phone_numbers"]),
    ):
        with pytest.raises(OperatorOwnedChange) as refused:
            tenants_store.put("acme", saved.model_copy(update=change), expected_version=2)
        assert refused.value.fields == fields
    globex = Tenant.model_validate(samples.tenant(tenant_id="globex", phone_numbers=[]))
    with pytest.raises(OperatorOwnedChange):
        tenants_store.put("globex", globex, expected_version=None)
    with pytest.raises(OperatorOwnedChange):
        tenants_store.delete("acme", "tenant", "acme", expected_version=2)
    stored = store.get("acme", "tenant", "acme")
    assert isinstance(stored, Tenant) and (stored.version, stored.status) == (2, "active")
    assert store.get("globex", "tenant", "globex") is None


def test_config_store_put_refuses_a_tenant_item_for_another_tenant(store: ConfigStore) -> None:
    with pytest.raises(ValueError, match="names tenant"):
        store.put("globex", Tenant.model_validate(samples.tenant()), expected_version=None)


def test_config_store_list_reports_invalid_items(store: ConfigStore, aws: dict[str, Any]) -> None:
    store.put("acme", AgentProfile.model_validate(samples.profile()), expected_version=None)
    # Given a profile edited by hand with a misspelt attribute
    put_by_hand(
        aws["dynamodb"], "acme", "CONFIG#PROFILE#broken", profile_id="broken", prompt="Hi", voice="alloy", promt="typo"
    )
    listing = store.list_checked("acme", "profile")
    assert [item.profile_id for item in listing.items] == ["reception"]  # type: ignore[attr-defined]
    assert [error.sort_key for error in listing.invalid] == ["CONFIG#PROFILE#broken"]
    with pytest.raises(InvalidItem):
        store.list("acme", "profile")
    # A stale-version write over the invalid item still reports its version
    with pytest.raises(VersionConflict) as caught:
        store.put("acme", AgentProfile.model_validate(samples.profile("broken")), expected_version=None)
    assert caught.value.current is None
    assert caught.value.current_version == 0
    # Fixing it keeps the broken version in history, as it was
    store.put("acme", AgentProfile.model_validate(samples.profile("broken")), expected_version=0)
    archived = raw_item(aws, "TENANT#acme", table.history_sk("profile", "broken", 0))
    assert archived is not None
    assert archived["item"]["M"]["promt"] == {"S": "typo"}


def test_config_store_put_many_creates_updates_and_skips_unchanged(store: ConfigStore) -> None:
    store.put("acme", Customer.model_validate(samples.customer("+33600000001")), expected_version=None)
    rows = [Customer.model_validate(samples.customer(f"+3360000{n:04d}", name=f"C{n}")) for n in range(1, 61)]
    seen: list[tuple[int, int]] = []
    result = store.put_many("acme", rows, progress=lambda done, total: seen.append((done, total)))
    assert len(result.created) == 59
    assert result.updated == ["+33600000001"]
    assert seen[-1][0] == seen[-1][1]
    assert len(seen) == 3  # 61 writes + 1 archived version = 62 requests, in 25s
    updated = store.get("acme", "customer", "+33600000001")
    assert updated is not None
    assert (updated.version, updated.name) == (2, "C1")  # type: ignore[attr-defined]
    assert [entry.version for entry in store.history("acme", "customer", "+33600000001")] == [1, 2]
    # Running the same import again writes nothing
    again = store.put_many("acme", rows)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 60)
    assert len(store.list("acme", "customer")) == 60


def test_config_store_put_many_retries_unprocessed_items(aws: dict[str, Any]) -> None:
    from botocore.stub import Stubber

    client = aws["dynamodb"]
    sleeps: list[float] = []
    store = ConfigStore(client, TABLE_NAME, actor="bob", writer="operator", sleep=sleeps.append)
    rows = [Customer.model_validate(samples.customer("+33600000001"))]
    with Stubber(client) as stub:
        stub.add_response("query", {"Items": []})  # current customers
        stub.add_response("query", {"Items": []})  # archived versions
        leftover = {"PutRequest": {"Item": {"pk": {"S": "TENANT#acme"}, "sk": {"S": "CUSTOMER#+33600000001"}}}}
        stub.add_response("batch_write_item", {"UnprocessedItems": {TABLE_NAME: [leftover]}})
        stub.add_response("batch_write_item", {"UnprocessedItems": {}})
        result = store.put_many("acme", rows)
        stub.assert_no_pending_responses()
    assert result.created == ["+33600000001"]
    assert len(sleeps) == 1


def test_config_store_translates_throttling_to_store_unavailable(aws: dict[str, Any]) -> None:
    from botocore.stub import Stubber

    from functions.common.errors import StoreUnavailable

    client = aws["dynamodb"]
    store = ConfigStore(client, TABLE_NAME, actor="bob", writer="operator")
    with Stubber(client) as stub:
        stub.add_client_error("get_item", "AccessDeniedException", http_status_code=400)
        with pytest.raises(StoreUnavailable, match=r"AccessDeniedException.*own tenant"):
            store.get("acme", "profile", "reception")


class RacingClient:
    """The real (moto) client, with another admin's write landing just before our transaction."""

    def __init__(self, client: Any, race: Any) -> None:
        self._client = client
        self._race = race

    def transact_write_items(self, **kwargs: Any) -> Any:
        self._race()
        return self._client.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_config_store_conflict_detected_by_the_conditional_write(store: ConfigStore, aws: dict[str, Any]) -> None:
    v1 = store.put("acme", AgentProfile.model_validate(samples.profile(prompt="First.")), expected_version=None)
    bob = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="bob", writer="operator")
    racing = ConfigStore(
        RacingClient(
            aws["dynamodb"], lambda: bob.put("acme", v1.model_copy(update={"prompt": "Bob's."}), expected_version=1)
        ),
        TABLE_NAME,
        actor="alice",
        writer="operator",
    )
    # When Bob's write lands between Alice's read and her write
    with pytest.raises(VersionConflict) as caught:
        racing.put("acme", v1.model_copy(update={"prompt": "Alice's."}), expected_version=1)
    # Then Alice is told, with Bob's version, and Bob's edit stands
    assert caught.value.current is not None
    assert caught.value.current.updated_by == "bob"
    assert [(entry.version, entry.updated_by) for entry in store.history("acme", "profile", "reception")] == [
        (1, "alice"),
        (2, "bob"),
    ]
