"""What the backfill needs from the outside world (adapters.py implements it; tests fake it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from functions.call_sync.models import CallPage, Cursor
from functions.common.call_records import CallRecord, Completion, Grade


class SourceUnavailable(Exception):
    """ThunderPhone's calls API failed after its retries, refused the key, or answered nonsense."""


class CallSource(Protocol):
    def list_calls(self, *, direction: str | None, start: datetime, end: datetime, limit: int, offset: int) -> CallPage:
        """One page of GET /v1/calls; raises SourceUnavailable."""
        ...


class OutcomeStore(Protocol):
    def find_call(self, call_id: int) -> CallRecord | None:
        """Our item for a call (the one with a decision if several); raises StoreUnavailable."""
        ...

    def apply_completion(self, tenant_id: str, completion: Completion) -> bool:
        """Store a completion under the merge rule; False when a better or equal one is stored."""
        ...

    def apply_grade(self, tenant_id: str, grade: Grade) -> bool: ...

    def load_cursor(self, name: str) -> Cursor | None: ...

    def save_cursor(self, cursor: Cursor) -> None: ...
