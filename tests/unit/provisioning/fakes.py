"""In-memory implementations of the provisioning ports on our own storage (they follow the Protocols, not
the AWS calls). ThunderPhone itself is the one fake in tests/fixtures/thunderphone.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from functions.common.errors import ConditionFailed, StoreUnavailable, VersionConflict
from functions.provisioning.key_records import KeyRecord, Reservation, ReservationState
from functions.provisioning.models import CreateKeyRequest
from functions.provisioning.ports import KeyApi
from functions.provisioning.service.key_creation import KeyDeps
from functions.provisioning.service.keys import create_key
from functions.tenant_config.items import ItemKind, item_id_of, kind_of_model
from functions.tenant_config.models import StoredItem, Tenant
from functions.tenant_config.publishing import Published
from functions.tenant_config.store import Listing
from functions.thunderphone.objects import RemoteKey
from functions.webhook_routes.model import Route, route_id, token_in

BASE = "https://hooks.example.test"  # the webhook base URL the tests' keys are made under
REQUEST = CreateKeyRequest(allowed_domains=["www.acme.com"], widget_id="pricing")  # the tests' usual create


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class MemoryConfig:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], StoredItem] = {}

    def get(self, tenant_id: str, kind: ItemKind, item_id: str) -> StoredItem | None:
        return self.items.get((tenant_id, kind, item_id))

    def put(self, tenant_id: str, model: StoredItem, *, expected_version: int | None) -> StoredItem:
        kind, item_id = kind_of_model(model), item_id_of(model)
        current = self.items.get((tenant_id, kind, item_id))
        if (current.version if current else None) != expected_version:
            raise VersionConflict(tenant_id, kind, item_id, expected_version, current)
        stored = model.model_copy(update={"version": (expected_version or 0) + 1})
        self.items[(tenant_id, kind, item_id)] = stored
        return stored

    def list_tenants(self) -> Listing:
        return Listing([item for item in self.items.values() if isinstance(item, Tenant)], [])


class MemoryPublisher:
    """Records which tenants were published (the real Drafts is tested against moto)."""

    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, tenant_id: str) -> Published:
        self.published.append(tenant_id)
        return Published(version=self.published.count(tenant_id), published_at=datetime.now(UTC), changes=[])


class MemoryKeys:
    def __init__(self) -> None:
        self.records: dict[tuple[str, int], KeyRecord] = {}
        self.reservations: dict[tuple[str, str], Reservation] = {}
        self.fail_complete = 0  # the next N `complete` calls fail (a crash after ThunderPhone acted)
        self.fail_mark = 0  # the next N `mark_unknown` calls fail (the store is down)

    def get_key(self, tenant_id: str, key_id: int) -> KeyRecord | None:
        return self.records.get((tenant_id, key_id))

    def list_keys(self, tenant_id: str) -> list[KeyRecord]:
        return [record for (tenant, _), record in self.records.items() if tenant == tenant_id]

    def put_key(self, tenant_id: str, record: KeyRecord) -> None:
        self.records[(tenant_id, record.id)] = record

    def reserve(self, tenant_id: str, reservation: Reservation, *, expires_at: int) -> Reservation | None:
        existing = self.reservations.get((tenant_id, reservation.reservation_id))
        if existing is None:
            self.reservations[(tenant_id, reservation.reservation_id)] = reservation
        return existing

    def take_over(
        self,
        tenant_id: str,
        reservation_id: str,
        *,
        stale_state: Literal["pending", "unknown"],
        stale_lease: int,
        new_lease: int,
    ) -> bool:
        return self._move(tenant_id, reservation_id, (stale_state, stale_lease), ("pending", new_lease))

    def mark_unknown(self, tenant_id: str, reservation_id: str, *, lease: int) -> bool:
        if self.fail_mark:
            self.fail_mark -= 1
            raise StoreUnavailable("simulated outage")
        return self._move(tenant_id, reservation_id, ("pending", lease), ("unknown", lease))

    def _move(
        self, tenant_id: str, reservation_id: str, expected: tuple[str, int], new: tuple[ReservationState, int]
    ) -> bool:
        """A conditional write: (state, lease) becomes `new` only if it is still `expected`."""
        current = self.reservations.get((tenant_id, reservation_id))
        if current is None or (current.state, current.lease_until) != expected:
            return False
        self.reservations[(tenant_id, reservation_id)] = current.model_copy(
            update={"state": new[0], "lease_until": new[1]}
        )
        return True

    def release(self, tenant_id: str, reservation_id: str) -> None:
        self.reservations.pop((tenant_id, reservation_id), None)

    def complete(self, tenant_id: str, record: KeyRecord, reservation_id: str) -> None:
        if self.fail_complete:
            self.fail_complete -= 1
            raise StoreUnavailable("simulated crash")
        self.records[(tenant_id, record.id)] = record
        current = self.reservations[(tenant_id, reservation_id)]
        self.reservations[(tenant_id, reservation_id)] = current.model_copy(
            update={"state": "done", "key_id": record.id}
        )


class MemoryRoutes:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}

    def get(self, route_id: str, *, consistent: bool = False) -> Route | None:
        return self.routes.get(route_id)

    def add(self, route: Route) -> None:
        if route.route_id in self.routes:
            raise ConditionFailed("store route failed: ConditionalCheckFailedException")
        self.routes[route.route_id] = route

    def retire(self, route_id: str, *, at: datetime) -> None:
        current = self.routes.get(route_id)
        if current is None:
            raise ConditionFailed("retire route failed: ConditionalCheckFailedException")
        self.routes[route_id] = current.model_copy(update={"status": "retired", "retired_at": at})

    def of_url(self, url: str | None) -> Route | None:
        """The route a webhook URL opens (None for a URL that is not a token URL, or one without a route)."""
        token = token_in(url)
        return None if token is None else self.routes.get(route_id(token))

    def active(self) -> list[Route]:
        return [route for route in self.routes.values() if route.active]


class MemorySigning:
    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = tuple(secrets)
        self.fail_write = False

    def read(self) -> Sequence[str]:
        return self.secrets

    def write(self, secrets: Sequence[str]) -> None:
        if self.fail_write:
            from functions.common.errors import SecretsUnavailable

            raise SecretsUnavailable("denied")
        self.secrets = tuple(secrets)


class Killed(BaseException):
    """The process dies (a crash, a Lambda timeout): nothing of the attempt runs after it, not even cleanup
    written for exceptions."""


class HookedKeyApi:
    """ThunderPhone's key API with `before_create` run when a create is about to be sent, while the attempt
    holds its claim (to run a concurrent retry at that moment, or to kill the attempt)."""

    def __init__(self, api: KeyApi, before_create: Callable[[], None]) -> None:
        self._api = api
        self._before_create = before_create

    def create_key(self, body: Mapping[str, Any]) -> RemoteKey:
        self._before_create()
        return self._api.create_key(body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)


def with_hook(deps: KeyDeps, before_create: Callable[[], None]) -> KeyDeps:
    return dataclasses.replace(deps, api=HookedKeyApi(deps.api, before_create))  # type: ignore[arg-type]


def crashed(deps: KeyDeps, request: CreateKeyRequest = REQUEST, key: str | None = None) -> None:
    """Run a create whose process dies just before its create reaches ThunderPhone."""

    def die() -> None:
        raise Killed

    try:
        create_key("acme", request, idempotency_key=key, webhook_base=BASE, deps=with_hook(deps, die))
    except Killed:
        return
    raise AssertionError("the attempt was not killed")


def keys_of(deps: KeyDeps) -> MemoryKeys:
    assert isinstance(deps.keys, MemoryKeys)
    return deps.keys


def routes_of(deps: KeyDeps) -> MemoryRoutes:
    assert isinstance(deps.routes, MemoryRoutes)
    return deps.routes
