"""Each answer is one log line, and that line carries the answer's metrics (CloudWatch's embedded metric
format), with the dimensions the alarms and dashboards query."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.webhook import telemetry
from functions.webhook.models import Decision, Reply
from functions.webhook.outcomes import unavailable
from functions.webhook.service import UNAUTHORIZED, fallback
from tests.fixtures.emf import metrics_of


def answered(reply: Reply, json_logs: Any, *, opted_in: frozenset[str] = frozenset()) -> dict[str, Any]:
    telemetry.record_answer(reply, latency_ms=0.42, metric_tenants=opted_in)
    line: dict[str, Any] = json_logs()[-1]
    assert line["message"] == "webhook answered"
    return line


def test_a_config_answer_counts_once_for_the_service_and_once_by_tenant_and_outcome(
    json_logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    decision = Decision("acme", "config", "rule", rule_id="vip", config={"prompt": "hi"})
    reply = Reply(200, {"prompt": "hi"}, "config", "rule", decision, 5)
    line = answered(reply, json_logs, opted_in=frozenset({"acme"}))
    service = {"service": line["service"]}
    assert metrics_of(line) == {
        "WebhookRequests": (1, service),
        "ConfigServed": (1, service),
        "AnswerLatency": (0.42, service),
        "TenantAnswers": (1, {"tenant": "acme", "outcome": "config", **service}),
    }
    written = capsys.readouterr().out.splitlines()  # what Lambda hands CloudWatch
    assert [json.loads(text) for text in written] == [line]  # no metric document of its own: one line


def test_a_fallback_counts_its_reason_and_keeps_unlisted_tenants_anonymous(json_logs: Any) -> None:
    line = answered(fallback("store_unavailable", 6), json_logs)
    emitted = metrics_of(line)
    assert emitted["Fallback"][0] == emitted["FallbackByReason"][0] == 1
    assert emitted["FallbackByReason"][1] == {"reason": "store_unavailable", "service": line["service"]}
    assert emitted["TenantAnswers"][1]["tenant"] == "other"
    assert "ConfigServed" not in emitted


def test_a_rejected_signature_and_a_deferred_outcome_are_counted(json_logs: Any) -> None:
    assert "SignatureRejected" in metrics_of(answered(UNAUTHORIZED, json_logs))
    deferred = metrics_of(answered(unavailable("queue_unavailable", 7, "acme"), json_logs))
    assert deferred["OutcomeDeferred"][0] == 1 and deferred["TenantAnswers"][1]["tenant"] == "other"
