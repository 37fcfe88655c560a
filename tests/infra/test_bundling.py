"""The Lambda asset build: wheels for the Lambda runtime and architecture, not the build machine's."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import DockerImage

from infra.bundling import BundlingError, PipLocalBundler, pip_install_command, prune_runtime_provided


def test_pip_command_targets_lambda_platform_and_python() -> None:
    command = pip_install_command(python_version="3.14", platform="manylinux2014_aarch64")
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.14" in joined
    assert "--only-binary=:all:" in command
    assert command[command.index("--requirement") + 1].endswith("functions/requirements.txt")


def test_prune_drops_what_the_runtime_provides_keeps_the_rest(tmp_path: Path) -> None:
    for name in ("botocore", "boto3-1.0.dist-info", "pydantic", "aws_lambda_powertools", "dateutil"):
        (tmp_path / name).mkdir()
    (tmp_path / "six.py").write_text("")
    (tmp_path / "typing_extensions.py").write_text("")
    prune_runtime_provided(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aws_lambda_powertools", "pydantic", "typing_extensions.py"]


def _fake_pip(returncode: int) -> Any:
    """Stands in for pip only (it needs PyPI): records the call and drops a 'wheel' into --target."""
    calls: list[list[str]] = []

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        target = Path(command[command.index("--target") + 1])
        (target / "pydantic").mkdir()
        (target / "botocore").mkdir()
        return subprocess.CompletedProcess(command, returncode, stdout="", stderr="No matching distribution")

    run.calls = calls  # type: ignore[attr-defined]
    return run


def test_local_bundler_copies_package_and_installs_wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_pip(0)
    monkeypatch.setattr(subprocess, "run", fake)
    bundler = PipLocalBundler(python_version="3.14", platform="manylinux2014_aarch64")
    assert bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused")) is True
    assert (tmp_path / "functions" / "webhook" / "handler.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))
    assert (tmp_path / "pydantic").is_dir()
    assert not (tmp_path / "botocore").exists()
    (command,) = fake.calls
    assert command[command.index("--target") + 1] == str(tmp_path)


def test_local_bundler_failure_raises_with_pip_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", _fake_pip(1))
    bundler = PipLocalBundler(python_version="3.14", platform="manylinux2014_aarch64")
    with pytest.raises(BundlingError, match="No matching distribution"):
        bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused"))
