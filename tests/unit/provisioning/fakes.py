"""In-memory implementations of the provisioning ports (they follow the Protocols, not the AWS calls)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common.config_store import VersionConflict, item_id_of, kind_of_model
from functions.common.items import ItemKind
from functions.common.tenant_model import StoredItem, Tenant
from functions.common.thunderphone_api import ThunderPhoneError, ThunderPhoneNotFound
from functions.provisioning.keys import CreatedEndpoint, KeyRecord, RemoteEndpoint, RemoteKey, Reservation


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

    def list_tenants(self) -> list[Tenant]:
        return [item for item in self.items.values() if isinstance(item, Tenant)]


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


class MemoryApi:
    """ThunderPhone's documented key/endpoint behaviour, in memory; `fail` raises on the next create."""

    def __init__(self) -> None:
        self.keys: dict[int, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.next_id = 1
        self.create_error: ThunderPhoneError | None = None
        self.lose_create_response = False  # make the key, then raise as a timeout would
        self.creates = 0

    def create_key(self, body: Mapping[str, Any]) -> RemoteKey:
        self.creates += 1
        if self.create_error is not None:
            error, self.create_error = self.create_error, None
            raise error
        key = {"id": self.next_id, "key": f"pk_live_{self.next_id:08d}", "is_active": True, "is_enabled": True}
        key |= dict(body)
        self.keys[self.next_id] = key
        self.next_id += 1
        if self.lose_create_response:
            from functions.common.thunderphone_api import ThunderPhoneUnavailable

            self.lose_create_response = False
            raise ThunderPhoneUnavailable("timed out")
        return RemoteKey.model_validate(key)

    def list_keys(self) -> list[RemoteKey]:
        return [RemoteKey.model_validate(key) for key in self.keys.values()]

    def update_key(self, key_id: int, body: Mapping[str, Any]) -> RemoteKey:
        if key_id not in self.keys:
            raise ThunderPhoneNotFound("no such key", status=404)
        self.keys[key_id] |= dict(body)
        return RemoteKey.model_validate(self.keys[key_id])

    def deactivate_key(self, key_id: int) -> None:
        if key_id not in self.keys:
            raise ThunderPhoneNotFound("no such key", status=404)
        self.keys[key_id]["is_active"] = False

    def active(self) -> list[dict[str, Any]]:
        return [key for key in self.keys.values() if key["is_active"]]

    def list_endpoints(self) -> list[RemoteEndpoint]:
        return [RemoteEndpoint.model_validate(e) for e in self.endpoints.values()]

    def create_endpoint(self, body: Mapping[str, Any]) -> CreatedEndpoint:
        endpoint_id = f"00000000-0000-0000-0000-{len(self.endpoints) + 1:012d}"
        secret = f"whsec_secret{len(self.endpoints) + 1:06d}"
        self.endpoints[endpoint_id] = {"id": endpoint_id, "secret_hint": "whsec_..." + secret[-6:], **body}
        return CreatedEndpoint.model_validate(self.endpoints[endpoint_id] | {"secret": secret})

    def update_endpoint(self, endpoint_id: str, body: Mapping[str, Any]) -> RemoteEndpoint:
        self.endpoints[endpoint_id] |= dict(body)
        return RemoteEndpoint.model_validate(self.endpoints[endpoint_id])

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.endpoints.pop(endpoint_id)


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
