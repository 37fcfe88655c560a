"""Edge protection's web ACL in us-east-1, for a stage deployed anywhere else: CloudFront takes only CLOUDFRONT-scoped
web ACLs, and those exist in us-east-1 alone. The service stack reads its ARN through CDK's cross-region references
(an SSM parameter written in the service stack's region), and `cdk deploy Switchboard-<stage>` deploys this stack
first, as a dependency."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from infra.config import StageConfig
from infra.constructs.edge_firewall import EdgeFirewall
from infra.stacks.base import SwitchboardStack


class EdgeFirewallStack(SwitchboardStack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, config=config, cross_region_references=True, **kwargs)
        self.firewall = EdgeFirewall(
            self,
            "Firewall",
            metric_prefix=config.stack_name,
            rate_limit=config.edge_webhook_rate_limit,
            trusted_cidrs=config.trusted_cidrs,
        )
