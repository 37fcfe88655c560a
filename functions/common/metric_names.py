"""Every metric Switchboard emits, named once: the functions emit these names and
infra/constructs/monitoring.py alarms and charts on the same constants, so an alarm can never watch a
metric that no longer exists. Namespace and `service` dimension come from POWERTOOLS_* settings."""

from __future__ import annotations

from typing import Final


class Metric:
    """Plain strings, not an Enum: they go to CloudWatch through Powertools and to the CDK through jsii."""

    # webhook
    WEBHOOK_REQUESTS: Final = "WebhookRequests"
    CONFIG_SERVED: Final = "ConfigServed"
    FALLBACK: Final = "Fallback"
    FALLBACK_BY_REASON: Final = "FallbackByReason"  # dimension `reason`
    SIGNATURE_REJECTED: Final = "SignatureRejected"
    INVALID_ITEM: Final = "InvalidItem"
    ANSWER_LATENCY: Final = "AnswerLatency"  # milliseconds
    TENANT_ANSWERS: Final = "TenantAnswers"  # dimensions `tenant` (METRIC_TENANTS or "other"), `outcome`
    STALE_CONFIG_SERVED: Final = "StaleConfigServed"  # decided on a last-known-good configuration or customer
    STALE_SECRETS_SERVED: Final = (
        "StaleSecretsServed"  # answered with a last-known-good signing secret or tool credential
    )
    OUTCOME_QUEUED: Final = "OutcomeQueued"  # an outcome event made durable (queued), then acknowledged
    OUTCOME_DEFERRED: Final = "OutcomeDeferred"  # an outcome event answered non-2xx: ThunderPhone retries it
    # decision recorder (the webhook's answer log lines, through a CloudWatch Logs subscription)
    DECISIONS_RECORDED: Final = "DecisionsRecorded"
    DECISION_LOG_FAILED: Final = "DecisionLogFailed"  # a delivery that will be retried
    DECISION_SET_ASIDE: Final = "DecisionSetAside"  # a decision that can never be written, logged once, never retried
    # outcome recorder (drains the outcome queue)
    OUTCOME_STORED: Final = "OutcomeStored"
    OUTCOME_REFUSED: Final = "OutcomeRefused"  # an outcome event for a call another tenant answered
    OUTCOME_QUARANTINED: Final = "OutcomeQuarantined"  # an outcome DynamoDB can never store, kept aside
    OUTCOME_CONTESTED: Final = "OutcomeContested"  # several tenants' decisions fit its call: set aside for the operator
    # item validator
    INVALID_CONFIG_ITEM: Final = "InvalidConfigItem"
    # call sync
    CALL_SYNC_COMPLETIONS_FILLED: Final = "CallSyncCompletionsFilled"
    CALL_SYNC_GRADES_FILLED: Final = "CallSyncGradesFilled"
    CALL_SYNC_FAILED: Final = "CallSyncFailed"
