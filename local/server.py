"""`make run`: the real Lambda handlers behind a loopback HTTP server that speaks API Gateway HTTP API
(payload v2), with AWS emulated in-process by moto and the demo tenant seeded.

It stands on the test fixtures (tests/fixtures/): the same API Gateway events, fake ThunderPhone and
demo tenant the tests use, so what runs here is what the tests test."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from local import emulator
from local.examples import DEFAULT_SIGNING_SECRET, curl_command, sample_body
from local.tokens import LocalTokens
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import LambdaContext, to_event

DEFAULT_API_KEY = "sk_live_local_fake_key"
# Re-exported: the benchmarks and tests build their bodies and curls from here.
__all__ = ["DEFAULT_SIGNING_SECRET", "Handler", "curl_command", "main", "make_request_handler", "sample_body"]

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_request_handler(routes: list[tuple[str, str, Handler]]) -> type[BaseHTTPRequestHandler]:
    class LambdaProxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

        def _dispatch(self) -> None:
            path = urlsplit(self.path).path
            route = next(((name, handler) for name, prefix, handler in routes if path.startswith(prefix)), None)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if route is None:
                self._send(404, {"content-type": "application/json"}, b'{"error":"not_found"}')
                return
            headers: dict[str, str] = {}
            for key, value in self.headers.items():
                headers[key.lower()] = f"{headers[key.lower()]},{value}" if key.lower() in headers else value
            name, handler = route
            event = to_event(self.command, self.path, headers, body, self.client_address[0])
            context = LambdaContext(
                function_name=name, aws_request_id=event["requestContext"]["requestId"], remaining_ms=3000
            )
            result = handler(event, context)
            payload = result.get("body") or ""
            raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            self._send(int(result.get("statusCode", 200)), result.get("headers") or {}, raw)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the handlers log every request as JSON already."""

    return LambdaProxy


def tenant_api(tokens: LocalTokens) -> Handler:
    """The tenant API behind what API Gateway's JWT authorizer does in AWS: no verified token, 401 before the
    function runs; a verified one, its claims in the event."""
    from functions.tenant_api.handler import lambda_handler

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
        claims = tokens.claims(headers.get("authorization"))
        if claims is None:
            return _json(401, {"message": "Unauthorized"})  # API Gateway's own answer
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        response: dict[str, Any] = lambda_handler(event, context)
        return response

    return handle


def token_route(tokens: LocalTokens) -> Handler:
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["requestContext"]["http"]["method"] != "POST":
            return _json(405, {"error": "method_not_allowed", "message": "POST a tenant_id and a role", "fields": {}})
        body = event.get("body") or ""
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        return _json(*tokens.issue(raw))

    return handle


