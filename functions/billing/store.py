"""The billing items of the configuration table (common/table.py): one per tenant holding the operator's plan,
each month's counters and the alerts already sent, and one per final statement.

Only operator code writes the plan (the admin API, `sbctl --operator`); only the outcome recorder and the backfill
(meter.py) move the counters and alert marks. The tenant API's role may not write any `BILLING#` item (IAM).
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from typing import Any

from functions.billing.plan import Plan
from functions.billing.state import (
    ALERTED_PREFIX,
    CALLS_PREFIX,
    CENTS_PREFIX,
    MINUTES_PREFIX,
    PLAN_ATTRIBUTE,
    BillingState,
    Threshold,
    plan_text,
    state_of,
)
from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import iso
from functions.common.errors import ConditionFailed


def billing_key(tenant_id: str) -> dict[str, Any]:
    return dynamo.key(table.billing_pk(tenant_id), table.BILLING_SK)


def counter_update(table_name: str, tenant_id: str, month: str, minutes: Any, cents: Any, calls: int) -> dict[str, Any]:
    """A transaction's Update adding to one month's counters (ADD creates them at zero)."""
    return {
        "TableName": table_name,
        "Key": billing_key(tenant_id),
        "UpdateExpression": "SET #tenant = :tenant ADD #minutes :minutes, #cents :cents, #calls :calls",
        "ExpressionAttributeNames": {
            "#tenant": "tenant_id",
            "#minutes": f"{MINUTES_PREFIX}{month}",
            "#cents": f"{CENTS_PREFIX}{month}",
            "#calls": f"{CALLS_PREFIX}{month}",
        },
        "ExpressionAttributeValues": {
            ":tenant": {"S": tenant_id},
            ":minutes": dynamo.attribute(minutes),
            ":cents": dynamo.attribute(cents),
            ":calls": {"N": str(calls)},
        },
    }


class BillingStore:
    """Plans, alert marks and final statements; StoreUnavailable when DynamoDB fails."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def read(self, tenant_id: str) -> BillingState:
        """One consistent GetItem: the plan and every month's counters (no item: no plan, nothing used). The webhook
        reads the same item beside the tenant's configuration instead (webhook/adapters.py `_read_config`)."""
        item = dynamo.get(
            self.client,
            self.table_name,
            table.billing_pk(tenant_id),
            table.BILLING_SK,
            consistent=True,
            operation="read billing",
        )
        return state_of(item)

    def set_plan(self, tenant_id: str, plan: Plan, *, actor: str, now: datetime, month: str | None = None) -> None:
        """Sets the plan only: the counters beside it are never touched. With `month` (the current one), the alerts
        already sent for it are forgotten: the new caps are alerted afresh."""
        sent = [name for name in self.read(tenant_id).alerted if month and name.startswith(f"{month}#")]
        forget = {f"#sent{index}": f"{ALERTED_PREFIX}{name}" for index, name in enumerate(sent)}
        with store_errors("write plan"):
            self.client.update_item(
                TableName=self.table_name,
                Key=billing_key(tenant_id),
                UpdateExpression="SET #tenant = :tenant, #plan = :plan, #at = :at, #by = :by"
                + (" REMOVE " + ", ".join(forget) if forget else ""),
                ExpressionAttributeNames={
                    "#tenant": "tenant_id",
                    "#plan": PLAN_ATTRIBUTE,
                    "#at": "plan_updated_at",
                    "#by": "plan_updated_by",
                    **forget,
                },
                ExpressionAttributeValues={
                    ":tenant": {"S": tenant_id},
                    ":plan": {"S": plan_text(plan)},
                    ":at": {"S": iso(now)},
                    ":by": {"S": actor[:256]},
                },
            )

    def remove_plan(self, tenant_id: str, *, actor: str, now: datetime) -> None:
        with store_errors("remove plan"):
            self.client.update_item(
                TableName=self.table_name,
                Key=billing_key(tenant_id),
                UpdateExpression="SET #at = :at, #by = :by REMOVE #plan",
                ExpressionAttributeNames={"#plan": PLAN_ATTRIBUTE, "#at": "plan_updated_at", "#by": "plan_updated_by"},
                ExpressionAttributeValues={":at": {"S": iso(now)}, ":by": {"S": actor[:256]}},
            )

    def claim_alert(self, tenant_id: str, month: str, threshold: Threshold, now: datetime) -> bool:
        """Marks the alert sent; False when it already was (so each is sent once per tenant, month and threshold)."""
        try:
            with store_errors("mark usage alert"):
                self.client.update_item(
                    TableName=self.table_name,
                    Key=billing_key(tenant_id),
                    UpdateExpression="SET #mark = :at",
                    ConditionExpression="attribute_not_exists(#mark)",
                    ExpressionAttributeNames={"#mark": f"{ALERTED_PREFIX}{month}#{threshold.name}"},
                    ExpressionAttributeValues={":at": {"S": iso(now)}},
                )
        except ConditionFailed:
            return False
        return True

    def release_alert(self, tenant_id: str, month: str, threshold: Threshold) -> None:
        """The alert could not be sent: unmarked, so the retry sends it."""
        with store_errors("unmark usage alert"):
            self.client.update_item(
                TableName=self.table_name,
                Key=billing_key(tenant_id),
                UpdateExpression="REMOVE #mark",
                ExpressionAttributeNames={"#mark": f"{ALERTED_PREFIX}{month}#{threshold.name}"},
            )

    def final_statement(self, tenant_id: str, month: str) -> dict[str, Any] | None:
        item = dynamo.get(
            self.client,
            self.table_name,
            table.billing_pk(tenant_id),
            f"{table.STATEMENT_PREFIX}{month}",
            consistent=True,
            operation="read statement",
        )
        if not item:
            return None
        raw = getattr(item.get("statement"), "value", item.get("statement"))
        data = json.loads(gzip.decompress(bytes(raw))) if isinstance(raw, bytes | bytearray) else None
        return data if isinstance(data, dict) else None

    def keep_final(self, tenant_id: str, month: str, statement: dict[str, Any]) -> bool:
        """Keeps a final statement once (False: one was kept first, and it is the one that stands)."""
        packed = gzip.compress(json.dumps(statement, separators=(",", ":")).encode(), mtime=0)
        try:
            with store_errors("keep statement"):
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        table.PARTITION_KEY: {"S": table.billing_pk(tenant_id)},
                        table.SORT_KEY: {"S": f"{table.STATEMENT_PREFIX}{month}"},
                        "tenant_id": {"S": tenant_id},
                        "month": {"S": month},
                        "statement": {"B": packed},
                    },
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": table.PARTITION_KEY},
                )
        except ConditionFailed:
            return False
        return True
