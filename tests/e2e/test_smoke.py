"""Smoke test against a deployed stage (run by the deploy workflow after `cdk deploy`).

    API_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/ PUBLIC_URL=https://calls.example.com/ \
    EDGE_PROTECTION=true EDGE_ORIGIN_CHECK=enforced SMOKE_SIGNING_SECRET=whsec_... \
    .venv/bin/python -m pytest tests/e2e -m e2e

API_URL is the stack output `ApiUrl` (the API's execute-api URL); PUBLIC_URL the output `PublicUrl` (the stable
base: the custom domain, CloudFront's name, or API_URL again). When PUBLIC_URL differs, every check also runs there,
over its own TLS certificate. EDGE_PROTECTION=true (the deploy workflow sets it when the stack has the output
`EdgeDistributionDomain`): a webhook call that skips CloudFront must be refused (403), or with EDGE_ORIGIN_CHECK
(the output `EdgeOriginCheck`) `report-only`, answered as any unsigned call.
SMOKE_SIGNING_SECRET is a secret that operators keep in the stage's signing-secrets list for this purpose only
(docs/deploy.md); without it the signed check is skipped and only the rejections are checked. The calls go to a
webhook URL nobody was given (a fresh random token), so the router answers 404 and nothing is read or stored for a
real tenant.
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


def _base(name: str) -> str:
    return (os.environ.get(name) or "").rstrip("/")


def public_base() -> str:
    """Where ThunderPhone's webhook URLs point: PUBLIC_URL when set, else API_URL."""
    return _base("PUBLIC_URL") or _base("API_URL")


def edge_protected() -> bool:
    return os.environ.get("EDGE_PROTECTION", "").strip().lower() in ("true", "1", "yes", "on")


def post(base: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path, data=body, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # verifies the host's certificate
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw


def call_incoming() -> bytes:
    payload = {
        "type": "call.incoming",
        "data": {"call_id": 1, "from_number": "+14155550100", "to_number": "+14155550101"},
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signed(body: bytes) -> dict[str, str]:
    secret = os.environ.get("SMOKE_SIGNING_SECRET")
    if not secret:
        pytest.skip("SMOKE_SIGNING_SECRET not set")
    return {"X-ThunderPhone-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_smoke_signed_webhook_to_a_guessed_url_is_404_on_the_public_url() -> None:
    body = call_incoming()
    status, answer = post(public_base(), UNKNOWN_PATH, body, signed(body))
    assert (status, answer) == (404, {"error": "not_found"})


def test_smoke_unsigned_webhook_never_gets_a_config() -> None:
    status, answer = post(public_base(), UNKNOWN_PATH, call_incoming())
    if os.environ.get("SMOKE_SIGNING_SECRET"):
        assert status == 401  # signing secrets are configured
    else:
        # 401, or `{}` while the stage has no signing secret yet (fallback: secrets_unavailable)
        assert status == 401 or (status == 200 and answer == {})


@pytest.mark.skipif(not edge_protected(), reason="EDGE_PROTECTION not set: nothing stands in front of the API")
def test_smoke_a_webhook_call_that_skips_cloudfront_is_refused() -> None:
    assert _base("PUBLIC_URL") and _base("PUBLIC_URL") != _base("API_URL")
    # Unsigned: the origin check runs before the signature, so no signing secret is needed to see it refuse
    status, answer = post(_base("API_URL"), UNKNOWN_PATH, call_incoming())
    closed = (403, {"message": "Forbidden"})  # API Gateway's own, with the execute-api host closed
    if os.environ.get("EDGE_ORIGIN_CHECK") == "report-only":  # only logged: refused by its signature instead
        assert (status, answer) == closed or status == 401 or (status == 200 and answer == {})
    else:
        assert (status, answer) in ((403, {"error": "forbidden"}), closed)


@pytest.mark.parametrize("which", ["API_URL", "PUBLIC_URL"])
def test_smoke_admin_api_requires_sigv4(which: str) -> None:
    base = _base(which)
    if not base or (which == "PUBLIC_URL" and base == _base("API_URL")):
        pytest.skip(f"{which} is not another host")
    status, _ = post(base, "/admin/tenants", b"{}")
    assert status == 403
