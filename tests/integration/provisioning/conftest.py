"""The provisioning Lambda against moto (the `aws` fixture) and the fake ThunderPhone API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fixtures.apigw import admin_event
from tests.fixtures.aws import API_KEY_SECRET_NAME, SIGNING_SECRET_NAME, TABLE_NAME
from tests.fixtures.thunderphone import FakeThunderPhone, start_fake_thunderphone

API_KEY = "sk_live_test_0123456789abcdef"
WEBHOOK_BASE = "https://hooks.example.test"

Call = Callable[..., tuple[int, Any]]


@pytest.fixture
def fake_thunderphone() -> Iterator[FakeThunderPhone]:
    fake = start_fake_thunderphone(API_KEY)
    yield fake
    fake.stop()


@pytest.fixture
def provisioning_env(
    aws: dict[str, Any], fake_thunderphone: FakeThunderPhone, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    from functions.provisioning.dependencies import deps

    aws["secretsmanager"].create_secret(Name=API_KEY_SECRET_NAME, SecretString=API_KEY)
    env = {
        "TABLE_NAME": TABLE_NAME,
        "THUNDERPHONE_API_KEY_SECRET_NAME": API_KEY_SECRET_NAME,
        "SIGNING_SECRET_NAME": SIGNING_SECRET_NAME,
        "THUNDERPHONE_API_BASE": fake_thunderphone.base_url,
        "WEBHOOK_BASE_URL": WEBHOOK_BASE,
        "THUNDERPHONE_TIMEOUT_MS": "400",
        "THUNDERPHONE_MAX_RETRIES": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    deps.reset()
    yield aws
    deps.reset()


@pytest.fixture
def call(provisioning_env: dict[str, Any], lambda_context: Any) -> Call:
    """Invoke the provisioning Lambda with an API Gateway v2 event; returns (status, parsed body)."""
    from functions.provisioning.handler import lambda_handler

    def invoke(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        result = lambda_handler(admin_event(method, path, body, headers), lambda_context)
        text = result.get("body") or ""
        return int(result["statusCode"]), json.loads(text) if text else None

    return invoke


@pytest.fixture
def tenant(call: Call) -> str:
    status, body = call("POST", "/admin/tenants", {"tenant_id": "acme", "display_name": "Acme Dental"})
    assert status == 201, body
    return "acme"
