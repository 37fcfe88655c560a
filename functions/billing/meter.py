"""Counting a call's usage into its tenant's month, once, and telling the operator when a threshold is crossed.

Called for every outcome stored under a tenant (outcomes/attribution.py `store_outcome`), by the outcome recorder
and the backfill alike, before the completion is written. The call item in the calls table carries a usage marker
(`usage_key`: the completion's precedence key, records.py; `usage_minutes`, `usage_cents`, `usage_month`). One
transaction moves the marker and ADDs the difference to the month's counters in the billing item:

- a duplicate, a retry, or a redelivery finds the marker at the same key: nothing is added;
- a completion that outranks the counted one (ThunderPhone's event after the backfill's) adds only the difference;
- one that ranks lower changes nothing, as it changes nothing in the call item (nor does one that a stored
  completion outranks);
- two writers racing: the loser's condition fails and it reads the marker again.

So a month's counters always equal the sum of its stored completions. A call's month is fixed the first time it is
counted: its start in the billing time zone (its arrival, when the completion has no start).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from functions.billing.alerts import AlertSink, EventBridgeAlerts, LoggedAlerts, UsageAlert
from functions.billing.months import month_of
from functions.billing.settings import BillingSettings
from functions.billing.store import BillingStore, counter_update
from functions.calls.records import Completion, Grade, completion_key
from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import aware, utc_now
from functions.common.errors import StoreUnavailable, TransactionCancelled
from functions.common.types import is_tenant_id

MAX_RACES = 5


def _decimal(value: float | None) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


class UsageMeter:
    def __init__(
        self,
        client: Any,
        *,
        config_table: str,
        calls_table: str,
        zone: ZoneInfo,
        alerts: AlertSink,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._client = client
        self._calls = calls_table
        self._zone = zone
        self._alerts = alerts
        self._clock = clock
        self.billing = BillingStore(client, config_table)

    def count(self, tenant_id: str, outcome: Completion | Grade) -> None:
        """Raises StoreUnavailable when DynamoDB or the alert topic fails (the caller's retry counts it then)."""
        if not isinstance(outcome, Completion) or not is_tenant_id(tenant_id):
            return  # grades cost nothing; calls billed to nobody are nobody's usage
        key = completion_key(outcome)
        for _ in range(MAX_RACES):
            marker = self._marker(tenant_id, outcome.call_id)
            counted, stored = marker.get("usage_key"), marker.get("completion_key")
            if (isinstance(counted, str) and counted >= key) or (isinstance(stored, str) and stored > key):
                month = marker.get("usage_month")
                if isinstance(month, str):
                    self._alert(tenant_id, month)  # an alert a failed attempt did not send yet
                return
            month = marker.get("usage_month")
            if not isinstance(month, str):
                month = month_of(self._when(outcome, marker), self._zone)
            minutes, cents = _decimal(outcome.billable_minutes), _decimal(outcome.billing_total_cents)
            added_minutes = minutes - Decimal(str(marker.get("usage_minutes") or 0))
            added_cents = cents - Decimal(str(marker.get("usage_cents") or 0))
            try:
                counters = counter_update(
                    self.billing.table_name, tenant_id, month, added_minutes, added_cents, 0 if counted else 1
                )
                self._transact(tenant_id, outcome.call_id, counted, key, month, minutes, cents, counters)
            except TransactionCancelled as exc:
                if "ConditionalCheckFailed" in exc.codes:
                    continue  # another writer moved the marker first: read it again
                raise
            self._alert(tenant_id, month)
            return
        raise StoreUnavailable(f"call {outcome.call_id}: its usage marker kept changing; counted on the retry")

    def _when(self, outcome: Completion, marker: dict[str, Any]) -> datetime:
        """The instant whose month a call is counted in: its start, else its decision (the time the cap was checked
        at), and only for a call with neither the time it is counted (a late count must not move it a month)."""
        if outcome.start_time is not None:
            return aware(outcome.start_time)
        decided = marker.get("decided_at")
        return datetime.fromisoformat(decided.replace("Z", "+00:00")) if isinstance(decided, str) else self._clock()

    def _marker(self, tenant_id: str, call_id: int) -> dict[str, Any]:
        with store_errors("read usage marker"):
            item = self._client.get_item(
                TableName=self._calls,
                Key=dynamo.key(table.tenant_pk(tenant_id), table.call_sk(call_id)),
                ConsistentRead=True,
                ProjectionExpression="usage_key, usage_minutes, usage_cents, usage_month, completion_key, decided_at",
            ).get("Item")
        return dynamo.from_attributes(item) if item else {}

    def _transact(
        self,
        tenant_id: str,
        call_id: int,
        counted: Any,
        key: str,
        month: str,
        minutes: Decimal,
        cents: Decimal,
        counters: dict[str, Any],
    ) -> None:
        condition = "attribute_not_exists(#key)" if not isinstance(counted, str) else "#key = :counted"
        # A stored completion that outranks this one (stored before counting existed) is what the call costs.
        condition += " AND (attribute_not_exists(#stored) OR #stored <= :key)"
        values: dict[str, Any] = {
            ":key": {"S": key},
            ":minutes": dynamo.attribute(minutes),
            ":cents": dynamo.attribute(cents),
            ":month": {"S": month},
        }
        if isinstance(counted, str):
            values[":counted"] = {"S": counted}
        marker = {
            "TableName": self._calls,
            "Key": dynamo.key(table.tenant_pk(tenant_id), table.call_sk(call_id)),
            "UpdateExpression": "SET #key = :key, usage_minutes = :minutes, usage_cents = :cents, usage_month = :month",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#key": "usage_key", "#stored": "completion_key"},
            "ExpressionAttributeValues": values,
        }
        with store_errors("count usage"):
            self._client.transact_write_items(TransactItems=[{"Update": marker}, {"Update": counters}])

    def _alert(self, tenant_id: str, month: str) -> None:
        """Each threshold the month is past, once: marked first, sent, unmarked again if sending failed."""
        state = self.billing.read(tenant_id)
        plan = state.plan
        if plan is None:
            return
        used = state.used(month)
        for threshold in state.crossed(month):
            if f"{month}#{threshold.name}" in state.alerted:
                continue
            if not self.billing.claim_alert(tenant_id, month, threshold, self._clock()):
                continue
            cap = plan.monthly_minutes if threshold.kind == "minutes" else plan.monthly_spend_cents
            alert = UsageAlert(
                tenant_id=tenant_id,
                month=month,
                kind=threshold.kind,
                percent=threshold.percent,
                used=round(used.minutes if threshold.kind == "minutes" else used.cents, 2),
                cap=int(cap or 0),
                at_cap=plan.at_cap,
            )
            try:
                self._alerts.send(alert)
            except StoreUnavailable:
                self.billing.release_alert(tenant_id, month, threshold)
                raise


def build_meter(
    dynamodb: Any,
    events: Callable[[], Any],
    settings: BillingSettings,
    *,
    config_table: str,
    calls_table: str,
    clock: Callable[[], datetime] = utc_now,
) -> UsageMeter:
    """The meter a function's composition root builds: alerts to the event bus when one is configured, else logged."""
    bus = settings.BILLING_ALERTS_EVENT_BUS
    alerts: AlertSink = EventBridgeAlerts(events, bus) if bus else LoggedAlerts()
    return UsageMeter(
        dynamodb,
        config_table=config_table,
        calls_table=calls_table,
        zone=settings.billing_zone,
        alerts=alerts,
        clock=clock,
    )