def _json(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def thunderphone_api(base_url: str) -> tuple[str, Any]:
    """The ThunderPhone API the local run talks to: $THUNDERPHONE_API_BASE with $THUNDERPHONE_API_KEY, or a
    fake that follows the documented contract. Returns the API key and the fake (None for a real API)."""
    from tests.fixtures.thunderphone import start_fake_thunderphone

    os.environ["WEBHOOK_BASE_URL"] = base_url  # keys' webhook_url point at this local run
    if os.environ.get("THUNDERPHONE_API_BASE"):
        api_key = os.environ.get("THUNDERPHONE_API_KEY", "")
        if not api_key:
            raise SystemExit("THUNDERPHONE_API_BASE is set: set THUNDERPHONE_API_KEY (sk_live_...) too")
        return api_key, None
    fake = start_fake_thunderphone(DEFAULT_API_KEY)
    os.environ["THUNDERPHONE_API_BASE"] = fake.base_url
    return DEFAULT_API_KEY, fake


def main() -> None:
    port = int(os.environ.get("PORT", "8787"))
    base_url = f"http://127.0.0.1:{port}"
    signing_secret = os.environ.get("THUNDERPHONE_WEBHOOK_SECRET") or DEFAULT_SIGNING_SECRET
    moto_server, aws_endpoint = emulator.start_moto()
    os.environ.update(emulator.function_environment())
    api_key, fake = thunderphone_api(base_url)
    tokens = emulator.provision(signing_secret=signing_secret, thunderphone_api_key=api_key)

    from functions.provisioning.handler import lambda_handler as admin_handler
    from functions.tenant_console.handler import lambda_handler as console_handler
    from functions.webhook.handler import lambda_handler as webhook_handler

    tenant_tokens = LocalTokens()
    routes: list[tuple[str, str, Handler]] = [
        ("webhook", "/webhooks", webhook_handler),
        ("provisioning", "/admin", admin_handler),
        ("tenant-api", "/tenant/v1", tenant_api(tenant_tokens)),
        ("local-tokens", "/local/tenant-token", token_route(tenant_tokens)),
        ("console", "/console", console_handler),  # the tenant console (docs/console.md); no authorizer in AWS either
    ]
    server = ThreadingHTTPServer(("127.0.0.1", port), make_request_handler(routes))
    web = sample_body(event_type="web.incoming", call_id=1001, from_number="web", to_number="")
    vip = sample_body(
        event_type="telephony.incoming", call_id=1002, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER
    )
    thunderphone = "a fake ThunderPhone API at " + fake.base_url if fake else os.environ["THUNDERPHONE_API_BASE"]
    print(
        f"""
Switchboard is running locally (AWS emulated by moto at {aws_endpoint}; {thunderphone}).

  Webhooks:  POST {base_url}/webhooks/{{token}}: every key and the org-level endpoint has its own
             unguessable URL (docs/security.md); the demo tenant's were drawn at start-up:
             key        {base_url}/webhooks/{tokens["key"]}
             pricing    {base_url}/webhooks/{tokens["pricing"]}   (its pricing-page widget)
             org-level  {base_url}/webhooks/{tokens["org"]}   (phone numbers decide the tenant)
  Outcomes:  *.complete and call.graded events are queued, then recorded in the calls table by the
             outcome recorder (polling its queue in the background, as Lambda's event source would).
  Decisions: each answer's log line carries its decision; the decision recorder writes it to the calls
             table within about a second (CloudWatch Logs' subscription does this in AWS).
  Admin API: {base_url}/admin/tenants ...  (LOCAL ONLY: no SigV4 here; IAM-authorised in AWS)
  Tenant API: {base_url}/tenant/v1/...  (Bearer tokens from {base_url}/local/tenant-token; Cognito in AWS)
  Console: {base_url}/console  (the tenant console; "Sign in as the demo admin" exists only locally)
  Tenant:    '{demo.TENANT_ID}' (Acme Dental, America/New_York), number {demo.DEMO_NUMBER}
  Signing secret: $THUNDERPHONE_WEBHOOK_SECRET (default '{DEFAULT_SIGNING_SECRET}')

A widget session on the demo tenant's pricing page:

  {curl_command(base_url, f"/webhooks/{tokens['pricing']}", web, signing_secret)}

A phone call from the VIP customer Jane Doe to the demo number (org-level endpoint):

  {curl_command(base_url, f"/webhooks/{tokens['org']}", vip, signing_secret)}

Onboard a tenant and give it a widget key; the key's webhook_url is its own new token URL (docs/provisioning.md):

  curl -sS {base_url}/admin/tenants -H 'Content-Type: application/json' \\
    --data-raw '{{"tenant_id":"globex","display_name":"Globex","timezone":"Europe/Paris"}}'
  curl -sS {base_url}/admin/tenants/globex/keys -H 'Content-Type: application/json' \\
    --data-raw '{{"name":"Main site","allowed_domains":["globex.example","*.globex.example"]}}'

Tenant API (docs/tenant-api.md), as the demo tenant's admin. LOCAL ONLY: tokens come from
/local/tenant-token here; in AWS tenant users sign in with Cognito.

  TOKEN=$(curl -sS {base_url}/local/tenant-token -H 'Content-Type: application/json' \
    --data-raw '{{"tenant_id":"{demo.TENANT_ID}","role":"admin"}}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -sS -i {base_url}/tenant/v1/settings -H "Authorization: Bearer $TOKEN"
  curl -sS {base_url}/tenant/v1/settings -X PATCH -H "Authorization: Bearer $TOKEN" -H 'If-Match: "1"' \
    -H 'Content-Type: application/json' \
    --data-raw '{{"variables":{{"company_name":"Acme Dental Care","city":"Brooklyn"}}}}'
  curl -sS {base_url}/tenant/v1/draft -H "Authorization: Bearer $TOKEN"
  curl -sS {base_url}/tenant/v1/draft/publish -X POST -H "Authorization: Bearer $TOKEN"
  .venv/bin/sbctl login --url {base_url}/tenant/v1 --local --tenant {demo.TENANT_ID} --role admin

Admin tooling against this run:  export AWS_ENDPOINT_URL={aws_endpoint} AWS_ACCESS_KEY_ID=local \\
  AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION={emulator.REGION} SWITCHBOARD_TABLE={emulator.TABLE_NAME} \\
  SWITCHBOARD_CALLS_TABLE={emulator.CALLS_TABLE_NAME}
  .venv/bin/sbctl --operator simulate --tenant {demo.TENANT_ID} --channel phone --caller {demo.VIP_CALLER}

Ctrl-C stops everything.
""",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    drainer = emulator.start_outcome_drainer()  # Lambda's SQS event source mapping, in AWS
    decisions = emulator.start_decision_subscription()  # the webhook log group's subscription, in AWS
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        drainer.stop()
        decisions.stop()
        if fake is not None:
            fake.stop()
        moto_server.stop()
