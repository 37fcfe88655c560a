"""End to end: provision a tenant and a widget key through the admin API, then the router answers a signed
`web.incoming` on that key's webhook URL (`/webhooks/{token}`) with the tenant's default profile, and
stops answering it once the key is rotated away."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from tests.fixtures.admin import Call
from tests.fixtures.apigw import signed_event, webhook_body


def test_provisioned_key_gets_the_default_profile_from_the_router(call: Call, lambda_context: Any) -> None:
    from functions.webhook.handler import lambda_handler as webhook

    # Given a tenant created with only a name, and a webhook-mode key for its pricing page
    status, _ = call("POST", "/admin/tenants", {"tenant_id": "bistro", "display_name": "Bistro Verde"})
    assert status == 201
    status, key = call(
        "POST", "/admin/tenants/bistro/keys", {"widget_id": "pricing", "allowed_domains": ["bistro.example"]}
    )
    assert status == 201
    path = urlsplit(key["webhook_url"]).path
    assert re.fullmatch(r"/webhooks/[A-Za-z0-9_-]{32}", path)
    assert "bistro" not in path

    # When ThunderPhone starts a widget session on that key
    body = webhook_body("web.incoming", call_id=4242, from_number="web", to_number="")
    result = webhook(signed_event(path, body), lambda_context)

    # Then the router answers with the default profile, rendered for the tenant
    answer = json.loads(result["body"])
    assert result["statusCode"] == 200
    assert answer["voice"] == "en-US-James1"
    assert answer["prompt"].startswith("You are the friendly voice assistant of Bistro Verde.")

    # And once the key is rotated, its new URL answers and the old one no longer does
    from functions.webhook.dependencies import deps

    status, rotated = call("POST", f"/admin/tenants/bistro/keys/{key['id']}/rotate")
    assert status == 201
    new_path = urlsplit(rotated["webhook_url"]).path
    deps.reset()  # the router caches routes and tenant config for CACHE_TTL_SECONDS
    result = webhook(signed_event(new_path, webhook_body("web.incoming", 4243, "web", "")), lambda_context)
    assert json.loads(result["body"])["voice"] == "en-US-James1"
    result = webhook(signed_event(path, webhook_body("web.incoming", 4244, "web", "")), lambda_context)
    assert result["statusCode"] == 404  # a retired route opens nothing (functions/webhook/handler.py)

    # And once the tenant is suspended, the router falls back ({}), as documented
    status, _ = call("PATCH", "/admin/tenants/bistro", {"version": 1, "status": "suspended"})
    assert status == 200
    deps.reset()
    result = webhook(signed_event(new_path, webhook_body("web.incoming", 4245, "web", "")), lambda_context)
    assert json.loads(result["body"]) == {}
