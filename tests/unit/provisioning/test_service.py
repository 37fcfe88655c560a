"""The provisioning service with in-memory ports and the real ThunderPhone resources over the fake API
(in-process, no sockets): exactly-once keys, rotation, tenants, endpoint setup."""

from __future__ import annotations

import pytest

from functions.common.errors import SecretsUnavailable, StoreUnavailable, VersionConflict
from functions.provisioning.errors import AlreadyExists, Conflict, RequestInProgress
from functions.provisioning.models import (
    CreateKeyRequest,
    CreateTenantRequest,
    RotateKeyRequest,
    UpdateKeyRequest,
    UpdateTenantRequest,
    WebhookEndpointRequest,
)
from functions.provisioning.service import keys as service
from functions.provisioning.service.tenants import create_tenant, update_tenant
from functions.provisioning.service.webhook_endpoint import register_webhook_endpoint
from functions.thunderphone.client import ThunderPhonePaymentRequired, ThunderPhoneUnavailable
from functions.thunderphone.resources import ThunderPhoneKeys
from tests.fixtures.thunderphone import FakeThunderPhone, in_process_api
from tests.unit.provisioning.fakes import Clock, MemoryConfig, MemoryKeys, MemorySigning

BASE = "https://hooks.example.test"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake() -> FakeThunderPhone:
    return FakeThunderPhone(api_key="sk_live_unit_test")


def resources(fake: FakeThunderPhone) -> ThunderPhoneKeys:
    return ThunderPhoneKeys(in_process_api(fake))


def active(fake: FakeThunderPhone) -> list[int]:
    return [key["id"] for key in fake.keys.values() if key["is_active"]]


@pytest.fixture
def deps(clock: Clock, fake: FakeThunderPhone) -> service.KeyDeps:
    config = MemoryConfig()
    create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config)
    return service.KeyDeps(config=config, keys=MemoryKeys(), api=resources(fake), clock=clock, lease_seconds=60)


def keys_of(deps: service.KeyDeps) -> MemoryKeys:
    assert isinstance(deps.keys, MemoryKeys)
    return deps.keys


REQUEST = CreateKeyRequest(allowed_domains=["www.acme.com"], widget_id="pricing")


def create(deps: service.KeyDeps, request: CreateKeyRequest = REQUEST, key: str | None = None) -> tuple[int, bool]:
    view, made = service.create_key("acme", request, idempotency_key=key, webhook_base=BASE, deps=deps)
    return view.id, made


def test_create_tenant_writes_tenant_and_default_profile() -> None:
    config = MemoryConfig()
    view = create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config)
    assert view.tenant.default_profile_id == "default"
    assert view.default_profile is not None
    assert "{{ tenant.name }}" in view.default_profile.prompt
    with pytest.raises(AlreadyExists):
        create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Again"), config=config)


def test_update_tenant_rejects_a_stale_version() -> None:
    config = MemoryConfig()
    create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config)
    suspended = update_tenant("acme", UpdateTenantRequest(version=1, status="suspended"), config=config)
    assert suspended.tenant.status == "suspended"
    assert suspended.tenant.version == 2
    with pytest.raises(VersionConflict):
        update_tenant("acme", UpdateTenantRequest(version=1, display_name="Old view"), config=config)


