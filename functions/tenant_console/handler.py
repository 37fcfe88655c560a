"""Lambda entry point of the tenant console: `functions.tenant_console.handler.lambda_handler`.

Routes (API Gateway HTTP API, payload v2, no authorizer: the page holds no data; every read goes to the tenant
API with the user's token):
    GET /console, GET /console/                  the page (Cache-Control: no-store)
    GET /console/assets/<bundle hash>/<file>     the static bundle (a year, immutable); another hash: 404

Every answer carries the security headers (a strict Content-Security-Policy, nosniff, no referrer, and HSTS when
served by AWS, i.e. with Cognito sign-in).
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.observability import logger
from functions.common.settings import load_settings
from functions.tenant_console.assets import ASSETS_PREFIX, Bundle, load_bundle
from functions.tenant_console.models import ConsoleSettings

PAGE_PATHS = ("/console", "/console/")
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def settings() -> ConsoleSettings:
    return load_settings(ConsoleSettings)


@cache
def bundle() -> Bundle:
    return load_bundle()


@cache
def page() -> bytes:
    return bundle().page(settings())


def reset() -> None:
    """Forget the settings and the bundle (tests change the environment)."""
    for cached in (settings, bundle, page):
        cached.cache_clear()


def content_security_policy(config: ConsoleSettings) -> str:
    cognito = f" {config.COGNITO_DOMAIN}" if config.CONSOLE_AUTH == "cognito" else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{cognito}; form-action 'self'{cognito}; frame-ancestors 'none'; base-uri 'none'"
    )


def security_headers(config: ConsoleSettings) -> dict[str, str]:
    headers = {
        "content-security-policy": content_security_policy(config),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "x-frame-options": "DENY",
    }
    if config.CONSOLE_AUTH == "cognito":  # served by API Gateway over HTTPS; `make run` is plain HTTP on loopback
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return headers


def _answer(status: int, content_type: str, body: bytes, cache_control: str) -> dict[str, Any]:
    headers = security_headers(settings()) | {"content-type": content_type, "cache-control": cache_control}
    return {
        "statusCode": status,
        "headers": headers,
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _not_found() -> dict[str, Any]:
    return _answer(404, "text/plain; charset=utf-8", b"not found\n", "no-store")


def respond(method: str, path: str) -> dict[str, Any]:
    if method not in ("GET", "HEAD"):
        answer = _answer(405, "text/plain; charset=utf-8", b"method not allowed\n", "no-store")
        answer["headers"]["allow"] = "GET, HEAD"
        return answer
    if path in PAGE_PATHS:
        return _answer(200, "text/html; charset=utf-8", page(), "no-store")
    if path.startswith(ASSETS_PREFIX):
        digest, _, name = path.removeprefix(ASSETS_PREFIX).partition("/")
        current = bundle()
        asset = current.assets.get(name) if digest == current.digest else None
        if asset is not None:
            return _answer(200, asset.content_type, asset.body, IMMUTABLE)
    return _not_found()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    return respond(str(http.get("method", "GET")).upper(), str(event.get("rawPath") or http.get("path") or ""))
