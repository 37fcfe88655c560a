"""The Lambda code asset: the `functions` package plus its pinned wheels, built without Docker.

Every function ships the same asset (handlers differ only by handler string), so it is bundled
once per synth. The local bundler copies `functions/` and runs
`pip install -r functions/requirements.txt --platform manylinux2014_<arch> --only-binary=:all:
--python-version <runtime>` into the asset, so the wheels match the Lambda runtime whatever the
build machine. Tests skip bundling (context `aws:cdk:bundling-stacks: []`); CDK then hashes the
source and synth stays hermetic and fast.

The asset must ship bytecode compiled by the runtime's own interpreter (`python3.14`; the deploy workflow installs
it): /var/task is read-only, so without it every cold start compiles pydantic, Powertools and our code again. A
bundle without that interpreter fails, unless the synth only checks templates and says so
(`allowAssetWithoutBytecode`, which `make synth` and `make cfn-lint` pass and `make deploy`, `make diff` and the
deploy workflow never do).
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


# The context key of the explicit opt-out (infra/config.py `allow_asset_without_bytecode`).
WITHOUT_BYTECODE_CONTEXT = "allowAssetWithoutBytecode"


class BundlingError(RuntimeError):
    """The asset cannot be built as it must ship: pip failed (the message carries its output), or the runtime's
    interpreter is missing for the bytecode."""


@jsii.implements(ILocalBundling)
class PipLocalBundler:
    """Builds the asset on the build machine: no Docker. jsii calls `try_bundle(output_dir, **options)`."""

    def __init__(self, *, python_version: str, platform: str, allow_without_bytecode: bool = False) -> None:
        self.python_version = python_version
        self.platform = platform
        self.allow_without_bytecode = allow_without_bytecode

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        if bytecode_interpreter(self.python_version) is None and not self.allow_without_bytecode:
            raise BundlingError(
                f"python{self.python_version} is not on PATH, so the Lambda asset would ship without bytecode and "
                "every cold start would compile its modules again. Install Python "
                f"{self.python_version} (the deploy workflow does), or, for a synth that only checks templates, "
                f"pass -c {WITHOUT_BYTECODE_CONTEXT}=true (never for a deploy)."
            )
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
        if not compile_bytecode(out, self.python_version):
            print(  # noqa: T201 - the CDK CLI shows a bundler's output; this synth is for checking only
                f"WARNING: the Lambda asset has no bytecode (no python{self.python_version}; "
                f"{WITHOUT_BYTECODE_CONTEXT}): check this synth's templates, never deploy it",
                file=sys.stderr,
            )
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


def bytecode_interpreter(python_version: str) -> str | None:
    """The runtime's interpreter on this machine (`python3.14`), which alone compiles bytecode the runtime loads."""
    return shutil.which(f"python{python_version}")


def compile_bytecode(target: Path, python_version: str) -> bool:
    """Compile the asset's bytecode with the runtime's interpreter; False when it is not on PATH. `unchecked-hash`
    pycs are used without looking at the source's mtime, which the asset zip does not keep."""
    interpreter = bytecode_interpreter(python_version)
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


def runtime_version(runtime: lambda_.Runtime) -> str:
    return runtime.name.removeprefix("python")


def function_code(
    *, runtime: lambda_.Runtime, architecture: lambda_.Architecture, allow_without_bytecode: bool = False
) -> lambda_.Code:
    """One `Code` for every function: CDK stages the asset once and every function points at it."""
    python_version = runtime_version(runtime)
    platform = "manylinux2014_aarch64" if architecture.name == "arm64" else "manylinux2014_x86_64"
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        exclude=EXCLUDE,
        bundling=BundlingOptions(
            # Only used if the local bundler declined, which it never does: it builds or raises.
            image=DockerImage.from_registry("local-bundling-only"),
            local=PipLocalBundler(
                python_version=python_version, platform=platform, allow_without_bytecode=allow_without_bytecode
            ),
        ),
    )
