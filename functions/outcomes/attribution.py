"""Whose call an outcome event is, and storing it there.

A tenant can shape bodies ThunderPhone signs (tool calls), so a body never decides whose call it is.
The route the event arrived on does, checked against the call's decision (which tenant the router
answered the call for):

    route               the call was decided for ...         the event is stored under ...
    a key's route (T)   T (or T among others)                T
                        only other tenants                   nobody: refused and counted
                        nobody                               T (it can only touch its own calls)
    the org-level route the number's owner N                 N
                        one tenant D, number unknown         D
                        only tenants other than N            nobody: refused and counted
                        nobody, or several, number unknown   the unassigned partition (billed to nobody)

Pure but for the ports it is handed (ports.py): the outcome recorder applies it to queued events, the
tests and tools to event data directly.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from functions.calls.records import (
    Completion,
    Grade,
    InvalidCallEvent,
    check_storable,
    completion_from_event,
    grade_from_event,
)
from functions.common import table
from functions.common.types import is_tenant_id
from functions.outcomes.ports import OutcomeLog
from functions.thunderphone.events import COMPLETION_EVENTS, GRADED_EVENTS

REFUSED = "refused"


def attribute(route_kind: str, route_tenant: str | None, number_owner: str | None, deciders: Collection[str]) -> str:
    """The tenant an outcome belongs to (table above); REFUSED for another tenant's call."""
    candidate = route_tenant if route_kind == "key" else number_owner
    if deciders:
        if candidate in deciders:
            return str(candidate)
        if candidate is None:
            return next(iter(deciders)) if len(deciders) == 1 else table.UNASSIGNED_TENANT
        return REFUSED
    if route_kind == "key" and candidate is not None:
        return candidate
    return table.UNASSIGNED_TENANT  # a number in a body alone never bills a tenant


def claimed_number(data: Mapping[str, Any]) -> str | None:
    """The ThunderPhone number an event names (org-level route only: it selects the number's owner)."""
    to_number = data.get("to_number")
    return to_number if isinstance(to_number, str) and to_number.startswith("+") else None


def parse_outcome(event_type: str, data: Mapping[str, Any]) -> Completion | Grade:
    """The facts of an outcome event; InvalidCallEvent for a payload that does not validate or an event
    type that is not an outcome."""
    if event_type in COMPLETION_EVENTS:
        return completion_from_event(event_type, data)
    if event_type in GRADED_EVENTS:
        return grade_from_event(event_type, data)
    raise InvalidCallEvent(f"{event_type}: not an outcome event")


def record_outcome(
    log: OutcomeLog, tenant_id: str, event_type: str, data: Mapping[str, Any], *, keep_transcripts: bool
) -> bool:
    """Store an outcome event's facts beside the call's decision (see `store_outcome`)."""
    return store_outcome(log, tenant_id, parse_outcome(event_type, data), keep_transcripts=keep_transcripts)


def store_outcome(log: OutcomeLog, tenant_id: str, outcome: Completion | Grade, *, keep_transcripts: bool) -> bool:
    """True when the item changed, False for a duplicate or an older/lower-ranked delivery. Raises
    InvalidCallEvent for a tenant id no tenant can have, UnstorableCallEvent for facts DynamoDB cannot
    store, and StoreUnavailable when DynamoDB fails."""
    if tenant_id != table.UNASSIGNED_TENANT and not is_tenant_id(tenant_id):
        raise InvalidCallEvent("tenant id is not valid")
    check_storable(outcome)
    if isinstance(outcome, Completion):
        return log.record_completion(tenant_id, outcome, keep_transcripts=keep_transcripts)
    return log.record_grade(tenant_id, outcome)
