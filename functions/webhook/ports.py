"""What the webhook service needs from the outside world (adapters.py implements it; tests fake it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from functions.common.tenant_model import Customer
from functions.webhook.models import TenantConfig


class TenantStore(Protocol):
    def load(self, tenant_id: str, customer_id: str | None) -> tuple[TenantConfig, Customer | None]:
        """The tenant's configuration and, if asked, the customer; raises StoreUnavailable or InvalidItem."""
        ...

    def tenant_for_number(self, number: str) -> str | None:
        """The tenant owning a ThunderPhone number; raises StoreUnavailable."""
        ...


class SecretSource(Protocol):
    def signing_secrets(self, *, refresh: bool = False) -> tuple[str, ...]:
        """Every currently valid signing secret; raises SecretsUnavailable."""
        ...

    def tool_secrets(self, tenant_id: str) -> Mapping[str, str]:
        """The tenant's tool credentials; raises SecretsUnavailable."""
        ...
