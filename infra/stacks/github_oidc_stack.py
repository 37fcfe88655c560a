"""GitHub Actions -> AWS without stored keys: the OIDC provider, one deploy role per stage and a diff role for prod.

Deployed once per account by an administrator (`make oidc GITHUB_REPO=owner/name`, docs/deploy.md); with dev and
prod in separate accounts (the documented default), once in each with `-c githubStages=<that stage>`. It deploys
through the CDK bootstrap of the first stage it serves (its qualifier), which the account has for that stage; the
default `hnb659fds` bootstrap is never made by the documented steps. Each role can
be assumed only by workflow jobs of that repository running in the GitHub environment it names:

- `DeployRole-<stage>` (environment `<stage>`): may assume the CDK bootstrap roles of that stage's own qualifier
  (deploy, file publishing, lookup), in the stage's region and in us-east-1 (edge protection's web ACL stack). Each
  stage is bootstrapped with its own qualifier (infra/stacks/base.py), so dev's role can never reach the roles that
  deploy prod. What a deployment may change is decided by the bootstrap's CloudFormation execution role.
- `DiffRole-prod` (environment `prod-diff`, which has no reviewers): may assume prod's bootstrap lookup role only,
  which reads (the deployed template, for `cdk diff --no-change-set`) and changes nothing, so prod's diff is shown
  before its reviewers approve the deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, DefaultStackSynthesizer, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "lookup")
# Stages whose deploy waits for reviewers: a read-only role shows them the diff first.
DIFFED_STAGES = ("prod",)
DIFF_ENVIRONMENT_SUFFIX = "-diff"


class GitHubOidcStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repo: str,
        existing_provider_arn: str | None,
        qualifiers: Mapping[str, str],
        edge_region: str,
        **kwargs: Any,
    ) -> None:
        """`qualifiers`: the CDK bootstrap qualifier of each stage this account deploys; the first one deploys this."""
        synthesizer = DefaultStackSynthesizer(qualifier=next(iter(qualifiers.values())))
        super().__init__(scope, construct_id, synthesizer=synthesizer, **kwargs)
        # An account holds one provider per URL; reuse it when another stack already created it.
        provider: iam.IOidcProvider = (
            iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", existing_provider_arn)
            if existing_provider_arn
            else iam.OidcProviderNative(self, "Provider", url=GITHUB_OIDC_URL, client_ids=["sts.amazonaws.com"])
        )
        regions = (
            [self.region]
            if not Token.is_unresolved(self.region) and self.region == edge_region
            else [
                self.region,
                edge_region,
            ]
        )

        def bootstrap_roles(qualifier: str, kinds: tuple[str, ...]) -> list[str]:
            return [
                self.format_arn(
                    service="iam",
                    region="",
                    resource="role",
                    resource_name=f"cdk-{qualifier}-{kind}-role-{self.account}-{region}",
                )
                for kind in kinds
                for region in regions
            ]

        def role(role_id: str, environment: str, description: str, assumable: list[str]) -> iam.Role:
            created = iam.Role(
                self,
                role_id,
                description=description,
                max_session_duration=Duration.hours(1),
                assumed_by=iam.WebIdentityPrincipal(
                    provider.oidc_provider_arn,
                    conditions={
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repo}:environment:{environment}",
                        }
                    },
                ),
            )
            created.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=assumable))
            CfnOutput(
                self,
                f"{role_id.replace('Role', 'RoleArn')}",
                value=created.role_arn,
                description=f"Set as the AWS_DEPLOY_ROLE_ARN variable of the GitHub environment '{environment}'",
            )
            return created

        self.roles: dict[str, iam.Role] = {}
        for stage, qualifier in qualifiers.items():
            self.roles[stage] = role(
                f"DeployRole-{stage}",
                stage,
                f"GitHub Actions deploys Switchboard {stage} from {repo}",
                bootstrap_roles(qualifier, BOOTSTRAP_ROLES),
            )
            if stage in DIFFED_STAGES:
                environment = f"{stage}{DIFF_ENVIRONMENT_SUFFIX}"
                self.roles[environment] = role(
                    f"DiffRole-{stage}",
                    environment,
                    f"GitHub Actions shows the diff of Switchboard {stage} from {repo} (read only)",
                    bootstrap_roles(qualifier, ("lookup",)),
                )
