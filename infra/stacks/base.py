"""What every stack of a stage shares: it deploys through the stage's own CDK bootstrap (its qualifier: its own
deploy, file-publishing and CloudFormation execution roles, so a deploy role of one stage reaches nothing of
another's) and carries the stage's tags."""

from __future__ import annotations

from typing import Any

from aws_cdk import DefaultStackSynthesizer, Stack, Tags
from constructs import Construct

from infra.config import StageConfig


class SwitchboardStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, synthesizer=DefaultStackSynthesizer(qualifier=config.qualifier), **kwargs)
        self.config = config
        Tags.of(self).add("service", "switchboard")
        Tags.of(self).add("stage", config.stage)
