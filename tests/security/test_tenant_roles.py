"""A tenant viewer probes every write route of the tenant API with bodies that are wrong in every way (not JSON,
not UTF-8, nested past any parser, huge, of the wrong shape or media type): each answer must be the refusal of its
role, in words, whatever the body, since a viewer may learn nothing from how a write would have been validated.

The routes are discovered from the tenant API's own router (its OpenAPI document), so a route added later is
probed too. The only non-GET route a viewer may use is the preview, which changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.fixtures.tenant_api import tenant_api_transport
from tests.security.conftest import VICTIM

BASE = "https://abc123.execute-api.eu-west-1.amazonaws.com"
READS_WITH_A_BODY = {("POST", "/tenant/v1/simulate")}
JSON = {"content-type": "application/json"}

BAD_BODIES: dict[str, tuple[dict[str, str], bytes]] = {
    "not JSON": (JSON, b"{'prompt': 'hi'"),
    "not UTF-8": (JSON, b'{"prompt": "\xff\xfe"}'),
    "nested 5,000 deep": (JSON, b"[" * 5000 + b"]" * 5000),
    "a cell nested 5,000 deep": (JSON, json.dumps({"csv": "phone,variables\n+14155550100," + "[" * 5000}).encode()),
    "the wrong shape": (JSON, json.dumps({"prompt": 5, "priority": "first", "when": [], "timezone": {}}).encode()),
    "a list": (JSON, b"[]"),
    "unknown fields": (JSON, json.dumps({"status": "active", "phone_numbers": ["+14155550100"]}).encode()),
    "over 256 KiB": (JSON, json.dumps({"prompt": "x" * 300_000}).encode()),
    "form data": ({"content-type": "application/x-www-form-urlencoded"}, b"prompt=hi"),
    "no body": ({}, b""),
}


def write_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the tenant API that is not a read, path parameters filled in."""
    from functions.tenant_api.handler import app

    routes = []
    for template, item in (app.get_openapi_schema().paths or {}).items():
        for method in ("post", "put", "patch", "delete"):
            if getattr(item, method) is not None:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "1", template)))
    return sorted(route for route in routes if route not in READS_WITH_A_BODY)


def send(role: str, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    extra = {"if-match": '"1"'} if method in ("PUT", "PATCH", "DELETE") else {}
    status, _, out = tenant_api_transport(VICTIM, role)(method, BASE + path, headers | extra, body)
    return status, json.loads(out) if out else {}


def test_the_router_has_the_write_routes_a_tenant_admin_uses() -> None:
    routes = write_routes()
    assert ("POST", "/tenant/v1/draft/publish") in routes and ("PATCH", "/tenant/v1/settings") in routes
    assert len(routes) >= 10


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
def test_a_viewer_gets_the_refusal_of_its_role_on_every_write_route_whatever_the_body(
    bad: str, demo_tenant: str, tenant_api_env: dict[str, Any]
) -> None:
    headers, body = BAD_BODIES[bad]
    for method, path in write_routes():
        status, answer = send("viewer", method, path, headers, body)
        # Then the role is refused before the body is read, in words that say what to do instead
        assert (status, answer.get("error")) == (403, "forbidden"), (method, path, answer)
        assert "viewer" in answer["message"] and "ask" in answer["message"]
        assert answer.get("fields") == {}
        # and an admin sending the same is never refused for its role, nor answered with a server error
        status, answer = send("admin", method, path, headers, body)
        assert status < 500 and answer.get("error") != "forbidden", (method, path, answer)


def test_a_viewer_may_still_preview_since_a_preview_changes_nothing(
    demo_tenant: str, tenant_api_env: dict[str, Any]
) -> None:
    status, answer = send("viewer", "POST", "/tenant/v1/simulate", JSON, json.dumps({"channel": "web"}).encode())
    assert status == 200 and answer["config"] == "draft"
    status, answer = send("viewer", "POST", "/tenant/v1/simulate", JSON, json.dumps({"channel": "fax"}).encode())
    assert status == 422 and "channel" in answer["fields"]
