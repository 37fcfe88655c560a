"""The local HTTP front: a loopback server that speaks API Gateway HTTP API (payload v2) to the real Lambda
handlers (the webhook, the admin and tenant APIs, the console), with what API Gateway's JWT authorizer does for the
tenant API, and the local-only token issuer that stands in for Cognito's sign-in.

It stands on the test fixtures (tests/fixtures/): the same API Gateway events the tests use, so what runs here
is what the tests test. `make run` itself is local/run.py."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from local.sign_in import LocalSignIn, Response
from local.terminal import Served
from local.tokens import LocalTokens
from tests.fixtures.apigw import LambdaContext, to_event

__all__ = ["Handler", "make_request_handler", "one_at_a_time"]

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Observer = Callable[[Served], None]


def make_request_handler(
    routes: list[tuple[str, str, Handler]], observe: Observer | None = None
) -> type[BaseHTTPRequestHandler]:
    """The request handler class for `routes` (name, path prefix, Lambda handler); `observe`, when given, hears of
    each request once it is answered (the terminal's lines)."""

    class LambdaProxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

        def _dispatch(self) -> None:
            started = time.perf_counter()
            path = urlsplit(self.path).path
            route = next(((name, handler) for name, prefix, handler in routes if path.startswith(prefix)), None)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if route is None:
                self._send(404, {"content-type": "application/json"}, b'{"error":"not_found"}')
                if observe is not None:
                    observe(Served("other", self.command, path, 404, _ms(started), {}, body))
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
            status = int(result.get("statusCode", 200))
            self._send(status, result.get("headers") or {}, raw)
            if observe is not None:
                observe(Served(name, self.command, path, status, _ms(started), event, body))

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
            """Quiet: the handlers log every request as JSON already, and the observer tells the terminal."""

    return LambdaProxy


def one_at_a_time(handler: Handler) -> Handler:
    """A handler invoked as one Lambda container invokes it: one event at a time. The front serves each request on
    its own thread, and the Powertools resolvers of the admin and tenant APIs and the console keep the current
    event on the resolver itself, so two requests at once could each read the other's path. (The webhook needs no
    such lock: it keeps no request state outside the call, and its fairness is measured with concurrent calls.)"""
    lock = threading.Lock()

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            return handler(event, context)

    return handle


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


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


def sign_in_route(flow: LocalSignIn) -> Handler:
    """LOCAL ONLY: the sign-in flow (local/sign_in.py) at the paths of a Cognito domain under /local."""
    from local.sign_in import AUTHORIZE_PATH, REVOKE_PATH, TENANTS_PATH, TOKEN_PATH

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        http = event["requestContext"]["http"]
        method, path = http["method"], http["path"]
        body = event.get("body") or ""
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        if path == AUTHORIZE_PATH:
            answer = flow.authorize(method, event.get("rawQueryString") or "", raw)
        elif path == TOKEN_PATH:
            answer = flow.token(method, raw)
        elif path == REVOKE_PATH:
            answer = flow.revoke(method, raw)
        elif path == TENANTS_PATH and method == "GET":
            answer = flow.tenant_list()
        else:
            return _json(404, {"error": "not_found"})
        return _proxy(answer)

    return handle


def _proxy(answer: Response) -> dict[str, Any]:
    return {
        "statusCode": answer.status,
        "headers": answer.headers,
        "body": base64.b64encode(answer.body).decode(),
        "isBase64Encoded": True,
    }
