"""What the webhook service needs from the outside world: adapters.py and the calls repository
implement it, tests fake it (outcome events have their own ports: functions/outcomes/ports.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import Customer
from functions.webhook_routes.model import Route


class TenantStore(Protocol):
    def load(self, tenant_id: str, customer_id: str | None) -> tuple[TenantConfig, Customer | None]:
        """The tenant's configuration and, if asked, the customer; raises StoreUnavailable or InvalidItem.
        The configuration is `stale` when it or the customer is a last-known-good copy (a refresh failed)."""
        ...

    def tenant_for_number(self, number: str) -> str | None:
        """The tenant owning a ThunderPhone number (the operator's claim); raises StoreUnavailable."""
        ...

    def route(self, route_id: str) -> Route | None:
        """The route a token's hash names; raises StoreUnavailable or InvalidItem."""
        ...


class SecretSource(Protocol):
    """Each read gives (value, stale): `stale` when the value is a last-known-good copy (a refresh failed)."""

    def signing_secrets(self, *, refresh: bool = False) -> tuple[tuple[str, ...], bool]:
        """Every currently valid signing secret; `refresh` asks for a current read (a signature did not match;
        the source may rate-limit it). Raises SecretsUnavailable."""
        ...

    def tool_secrets(self, tenant_id: str) -> tuple[Mapping[str, str], bool]:
        """The tenant's tool credentials; raises SecretsUnavailable."""
        ...
