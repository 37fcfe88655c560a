"""The Lambda code asset: the `functions` package plus its pinned wheels, built without Docker.

Every function ships the same asset (handlers differ only by handler string), so it is bundled
once per synth. The local bundler copies `functions/` and runs
`pip install -r functions/requirements.txt --platform manylinux2014_<arch> --only-binary=:all:
--python-version <runtime>` into the asset, so the wheels match the Lambda runtime whatever the
build machine. Tests skip bundling (context `aws:cdk:bundling-stacks: []`); CDK then hashes the
source and synth stays hermetic and fast.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"

# Never part of the asset (and never part of its hash): caches that running tests creates.
EXCLUDE = ["**/__pycache__", "**/*.pyc", "**/.mypy_cache", "**/.pytest_cache", "**/.ruff_cache"]

# Distributions the Lambda Python runtime already provides; pip pulls them in through
# aws-xray-sdk -> botocore, and dropping them keeps the zip (and cold start download) small.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "python_dateutil", "urllib3", "six")


class BundlingError(RuntimeError):
    """pip could not produce the wheels for the target runtime; the message carries pip's output."""


@jsii.implements(ILocalBundling)
class PipLocalBundler:
    """Builds the asset on the build machine: no Docker. jsii calls `try_bundle(output_dir, **options)`."""

    def __init__(self, *, python_version: str, platform: str) -> None:
        self.python_version = python_version
        self.platform = platform

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        out = Path(output_dir)
        shutil.copytree(FUNCTIONS_DIR, out / "functions", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        command = [
            *pip_install_command(python_version=self.python_version, platform=self.platform),
            "--target",
            str(out),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BundlingError(f"pip install for the Lambda asset failed:\n{result.stdout}\n{result.stderr}")
        prune_runtime_provided(out)
        compile_bytecode(out, self.python_version)
        return True


def pip_install_command(*, python_version: str, platform: str) -> list[str]:
    """The pip command that fetches wheels for the Lambda runtime and architecture (not the host's)."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--requirement",
        str(REQUIREMENTS),
        "--platform",
        platform,
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--no-compile",
        "--quiet",
        "--disable-pip-version-check",
    ]


def compile_bytecode(target: Path, python_version: str) -> bool:
    """Ship bytecode when the build machine has the runtime's interpreter (`python3.14` on PATH; the deploy
    workflow installs it): /var/task is read-only, so without it every cold start compiles pydantic, Powertools
    and our code from source again. `unchecked-hash` pycs are used without looking at the source's mtime, which
    the asset zip does not keep. Without that interpreter the asset is still correct, only slower to start."""
    interpreter = shutil.which(f"python{python_version}")
    if interpreter is None:
        return False
    command = [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(target)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"compiling the Lambda asset's bytecode failed:\n{result.stdout}\n{result.stderr}")
    return True


def prune_runtime_provided(target: Path) -> None:
    for entry in target.iterdir():
        name = entry.name.split("-")[0] if entry.name.endswith(".dist-info") else entry.name.removesuffix(".py")
        if name.lower() not in PROVIDED_BY_RUNTIME:
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def function_code(*, runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> lambda_.Code:
    """One `Code` for every function: CDK stages the asset once and every function points at it."""
    python_version = runtime.name.removeprefix("python")
    platform = "manylinux2014_aarch64" if architecture.name == "arm64" else "manylinux2014_x86_64"
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        exclude=EXCLUDE,
        bundling=BundlingOptions(
            # Only used if the local bundler declined, which it never does: it builds or raises.
            image=DockerImage.from_registry("local-bundling-only"),
            local=PipLocalBundler(python_version=python_version, platform=platform),
        ),
    )
