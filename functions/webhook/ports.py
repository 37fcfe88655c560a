"""What the webhook service needs from the outside world: adapters.py and the calls repository
implement it, tests fake it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from functions.calls.records import Completion, DecisionRecord, Grade
from functions.tenant_config.models import Customer
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


class DecisionLog(Protocol):
    def record_decision(self, record: DecisionRecord) -> bool:
        """False when the call already has a decision (a redelivery); raises StoreUnavailable."""
        ...


class OutcomeLog(Protocol):
    """Where outcome events are stored (functions.calls.repository.CallRepository); each write returns
    False when what is stored takes precedence, and raises StoreUnavailable when the store fails."""

    def record_completion(self, tenant_id: str, completion: Completion, *, keep_transcripts: bool) -> bool: ...

    def record_grade(self, tenant_id: str, grade: Grade) -> bool: ...

    def tenant_of_call(self, call_id: int) -> str | None: ...
