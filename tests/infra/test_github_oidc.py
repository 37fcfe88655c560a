"""The GitHub OIDC stack: who may assume which role, and that each stage's roles reach only that stage's own CDK
bootstrap (its qualifier), so what deploys dev can never deploy prod; prod's diff role can only read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.conftest import resources, synth_templates

REPO = "example-org/switchboard"
ACCOUNT_REGION = "123456789012-eu-west-1"
ACCOUNT_EDGE = "123456789012-us-east-1"


@pytest.fixture(scope="module")
def oidc() -> Iterator[dict[str, Any]]:
    templates = synth_templates(githubRepo=REPO)
    yield templates["Switchboard-GitHubOidc"]


def _roles(template: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Each role's GitHub environment (its trust's subject) and the bootstrap role names it may assume."""
    found = {}
    for role_id, role in resources(template, "AWS::IAM::Role").items():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        environment = condition["token.actions.githubusercontent.com:sub"].removeprefix(f"repo:{REPO}:environment:")
        (policy,) = [
            p for p in resources(template, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
        ]
        (allowed,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert allowed["Action"] == "sts:AssumeRole"
        found[environment] = ("", sorted(str(arn).rsplit(":role/", 1)[1] for arn in allowed["Resource"]))
    return {environment: names for environment, (_, names) in found.items()}  # type: ignore[misc]


def test_oidc_stack_only_when_repo_given() -> None:
    assert "Switchboard-GitHubOidc" not in synth_templates()


def test_oidc_provider_for_github_actions(oidc: dict[str, Any]) -> None:
    (provider,) = resources(oidc, "AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]


def test_each_stage_s_deploy_role_reaches_only_its_own_bootstrap(oidc: dict[str, Any]) -> None:
    # Given one account holding both stages, Then dev's role (GitHub environment dev) may assume only the roles of
    # dev's bootstrap qualifier, prod's only prod's: dev's workflow cannot deploy prod
    roles = _roles(oidc)
    assert set(roles) == {"dev", "prod", "prod-diff"}
    for stage, qualifier in (("dev", "sbdev"), ("prod", "sbprod")):
        assert roles[stage] == sorted(
            f"cdk-{qualifier}-{kind}-role-{where}"
            for kind in ("deploy", "file-publishing", "lookup")
            for where in (ACCOUNT_REGION, ACCOUNT_EDGE)  # the stage's region, and us-east-1 for edge protection
        )
        other = "sbprod" if qualifier == "sbdev" else "sbdev"
        assert not [name for name in roles[stage] if other in name or "hnb659fds" in name]


def test_prod_diff_role_can_only_read(oidc: dict[str, Any]) -> None:
    # The diff job runs before reviewers approve (environment prod-diff, no reviewers): the lookup role only, which
    # reads the deployed template and changes nothing
    assert _roles(oidc)["prod-diff"] == [
        f"cdk-sbprod-lookup-role-{ACCOUNT_REGION}",
        f"cdk-sbprod-lookup-role-{ACCOUNT_EDGE}",
    ]


def test_separate_accounts_get_one_stage_each_with_its_qualifier_from_cdk_json() -> None:
    stages = {"dev": {"cdkQualifier": "acmedev"}, "prod": {}}
    template = synth_templates(githubRepo=REPO, githubStages="dev", **{"switchboard:stages": stages})
    roles = _roles(template["Switchboard-GitHubOidc"])
    assert set(roles) == {"dev"}
    assert all(name.startswith("cdk-acmedev-") for name in roles["dev"])


def test_service_stack_deploys_through_its_stage_s_bootstrap() -> None:
    for stage, qualifier in (("dev", "sbdev"), ("prod", "sbprod")):
        template = synth_templates(stage=stage, alarmEmail="oncall@example.com")[f"Switchboard-{stage}"]
        assert template["Parameters"]["BootstrapVersion"]["Default"] == f"/cdk-bootstrap/{qualifier}/version"


def test_oidc_existing_provider_is_reused() -> None:
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    template = synth_templates(githubRepo=REPO, githubOidcProviderArn=arn)["Switchboard-GitHubOidc"]
    assert resources(template, "AWS::IAM::OIDCProvider") == {}
    for role in resources(template, "AWS::IAM::Role").values():
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": arn}


@pytest.mark.parametrize(("stages", "qualifier"), [(None, "sbdev"), ("prod", "sbprod")])
def test_the_oidc_stack_deploys_through_a_bootstrap_the_first_deploy_made(stages: str | None, qualifier: str) -> None:
    # First deploy bootstraps only the stages' qualifiers (sbdev, sbprod), never CDK's default hnb659fds
    context = {"githubRepo": REPO} | ({"githubStages": stages} if stages else {})
    template = synth_templates(**context)["Switchboard-GitHubOidc"]
    assert template["Parameters"]["BootstrapVersion"]["Default"] == f"/cdk-bootstrap/{qualifier}/version"
