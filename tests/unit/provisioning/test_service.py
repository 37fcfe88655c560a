"""The provisioning service with in-memory ports and the real ThunderPhone resources over the fake API
(in-process, no sockets): exactly-once keys with one capability URL each, rotation, tenants, endpoint
setup."""

from __future__ import annotations

import re

import pytest

from functions.common.errors import SecretsUnavailable, StoreUnavailable, VersionConflict
from functions.provisioning.errors import AlreadyExists, Conflict, RequestInProgress
from functions.provisioning.models import (
    CreateKeyRequest,
    CreateTenantRequest,
    KeyView,
    RotateKeyRequest,
    UpdateKeyRequest,
    UpdateTenantRequest,
    WebhookEndpointRequest,
    WebhookEndpointView,
)
from functions.provisioning.service import keys as service
from functions.provisioning.service.tenants import create_tenant, update_tenant
from functions.provisioning.service.webhook_endpoint import EndpointDeps, register_webhook_endpoint
from functions.thunderphone.client import ThunderPhonePaymentRequired, ThunderPhoneUnavailable
from functions.thunderphone.resources import ThunderPhoneKeys
from functions.webhook_routes.model import Route
from tests.fixtures.thunderphone import FakeThunderPhone, in_process_api
from tests.unit.provisioning.fakes import (
    BASE,
    REQUEST,
    Clock,
    MemoryConfig,
    MemoryPublisher,
    MemoryRoutes,
    MemorySigning,
    crashed,
    keys_of,
    routes_of,
)

TOKEN_URL = re.compile(rf"^{re.escape(BASE)}/webhooks/[A-Za-z0-9_-]{{32}}$")


def resources(fake: FakeThunderPhone) -> ThunderPhoneKeys:
    return ThunderPhoneKeys(in_process_api(fake))


def active(fake: FakeThunderPhone) -> list[int]:
    return [key["id"] for key in fake.keys.values() if key["is_active"]]


def route_of(routes: MemoryRoutes, url: str | None) -> Route:
    assert url is not None and TOKEN_URL.match(url), url
    route = routes.of_url(url)
    assert route is not None, "no route for the URL"
    return route


def rotate(deps: service.KeyDeps, key_id: int) -> tuple[KeyView, bool]:
    return service.rotate_key("acme", key_id, RotateKeyRequest(), idempotency_key=None, webhook_base=BASE, deps=deps)


def create(deps: service.KeyDeps, request: CreateKeyRequest = REQUEST, key: str | None = None) -> tuple[int, bool]:
    view, made = service.create_key("acme", request, idempotency_key=key, webhook_base=BASE, deps=deps)
    return view.id, made


def test_create_tenant_writes_tenant_and_default_profile() -> None:
    config = MemoryConfig()
    publisher = MemoryPublisher()
    view = create_tenant(CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config, publisher=publisher)
    assert publisher.published == ["acme"]  # its first call already gets the default profile
    assert view.tenant.default_profile_id == "default"
    assert view.default_profile is not None
    assert "{{ tenant.name }}" in view.default_profile.prompt
    with pytest.raises(AlreadyExists):
        create_tenant(
            CreateTenantRequest(tenant_id="acme", display_name="Again"), config=config, publisher=MemoryPublisher()
        )


def test_update_tenant_rejects_a_stale_version() -> None:
    config = MemoryConfig()
    create_tenant(
        CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config, publisher=MemoryPublisher()
    )
    suspended = update_tenant("acme", UpdateTenantRequest(version=1, status="suspended"), config=config)
    assert suspended.tenant.status == "suspended"
    assert suspended.tenant.version == 2
    with pytest.raises(VersionConflict):
        update_tenant("acme", UpdateTenantRequest(version=1, display_name="Old view"), config=config)