def test_create_key_routes_webhook_mode_to_the_tenant_widget_path(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    view, made = service.create_key("acme", REQUEST, idempotency_key=None, webhook_base=BASE + "/", deps=deps)
    assert made
    assert view.webhook_url == f"{BASE}/webhooks/acme/pricing"
    assert fake.keys[view.id]["mode"] == "webhook"
    assert fake.keys[view.id]["name"] == f"Web Widget [sb:{view.marker}]"


def test_create_key_repeated_returns_the_same_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    first = create(deps)
    again = create(deps)
    assert again == (first[0], False)
    assert len(fake.keys) == 1


def test_create_key_recovers_a_crash_between_create_and_store(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    # Given ThunderPhone made the key but storing it failed
    keys_of(deps).fail_complete = 1
    with pytest.raises(StoreUnavailable):
        create(deps)
    assert len(fake.keys) == 1
    # When the request is retried; Then the key is adopted, not made again
    key_id, made = create(deps)
    assert made
    assert len(fake.keys) == 1
    assert keys_of(deps).get_key("acme", key_id) is not None


def test_create_key_after_a_lost_response_adopts_the_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    fake.delay_next(5)  # ThunderPhone makes the key; the answer is lost to the client's timeout
    with pytest.raises(ThunderPhoneUnavailable):
        create(deps)
    key_id, _ = create(deps)
    assert list(fake.keys) == [key_id]


def test_create_key_in_flight_elsewhere_is_refused_until_the_lease_ends(
    deps: service.KeyDeps, clock: Clock, fake: FakeThunderPhone
) -> None:
    # Given a claim whose create never reached ThunderPhone (the process died before the call)
    fake.fail_next(503, method="POST")
    with pytest.raises(ThunderPhoneUnavailable):
        create(deps)
    assert fake.keys == {}
    # When retried within the lease: refused (the first attempt might still be running)
    with pytest.raises(RequestInProgress):
        create(deps)
    # When retried after the lease: taken over and created once
    clock.advance(61)
    key_id, made = create(deps)
    assert made
    assert list(fake.keys) == [key_id]


def test_create_key_definite_refusal_releases_the_claim(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    fake.fail_next(402, method="POST")
    with pytest.raises(ThunderPhonePaymentRequired):
        create(deps)
    assert keys_of(deps).reservations == {}
    key_id, made = create(deps)  # right away: no lease to wait for
    assert made
    assert list(fake.keys) == [key_id]


def test_create_key_idempotency_key_reused_for_another_request(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    create(deps, key="order-17")
    other = CreateKeyRequest(allowed_domains=["other.example.com"])
    with pytest.raises(Conflict) as caught:
        create(deps, other, key="order-17")
    assert caught.value.code == "idempotency_key_reused"


def test_create_key_after_deactivation_makes_a_new_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    first, _ = create(deps)
    service.deactivate_key("acme", first, deps=deps)
    second, made = create(deps)
    assert made
    assert second != first


def test_rotate_key_creates_first_then_deactivates_the_old(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    old, _ = create(deps)
    view, made = service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    assert made
    assert view.replaces == old
    assert view.webhook_url == f"{BASE}/webhooks/acme/pricing"
    stored_old = keys_of(deps).get_key("acme", old)
    assert stored_old is not None
    assert (stored_old.status, stored_old.replaced_by) == ("deactivated", view.id)
    assert active(fake) == [view.id]


def test_rotate_key_interrupted_before_deactivation_finishes_on_retry(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    old, _ = create(deps)
    fake.fail_next(503, method="DELETE")
    with pytest.raises(ThunderPhoneUnavailable):
        service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    view, _ = service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    assert len(fake.keys) == 2
    assert active(fake) == [view.id]
    # A third call changes nothing and returns the same new key.
    again, made = service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    assert (again.id, made) == (view.id, False)


def test_update_key_disables_and_changes_domains(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    key_id, _ = create(deps)
    view = service.update_key(
        "acme", key_id, UpdateKeyRequest(is_enabled=False, allowed_domains=["*.Acme.com"]), deps=deps
    )
    assert (view.status, view.allowed_domains) == ("disabled", ["*.acme.com"])
    assert view.warnings
    assert fake.keys[key_id]["is_enabled"] is False
    enabled = service.update_key("acme", key_id, UpdateKeyRequest(is_enabled=True), deps=deps)
    assert enabled.status == "active"


def test_update_key_refuses_a_deactivated_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    key_id, _ = create(deps)
    service.deactivate_key("acme", key_id, deps=deps)
    with pytest.raises(Conflict):
        service.update_key("acme", key_id, UpdateKeyRequest(name="New"), deps=deps)


def test_register_endpoint_stores_the_secret_first_and_keeps_the_old(fake: FakeThunderPhone) -> None:
    api, signing = resources(fake), MemorySigning(["whsec_old_one"])
    view = register_webhook_endpoint(
        WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
    )
    assert view.created
    assert signing.secrets == (fake.endpoints[view.endpoint.id]["secret"], "whsec_old_one")
    assert fake.endpoints[view.endpoint.id]["url"] == f"{BASE}/webhooks"
    # Again: the endpoint's secret is held, so nothing new is made.
    again = register_webhook_endpoint(
        WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
    )
    assert (again.created, len(fake.endpoints)) == (False, 1)


def test_register_endpoint_replaces_an_endpoint_whose_secret_was_lost(fake: FakeThunderPhone) -> None:
    api, signing = resources(fake), MemorySigning(["whsec_current"])
    orphan = api.create_endpoint({"label": "x", "url": f"{BASE}/webhooks", "events": []})
    view = register_webhook_endpoint(
        WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
    )
    assert view.removed_endpoint_ids == [orphan.id]
    assert list(fake.endpoints) == [view.endpoint.id]
    assert signing.secrets[1:] == ("whsec_current",)


def test_register_endpoint_removes_the_new_endpoint_when_its_secret_cannot_be_stored(fake: FakeThunderPhone) -> None:
    api, signing = resources(fake), MemorySigning(["whsec_current"])
    signing.fail_write = True
    with pytest.raises(SecretsUnavailable):
        register_webhook_endpoint(
            WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
        )
    assert fake.endpoints == {}
    assert signing.secrets == ("whsec_current",)
