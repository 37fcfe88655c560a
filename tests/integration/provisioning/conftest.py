"""The provisioning Lambda against moto (the `aws` fixture) and a fake ThunderPhone API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.fake_thunderphone import FakeThunderPhone, start_fake_thunderphone
from tests.conftest import SIGNING_SECRET_NAME, TABLE_NAME

API_KEY = "sk_live_test_0123456789abcdef"
API_KEY_SECRET_NAME = "switchboard/thunderphone-api-key"
WEBHOOK_BASE = "https://hooks.example.test"

Call = Callable[..., tuple[int, Any]]


@pytest.fixture
def fake_thunderphone() -> Iterator[FakeThunderPhone]:
    fake = start_fake_thunderphone(API_KEY)
    yield fake
    fake.stop()


def _clear_factories() -> None:
    from functions.provisioning import handler

    for factory in (
        handler.get_settings,
        handler.get_dynamodb,
        handler.get_secretsmanager,
        handler.get_api_key,
        handler.get_thunderphone,
        handler.get_key_store,
        handler.get_signing_secrets,
    ):
        factory.cache_clear()


@pytest.fixture
def provisioning_env(
    aws: dict[str, Any], fake_thunderphone: FakeThunderPhone, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
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
    _clear_factories()
    yield aws
    _clear_factories()


def admin_event(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    from local.server import to_event

    raw = b"" if body is None else json.dumps(body).encode()
    all_headers = {"content-type": "application/json", "host": "abc123.execute-api.eu-west-1.amazonaws.com"}
    return to_event(method, path, all_headers | (headers or {}), raw, "10.0.0.1")


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
