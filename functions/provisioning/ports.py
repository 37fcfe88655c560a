"""What the provisioning service needs from the outside world; adapters.py implements each with AWS or
ThunderPhone, the unit tests with in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from functions.provisioning.key_records import KeyRecord, Reservation
from functions.tenant_config.items import ItemKind
from functions.tenant_config.models import StoredItem
from functions.tenant_config.publishing import Published
from functions.tenant_config.store import Listing
from functions.thunderphone.objects import CreatedEndpoint, RemoteEndpoint, RemoteKey
from functions.webhook_routes.model import Route


class ConfigWriter(Protocol):
    """The versioned configuration store (functions.tenant_config.store.ConfigStore)."""

    def get(self, tenant_id: str, kind: ItemKind, item_id: str) -> StoredItem | None: ...

    def put(self, tenant_id: str, model: StoredItem, *, expected_version: int | None) -> StoredItem: ...

    def list_tenants(self) -> Listing: ...


class Publisher(Protocol):
    """Publishing of a tenant's draft (functions.tenant_config.publishing.Drafts)."""

    def publish(self, tenant_id: str) -> Published: ...


class KeyStore(Protocol):
    """Key records and create reservations, in the tenant's operator-only partition (`OPERATOR#{tenant_id}`)."""

    def get_key(self, tenant_id: str, key_id: int) -> KeyRecord | None: ...

    def list_keys(self, tenant_id: str) -> list[KeyRecord]: ...

    def put_key(self, tenant_id: str, record: KeyRecord) -> None: ...

    def reserve(self, tenant_id: str, reservation: Reservation, *, expires_at: int) -> Reservation | None:
        """Store `reservation` if none exists under its id; else return the existing one, unchanged."""
        ...

    def take_over(
        self,
        tenant_id: str,
        reservation_id: str,
        *,
        stale_state: Literal["pending", "unknown"],
        stale_lease: int,
        new_lease: int,
    ) -> bool:
        """Make the claim `pending` with `new_lease` if it is still `stale_state` with `stale_lease` (a crashed
        attempt's expired claim, or an ended one marked unknown); False when someone else got there first."""
        ...

    def mark_unknown(self, tenant_id: str, reservation_id: str, *, lease: int) -> bool:
        """Mark a `pending` claim whose lease is still `lease` as `unknown`: its attempt has ended without knowing
        whether ThunderPhone made the key, so the next retry may take it over at once. False when the claim is
        no longer that attempt's (taken over, completed or released meanwhile)."""
        ...

    def release(self, tenant_id: str, reservation_id: str) -> None:
        """Drop a pending claim (the create definitely failed, nothing was made)."""
        ...

    def complete(self, tenant_id: str, record: KeyRecord, reservation_id: str) -> None:
        """Store the key record and mark the reservation done, together (one transaction)."""
        ...


class KeyApi(Protocol):
    """ThunderPhone's publishable-key and webhook-endpoint API (raises ThunderPhoneError subclasses)."""

    def create_key(self, body: Mapping[str, Any]) -> RemoteKey: ...

    def get_key(self, key_id: int) -> RemoteKey: ...

    def list_keys(self) -> list[RemoteKey]: ...

    def update_key(self, key_id: int, body: Mapping[str, Any]) -> RemoteKey: ...

    def deactivate_key(self, key_id: int) -> None: ...

    def list_endpoints(self) -> list[RemoteEndpoint]: ...

    def create_endpoint(self, body: Mapping[str, Any]) -> CreatedEndpoint: ...

    def update_endpoint(self, endpoint_id: str, body: Mapping[str, Any]) -> RemoteEndpoint: ...

    def delete_endpoint(self, endpoint_id: str) -> None: ...


class RouteStore(Protocol):
    """What each webhook URL's token opens (functions.webhook_routes.repository.RouteRepository)."""

    def get(self, route_id: str, *, consistent: bool = False) -> Route | None: ...

    def add(self, route: Route) -> None:
        """Store a new route; ConditionFailed when one already exists under its id."""
        ...

    def retire(self, route_id: str, *, at: datetime) -> None:
        """The URL stops opening anything; ConditionFailed when there is no such route."""
        ...


class SigningSecrets(Protocol):
    """The signing-secrets secret the webhook verifies with (read fresh, never from a cache)."""

    def read(self) -> Sequence[str]: ...

    def write(self, secrets: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class DirectoryUser:
    """A tenant user as the directory holds it: email (lowercase), the tenant it belongs to (None for a user made
    around our tools without one) and its status (FORCE_CHANGE_PASSWORD, CONFIRMED, DISABLED, ...)."""

    email: str
    tenant_id: str | None
    status: str


class TenantDirectory(Protocol):
    """Tenant admins and viewers: the Cognito user pool whose tokens the tenant API trusts. A user belongs to one
    tenant (an attribute only the operator sets) and gets its role from a group. Raises AlreadyExists, NotFound
    and DirectoryUnavailable (functions.provisioning.errors)."""

    def create_user(self, email: str, tenant_id: str) -> DirectoryUser:
        """Create the user and send its invitation; AlreadyExists when the email is taken, in any tenant."""
        ...

    def add_to_group(self, email: str, group: str) -> None: ...

    def get_user(self, email: str) -> DirectoryUser | None: ...

    def group_members(self, group: str) -> Iterator[DirectoryUser]:
        """Every member of `group`, all tenants, page by page."""
        ...

    def delete_user(self, email: str) -> None:
        """NotFound when there is no such user."""
        ...
