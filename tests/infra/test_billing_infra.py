"""Billing in the stack: what counts usage may write only the configuration table's BILLING# items and put usage
alerts on the default EventBridge bus; the admin API reads the calls table for statements; the tenant API may
never write a plan, a counter or a statement."""

from __future__ import annotations

import json
from typing import Any

from functions.common.table import BILLING_PREFIX
from tests.infra.conftest import as_list, function_by_handler, refers_to, role_statements
from tests.infra.test_service_stack import (
    CALL_SYNC,
    PROVISIONING,
    TENANT_API,
    WRITE_ACTIONS,
    billing_items_only,
    calls_table_id,
    config_table_id,
    role_of,
)

RECORDER = "functions.outcome_recorder.handler.lambda_handler"


def test_what_counts_usage_writes_only_billing_items_and_puts_alerts_on_the_default_bus(dev: dict[str, Any]) -> None:
    for handler in (RECORDER, CALL_SYNC):
        statements = [s for s in role_statements(dev, role_of(dev, handler)) if s["Effect"] == "Allow"]
        on_config = [s for s in statements if refers_to(s["Resource"], config_table_id(dev))]
        writes = [s for s in on_config if set(as_list(s["Action"])) & WRITE_ACTIONS]
        assert writes and all(billing_items_only(s) for s in writes), writes
        assert all(set(as_list(s["Action"])) == {"dynamodb:UpdateItem"} for s in writes)
        puts = [s for s in statements if "events:PutEvents" in as_list(s["Action"])]
        assert puts and all("event-bus/default" in json.dumps(s["Resource"]) for s in puts)
        env = function_by_handler(dev, handler)[1]["Properties"]["Environment"]["Variables"]
        assert env["BILLING_ALERTS_EVENT_BUS"] == "default"


def test_the_admin_api_reads_calls_for_statements(dev: dict[str, Any]) -> None:
    env = function_by_handler(dev, PROVISIONING)[1]["Properties"]["Environment"]["Variables"]
    assert env["CALLS_TABLE_NAME"] == {"Ref": calls_table_id(dev)}
    reads = {
        a
        for s in role_statements(dev, role_of(dev, PROVISIONING))
        if s["Effect"] == "Allow" and refers_to(s["Resource"], calls_table_id(dev))
        for a in as_list(s["Action"])
    }
    assert "dynamodb:Query" in reads and not reads & WRITE_ACTIONS


def test_the_tenant_api_may_never_write_billing_items(dev: dict[str, Any]) -> None:
    denies = [s for s in role_statements(dev, role_of(dev, TENANT_API)) if s["Effect"] == "Deny"]
    billing = [
        s
        for s in denies
        if s.get("Condition") == {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{BILLING_PREFIX}*"]}}
        and refers_to(s["Resource"], config_table_id(dev))
    ]
    assert billing, denies
    denied = {a for s in billing for a in as_list(s["Action"])}
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= denied
