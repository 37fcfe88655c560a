"""The provisioning Lambda (admin API behind the IAM authoriser; the route lives in ServiceApi)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from constructs import Construct

from functions.provisioning.models import ProvisioningSettings
from infra.constructs.python_function import FunctionDefaults, PythonFunction

HANDLER = "functions.provisioning.handler.lambda_handler"
# HTTP API integrations give up after 30 s; ThunderPhone calls retry within this.
TIMEOUT = Duration.seconds(28)


class Provisioner(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        environment: Mapping[str, str],
        reserved_concurrency: int | None,
        service_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lambda_ = PythonFunction(
            self,
            "Provisioning",
            defaults=defaults,
            handler=HANDLER,
            settings_model=ProvisioningSettings,
            environment=environment,
            service_name=service_name,
            description="Admin API: onboards tenants and manages their ThunderPhone publishable keys",
            timeout=TIMEOUT,
            memory_mb=512,
            reserved_concurrency=reserved_concurrency,
        )
        self.function = self.lambda_.function
