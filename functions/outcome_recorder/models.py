"""The outcome recorder's settings and what became of one queued event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from functions.common.settings import FunctionSettings

# stored / duplicate: written or already there; invalid: data that never validates (logged, dropped);
# refused: another tenant's call (counted, dropped); quarantined: kept aside on the quarantine queue.
Result = Literal["stored", "duplicate", "invalid", "refused", "quarantined"]


class OutcomeRecorderSettings(FunctionSettings):
    # The configuration table: number claims and each tenant's keep_transcripts (read only).
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    # Events DynamoDB can never store go here once, with their reason, instead of being retried.
    OUTCOME_QUARANTINE_QUEUE_URL: Annotated[str, Field(min_length=1)]
    DECISION_TTL_DAYS: Annotated[int, Field(ge=1, le=3650)] = 90
    CACHE_TTL_SECONDS: Annotated[int, Field(ge=0, le=3600)] = 60
    CACHE_MAX_ENTRIES: Annotated[int, Field(ge=1)] = 10_000
    # How long an outcome waits for its call's decision to be recorded (decisions come from the webhook's log
    # lines, seconds behind their answers) before it is attributed without one.
    DECISION_SETTLE_SECONDS: Annotated[int, Field(ge=0, le=3600)] = 120


@dataclass(frozen=True)
class Recorded:
    result: Result
    event_type: str
    call_id: int | None = None
    tenant_id: str | None = None  # where it was stored (or the unassigned partition)
    problem: str | None = None  # field names only, never values
