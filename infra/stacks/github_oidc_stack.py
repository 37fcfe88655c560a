"""GitHub Actions -> AWS without stored keys: the OIDC provider and one deploy role per stage.

Deployed once per account by an administrator (`make oidc GITHUB_REPO=owner/name`, docs/deploy.md).
Each role can be assumed only by workflow jobs of that repository running in the GitHub
environment of the same name (`dev`, `prod`), and it can do one thing: assume the CDK bootstrap
roles (deploy, file publishing, lookup). What a deployment may change is decided by the bootstrap's
CloudFormation execution role, not by this role.
"""

from __future__ import annotations

from typing import Any, get_args

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import Stage

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "lookup")


class GitHubOidcStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repo: str,
        existing_provider_arn: str | None,
        cdk_qualifier: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # An account holds one provider per URL; reuse it when another stack already created it.
        provider: iam.IOidcProvider = (
            iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", existing_provider_arn)
            if existing_provider_arn
            else iam.OidcProviderNative(self, "Provider", url=GITHUB_OIDC_URL, client_ids=["sts.amazonaws.com"])
        )
        bootstrap_roles = [
            self.format_arn(
                service="iam",
                region="",
                resource="role",
                resource_name=f"cdk-{cdk_qualifier}-{kind}-role-{self.account}-{self.region}",
            )
            for kind in BOOTSTRAP_ROLES
        ]
        self.roles: dict[str, iam.Role] = {}
        for stage in get_args(Stage):
            role = iam.Role(
                self,
                f"DeployRole-{stage}",
                description=f"GitHub Actions deploys Switchboard {stage} from {repo}",
                max_session_duration=Duration.hours(1),
                assumed_by=iam.WebIdentityPrincipal(
                    provider.oidc_provider_arn,
                    conditions={
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repo}:environment:{stage}",
                        }
                    },
                ),
            )
            role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=bootstrap_roles))
            self.roles[stage] = role
            CfnOutput(
                self,
                f"DeployRoleArn-{stage}",
                value=role.role_arn,
                description=f"Set as the AWS_DEPLOY_ROLE_ARN variable of the GitHub environment '{stage}'",
            )
