"""The console Lambda: the page and its hashed assets, with the security headers on every answer."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from functions.tenant_console import handler
from functions.tenant_console.assets import STATIC_DIR, load_bundle
from functions.tenant_console.models import ConsoleSettings
from tests.fixtures.apigw import LambdaContext, to_event

COGNITO = {
    "CONSOLE_AUTH": "cognito",
    "COGNITO_DOMAIN": "https://switchboard-console-dev.auth.eu-west-1.amazoncognito.com",
    "COGNITO_CLIENT_ID": "4example0client0id0abcdef12",
}


@pytest.fixture
def console_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The console with CONSOLE_AUTH=local unless a test sets the cognito settings."""
    for name in ("CONSOLE_AUTH", "COGNITO_DOMAIN", "COGNITO_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONSOLE_AUTH", "local")
    handler.reset()
    yield {"CONSOLE_AUTH": "local"}
    handler.reset()


def get(path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    event = to_event(method, path, {}, b"", "127.0.0.1")
    response: dict[str, Any] = handler.lambda_handler(event, LambdaContext())
    body = base64.b64decode(response["body"]) if response.get("isBase64Encoded") else response["body"].encode()
    return response["statusCode"], {k.lower(): v for k, v in response["headers"].items()}, body


def page_config(body: bytes) -> dict[str, Any]:
    match = re.search(rb'<script type="application/json" id="config">(.*?)</script>', body, re.S)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def assert_security_headers(headers: dict[str, str]) -> None:
    csp = headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_console_page_is_no_store_with_strict_csp_and_local_buttons(console_env: dict[str, str], path: str) -> None:
    status, headers, body = get(path)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert headers["cache-control"] == "no-store"
    assert_security_headers(headers)
    assert "connect-src 'self';" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # plain HTTP on loopback in `make run`
    assert b"Sign in as the demo admin" in body and b"Local run only" in body and b'id="sign-in-tenant"' in body
    assert page_config(body)["auth"] == {"mode": "local", "tenantId": "demo"}


def test_console_page_has_no_inline_script(console_env: dict[str, str]) -> None:
    _, _, body = get("/console")
    scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", body, re.S)
    assert scripts
    for attributes, content in scripts:
        if b'type="application/json"' in attributes:
            continue  # data, never executed
        assert b"src=" in attributes and not content.strip()
    assert not re.search(rb"<[^>]*\son[a-z]+\s*=", body, re.I)  # no inline event handlers
    assert b"javascript:" not in body.lower()


def test_console_assets_are_hashed_immutable_and_typed(console_env: dict[str, str]) -> None:
    _, _, page = get("/console")
    urls = re.findall(rb'(?:src|href)="(/console/assets/[^"]+)"', page)
    assert {url.rsplit(b"/", 1)[-1] for url in urls} == {b"app.js", b"styles.css"}
    digest = load_bundle().digest
    for url in urls:
        status, headers, body = get(url.decode())
        assert status == 200 and body
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert_security_headers(headers)
        assert url.decode().startswith(f"/console/assets/{digest}/")
    # the modules app.js imports sit under the same hash
    status, headers, _ = get(f"/console/assets/{digest}/api.js")
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    [
        "/console/assets/0000000000/app.js",  # another deploy's hash
        "/console/assets/{digest}/nope.js",
        "/console/assets/{digest}/index.html",  # the template is only ever served as the page
        "/console/assets/{digest}/../models.py",
        "/console/anything",
    ],
)
def test_console_unknown_paths_are_404_with_headers(console_env: dict[str, str], path: str) -> None:
    status, headers, _ = get(path.format(digest=load_bundle().digest))
    assert status == 404
    assert headers["cache-control"] == "no-store"
    assert_security_headers(headers)


def test_console_refuses_writes(console_env: dict[str, str]) -> None:
    status, headers, _ = get("/console", method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_console_in_cognito_mode_has_no_local_buttons_and_allows_only_its_cognito_domain(
    console_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in COGNITO.items():
        monkeypatch.setenv(name, value)
    handler.reset()
    status, headers, body = get("/console")
    assert status == 200
    assert b"demo admin" not in body and b"/local/tenant-token" not in body and b"sign-in-local" not in body
    assert b"sign-in-tenant" not in body and b"Local run only" not in body
    assert b'id="sign-in-cognito"' in body
    csp = headers["content-security-policy"]
    assert f"connect-src 'self' {COGNITO['COGNITO_DOMAIN']};" in csp
    assert f"form-action 'self' {COGNITO['COGNITO_DOMAIN']};" in csp
    assert headers["strict-transport-security"].startswith("max-age=")
    auth = page_config(body)["auth"]
    assert auth == {
        "mode": "cognito",
        "domain": COGNITO["COGNITO_DOMAIN"],
        "clientId": COGNITO["COGNITO_CLIENT_ID"],
        "scopes": "openid email",
    }


def test_console_page_holds_no_secret(console_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given secrets in the function's environment (they are never there, but if they were)
    monkeypatch.setenv("THUNDERPHONE_WEBHOOK_SECRET", "whsec_must_not_leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-must-not-leak")
    for name, value in COGNITO.items():
        monkeypatch.setenv(name, value)
    handler.reset()
    _, _, body = get("/console")
    # Then the page carries only what the settings model names: no secret, no key
    assert b"must-not-leak" not in body and b"must_not_leak" not in body
    assert not re.search(rb"secret|whsec_|sk_live_|password", body, re.I)
    for path in sorted(STATIC_DIR.iterdir()):
        assert not re.search(rb"whsec_|sk_live_|AKIA[0-9A-Z]{16}", path.read_bytes())


def test_console_config_cannot_break_out_of_its_script_element() -> None:
    settings = ConsoleSettings(CONSOLE_AUTH="local", TENANT_API_BASE="/tenant/v1")
    html = load_bundle().page(settings)
    assert html.count(b"</script>") == 2  # the JSON block's and app.js's, nothing injected


@pytest.mark.parametrize(
    "env",
    [
        {"CONSOLE_AUTH": "cognito"},
        {"CONSOLE_AUTH": "cognito", "COGNITO_DOMAIN": "http://plain.example", "COGNITO_CLIENT_ID": "abc"},
        {"CONSOLE_AUTH": "cognito", "COGNITO_DOMAIN": "https://x.example; script-src *", "COGNITO_CLIENT_ID": "abc"},
        {"CONSOLE_AUTH": "cognito", "COGNITO_DOMAIN": "https://x.example/path", "COGNITO_CLIENT_ID": "abc"},
        {"CONSOLE_AUTH": "cognito", "COGNITO_DOMAIN": COGNITO["COGNITO_DOMAIN"]},
        {"CONSOLE_AUTH": "other"},
    ],
)
def test_console_settings_refuse_an_incomplete_or_unsafe_cognito_setup(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"CONSOLE_AUTH|COGNITO|validation"):
        ConsoleSettings.model_validate(env)
