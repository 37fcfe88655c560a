"""What the backfill needs from the outside world (adapters.py, functions.outcomes.directory and
functions.thunderphone implement it; tests fake it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from functions.call_sync.models import Cursor
from functions.calls.read_model import CallRecord
from functions.calls.records import Completion, Grade
from functions.thunderphone.objects import ApiCall
from functions.thunderphone.resources import CallPage


class CallSource(Protocol):
    def list_calls(self, *, direction: str | None, start: datetime, end: datetime, limit: int, offset: int) -> CallPage:
        """One page of GET /v1/calls; raises ThunderPhoneError."""
        ...


class OutcomeStore(Protocol):
    def calls_of(self, call_id: int) -> list[CallRecord]:
        """Every item stored for a call id, one per tenant that decided it (or got its outcome); raises
        StoreUnavailable."""
        ...

    def assigned_tenant(self, call_id: int) -> str | None:
        """The tenant the operator assigned a contested call to, if any."""
        ...

    def set_aside_contested(self, call: ApiCall, claims: Mapping[str, datetime], start: datetime | None) -> bool:
        """Keep ThunderPhone's record of a contested call for the operator (functions/outcomes/contested.py), with
        each claimant's decision time and the start they were weighed against; False when it already waited."""
        ...

    def record_completion(self, tenant_id: str, completion: Completion, *, keep_transcripts: bool) -> bool:
        """Store a completion under the merge rule; False when a better or equal one is stored."""
        ...

    def record_grade(self, tenant_id: str, grade: Grade) -> bool: ...

    def load_cursor(self, name: str) -> Cursor | None: ...

    def save_cursor(self, cursor: Cursor) -> None: ...


class NumberOwners(Protocol):
    def tenant_for_number(self, number: str) -> str | None:
        """The tenant owning a ThunderPhone number (the operator's claim); raises StoreUnavailable."""
        ...
