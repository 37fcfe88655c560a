"""Outcome events (`*.complete`, `call.graded`): which tenant's call they are, and storing them there.

A tenant can shape bodies ThunderPhone signs (tool calls), so a body never decides whose call it is.
The route does, checked against the call's decision (which tenant the router answered the call for):

    route               the call was decided for ...         the event is stored under ...
    a key's route (T)   T (or T among others)                T
                        only other tenants                   nobody: refused (403) and counted
                        nobody                               T (it can only touch its own calls)
    the org-level route the number's owner N                 N
                        one tenant D, number unknown         D
                        only tenants other than N            nobody: refused (403) and counted
                        nobody, or several, number unknown   the unassigned partition (billed to nobody)

200 when stored or a duplicate; 200 for a payload that can never be stored (a retry would not fix it;
logged); 429 when a store fails, so ThunderPhone retries later (any non-2xx is retried for 24 h; the
webhook never answers 5xx, and "try again later" is a 429).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from functions.calls.records import Completion, Grade, InvalidCallEvent, completion_from_event, grade_from_event
from functions.common import table
from functions.common.errors import InvalidItem, StoreUnavailable
from functions.common.metric_names import Metric
from functions.common.observability import logger
from functions.common.types import is_tenant_id
from functions.thunderphone.events import COMPLETION_EVENTS, GRADED_EVENTS
from functions.webhook import telemetry
from functions.webhook.models import Reply
from functions.webhook.ports import OutcomeLog, TenantStore
from functions.webhook_routes.model import Route

REFUSED = "refused"


def attribute(route: Route, number_owner: str | None, deciders: Collection[str]) -> str:
    """The tenant an outcome belongs to (table above); REFUSED for another tenant's call."""
    candidate = route.tenant_id if route.kind == "key" else number_owner
    if deciders:
        if candidate in deciders:
            return str(candidate)
        if candidate is None:
            return next(iter(deciders)) if len(deciders) == 1 else table.UNASSIGNED_TENANT
        return REFUSED
    if route.kind == "key" and candidate is not None:
        return candidate
    return table.UNASSIGNED_TENANT  # a number in a body alone never bills a tenant


def answer_outcome(
    route: Route, event_type: str, data: Mapping[str, Any], *, store: TenantStore, log: OutcomeLog
) -> Reply:
    call_id = _call_id(data)
    try:
        outcome = parse_outcome(event_type, data)
        call_id = outcome.call_id
        to_number = data.get("to_number")
        owner = None
        if route.kind == "org" and isinstance(to_number, str) and to_number.startswith("+"):
            owner = store.tenant_for_number(to_number)
        tenant_id = attribute(route, owner, log.deciding_tenants(call_id))
        if tenant_id == REFUSED:
            logger.warning(
                "outcome event refused: another tenant answered this call",
                extra={"event_type": event_type, "call_id": call_id, "tenant_id": route.tenant_id},
            )
            telemetry.count(Metric.OUTCOME_REFUSED)
            return Reply(403, {"error": "forbidden"}, "rejected", "outcome_refused", call_id=call_id)
        stored = store_outcome(log, tenant_id, outcome, keep_transcripts=_keeps_transcripts(store, tenant_id))
    except InvalidCallEvent as exc:
        logger.warning("outcome event not stored", extra={"event_type": event_type, "problem": str(exc)})
        return Reply(200, {"received": True}, "acknowledged", "invalid_outcome", call_id=call_id)
    except StoreUnavailable:
        return Reply(429, {"error": "store_unavailable"}, "rejected", "store_unavailable", call_id=call_id)
    reason = "stored" if stored else "duplicate"
    return Reply(200, {"received": True}, "acknowledged", reason, call_id=call_id, tenant_id=tenant_id)


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
    InvalidCallEvent for a tenant id no tenant can have and StoreUnavailable when DynamoDB fails."""
    if tenant_id != table.UNASSIGNED_TENANT and not is_tenant_id(tenant_id):
        raise InvalidCallEvent("tenant id is not valid")
    if isinstance(outcome, Completion):
        return log.record_completion(tenant_id, outcome, keep_transcripts=keep_transcripts)
    return log.record_grade(tenant_id, outcome)


def _keeps_transcripts(store: TenantStore, tenant_id: str) -> bool:
    """The tenant's own switch; nothing personal is kept for the unassigned partition or a broken tenant item."""
    if tenant_id == table.UNASSIGNED_TENANT:
        return False
    try:
        config, _ = store.load(tenant_id, None)
    except InvalidItem:
        return False
    return bool(config.tenant and config.tenant.keep_transcripts)


def _call_id(data: Mapping[str, Any]) -> int | None:
    value = data.get("call_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
