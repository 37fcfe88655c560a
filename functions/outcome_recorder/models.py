"""The outcome recorder's settings and what became of one queued event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from functions.billing.settings import BillingSettings
from functions.outcomes.attribution import FitSettings

# stored / duplicate: written or already there; invalid: data that never validates (logged, dropped);
# refused: another tenant's call (counted, dropped); quarantined: kept aside on the quarantine queue;
# contested: several tenants' decisions fit the call, set aside for the operator (counted).
Result = Literal["stored", "duplicate", "invalid", "refused", "quarantined", "contested"]


class OutcomeRecorderSettings(FitSettings, BillingSettings):
    # The configuration table: number claims and each tenant's keep_transcripts (read only).
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    # Events DynamoDB can never store go here once, with their reason, instead of being retried.
    OUTCOME_QUARANTINE_QUEUE_URL: Annotated[str, Field(min_length=1)]
    DECISION_TTL_DAYS: Annotated[int, Field(ge=1, le=3650)] = 90
    CACHE_TTL_SECONDS: Annotated[int, Field(ge=0, le=3600)] = 60
    CACHE_MAX_ENTRIES: Annotated[int, Field(ge=1)] = 10_000
    # How long after a call's start (its arrival, when the start is unknown) every decision that could claim the
    # call is recorded: decisions come from the webhook's log lines, seconds behind their answers. Until then an
    # outcome whose route does not name a claimant is delivered again rather than attributed (service.py).
    DECISION_SETTLE_SECONDS: Annotated[int, Field(ge=0, le=3600)] = 120
    # ThunderPhone's record of a call (GET /v1/calls/{id}): a grade's call start, and what settles a contested phone
    # call. Unset: grades count every decision as a claim and contested calls all wait for the operator.
    THUNDERPHONE_API_KEY_SECRET_NAME: str | None = None
    THUNDERPHONE_API_BASE: str = "https://api.thunderphone.com/v1"
    THUNDERPHONE_TIMEOUT_S: Annotated[float, Field(gt=0, le=30)] = 5.0
    THUNDERPHONE_MAX_RETRIES: Annotated[int, Field(ge=0, le=5)] = 2


@dataclass(frozen=True)
class Recorded:
    result: Result
    event_type: str
    call_id: int | None = None
    tenant_id: str | None = None  # where it was stored (or the unassigned partition)
    problem: str | None = None  # field names only, never values
