"""The provisioning service with in-memory ports: exactly-once keys, rotation, tenants, endpoint setup."""

from __future__ import annotations

import pytest

from functions.common.config_store import VersionConflict
from functions.common.errors import SecretsUnavailable, StoreUnavailable
from functions.common.thunderphone_api import ThunderPhonePaymentRequired, ThunderPhoneUnavailable
from functions.provisioning import service
from functions.provisioning.errors import AlreadyExists, Conflict, RequestInProgress
from functions.provisioning.models import (
    CreateKeyRequest,
    CreateTenantRequest,
    RotateKeyRequest,
    UpdateKeyRequest,
    UpdateTenantRequest,
    WebhookEndpointRequest,
)
from tests.unit.provisioning.fakes import Clock, MemoryApi, MemoryConfig, MemoryKeys, MemorySigning

BASE = "https://hooks.example.test"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(clock: Clock) -> service.KeyDeps:
    config = MemoryConfig()
    service.create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config)
    return service.KeyDeps(config=config, keys=MemoryKeys(), api=MemoryApi(), clock=clock, lease_seconds=60)


def keys_of(deps: service.KeyDeps) -> MemoryKeys:
    assert isinstance(deps.keys, MemoryKeys)
    return deps.keys


def api_of(deps: service.KeyDeps) -> MemoryApi:
    assert isinstance(deps.api, MemoryApi)
    return deps.api


REQUEST = CreateKeyRequest(allowed_domains=["www.acme.com"], widget_id="pricing")


def create(deps: service.KeyDeps, request: CreateKeyRequest = REQUEST, key: str | None = None) -> tuple[int, bool]:
    view, made = service.create_key("acme", request, idempotency_key=key, webhook_base=BASE, deps=deps)
    return view.id, made


def test_create_tenant_writes_tenant_and_default_profile() -> None:
    config = MemoryConfig()
    view = service.create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config)
    assert view.tenant.default_profile_id == "default"
    assert view.default_profile is not None
    assert "{{ tenant.name }}" in view.default_profile.prompt
    with pytest.raises(AlreadyExists):
        service.create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Again"), config=config)


def test_update_tenant_rejects_a_stale_version() -> None:
    config = MemoryConfig()
    service.create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config)
    suspended = service.update_tenant("acme", UpdateTenantRequest(version=1, status="suspended"), config=config)
    assert suspended.tenant.status == "suspended"
    assert suspended.tenant.version == 2
    with pytest.raises(VersionConflict):
        service.update_tenant("acme", UpdateTenantRequest(version=1, display_name="Old view"), config=config)


def test_create_key_routes_webhook_mode_to_the_tenant_widget_path(deps: service.KeyDeps) -> None:
    view, made = service.create_key("acme", REQUEST, idempotency_key=None, webhook_base=BASE + "/", deps=deps)
    assert made
    assert view.webhook_url == f"{BASE}/webhooks/acme/pricing"
    assert api_of(deps).keys[view.id]["mode"] == "webhook"
    assert api_of(deps).keys[view.id]["name"] == f"Web Widget [sb:{view.marker}]"


def test_create_key_repeated_returns_the_same_key(deps: service.KeyDeps) -> None:
    first = create(deps)
    again = create(deps)
    assert again == (first[0], False)
    assert len(api_of(deps).keys) == 1


def test_create_key_recovers_a_crash_between_create_and_store(deps: service.KeyDeps) -> None:
    # Given ThunderPhone made the key but storing it failed
    keys_of(deps).fail_complete = 1
    with pytest.raises(StoreUnavailable):
        create(deps)
    assert len(api_of(deps).keys) == 1
    # When the request is retried; Then the key is adopted, not made again
    key_id, made = create(deps)
    assert made
    assert len(api_of(deps).keys) == 1
    assert keys_of(deps).get_key("acme", key_id) is not None


def test_create_key_after_a_lost_response_adopts_the_key(deps: service.KeyDeps) -> None:
    api_of(deps).lose_create_response = True
    with pytest.raises(ThunderPhoneUnavailable):
        create(deps)
    key_id, _ = create(deps)
    assert list(api_of(deps).keys) == [key_id]


def test_create_key_in_flight_elsewhere_is_refused_until_the_lease_ends(deps: service.KeyDeps, clock: Clock) -> None:
    # Given a claim whose create never reached ThunderPhone (the process died before the call)
    api_of(deps).create_error = ThunderPhoneUnavailable("connection refused")
    with pytest.raises(ThunderPhoneUnavailable):
        create(deps)
    assert api_of(deps).keys == {}
    # When retried within the lease: refused (the first attempt might still be running)
    with pytest.raises(RequestInProgress):
        create(deps)
    # When retried after the lease: taken over and created once
    clock.advance(61)
    key_id, made = create(deps)
    assert made
    assert list(api_of(deps).keys) == [key_id]


