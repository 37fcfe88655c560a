"""The only module that knows the cdk-nag API (3.x: rule packs are CDK policy-validation plugins).

`attach` runs the AwsSolutions pack on every synth. `acknowledge` records an accepted finding on
the construct it concerns, with a reason; use the finding form `Rule[Finding]` (for example
`AwsSolutions-IAM5[Resource::*]`) when a rule reports several findings per resource, so only the
one that was reviewed is silenced. `acknowledge_wildcard_resource` builds that finding id for a
resource ARN that is a token (it contains logical ids, which must never be hard-coded).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def attach(scope: IConstruct) -> None:
    """Run the AwsSolutions checks over everything under `scope` (the App) at synth."""
    Validations.of(scope).add_plugins(AwsSolutionsChecks(scope, verbose=True))


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding on `construct` (and its children) with a specific, reviewable reason."""
    if len(reason) < 20:
        raise ValueError(f"acknowledging {rule} needs a specific reason, got {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_wildcard_resource(construct: IConstruct, resource_arn: str, reason: str) -> None:
    """Accept AwsSolutions-IAM5 for exactly one wildcard resource ARN granted to `construct`."""
    rendered = render_reference(Stack.of(construct).resolve(resource_arn))
    acknowledge(construct, f"AwsSolutions-IAM5[Resource::{rendered}]", reason)


def render_reference(value: Any) -> str:
    """Render a resolved CloudFormation value the way cdk-nag names findings (`<Logical.Attr>`, `<AWS::Region>`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((intrinsic, args),) = value.items()
        if intrinsic == "Ref":
            return f"<{args}>"
        if intrinsic == "Fn::GetAtt":
            return f"<{args[0]}.{args[1]}>"
        if intrinsic == "Fn::Join":
            separator, parts = args
            return str(separator).join(render_reference(part) for part in parts)
    raise ValueError(f"cannot name a cdk-nag finding for {value!r}")
