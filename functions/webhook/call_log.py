"""The webhook's writes to the calls table: the decision log and call outcomes.

`record_decision` runs after the answer is computed, on a worker thread the handler waits on for a
short time box; it is one UpdateItem, idempotent for a redelivered call_id (first decision wins) and
never raises, so its failure or slowness can never change the answer. `record_event` stores the
non-blocking outcome events; it raises StoreUnavailable so the webhook answers non-2xx and
ThunderPhone retries (for up to 24 h). Item shape and merge rules: functions/common/call_records.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from functions.common import table
from functions.common.aws import error_code
from functions.common.call_records import (
    COMPLETION_EVENTS,
    GRADED_EVENTS,
    DecisionRecord,
    InvalidCallEvent,
    completion_from_event,
    completion_update,
    decision_update,
    grade_from_event,
    grade_update,
)
from functions.common.errors import StoreUnavailable
from functions.common.items import InvalidItem
from functions.common.observability import logger, metrics
from functions.webhook.models import CallFacts, Decision, Reply
from functions.webhook.ports import TenantStore

_TENANT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_CONDITION_FAILED = "ConditionalCheckFailedException"
OTHER_TENANTS = "other"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CallLog:
    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        ttl_days: int = 90,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days
        self._clock = clock

    def record_decision(self, facts: CallFacts, decision: Decision, latency_ms: float) -> None:
        """One conditional UpdateItem; a duplicate is silent, any failure is logged and counted."""
        record = DecisionRecord(
            tenant_id=decision.tenant_id,
            call_id=facts.call_id,
            event_type=facts.event_type,
            channel=facts.channel,
            widget_id=facts.widget_id,
            to_number=facts.to_number or None,
            decision=decision.outcome,
            reason=decision.reason,
            rule_id=decision.rule_id,
            variant=decision.variant,
            profile_id=decision.profile_id,
            profile_version=decision.profile_version,
            customer_known=decision.customer_known,
            latency_ms=latency_ms,
            decided_at=facts.received_at,
        )
        try:
            self._client.update_item(**decision_update(self._table, record, ttl_days=self._ttl_days))
        except Exception as exc:  # never raises: the answer has been decided already
            if error_code(exc) == _CONDITION_FAILED:
                return  # a redelivered incoming event: the first decision stays
            logger.warning(
                "decision log write failed",
                extra={"call_id": facts.call_id, "tenant_id": decision.tenant_id, "error": error_code(exc)},
            )
            # single_metric flushes at once: safe from a worker thread that may outlive the invocation.
            with single_metric(
                name="DecisionLogFailed", unit=MetricUnit.Count, value=1, default_dimensions=metrics.default_dimensions
            ):
                pass

    def record_event(
        self, tenant_id: str | None, event_type: str, data: Mapping[str, Any], keep_transcripts: bool
    ) -> bool:
        """Store a completion or grade beside the call's decision. True when the item changed, False
        for a duplicate or an older/lower-ranked delivery. Raises InvalidCallEvent for a payload
        that does not validate (or an event type that is not an outcome) and StoreUnavailable when
        DynamoDB fails (answer non-2xx: ThunderPhone retries)."""
        if tenant_id is not None and not _TENANT_ID.match(tenant_id):
            raise InvalidCallEvent(f"{event_type}: tenant id is not valid")
        now = self._clock()
        if event_type in COMPLETION_EVENTS:
            completion = completion_from_event(event_type, data)
            call_id = completion.call_id
        elif event_type in GRADED_EVENTS:
            grade = grade_from_event(event_type, data)
            call_id = grade.call_id
        else:
            raise InvalidCallEvent(f"{event_type}: not an outcome event")
        if tenant_id is None:
            tenant_id = self.tenant_of_call(call_id)
            keep_transcripts = False  # the tenant's setting is unknown here: keep nothing personal
            if tenant_id is None:
                tenant_id = table.UNASSIGNED_TENANT
        if event_type in COMPLETION_EVENTS:
            request = completion_update(
                self._table, tenant_id, completion, ttl_days=self._ttl_days, now=now, keep_transcripts=keep_transcripts
            )
        else:
            request = grade_update(self._table, tenant_id, grade, ttl_days=self._ttl_days, now=now)
        stored = self._apply(request)
        logger.info(
            "call outcome received",
            extra={"call_id": call_id, "tenant_id": tenant_id, "event_type": event_type, "stored": stored},
        )
        return stored

    def tenant_of_call(self, call_id: int) -> str | None:
        """The tenant a call is stored under, through the call-id index (eventually consistent)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            page = self._client.query(
                TableName=self._table,
                IndexName=table.CALL_ID_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": table.CALL_ID_INDEX_PARTITION_KEY},
                ExpressionAttributeValues={":pk": {"S": table.call_index_pk(call_id)}},
                ProjectionExpression="tenant_id",
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailable(error_code(exc)) from exc
        tenants = [str(item["tenant_id"]["S"]) for item in page.get("Items", []) if "S" in item.get("tenant_id", {})]
        real = [tenant for tenant in tenants if tenant != table.UNASSIGNED_TENANT]
        found = real or tenants
        return found[0] if found else None

    def _apply(self, request: dict[str, Any]) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.update_item(**request)
        except ClientError as exc:
            if error_code(exc) == _CONDITION_FAILED:
                return False
            raise StoreUnavailable(error_code(exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(error_code(exc)) from exc
        return True


class OutcomeLog(Protocol):
    """The port the webhook service sees (CallLog implements it)."""

    def record_event(
        self, tenant_id: str | None, event_type: str, data: Mapping[str, Any], keep_transcripts: bool
    ) -> bool: ...


def answer_outcome(
    tenant_id: str | None, event_type: str, data: Mapping[str, Any], *, store: TenantStore, log: OutcomeLog
) -> Reply:
    """The webhook's answer to a verified outcome event (call.complete / *.complete / call.graded).

    The tenant comes from the path, else from `to_number` (org-level endpoint), else from the call-id
    index inside `record_event`. 200 when stored or a duplicate; 200 for a payload that can never be
    stored (a retry would not fix it; logged); 429 when a store fails, so ThunderPhone retries later
    (any non-2xx is retried for 24 h; the webhook never answers 5xx, and "try again later" is a 429).
    """
    try:
        if tenant_id is None:
            to_number = data.get("to_number")
            if isinstance(to_number, str) and to_number.startswith("+"):
                tenant_id = store.tenant_for_number(to_number)
        keep_transcripts = False
        if tenant_id is not None and _TENANT_ID.match(tenant_id):
            try:
                config, _ = store.load(tenant_id, None)
                keep_transcripts = bool(config.tenant and config.tenant.keep_transcripts)
            except InvalidItem:
                pass  # the tenant item is broken: keep nothing personal, still store the outcome
        stored = log.record_event(tenant_id, event_type, data, keep_transcripts)
    except InvalidCallEvent as exc:
        logger.warning("outcome event not stored", extra={"event_type": event_type, "problem": str(exc)})
        return Reply(200, {"received": True}, "acknowledged", "invalid_outcome", call_id=_call_id(data))
    except StoreUnavailable:
        return Reply(429, {"error": "store_unavailable"}, "rejected", "store_unavailable", call_id=_call_id(data))
    return Reply(200, {"received": True}, "acknowledged", "stored" if stored else "duplicate", call_id=_call_id(data))


def _call_id(data: Mapping[str, Any]) -> int | None:
    value = data.get("call_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_metric_tenants(value: str | None) -> frozenset[str]:
    """`METRIC_TENANTS="acme,globex"` -> the tenants that get their own CloudWatch dimension."""
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def tenant_dimension(tenant_id: str | None, opted_in: Collection[str]) -> str:
    """Bounded cardinality: an opted-in tenant is its own dimension value, all others are 'other'."""
    return tenant_id if tenant_id is not None and tenant_id in opted_in else OTHER_TENANTS
