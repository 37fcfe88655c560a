"""Gates on the whole app: cdk-nag has no unacknowledged finding, cfn-lint is clean, synth is deterministic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_sqs as sqs
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]

from infra.app_factory import create_app
from tests.infra.conftest import cdk_context, synth_fresh, synth_templates

# CDK makes each function DependsOn its role although the Role GetAtt already orders them; harmless.
CFN_LINT_IGNORED = ["W3005"]


@pytest.fixture(scope="module")
def templates() -> Iterator[dict[str, dict[str, Any]]]:
    yield synth_templates(stage="dev") | synth_templates(
        stage="prod", alarmEmail="oncall@example.com", githubRepo="example-org/switchboard"
    )


def test_nag_synth_has_no_unacknowledged_findings(templates: dict[str, dict[str, Any]]) -> None:
    # Given the app with cdk-nag attached, When synthesized (in the fixture), Then it succeeded for every stack
    assert set(templates) == {"Switchboard-dev", "Switchboard-prod", "Switchboard-GitHubOidc"}


def test_nag_gate_fails_synth_on_a_new_finding(tmp_path: Path) -> None:
    # Given the real app plus one non-compliant resource (a queue that allows plain HTTP and has no DLQ)
    app = create_app(cdk_context(stage="dev"), environ={}, outdir=str(tmp_path))
    stack = next(child for child in app.node.children if isinstance(child, Stack))
    sqs.Queue(stack, "Careless")
    # When synthesized, Then cdk-nag stops it and names the rule
    with pytest.raises(RuntimeError, match=r"AwsSolutions-SQS4"):
        app.synth()


@pytest.mark.parametrize("stack", ["Switchboard-dev", "Switchboard-prod", "Switchboard-GitHubOidc"])
def test_cfn_lint_clean(templates: dict[str, dict[str, Any]], stack: str) -> None:
    matches = lint(
        json.dumps(templates[stack]),
        config=ManualArgs(regions=["eu-west-1"], ignore_checks=CFN_LINT_IGNORED),
    )
    assert [str(match) for match in matches] == []


def test_a_custom_domain_and_edge_protection_pass_cdk_nag_and_cfn_lint() -> None:
    from tests.infra.test_public_urls import edge_templates

    # Given dev with a custom domain and edge protection (synthesized through cdk-nag: a finding would raise)
    templates = edge_templates()
    assert set(templates) == {"Switchboard-dev", "Switchboard-dev-edge"}
    # Then cfn-lint finds nothing in either stack, each linted for the region it deploys to
    for stack, region in (("Switchboard-dev", "eu-west-1"), ("Switchboard-dev-edge", "us-east-1")):
        config = ManualArgs(regions=[region], ignore_checks=CFN_LINT_IGNORED)
        assert [str(match) for match in lint(json.dumps(templates[stack]), config=config)] == []


def test_synth_is_deterministic(templates: dict[str, dict[str, Any]]) -> None:
    # Same context twice -> byte-identical template (no clock, random, user or git at synth)
    assert synth_fresh(stage="dev")["Switchboard-dev"] == templates["Switchboard-dev"]


def test_synth_env_agnostic_without_account_or_region() -> None:
    # CI has no credentials: with no account/region the stack is environment-agnostic and still passes cdk-nag
    template = synth_templates(stage="dev", account="", region="")["Switchboard-dev"]
    text = json.dumps(template)
    assert "123456789012" not in text
    assert '"Ref": "AWS::AccountId"' in text