def test_create_key_definite_refusal_releases_the_claim(deps: service.KeyDeps) -> None:
    api_of(deps).create_error = ThunderPhonePaymentRequired("Insufficient balance.", status=402)
    with pytest.raises(ThunderPhonePaymentRequired):
        create(deps)
    assert keys_of(deps).reservations == {}
    key_id, made = create(deps)  # right away: no lease to wait for
    assert made
    assert list(api_of(deps).keys) == [key_id]


def test_create_key_idempotency_key_reused_for_another_request(deps: service.KeyDeps) -> None:
    create(deps, key="order-17")
    other = CreateKeyRequest(allowed_domains=["other.example.com"])
    with pytest.raises(Conflict) as caught:
        create(deps, other, key="order-17")
    assert caught.value.code == "idempotency_key_reused"


def test_create_key_after_deactivation_makes_a_new_key(deps: service.KeyDeps) -> None:
    first, _ = create(deps)
    service.deactivate_key("acme", first, deps=deps)
    second, made = create(deps)
    assert made
    assert second != first


def test_rotate_key_creates_first_then_deactivates_the_old(deps: service.KeyDeps) -> None:
    old, _ = create(deps)
    view, made = service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    assert made
    assert view.replaces == old
    assert view.webhook_url == f"{BASE}/webhooks/acme/pricing"
    stored_old = keys_of(deps).get_key("acme", old)
    assert stored_old is not None
    assert (stored_old.status, stored_old.replaced_by) == ("deactivated", view.id)
    assert [key["id"] for key in api_of(deps).active()] == [view.id]


def test_rotate_key_interrupted_before_deactivation_finishes_on_retry(deps: service.KeyDeps) -> None:
    old, _ = create(deps)
    api = api_of(deps)
    original = api.deactivate_key

    def unavailable(key_id: int) -> None:
        raise ThunderPhoneUnavailable("down")

    api.deactivate_key = unavailable  # type: ignore[method-assign]
    with pytest.raises(ThunderPhoneUnavailable):
        service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    api.deactivate_key = original  # type: ignore[method-assign]
    view, _ = service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    assert len(api.keys) == 2
    assert [key["id"] for key in api.active()] == [view.id]
    # A third call changes nothing and returns the same new key.
    again, made = service.rotate_key("acme", old, RotateKeyRequest(), idempotency_key=None, deps=deps)
    assert (again.id, made) == (view.id, False)


def test_update_key_disables_and_changes_domains(deps: service.KeyDeps) -> None:
    key_id, _ = create(deps)
    view = service.update_key(
        "acme", key_id, UpdateKeyRequest(is_enabled=False, allowed_domains=["*.Acme.com"]), deps=deps
    )
    assert (view.status, view.allowed_domains) == ("disabled", ["*.acme.com"])
    assert view.warnings
    assert api_of(deps).keys[key_id]["is_enabled"] is False
    enabled = service.update_key("acme", key_id, UpdateKeyRequest(is_enabled=True), deps=deps)
    assert enabled.status == "active"


def test_update_key_refuses_a_deactivated_key(deps: service.KeyDeps) -> None:
    key_id, _ = create(deps)
    service.deactivate_key("acme", key_id, deps=deps)
    with pytest.raises(Conflict):
        service.update_key("acme", key_id, UpdateKeyRequest(name="New"), deps=deps)


def test_register_endpoint_stores_the_secret_first_and_keeps_the_old() -> None:
    api, signing = MemoryApi(), MemorySigning(["whsec_old_one"])
    view = service.register_webhook_endpoint(
        WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
    )
    assert view.created
    assert signing.secrets == ("whsec_secret000001", "whsec_old_one")
    assert api.endpoints[view.endpoint.id]["url"] == f"{BASE}/webhooks"
    # Again: the endpoint's secret is held, so nothing new is made.
    again = service.register_webhook_endpoint(
        WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
    )
    assert (again.created, len(api.endpoints)) == (False, 1)


def test_register_endpoint_replaces_an_endpoint_whose_secret_was_lost() -> None:
    api, signing = MemoryApi(), MemorySigning(["whsec_current"])
    orphan = api.create_endpoint({"label": "x", "url": f"{BASE}/webhooks", "events": []})
    view = service.register_webhook_endpoint(
        WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
    )
    assert view.removed_endpoint_ids == [orphan.id]
    assert list(api.endpoints) == [view.endpoint.id]
    assert signing.secrets[1:] == ("whsec_current",)


def test_register_endpoint_removes_the_new_endpoint_when_its_secret_cannot_be_stored() -> None:
    api, signing = MemoryApi(), MemorySigning(["whsec_current"])
    signing.fail_write = True
    with pytest.raises(SecretsUnavailable):
        service.register_webhook_endpoint(
            WebhookEndpointRequest(), webhook_base=BASE, api=api, signing=signing, signing_secret_name="s"
        )
    assert api.endpoints == {}
    assert signing.secrets == ("whsec_current",)
