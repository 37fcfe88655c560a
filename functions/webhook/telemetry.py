"""What the webhook tells operators about each answer: one log line and its metrics.

Prompts and secrets are never logged; callers are masked. Per-tenant metrics have bounded
cardinality: only tenants listed in METRIC_TENANTS get their own `tenant` dimension. An answer to an
incoming call carries its decision-log entry as `decision` (decision_log.py): the line is the record.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from functions.calls.decisions import DECISION_FIELD
from functions.common.masking import mask_number
from functions.common.metric_names import Metric
from functions.common.observability import logger, metrics
from functions.webhook.decision_log import decision_entry
from functions.webhook.models import Reply

OTHER_TENANTS = "other"


def parse_metric_tenants(value: str | None) -> frozenset[str]:
    """`METRIC_TENANTS="acme,globex"` -> the tenants that get their own CloudWatch dimension."""
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def tenant_dimension(tenant_id: str | None, opted_in: Collection[str]) -> str:
    """Bounded cardinality: an opted-in tenant is its own dimension value, all others are 'other'."""
    return tenant_id if tenant_id is not None and tenant_id in opted_in else OTHER_TENANTS


def count(name: str, *, immediately: bool = False, **dimensions: str) -> None:
    """One Count. `immediately` (or any dimension) flushes it on its own, which is safe from a worker
    thread that may outlive the invocation and keeps extra dimensions off the shared metric set."""
    if not immediately and not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return
    with single_metric(
        name=name, unit=MetricUnit.Count, value=1, default_dimensions=metrics.default_dimensions
    ) as metric:
        for dimension, value in dimensions.items():
            metric.add_dimension(name=dimension, value=value)


def record_answer(reply: Reply, *, latency_ms: float, metric_tenants: Collection[str]) -> None:
    """One log line and the metrics for every answer; a tenant is named only once a route named it."""
    decision = reply.decision
    if reply.call_id is not None:
        logger.set_correlation_id(str(reply.call_id))
    fields: dict[str, Any] = {
        "outcome": reply.outcome,
        "reason": reply.reason,
        "status": reply.status,
        "tenant_id": decision.tenant_id if decision else reply.tenant_id,
        "widget_id": reply.widget_id,
        "call_id": reply.call_id,
        "latency_ms": round(latency_ms, 1),
    }
    if decision is not None:
        fields |= {
            "rule_id": decision.rule_id,
            "variant": decision.variant,
            "profile_id": decision.profile_id,
            "profile_version": decision.profile_version,
            "config_version": decision.config_version,
            "customer_known": decision.customer_known,
            "caller": mask_number(decision.variables.get("call", {}).get("from_number")),
        }
        if decision.missing_variables:
            fields["missing_variables"] = list(decision.missing_variables)
        if decision.stale:
            fields["stale"] = True
        if reply.facts is not None:
            fields[DECISION_FIELD] = decision_entry(reply.facts, decision, latency_ms)
    if decision is not None and decision.problems:
        logger.warning("webhook answered with problems", extra={**fields, "problems": list(decision.problems)})
    else:
        logger.info("webhook answered", extra=fields)

    count(Metric.WEBHOOK_REQUESTS)
    count(
        Metric.TENANT_ANSWERS,
        tenant=tenant_dimension(fields["tenant_id"], metric_tenants),
        outcome=reply.outcome,
    )
    metrics.add_metric(name=Metric.ANSWER_LATENCY, unit=MetricUnit.Milliseconds, value=latency_ms)
    if decision is not None and decision.stale:
        count(Metric.STALE_CONFIG_SERVED)
    if reply.outcome == "config":
        count(Metric.CONFIG_SERVED)
    elif reply.outcome == "fallback":
        count(Metric.FALLBACK)
        count(Metric.FALLBACK_BY_REASON, reason=str(reply.reason))
        if reply.reason == "invalid_item":
            count(Metric.INVALID_ITEM)
    elif reply.reason == "bad_signature":
        count(Metric.SIGNATURE_REJECTED)
