"""The webhook's side of outcome events (`*.complete`, `call.graded`): made durable, then acknowledged.

ThunderPhone treats any 2xx as delivered, so an outcome event is answered 200 only once it is in the
outcome queue (one SendMessage: the exact signed body, the route's kind, tenant and widget, the arrival
time). The outcome recorder (functions/outcome_recorder/) drains the queue: it attributes each event to
a tenant (functions/outcomes/attribution.py) and writes the calls table, with retries and a dead-letter
queue. Anything that keeps the event from the queue is a non-2xx, so ThunderPhone delivers it again
(any non-2xx is retried for up to 24 h):

    the queue is not configured (OUTCOME_QUEUE_URL unset)      503, Retry-After, logged as an error
    the queue refuses or times out                             503, Retry-After
    the event does not fit in one queue message                413 (it never will)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from functions.common.errors import StoreUnavailable
from functions.common.metric_names import Metric
from functions.common.observability import logger
from functions.outcomes.message import MAX_MESSAGE_BYTES, QueuedOutcome, message_text
from functions.webhook import inline, telemetry
from functions.webhook.models import Reply
from functions.webhook_routes.model import Route

if TYPE_CHECKING:
    from functions.outcomes.ports import OutcomeQueue

RETRY_AFTER_S = 30
# Room the recorder needs to add its reason when it quarantines a message.
QUARANTINE_RESERVE_BYTES = 1024
TOO_LARGE = Reply(413, {"error": "payload_too_large"}, "rejected", "too_large")


def unavailable(reason: str, call_id: int | None = None, tenant_id: str | None = None) -> Reply:
    """Not accepted now, so ThunderPhone delivers it again later: 503 with Retry-After."""
    return Reply(
        503,
        {"error": "unavailable"},
        "rejected",
        reason,
        call_id=call_id,
        tenant_id=tenant_id,
        retry_after_s=RETRY_AFTER_S,
    )


def store_unavailable(call_id: int | None = None) -> Reply:
    """The route could not be read: 429 (try again later), as for every store failure on this path."""
    body = {"error": "store_unavailable"}
    return Reply(429, body, "rejected", "store_unavailable", call_id=call_id, retry_after_s=RETRY_AFTER_S)


def enqueue_outcome(
    route: Route,
    event_type: str,
    call_id: int,
    body: bytes,
    received_at: datetime,
    *,
    queue: Callable[[], OutcomeQueue | None] | None,
) -> Reply:
    """Queues a signed outcome event whose `call_id` (from its data) ThunderPhone can send."""
    target = queue() if queue is not None else None
    if target is None:
        logger.error(
            "outcome event not accepted: OUTCOME_QUEUE_URL is not set (ThunderPhone will retry it)",
            extra={"event_type": event_type, "call_id": call_id, "tenant_id": route.tenant_id},
        )
        return unavailable("queue_not_configured", call_id, route.tenant_id)
    message = QueuedOutcome(
        route_kind=route.kind,
        tenant_id=route.tenant_id,
        widget_id=route.widget_id,
        event_type=event_type,
        received_at=received_at,
        body=message_text(body),
    )
    if message.size() > MAX_MESSAGE_BYTES - QUARANTINE_RESERVE_BYTES:
        return TOO_LARGE
    inline.before_waiting()
    try:
        target.send(message)
    except StoreUnavailable as exc:
        logger.warning(
            "outcome event not queued (ThunderPhone will retry it)",
            extra={"event_type": event_type, "call_id": call_id, "tenant_id": route.tenant_id, "error": str(exc)},
        )
        return unavailable("queue_unavailable", call_id, route.tenant_id)
    telemetry.count(Metric.OUTCOME_QUEUED)
    return Reply(
        200,
        {"received": True},
        "acknowledged",
        "queued",
        call_id=call_id,
        tenant_id=route.tenant_id,
        widget_id=route.widget_id,
    )