def test_create_key_gives_a_webhook_key_its_own_token_url_and_route(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    view, made = service.create_key("acme", REQUEST, idempotency_key=None, webhook_base=BASE + "/", deps=deps)
    assert made
    route = route_of(routes_of(deps), view.webhook_url)
    assert (route.kind, route.tenant_id, route.widget_id, route.active) == ("key", "acme", "pricing", True)
    assert view.route_id == route.route_id
    assert "acme" not in (view.webhook_url or "") and "pricing" not in (view.webhook_url or "")
    assert fake.keys[view.id]["webhook_url"] == view.webhook_url
    assert fake.keys[view.id]["mode"] == "webhook"
    assert fake.keys[view.id]["name"] == f"Web Widget [sb:{view.marker}]"


def test_create_key_two_widgets_get_two_urls(deps: service.KeyDeps) -> None:
    first, _ = service.create_key("acme", REQUEST, idempotency_key=None, webhook_base=BASE, deps=deps)
    other = CreateKeyRequest(allowed_domains=["www.acme.com"], widget_id="checkout")
    second, _ = service.create_key("acme", other, idempotency_key=None, webhook_base=BASE, deps=deps)
    assert first.webhook_url != second.webhook_url
    assert route_of(routes_of(deps), second.webhook_url).widget_id == "checkout"


def test_create_key_agent_mode_has_no_route(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    request = CreateKeyRequest(mode="agent", agent_id=12, allowed_domains=["www.acme.com"])
    view, _ = service.create_key("acme", request, idempotency_key=None, webhook_base=BASE, deps=deps)
    assert (view.webhook_url, view.route_id, view.agent_id) == (None, None, 12)
    assert routes_of(deps).routes == {}
    assert keys_of(deps).reservations[("acme", view.reservation_id or "")].webhook_token is None


def test_create_key_repeated_returns_the_same_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    first = create(deps)
    again = create(deps)
    assert again == (first[0], False)
    assert len(fake.keys) == 1
    assert len(routes_of(deps).routes) == 1


def test_create_key_recovers_a_crash_between_create_and_store(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    # Given ThunderPhone made the key but storing it failed
    keys_of(deps).fail_complete = 1
    with pytest.raises(StoreUnavailable):
        create(deps)
    [made_first] = fake.keys.values()
    # When the request is retried; Then the key is adopted, not made again, with the URL it was made with
    key_id, made = create(deps)
    assert made
    assert list(fake.keys) == [key_id]
    record = keys_of(deps).get_key("acme", key_id)
    assert record is not None
    assert record.webhook_url == made_first["webhook_url"]
    assert [route.route_id for route in routes_of(deps).routes.values()] == [record.route_id]


def test_create_key_after_a_lost_response_adopts_the_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    fake.delay_next(5)  # ThunderPhone makes the key; the answer is lost to the client's timeout
    with pytest.raises(ThunderPhoneUnavailable):
        create(deps)
    sent = next(iter(fake.keys.values()))["webhook_url"]
    key_id, _ = create(deps)
    assert list(fake.keys) == [key_id]
    assert get(deps, key_id).webhook_url == sent
    assert len(routes_of(deps).routes) == 1
    assert route_of(routes_of(deps), sent).active


def abandoned_claim(deps: service.KeyDeps, fake: FakeThunderPhone) -> Route:
    """A claim whose create never reached ThunderPhone (the process died before the call, so the attempt
    never marked its end); its route."""
    crashed(deps)
    assert fake.keys == {}
    [claim] = keys_of(deps).reservations.values()
    assert claim.state == "pending"
    [opened] = routes_of(deps).routes.values()
    return opened


def test_create_key_in_flight_elsewhere_is_refused_until_the_lease_ends(
    deps: service.KeyDeps, clock: Clock, fake: FakeThunderPhone
) -> None:
    opened = abandoned_claim(deps, fake)
    # When retried within the lease: refused (the first attempt might still be running)
    with pytest.raises(RequestInProgress):
        create(deps)
    # When retried after the lease: taken over and created once, with the URL the claim was made with
    clock.advance(61)
    key_id, made = create(deps)
    assert made
    assert list(fake.keys) == [key_id]
    assert get(deps, key_id).route_id == opened.route_id
    assert list(routes_of(deps).routes) == [opened.route_id]


def test_create_key_take_over_refuses_a_url_that_no_longer_opens_its_route(
    deps: service.KeyDeps, clock: Clock, fake: FakeThunderPhone
) -> None:
    # Given an abandoned claim whose route was retired since
    opened = abandoned_claim(deps, fake)
    routes_of(deps).retire(opened.route_id, at=clock())
    # When the request is taken over; Then no key is made under a URL that opens nothing
    clock.advance(61)
    with pytest.raises(Conflict) as caught:
        create(deps)
    assert caught.value.code == "webhook_route_unusable"
    assert fake.keys == {}


def test_create_key_definite_refusal_releases_the_claim_and_retires_the_url(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    fake.fail_next(402, method="POST")
    with pytest.raises(ThunderPhonePaymentRequired):
        create(deps)
    assert keys_of(deps).reservations == {}
    [refused] = routes_of(deps).routes.values()
    assert not refused.active
    key_id, made = create(deps)  # right away: no lease to wait for
    assert made
    assert list(fake.keys) == [key_id]
    assert get(deps, key_id).route_id != refused.route_id
    assert route_of(routes_of(deps), get(deps, key_id).webhook_url).active


def test_create_key_idempotency_key_reused_for_another_request(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    create(deps, key="order-17")
    for other in (
        CreateKeyRequest(allowed_domains=["other.example.com"]),
        CreateKeyRequest(allowed_domains=["www.acme.com"], widget_id="checkout"),
    ):
        with pytest.raises(Conflict) as caught:
            create(deps, other, key="order-17")
        assert caught.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict):  # another deployment base is another request too
        service.create_key("acme", REQUEST, idempotency_key="order-17", webhook_base="https://x.test", deps=deps)
    assert len(fake.keys) == 1


def test_create_key_after_deactivation_makes_a_new_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    first, _ = create(deps)
    service.deactivate_key("acme", first, deps=deps)
    second, made = create(deps)
    assert made
    assert second != first
    assert get(deps, second).webhook_url != get(deps, first).webhook_url


def test_deactivate_key_retires_its_url(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    key_id, _ = create(deps)
    url = get(deps, key_id).webhook_url
    view = service.deactivate_key("acme", key_id, deps=deps)
    assert view.status == "deactivated"
    assert not route_of(routes_of(deps), url).active
    assert fake.keys[key_id]["is_active"] is False


def test_deactivate_key_interrupted_before_recording_finishes_on_retry(
    deps: service.KeyDeps, fake: FakeThunderPhone, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, _ = create(deps)
    url = get(deps, key_id).webhook_url
    routes = routes_of(deps)
    original = routes.retire

    def down(route_id: str, *, at: object) -> None:
        raise StoreUnavailable("retire route failed: ThrottlingException")

    monkeypatch.setattr(routes, "retire", down)
    with pytest.raises(StoreUnavailable):
        service.deactivate_key("acme", key_id, deps=deps)
    assert get(deps, key_id).status == "active"  # not recorded as done while the URL still opens
    monkeypatch.setattr(routes, "retire", original)
    service.deactivate_key("acme", key_id, deps=deps)
    assert not route_of(routes, url).active


def test_rotate_key_creates_first_then_deactivates_the_old(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    old, _ = create(deps)
    old_url = get(deps, old).webhook_url
    view, made = rotate(deps, old)
    assert made
    assert view.replaces == old
    assert view.webhook_url != old_url
    new_route = route_of(routes_of(deps), view.webhook_url)
    assert (new_route.tenant_id, new_route.widget_id, new_route.active) == ("acme", "pricing", True)
    assert not route_of(routes_of(deps), old_url).active
    assert fake.keys[view.id]["webhook_url"] == view.webhook_url
    stored_old = keys_of(deps).get_key("acme", old)
    assert stored_old is not None
    assert (stored_old.status, stored_old.replaced_by) == ("deactivated", view.id)
    assert active(fake) == [view.id]


def test_rotate_key_interrupted_before_deactivation_finishes_on_retry(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    old, _ = create(deps)
    old_url = get(deps, old).webhook_url
    fake.fail_next(503, method="DELETE")
    with pytest.raises(ThunderPhoneUnavailable):
        rotate(deps, old)
    assert route_of(routes_of(deps), old_url).active  # the old key still works until it is deactivated
    view, _ = rotate(deps, old)
    assert len(fake.keys) == 2
    assert active(fake) == [view.id]
    assert [route.active for route in routes_of(deps).routes.values()] == [False, True]
    # A third call changes nothing and returns the same new key.
    again, made = rotate(deps, old)
    assert (again.id, made, again.webhook_url) == (view.id, False, view.webhook_url)


def test_rotate_key_uses_thunderphones_key_not_the_stored_fields(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    # Given a record whose URL, agent and mode were changed behind our back
    old, _ = create(deps)
    record = get(deps, old)
    tampered = record.model_copy(
        update={
            "webhook_url": "https://evil.example/hook",
            "agent_id": 666,
            "mode": "agent",
            "allowed_domains": ["x.y"],
        }
    )
    keys_of(deps).put_key("acme", tampered)
    # When it is rotated; Then the new key is made from ThunderPhone's view and a fresh URL
    view, _ = rotate(deps, old)
    remote = fake.keys[view.id]
    assert (remote["mode"], remote["agent_id"], remote["allowed_domains"]) == ("webhook", None, ["www.acme.com"])
    assert TOKEN_URL.match(remote["webhook_url"])
    assert remote["webhook_url"] not in (record.webhook_url, tampered.webhook_url)


def test_rotate_key_agent_mode_keeps_thunderphones_agent(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    request = CreateKeyRequest(mode="agent", agent_id=12, allowed_domains=["www.acme.com"])
    old, _ = create(deps, request)
    keys_of(deps).put_key("acme", get(deps, old).model_copy(update={"agent_id": 99}))
    view, _ = rotate(deps, old)
    assert (fake.keys[view.id]["agent_id"], fake.keys[view.id]["webhook_url"], view.route_id) == (12, None, None)
    assert routes_of(deps).routes == {}


def test_rotate_key_refuses_a_record_that_does_not_match_thunderphones_key(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    # Given a record pointing at a ThunderPhone key that is not the one it was made for
    mine, _ = create(deps)
    theirs = resources(fake).create_key(
        {"name": "Other [sb:0123456789ab]", "mode": "agent", "agent_id": 77, "allowed_domains": ["other.example"]}
    )
    keys_of(deps).put_key("acme", get(deps, mine).model_copy(update={"id": theirs.id}))
    # When it is rotated; Then nothing is made or deactivated
    with pytest.raises(Conflict) as caught:
        rotate(deps, theirs.id)
    assert caught.value.code == "key_record_mismatch"
    assert len(fake.keys) == 2
    assert fake.keys[theirs.id]["is_active"] is True


def test_rotate_key_renormalises_thunderphones_domains(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    old, _ = create(deps)
    fake.keys[old]["allowed_domains"] = ["WWW.Acme.com.", "www.acme.com"]  # changed in ThunderPhone's console
    view, _ = rotate(deps, old)
    assert fake.keys[view.id]["allowed_domains"] == ["www.acme.com"]


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
    assert enabled.route_id == get(deps, key_id).route_id


def test_update_key_refuses_a_deactivated_key(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    key_id, _ = create(deps)
    service.deactivate_key("acme", key_id, deps=deps)
    with pytest.raises(Conflict):
        service.update_key("acme", key_id, UpdateKeyRequest(name="New"), deps=deps)


def get(deps: service.KeyDeps, key_id: int) -> KeyView:
    return service.get_key("acme", key_id, deps=deps)


# ---------------------------------------------------------------- org-level webhook endpoint


def endpoint_deps(fake: FakeThunderPhone, clock: Clock, secrets: tuple[str, ...] = ()) -> EndpointDeps:
    return EndpointDeps(
        api=resources(fake), signing=MemorySigning(secrets), routes=MemoryRoutes(), clock=clock, signing_secret_name="s"
    )


def register(deps: EndpointDeps, request: WebhookEndpointRequest | None = None) -> WebhookEndpointView:
    return register_webhook_endpoint(request or WebhookEndpointRequest(), webhook_base=BASE, deps=deps)


def signing_of(deps: EndpointDeps) -> MemorySigning:
    assert isinstance(deps.signing, MemorySigning)
    return deps.signing


def endpoint_routes(deps: EndpointDeps) -> MemoryRoutes:
    assert isinstance(deps.routes, MemoryRoutes)
    return deps.routes


def test_register_endpoint_stores_the_secret_first_and_keeps_the_old(fake: FakeThunderPhone, clock: Clock) -> None:
    deps = endpoint_deps(fake, clock, ("whsec_old_one",))
    view = register(deps)
    assert view.created
    assert signing_of(deps).secrets == (fake.endpoints[view.endpoint.id]["secret"], "whsec_old_one")
    url = fake.endpoints[view.endpoint.id]["url"]
    route = route_of(endpoint_routes(deps), url)
    assert (route.kind, route.tenant_id, route.widget_id, route.active) == ("org", None, None, True)
    # Again: the endpoint's secret is held and its route open, so nothing new is made.
    again = register(deps, WebhookEndpointRequest(label="Renamed"))
    assert (again.created, len(fake.endpoints), again.endpoint.url) == (False, 1, url)
    assert fake.endpoints[view.endpoint.id]["label"] == "Renamed"
    assert len(endpoint_routes(deps).routes) == 1


def test_register_endpoint_rotate_secret_gives_a_new_url_and_retires_the_old(
    fake: FakeThunderPhone, clock: Clock
) -> None:
    deps = endpoint_deps(fake, clock)
    first = register(deps)
    second = register(deps, WebhookEndpointRequest(rotate_secret=True))
    assert second.created
    assert second.removed_endpoint_ids == [first.endpoint.id]
    assert list(fake.endpoints) == [second.endpoint.id]
    assert second.endpoint.url != first.endpoint.url
    assert not route_of(endpoint_routes(deps), first.endpoint.url).active
    assert route_of(endpoint_routes(deps), second.endpoint.url).active
    assert len(signing_of(deps).secrets) == 2  # the old secret stays valid


def test_register_endpoint_replaces_the_legacy_shared_url(fake: FakeThunderPhone, clock: Clock) -> None:
    deps = endpoint_deps(fake, clock, ("whsec_current",))
    legacy = deps.api.create_endpoint({"label": "x", "url": f"{BASE}/webhooks", "events": []})
    signing_of(deps).secrets = (legacy.secret, "whsec_current")  # even with its secret held
    view = register(deps)
    assert view.removed_endpoint_ids == [legacy.id]
    assert list(fake.endpoints) == [view.endpoint.id]
    assert TOKEN_URL.match(view.endpoint.url)


def test_register_endpoint_replaces_an_endpoint_whose_secret_was_lost(fake: FakeThunderPhone, clock: Clock) -> None:
    deps = endpoint_deps(fake, clock, ("whsec_current",))
    first = register(deps)
    signing_of(deps).secrets = ("whsec_current",)  # its secret is gone
    view = register(deps)
    assert view.removed_endpoint_ids == [first.endpoint.id]
    assert list(fake.endpoints) == [view.endpoint.id]
    assert signing_of(deps).secrets[1:] == ("whsec_current",)
    assert not route_of(endpoint_routes(deps), first.endpoint.url).active


def test_register_endpoint_leaves_endpoints_that_are_not_ours(fake: FakeThunderPhone, clock: Clock) -> None:
    deps = endpoint_deps(fake, clock)
    foreign = deps.api.create_endpoint(
        {"label": "other", "url": "https://other.example/webhooks/" + "A" * 32, "events": []}
    )
    view = register(deps)
    assert sorted(fake.endpoints) == sorted([foreign.id, view.endpoint.id])
    assert view.removed_endpoint_ids == []


def test_register_endpoint_base_url_override(fake: FakeThunderPhone, clock: Clock) -> None:
    deps = endpoint_deps(fake, clock)
    view = register(deps, WebhookEndpointRequest(base_url="https://custom.example.test/"))
    assert re.match(r"^https://custom\.example\.test/webhooks/[A-Za-z0-9_-]{32}$", view.endpoint.url)
    # Registering under the usual base again moves the endpoint there.
    moved = register(deps)
    assert moved.created and moved.removed_endpoint_ids == [view.endpoint.id]
    assert TOKEN_URL.match(moved.endpoint.url)


def test_register_endpoint_removes_the_new_endpoint_when_its_secret_cannot_be_stored(
    fake: FakeThunderPhone, clock: Clock
) -> None:
    deps = endpoint_deps(fake, clock, ("whsec_current",))
    signing_of(deps).fail_write = True
    with pytest.raises(SecretsUnavailable):
        register(deps)
    assert fake.endpoints == {}
    assert signing_of(deps).secrets == ("whsec_current",)
    [route] = endpoint_routes(deps).routes.values()
    assert not route.active


def test_register_endpoint_retires_the_route_when_thunderphone_refuses(fake: FakeThunderPhone, clock: Clock) -> None:
    deps = endpoint_deps(fake, clock)
    fake.fail_next(402, method="POST")
    with pytest.raises(ThunderPhonePaymentRequired):
        register(deps)
    assert endpoint_routes(deps).active() == []
