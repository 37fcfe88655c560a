"""The Lambda asset build: wheels for the Lambda runtime and architecture, not the build machine's."""

from __future__ import annotations

import shutil
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
    """Stands in for pip (it needs PyPI) and the runtime's compileall: records each call; pip drops a 'wheel' into
    --target, compileall a .pyc beside each module."""
    calls: list[list[str]] = []

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        if "compileall" in command:
            for module in Path(command[-1]).rglob("*.py"):
                (module.parent / "__pycache__").mkdir(exist_ok=True)
                (module.parent / "__pycache__" / f"{module.stem}.cpython-314.pyc").write_bytes(b"")
            return subprocess.CompletedProcess(command, 0, stdout="", stderr="")
        target = Path(command[command.index("--target") + 1])
        (target / "pydantic").mkdir()
        (target / "botocore").mkdir()
        return subprocess.CompletedProcess(command, returncode, stdout="", stderr="No matching distribution")

    run.calls = calls  # type: ignore[attr-defined]
    return run


@pytest.fixture
def runtime_interpreter(monkeypatch: pytest.MonkeyPatch) -> str:
    """This machine has the Lambda runtime's interpreter (python3.14), as the deploy workflow's runner does."""
    path = "/opt/python3.14/bin/python3.14"
    monkeypatch.setattr(shutil, "which", lambda name: path if name == "python3.14" else None)
    return path


@pytest.fixture
def no_runtime_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has no python3.14 (CI's check-only machine: Python 3.11 only)."""
    monkeypatch.setattr(shutil, "which", lambda _name: None)


def test_local_bundler_copies_package_installs_wheels_and_compiles_with_the_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_interpreter: str
) -> None:
    fake = _fake_pip(0)
    monkeypatch.setattr(subprocess, "run", fake)
    bundler = PipLocalBundler(python_version="3.14", platform="manylinux2014_aarch64")
    assert bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused")) is True
    assert (tmp_path / "functions" / "webhook" / "handler.py").is_file()
    assert (tmp_path / "functions" / "webhook" / "__pycache__" / "handler.cpython-314.pyc").is_file()
    assert (tmp_path / "pydantic").is_dir()
    assert not (tmp_path / "botocore").exists()
    pip, compileall = fake.calls
    assert pip[pip.index("--target") + 1] == str(tmp_path)
    assert compileall[0] == runtime_interpreter and "unchecked-hash" in compileall


def test_local_bundler_failure_raises_with_pip_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_interpreter: str
) -> None:
    monkeypatch.setattr(subprocess, "run", _fake_pip(1))
    bundler = PipLocalBundler(python_version="3.14", platform="manylinux2014_aarch64")
    with pytest.raises(BundlingError, match="No matching distribution"):
        bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused"))


def test_an_asset_without_bytecode_is_refused_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_runtime_interpreter: None
) -> None:
    # Given a machine without python3.14 and a synth that may deploy (no opt-out)
    fake = _fake_pip(0)
    monkeypatch.setattr(subprocess, "run", fake)
    bundler = PipLocalBundler(python_version="3.14", platform="manylinux2014_aarch64")
    # When the asset is bundled, Then it fails loudly, saying what to install and naming the check-only opt-out
    with pytest.raises(BundlingError, match=r"python3\.14 is not on PATH.*allowAssetWithoutBytecode=true"):
        bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused"))
    assert fake.calls == []


def test_a_check_only_synth_may_bundle_without_bytecode_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_runtime_interpreter: None, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(subprocess, "run", _fake_pip(0))
    bundler = PipLocalBundler(python_version="3.14", platform="manylinux2014_aarch64", allow_without_bytecode=True)
    assert bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused")) is True
    assert not list(tmp_path.rglob("*.pyc"))
    assert "never deploy it" in capsys.readouterr().err
