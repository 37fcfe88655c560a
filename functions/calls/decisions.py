"""What the decision log keeps about one answer, and how it travels in the webhook's answer log line.

Apart from the call records (records.py) so that the webhook's cold start never imports what parses
outcome events: an incoming call only ever needs this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from functions.common.clock import iso
from functions.common.types import is_tenant_id
from functions.common.validation import problems_of

# The answer log line's field that carries a decision; the log group's subscription filter matches
# `{ $.decision.call_id = * }` (infra/constructs/decision_recorder.py).
DECISION_FIELD = "decision"


@dataclass(frozen=True)
class DecisionRecord:
    """What the decision log keeps about one answer: enough to replay the call against another configuration
    (`sbctl`/tenant API impact), never the prompt. It travels in the webhook's answer log line
    (functions/decision_recorder/), so it holds no personal data: the caller's number, which replays need
    for caller rules and caller bucketing, is stored from the call's completion event instead
    (`Completion.caller`), in the tenant's own call record only, expiring with it."""

    tenant_id: str
    call_id: int
    event_type: str
    channel: str
    widget_id: str | None
    to_number: str | None
    decision: str  # config / fallback
    reason: str
    rule_id: str | None
    variant: str | None
    profile_id: str | None
    profile_version: int | None
    customer_known: bool
    latency_ms: float
    decided_at: datetime
    config_version: int | None = None  # the published configuration version that decided
    stale: bool = False  # decided on a last-known-good copy because DynamoDB could not refresh it


def decision_to_log(record: DecisionRecord) -> dict[str, Any]:
    """A decision as a log line carries it (JSON types; read back by `decision_from_log`)."""
    values = {name: getattr(record, name) for name in DecisionRecord.__dataclass_fields__}
    values["decided_at"] = iso(record.decided_at)
    values["latency_ms"] = round(record.latency_ms, 1)
    return values


def decision_from_log(values: Mapping[str, Any]) -> DecisionRecord:
    """A decision read back from a log line; raises ValueError naming what is wrong (never values)."""
    try:
        record = _decision_adapter().validate_python(dict(values))
    except ValidationError as exc:
        raise ValueError("; ".join(problems_of(exc))) from None
    if not is_tenant_id(record.tenant_id) or record.call_id < 0:
        raise ValueError("tenant_id or call_id: not a tenant's call")
    return record


@cache
def _decision_adapter() -> TypeAdapter[DecisionRecord]:
    """Built on first use: only the recorder reads decisions back (the webhook's cold start never pays)."""
    return TypeAdapter(DecisionRecord)
