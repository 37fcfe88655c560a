"""Edge protection's web ACL in us-east-1, for a stage deployed anywhere else: CloudFront takes only CLOUDFRONT-scoped
web ACLs, and those exist in us-east-1 alone. The service stack reads its ARN from this stack's output with
`Fn::GetStackOutput` (CDK's weak cross-stack references, cdk.json), and `cdk deploy Switchboard-<stage>` deploys this
stack first, as a dependency."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from infra.config import StageConfig
from infra.constructs.edge_firewall import EdgeFirewall
from infra.stacks.base import SwitchboardStack


class EdgeFirewallStack(SwitchboardStack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, config=config, **kwargs)
        self.firewall = EdgeFirewall.for_stage(self, "Firewall", config)
