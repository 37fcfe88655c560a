"""In-memory implementations of the provisioning ports on our own storage (they follow the Protocols, not
the AWS calls). ThunderPhone itself is the one fake in tests/fixtures/thunderphone.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from functions.common.errors import ConditionFailed, VersionConflict
from functions.provisioning.key_records import KeyRecord, Reservation
from functions.tenant_config.items import ItemKind, item_id_of, kind_of_model
from functions.tenant_config.models import StoredItem, Tenant
from functions.tenant_config.publishing import Published
from functions.tenant_config.store import Listing
from functions.webhook_routes.model import Route, route_id, token_in


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

    def take_over(self, tenant_id: str, reservation_id: str, *, stale_lease: int, new_lease: int) -> bool:
        current = self.reservations.get((tenant_id, reservation_id))
        if current is None or current.state != "pending" or current.lease_until != stale_lease:
            return False
        self.reservations[(tenant_id, reservation_id)] = current.model_copy(update={"lease_until": new_lease})
        return True

    def release(self, tenant_id: str, reservation_id: str) -> None:
        self.reservations.pop((tenant_id, reservation_id), None)

    def complete(self, tenant_id: str, record: KeyRecord, reservation_id: str) -> None:
        if self.fail_complete:
            self.fail_complete -= 1
            from functions.common.errors import StoreUnavailable

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
