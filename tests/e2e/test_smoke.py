"""Smoke test against a deployed stage (run by the deploy workflow after `cdk deploy`).

    API_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/ \
    SMOKE_SIGNING_SECRET=whsec_... .venv/bin/python -m pytest tests/e2e -m e2e

API_URL is the stack output `ApiUrl`. SMOKE_SIGNING_SECRET is a secret that operators keep in the
stage's signing-secrets list for this purpose only (docs/deploy.md); without it the signed check
is skipped and only the rejections are checked. The calls go to a webhook URL nobody was given (a
fresh random token), so the router answers 404 and nothing is read or stored for a real tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import urllib.error
import urllib.request
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("API_URL"), reason="API_URL not set: no deployed stage to test"),
]

TIMEOUT_S = 10
# A capability URL nobody was given: proves the webhook verifies and refuses guessed URLs.
UNKNOWN_PATH = f"/webhooks/{secrets.token_urlsafe(24)}"


def post(path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    url = os.environ["API_URL"].rstrip("/") + path
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def call_incoming() -> bytes:
    payload = {
        "type": "call.incoming",
        "data": {"call_id": 1, "from_number": "+14155550100", "to_number": "+14155550101"},
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def test_smoke_signed_webhook_to_a_guessed_url_is_404() -> None:
    secret = os.environ.get("SMOKE_SIGNING_SECRET")
    if not secret:
        pytest.skip("SMOKE_SIGNING_SECRET not set")
    body = call_incoming()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    status, answer = post(UNKNOWN_PATH, body, {"X-ThunderPhone-Signature": signature})
    assert (status, answer) == (404, {"error": "not_found"})


def test_smoke_unsigned_webhook_never_gets_a_config() -> None:
    status, answer = post(UNKNOWN_PATH, call_incoming())
    if os.environ.get("SMOKE_SIGNING_SECRET"):
        assert status == 401  # signing secrets are configured
    else:
        # 401, or `{}` while the stage has no signing secret yet (fallback: secrets_unavailable)
        assert status == 401 or (status == 200 and answer == {})


def test_smoke_admin_api_requires_sigv4() -> None:
    status, _ = post("/admin/tenants", b"{}")
    assert status == 403
