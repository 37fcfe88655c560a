"""The GitHub OIDC stack: who may assume the deploy roles, and that they can only reach the CDK bootstrap roles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.conftest import resources, synth_templates

REPO = "example-org/switchboard"


@pytest.fixture(scope="module")
def oidc() -> Iterator[dict[str, Any]]:
    templates = synth_templates(githubRepo=REPO)
    yield templates["Switchboard-GitHubOidc"]


def test_oidc_stack_only_when_repo_given() -> None:
    assert "Switchboard-GitHubOidc" not in synth_templates()


def test_oidc_provider_for_github_actions(oidc: dict[str, Any]) -> None:
    (provider,) = resources(oidc, "AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]


def test_oidc_deploy_role_per_environment_of_this_repo(oidc: dict[str, Any]) -> None:
    subjects = set()
    for role in resources(oidc, "AWS::IAM::Role").values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        subjects.add(condition["token.actions.githubusercontent.com:sub"])
    assert subjects == {f"repo:{REPO}:environment:dev", f"repo:{REPO}:environment:prod"}


def test_oidc_deploy_roles_may_only_assume_cdk_bootstrap_roles(oidc: dict[str, Any]) -> None:
    for policy in resources(oidc, "AWS::IAM::Policy").values():
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        names = sorted(str(arn).rsplit(":role/", 1)[1] for arn in statement["Resource"])
        assert names == [
            "cdk-hnb659fds-deploy-role-123456789012-eu-west-1",
            "cdk-hnb659fds-file-publishing-role-123456789012-eu-west-1",
            "cdk-hnb659fds-lookup-role-123456789012-eu-west-1",
        ]


def test_oidc_existing_provider_is_reused() -> None:
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    template = synth_templates(githubRepo=REPO, githubOidcProviderArn=arn)["Switchboard-GitHubOidc"]
    assert resources(template, "AWS::IAM::OIDCProvider") == {}
    for role in resources(template, "AWS::IAM::Role").values():
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": arn}
