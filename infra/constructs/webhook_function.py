"""The webhook Lambda behind a `live` alias, with the cold start switch (off / provisioned / SnapStart)."""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.webhook.models import WebhookSettings
from infra.config import ColdStart
from infra.constructs.python_function import FunctionConstruct, FunctionOptions, FunctionSpec

ALIAS_NAME = "live"
DESCRIPTION = "Answers ThunderPhone call webhooks with a tenant's agent configuration"


class WebhookFunction(FunctionConstruct):
    """API Gateway invokes `alias` (never $LATEST), so provisioned concurrency and SnapStart apply to every call.

    The handler answers blocking calls within BUDGET_MS on its own (ThunderPhone stops waiting at 2 s) and
    outcome events within OUTCOME_BUDGET_MS; the Lambda timeout, set from the longer, only stops a runaway
    invocation.
    """

    SPEC = FunctionSpec("webhook", WebhookSettings, DESCRIPTION, Duration.seconds(3))
    FUNCTION_ID = "Webhook"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        options: FunctionOptions,
        *,
        budget_ms: int,
        timeout_seconds: int,
        cold_start: ColdStart,
        provisioned_concurrency: int,
        memory_mb: int,
    ) -> None:
        environment = {**options.environment, "BUDGET_MS": str(budget_ms)}
        super().__init__(
            scope,
            construct_id,
            replace(options, environment=environment),
            timeout=Duration.seconds(timeout_seconds),
            memory_mb=memory_mb,
            snap_start=cold_start == "snapstart",
        )
        self.budget_ms = budget_ms
        self.alias = lambda_.Alias(
            self,
            "Live",
            alias_name=ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=provisioned_concurrency if cold_start == "provisioned" else None,
        )
