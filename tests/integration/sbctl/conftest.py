"""Run sbctl in-process: operator mode against the moto tables of tests/conftest.py (`sbctl`), tenant mode
against the real tenant API handler in-process (`tenant_sbctl`)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbctl.cli import main
from tests.fixtures.aws import TABLE_NAME
from tests.fixtures.tenant_api import tenant_api_env, tenant_api_transport

__all__ = ["tenant_api_env"]  # the tenant API's environment over moto (a fixture of tests/fixtures/tenant_api.py)


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
        code = main(["--operator", "--table", TABLE_NAME, "--actor", actor, *argv], out=out, err=err, clients=clients)
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
            path.write_text(json.dumps(data))
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        return str(path)

    return save


# ------------------------------------------------------------------------------------------ tenant mode

API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/tenant/v1"


def jwt(tenant_id: str, role: str) -> str:
    """A token shaped like a Cognito ID token. Unsigned: sbctl only reads it (whoami, messages); the in-process
    transport hands the handler the claims API Gateway's authorizer would have verified."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": f"{role}-1", "custom:tenant_id": tenant_id, "cognito:groups": f"[tenant-{role}]"}
    return f"{part({'alg': 'none'})}.{part(claims)}.unsigned"


TenantSbctl = Callable[..., Result]


@pytest.fixture
def tenant_sbctl(
    demo_tenant: str, tenant_api_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> TenantSbctl:
    """sbctl in tenant mode against the real tenant API handler in-process, over the demo tenant (published
    as version 1). `tenant=None` sends no verified claims, as API Gateway would for a missing token."""
    for name in ("SBCTL_MODE", "SWITCHBOARD_TABLE", "SWITCHBOARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SWITCHBOARD_API_URL", API_URL)

    def run(*argv: str, role: str = "admin", tenant: str | None = demo_tenant) -> Result:
        if tenant is None:
            monkeypatch.setenv("SWITCHBOARD_TOKEN", "expired-or-forged")
        else:
            monkeypatch.setenv("SWITCHBOARD_TOKEN", jwt(tenant, role))
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err, transport=tenant_api_transport(tenant, role))
        return Result(code, out.getvalue(), err.getvalue())

    return run
