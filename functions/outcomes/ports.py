"""What outcome events need from the outside world: the calls table (functions.calls.repository), the
operator's number claims and each tenant's transcript switch (the configuration table), a queue, the calls
set aside for the operator (contested.py) and ThunderPhone's record of a call. Adapters implement these;
tests fake them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from functions.calls.records import Completion, Grade
from functions.outcomes.message import QueuedOutcome
from functions.thunderphone.objects import ApiCall


class OutcomeWriter(Protocol):
    """Where outcomes are stored (CallRepository); each write returns False when what is stored takes
    precedence, and raises StoreUnavailable when the store fails."""

    def record_completion(self, tenant_id: str, completion: Completion, *, keep_transcripts: bool) -> bool: ...

    def record_grade(self, tenant_id: str, grade: Grade) -> bool: ...


class OutcomeLog(OutcomeWriter, Protocol):
    """The calls table as attribution reads and writes it."""

    def decisions_of(self, call_id: int) -> dict[str, datetime]:
        """When the router decided this call id for each tenant it decided it for (normally one; none if it
        never answered it; several when a tenant sent another's call id, or a predicted one)."""
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


class CallLookup(Protocol):
    def get_call(self, call_id: int) -> ApiCall | None:
        """ThunderPhone's record of a call (GET /v1/calls/{id}), None when it has none; raises ThunderPhoneError
        (or SecretsUnavailable for its API key) when it cannot be asked."""
        ...


class ContestedLog(Protocol):
    """Where contested calls' events wait for the operator (contested.py); raises StoreUnavailable."""

    def set_aside(
        self,
        message: QueuedOutcome,
        call_id: int,
        named: str | None,
        claims: Mapping[str, datetime],
        start: datetime | None,
        rank: str,
    ) -> bool:
        """Keep the event for the operator with each claimant's decision time and the call's start they were
        weighed against (False when it, or from a key URL one of its type that `rank` does not outrank, already
        waits)."""
        ...

    def assigned_tenant(self, call_id: int) -> str | None:
        """The tenant the operator assigned this call to, if any."""
        ...
