"""The call outcome backfill: a Lambda run on an EventBridge schedule."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from functions.call_sync.models import CallSyncSettings
from infra.constructs.python_function import FunctionDefaults, PythonFunction

HANDLER = "functions.call_sync.handler.lambda_handler"


class CallSync(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        environment: Mapping[str, str],
        schedule: str,
        reserve_concurrency: bool,
        service_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lambda_ = PythonFunction(
            self,
            "CallSync",
            defaults=defaults,
            handler=HANDLER,
            settings_model=CallSyncSettings,
            environment=environment,
            service_name=service_name,
            description="Backfills call outcomes from ThunderPhone's calls API into the calls table",
            timeout=Duration.minutes(5),
            memory_mb=512,
            # One run at a time: overlapping syncs would page through the same calls twice.
            reserved_concurrency=1 if reserve_concurrency else None,
        )
        self.function = self.lambda_.function
        self.rule = events.Rule(
            self,
            "Schedule",
            description="Runs the call outcome sync",
            schedule=events.Schedule.expression(schedule),
            # A missed run is covered by the next one, which pages from where the last stopped.
            targets=[targets.LambdaFunction(self.function, retry_attempts=2, max_event_age=Duration.minutes(30))],
        )
