"""The call outcome backfill: a Lambda run on an EventBridge schedule (one run at a time: give it a
reserved concurrency of 1, or overlapping syncs page through the same calls twice)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from functions.call_sync.models import CallSyncSettings
from infra.constructs.python_function import FunctionConstruct, FunctionOptions, FunctionSpec

DESCRIPTION = "Backfills call outcomes from ThunderPhone's calls API into the calls table"


class CallSync(FunctionConstruct):
    SPEC = FunctionSpec("call_sync", CallSyncSettings, DESCRIPTION, Duration.minutes(5))
    FUNCTION_ID = "CallSync"

    def __init__(self, scope: Construct, construct_id: str, options: FunctionOptions, *, schedule: str) -> None:
        super().__init__(scope, construct_id, options)
        self.rule = events.Rule(
            self,
            "Schedule",
            description="Runs the call outcome sync",
            schedule=events.Schedule.expression(schedule),
            # A missed run is covered by the next one, which pages from where the last stopped.
            targets=[targets.LambdaFunction(self.function, retry_attempts=2, max_event_age=Duration.minutes(30))],
        )
