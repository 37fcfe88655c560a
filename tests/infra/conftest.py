"""Synthesize the app exactly as `cdk synth` does (same factory, cdk.json's context), offline and without bundling."""

from __future__ import annotations

import copy
import functools
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "eu-west-1"

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


def cdk_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context (a bare App() would not read it), a fixed environment, and no bundling."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context |= {"account": ACCOUNT, "region": REGION, "aws:cdk:bundling-stacks": []}
    context |= overrides
    return context


def synth_templates(**overrides: Any) -> dict[str, dict[str, Any]]:
    """{stack name: template} for the app built with cdk.json's context plus `overrides` (a copy: synthesized once
    per session for the same overrides)."""
    return copy.deepcopy(_synthesized(_key(overrides))[0])


def synth_warnings(**overrides: Any) -> dict[str, list[str]]:
    """{stack name: the warnings synth prints for it} for the same app."""
    return copy.deepcopy(_synthesized(_key(overrides))[1])


def synth_fresh(**overrides: Any) -> dict[str, dict[str, Any]]:
    """synth_templates without the session's memo: a new synthesis (for comparing two of them)."""
    return _synth(overrides)[0]


def _key(overrides: dict[str, Any]) -> str:
    return json.dumps(overrides, sort_keys=True)


@functools.cache
def _synthesized(key: str) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """A synth takes seconds, and many modules ask for the same stages: each set of overrides is synthesized once."""
    return _synth(json.loads(key))


def _synth(overrides: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    from aws_cdk.cx_api import SynthesisMessageLevel

    from infra.app_factory import create_app

    with tempfile.TemporaryDirectory(prefix="cdk.out.") as outdir:
        assembly = create_app(cdk_context(**overrides), environ={}, outdir=outdir).synth()
        templates = {stack.stack_name: stack.template for stack in assembly.stacks}
        warnings = {
            stack.stack_name: [
                str(message.entry.data) for message in stack.messages if message.level == SynthesisMessageLevel.WARNING
            ]
            for stack in assembly.stacks
        }
        return templates, warnings


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}


def our_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The functions built from our `functions` package; not CDK's own (the custom resource framework's, which only
    runs during a deploy and answers CloudFormation)."""
    return {
        key: value
        for key, value in resources(template, "AWS::Lambda::Function").items()
        if str(value["Properties"].get("Handler", "")).startswith("functions.")
    }


def function_by_handler(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (key, value)
        for key, value in resources(template, "AWS::Lambda::Function").items()
        if value["Properties"].get("Handler") == handler
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {len(matches)}"
    return matches[0]


def role_statements(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Every Allow/Deny statement attached to a role, inline default policy and managed policies alike."""
    statements: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    role = template["Resources"][role_logical_id]["Properties"]
    for managed in role.get("ManagedPolicyArns", []):
        if isinstance(managed, dict) and "Ref" in managed:
            statements += template["Resources"][managed["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def refers_to(value: Any, logical_id: str) -> bool:
    """Whether a (possibly intrinsic) CloudFormation value references `logical_id`."""
    return f'"{logical_id}"' in json.dumps(value)


@pytest.fixture(scope="module")
def dev() -> Iterator[dict[str, Any]]:
    yield synth_templates(stage="dev")["Switchboard-dev"]
