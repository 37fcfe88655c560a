"""The webhook Lambda behind a `live` alias, with the cold start switch (off / provisioned / SnapStart)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.webhook.models import WebhookSettings
from infra.config import ColdStart
from infra.constructs.python_function import FunctionDefaults, PythonFunction

HANDLER = "functions.webhook.handler.lambda_handler"
ALIAS_NAME = "live"


class WebhookFunction(Construct):
    """API Gateway invokes `alias` (never $LATEST), so provisioned concurrency and SnapStart apply to every call.

    The timeout comes from the router's budget: the handler answers within BUDGET_MS on its own and the
    Lambda timeout only stops a runaway invocation (ThunderPhone stops waiting at 2 s anyway).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        environment: Mapping[str, str],
        budget_ms: int,
        timeout_seconds: int,
        cold_start: ColdStart,
        provisioned_concurrency: int,
        reserved_concurrency: int | None,
        memory_mb: int,
        service_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.budget_ms = budget_ms
        self.lambda_ = PythonFunction(
            self,
            "Webhook",
            defaults=defaults,
            handler=HANDLER,
            settings_model=WebhookSettings,
            environment={**environment, "BUDGET_MS": str(budget_ms)},
            service_name=service_name,
            description="Answers ThunderPhone call webhooks with a tenant's agent configuration",
            timeout=Duration.seconds(timeout_seconds),
            memory_mb=memory_mb,
            reserved_concurrency=reserved_concurrency,
            snap_start=cold_start == "snapstart",
        )
        self.function = self.lambda_.function
        self.alias = lambda_.Alias(
            self,
            "Live",
            alias_name=ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=provisioned_concurrency if cold_start == "provisioned" else None,
        )
