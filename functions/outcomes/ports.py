"""What outcome events need from the outside world: the calls table (functions.calls.repository), the
operator's number claims and each tenant's transcript switch (the configuration table), and a queue.
Adapters implement these; tests fake them."""

from __future__ import annotations

from typing import Protocol

from functions.calls.records import Completion, Grade
from functions.outcomes.message import QueuedOutcome


class OutcomeLog(Protocol):
    """Where outcomes are stored (CallRepository); each write returns False when what is stored takes
    precedence, and raises StoreUnavailable when the store fails."""

    def record_completion(self, tenant_id: str, completion: Completion, *, keep_transcripts: bool) -> bool: ...

    def record_grade(self, tenant_id: str, grade: Grade) -> bool: ...

    def deciding_tenants(self, call_id: int) -> set[str]:
        """The tenants the router decided this call for (normally one; none if it never answered it)."""
        ...


class TenantDirectory(Protocol):
    """What attribution reads from the configuration; raises StoreUnavailable."""

    def tenant_for_number(self, number: str) -> str | None:
        """The tenant owning a ThunderPhone number (the operator's claim)."""
        ...

    def keeps_transcripts(self, tenant_id: str) -> bool:
        """The tenant's published `keep_transcripts` (False when nothing valid is published)."""
        ...


class OutcomeQueue(Protocol):
    def send(self, message: QueuedOutcome, **attributes: str) -> None:
        """One SendMessage; raises StoreUnavailable when the queue does not take it."""
        ...
