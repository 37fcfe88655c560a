"""Run sbctl in-process against the moto tables of tests/conftest.py."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbctl.cli import main
from tests.fixtures.aws import TABLE_NAME


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def yaml(self) -> Any:
        return yaml.safe_load(self.out)


Sbctl = Callable[..., Result]


@pytest.fixture
def sbctl(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Sbctl:
    monkeypatch.delenv("SWITCHBOARD_TABLE", raising=False)

    def run(*argv: str, actor: str = "alice", clients: dict[str, Any] | None = None) -> Result:
        """`clients=None` shares the fixture's client (building one per call costs ~0.2 s);
        `clients={}` makes sbctl build its own from the flags and environment."""
        if clients is None:
            clients = {"dynamodb": aws["dynamodb"]}
        out, err = io.StringIO(), io.StringIO()
        code = main(["--table", TABLE_NAME, "--actor", actor, *argv], out=out, err=err, clients=clients)
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], str]:
    """Write `data` as YAML (or JSON for *.json names) and return the path."""

    def save(name: str, data: Any) -> str:
        path = tmp_path / name
        if isinstance(data, str):
            path.write_text(data)
        elif name.endswith(".json"):
            import json

            path.write_text(json.dumps(data))
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        return str(path)

    return save
