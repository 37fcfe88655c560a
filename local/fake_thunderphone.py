"""A fake ThunderPhone REST API for `make run` and the tests, following shared/thunderphone-api.md.

It implements only the documented contract, and rejects what ThunderPhone rejects:
    GET  /v1/healthz                                  {"ok": true}, no auth
    GET|POST /v1/publishable-key                      list (a JSON array) / create (201)
    GET|PATCH|DELETE /v1/publishable-key/{id}         retrieve / update / deactivate (204, is_active=false)
    GET|POST /v1/developer/webhook-endpoints          list / create (201, the `secret` shown once)
    PATCH|DELETE /v1/developer/webhook-endpoints/{id}
    GET  /v1/calls                                    limit/offset, direction, start_date, end_date;
                                                      {"total": n, "results": [...]} (key names UNCONFIRMED)
    GET  /v1/calls/{call_id}
Everything but healthz needs `Authorization: Bearer <api key>` (401 otherwise). Unknown body fields,
a missing agent_id (agent mode) or webhook_url (webhook mode), empty allowed_domains and bare `*` /
`*.*` domains are 400s with DRF-style bodies (`{"detail": ...}` or `{"field": ["message"]}`).

Fault hooks for tests: `fail_next(status, times)` answers the next requests with that status before
doing anything; `delay_next(seconds)` does the work, then waits before answering (a response lost
to a client timeout after ThunderPhone acted).

Run alone:  python -m local.fake_thunderphone --port 8788 [--api-key sk_live_...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from functions.common.thunderphone import WEBHOOK_EVENT_TYPES

DEFAULT_API_KEY = "sk_live_local_fake_key"
KEY_CREATE_FIELDS = frozenset({"name", "mode", "agent_id", "webhook_url", "allowed_domains"})
# PATCH: name / allowed domains / mode (documented) and the is_enabled toggle (how it is set is UNCONFIRMED).
KEY_PATCH_FIELDS = KEY_CREATE_FIELDS | {"is_enabled"}
ENDPOINT_CREATE_FIELDS = frozenset({"label", "url", "events"})
ENDPOINT_PATCH_FIELDS = ENDPOINT_CREATE_FIELDS | {"status"}
CALLS_MAX_LIMIT = 100  # ThunderPhone's maximum is UNCONFIRMED; larger values are clamped, DRF style
CALLS_DEFAULT_LIMIT = 50
_CALL_ID = re.compile(r"^/v1/calls/(\d+)$")
_KEY_ID = re.compile(r"^/v1/publishable-key/(\d+)$")
_ENDPOINT_ID = re.compile(r"^/v1/developer/webhook-endpoints/([0-9a-f-]{36})$")


class ApiError(Exception):
    def __init__(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: int | None
    method: str | None


@dataclass
class FakeThunderPhone:
    """State and fault hooks; `base_url` ends in /v1. Thread-safe (the server is threaded)."""

    api_key: str
    keys: dict[int, dict[str, Any]] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    base_url: str = ""
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _faults: list[_Fault] = field(default_factory=list)
    _delays: list[float] = field(default_factory=list)
    _next_key_id: int = 1001
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # ------------------------------------------------------------ test hooks

    def fail_next(
        self, status: int, times: int = 1, *, retry_after: int | None = None, method: str | None = None
    ) -> None:
        """Answer the next `times` API requests (of `method`, if given) with `status`, changing nothing."""
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, method))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Do the next requests' work, then wait `seconds` before answering."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def add_call(self, **fields: Any) -> dict[str, Any]:
        """Add a call object (documented fields; defaults for the rest) and return it."""
        with self._lock:
            call_id = fields.pop("call_id", None) or 900_000 + len(self.calls) + 1
            start = fields.pop("start_time", None) or _now()
            call: dict[str, Any] = {
                "call_id": call_id,
                "agent_id": None,
                "direction": "inbound",
                "from_number": "+14155550199",
                "to_number": "+15551234567",
                "start_time": start,
                "end_time": start,
                "duration_seconds": 0,
                "status": "completed",
                "end_reason": "caller_hangup",
                "recording_url": None,
                "is_test_call": False,
                "product": "spark",
                "voice": "en-US-James1",
                "billable_minutes": 0,
                "billing_total_cents": 0,
                "billed_at": None,
                "grade_score": None,
                "grade_status": None,
                "grade_updated_at": None,
                "issue_count": 0,
                "critical_issue_count": 0,
            }
            call.update(fields)
            self.calls.append(call)
            return call

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for entry in self.requests if entry == (method, path))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ------------------------------------------------------------ dispatch

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str], float]:
        """(status, JSON body or None, extra headers, seconds to wait before answering)."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        with self._lock:
            self.requests.append((method, path))
        if method == "GET" and path == "/v1/healthz":
            return 200, {"ok": True}, {}, 0.0
        try:
            self._authenticate(headers)
            fault = self._take_fault(method)
            if fault is not None:
                raise fault
            with self._lock:
                status, payload = self._route(method, path, parse_qs(parts.query), body)
                delay = self._delays.pop(0) if self._delays else 0.0
        except ApiError as exc:
            return exc.status, exc.body, exc.headers, 0.0
        return status, payload, {}, delay

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not value:
            raise ApiError(401, {"detail": "Authentication credentials were not provided."})
        scheme, _, token = value.partition(" ")
        if scheme != "Bearer" or not secrets.compare_digest(token.encode(), self.api_key.encode()):
            raise ApiError(401, {"detail": "Invalid token."})

    def _take_fault(self, method: str) -> ApiError | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method in (None, method):
                    fault.times -= 1
                    self._faults = [f for f in self._faults if f.times > 0]
                    messages = {402: "Insufficient balance.", 429: "Request was throttled."}
                    detail = messages.get(fault.status, "Internal server error.")
                    extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
                    return ApiError(fault.status, {"detail": detail}, extra)
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        if path == "/v1/publishable-key":
            if method == "GET":
                return 200, [dict(key) for key in self.keys.values()]
            if method == "POST":
                return 201, self._create_key(_json(body))
        elif match := _KEY_ID.match(path):
            key = self.keys.get(int(match.group(1)))
            if key is None:
                raise ApiError(404, {"detail": "Not found."})
            if method == "GET":
                return 200, dict(key)
            if method == "PATCH":
                return 200, self._update_key(key, _json(body))
            if method == "DELETE":
                key.update(is_active=False, updated_at=_now())
                return 204, None
        elif path == "/v1/developer/webhook-endpoints":
            if method == "GET":
                return 200, [_public_endpoint(endpoint) for endpoint in self.endpoints.values()]
            if method == "POST":
                return 201, self._create_endpoint(_json(body))
        elif match := _ENDPOINT_ID.match(path):
            endpoint = self.endpoints.get(match.group(1))
            if endpoint is None:
                raise ApiError(404, {"detail": "Not found."})
            if method == "GET":
                return 200, _public_endpoint(endpoint)
            if method == "PATCH":
                return 200, self._update_endpoint(endpoint, _json(body))
            if method == "DELETE":
                del self.endpoints[endpoint["id"]]
                return 204, None
        elif path == "/v1/calls" and method == "GET":
            return 200, self._list_calls(query)
        elif (match := _CALL_ID.match(path)) and method == "GET":
            call = next((c for c in self.calls if c["call_id"] == int(match.group(1))), None)
            if call is None:
                raise ApiError(404, {"detail": "Not found."})
            return 200, dict(call)
        else:
            raise ApiError(404, {"detail": "Not found."})
        raise ApiError(405, {"detail": f'Method "{method}" not allowed.'})

    # ------------------------------------------------------------ publishable keys

    def _create_key(self, body: dict[str, Any]) -> dict[str, Any]:
        _no_unknown(body, KEY_CREATE_FIELDS)
        errors: dict[str, list[str]] = {}
        name = body.get("name", "Web Widget")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = ["This field may not be blank."]
        merged = {"mode": "agent", "agent_id": None, "webhook_url": None} | body
        _check_key(merged, errors, creating=True)
        if errors:
            raise ApiError(400, errors)
        key_value = "pk_live_" + secrets.token_hex(16)
        now = _now()
        key = {
            "id": self._next_key_id,
            "name": name,
            "key": key_value,
            "key_prefix": key_value[:12],
            "allowed_domains": list(body["allowed_domains"]),
            "is_active": True,
            "is_enabled": True,
            "mode": merged["mode"],
            "agent_id": merged["agent_id"],
            "webhook_url": merged["webhook_url"],
            "created_at": now,
            "updated_at": now,
        }
        self.keys[key["id"]] = key
        self._next_key_id += 1
        return dict(key)

    def _update_key(self, key: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        _no_unknown(body, KEY_PATCH_FIELDS)
        errors: dict[str, list[str]] = {}
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            errors["name"] = ["This field may not be blank."]
        if "is_enabled" in body and not isinstance(body["is_enabled"], bool):
            errors["is_enabled"] = ["Must be a valid boolean."]
        merged = key | body
        _check_key(merged, errors, creating="allowed_domains" in body)
        if errors:
            raise ApiError(400, errors)
        key.update(body, updated_at=_now())
        return dict(key)

    # ------------------------------------------------------------ webhook endpoints

    def _create_endpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        _no_unknown(body, ENDPOINT_CREATE_FIELDS)
        errors = _endpoint_errors(body, creating=True)
        if errors:
            raise ApiError(400, errors)
        import uuid

        secret = "whsec_" + secrets.token_hex(24)
        now = _now()
        endpoint = {
            "id": str(uuid.uuid4()),
            "label": body["label"],
            "url": body["url"],
            "events": list(body.get("events", [])),
            "status": "active",
            "secret": secret,
            "secret_hint": "whsec_..." + secret[-6:],
            "created_at": now,
            "updated_at": now,
        }
        self.endpoints[endpoint["id"]] = endpoint
        return dict(endpoint)  # the only answer that carries the secret

    def _update_endpoint(self, endpoint: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        _no_unknown(body, ENDPOINT_PATCH_FIELDS)
        errors = _endpoint_errors(body, creating=False)
        if "status" in body and body["status"] not in ("active", "disabled"):
            errors["status"] = [f'"{body["status"]}" is not a valid choice.']
        if errors:
            raise ApiError(400, errors)
        endpoint.update(body, updated_at=_now())
        return _public_endpoint(endpoint)

    # ------------------------------------------------------------ calls

    def _list_calls(self, query: dict[str, list[str]]) -> dict[str, Any]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        try:
            limit = min(int(one("limit") or CALLS_DEFAULT_LIMIT), CALLS_MAX_LIMIT)
            offset = int(one("offset") or 0)
            start = _parse_time(one("start_date"))
            end = _parse_time(one("end_date"))
        except ValueError:
            raise ApiError(400, {"detail": "Invalid limit, offset or date."}) from None
        if limit < 1 or offset < 0:
            raise ApiError(400, {"detail": "Invalid limit or offset."})
        direction = one("direction")
        selected = [
            call
            for call in self.calls
            if (direction is None or call.get("direction") == direction)
            and (start is None or _parse_time(call["start_time"]) >= start)  # type: ignore[operator]
            and (end is None or _parse_time(call["start_time"]) <= end)  # type: ignore[operator]
        ]
        # Newest first, as list endpoints usually are (ThunderPhone's order is UNCONFIRMED).
        selected.sort(key=lambda call: (call["start_time"], call["call_id"]), reverse=True)
        return {"total": len(selected), "results": [dict(c) for c in selected[offset : offset + limit]]}


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, {"detail": "JSON parse error."}) from None
    if not isinstance(parsed, dict):
        raise ApiError(400, {"detail": "Expected a JSON object."})
    return parsed


def _no_unknown(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, {"detail": f"Unknown field(s): {', '.join(unknown)}"})


def _check_key(merged: Mapping[str, Any], errors: dict[str, list[str]], *, creating: bool) -> None:
    mode = merged.get("mode")
    if mode not in ("agent", "webhook"):
        errors["mode"] = [f'"{mode}" is not a valid choice.']
    elif mode == "agent" and not isinstance(merged.get("agent_id"), int):
        errors["agent_id"] = ["This field is required when mode is agent."]
    elif mode == "webhook":
        url = merged.get("webhook_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            errors["webhook_url"] = ["This field is required when mode is webhook."]
    if creating:
        domains = merged.get("allowed_domains")
        if not isinstance(domains, list) or not domains:
            errors["allowed_domains"] = ["At least one domain is required."]
        else:
            bad = [d for d in domains if not isinstance(d, str) or not d or d in ("*", "*.*")]
            if bad:
                errors["allowed_domains"] = [f"Invalid domain: {d!r}." for d in bad]


def _endpoint_errors(body: Mapping[str, Any], *, creating: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if creating or "label" in body:
        label = body.get("label")
        if not isinstance(label, str) or not 1 <= len(label) <= 120:
            errors["label"] = ["Ensure this field has 1 to 120 characters."]
    if creating or "url" in body:
        url = body.get("url")
        if not isinstance(url, str) or not (url.startswith("https://") or url.startswith("http://localhost")):
            errors["url"] = ["Enter an HTTPS URL (http://localhost is allowed for development)."]
    if "events" in body:
        events = body["events"]
        if not isinstance(events, list) or any(e not in WEBHOOK_EVENT_TYPES for e in events):
            errors["events"] = ["Unknown event type."]
    return errors


def _public_endpoint(endpoint: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in endpoint.items() if key != "secret"}


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _request_handler(fake: FakeThunderPhone) -> type[BaseHTTPRequestHandler]:
    class FakeHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)

        def _dispatch(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload, extra, delay = fake.handle(self.command, self.path, dict(self.headers.items()), body)
            raw = b"" if payload is None else json.dumps(payload).encode()
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); the work is done, as on the real service

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests and `make run` read state through the hooks."""

    return FakeHandler


def start_fake_thunderphone(api_key: str, host: str = "127.0.0.1", port: int = 0) -> FakeThunderPhone:
    """Serve a fake on `host:port` (0 = any free port) in a daemon thread; `.stop()` ends it."""
    fake = FakeThunderPhone(api_key=api_key)
    server = ThreadingHTTPServer((host, port), _request_handler(fake))
    server.daemon_threads = True
    fake._server = server
    fake.base_url = f"http://{host}:{server.server_address[1]}/v1"
    fake._thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-thunderphone", daemon=True
    )
    fake._thread.start()
    return fake


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake ThunderPhone REST API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("FAKE_THUNDERPHONE_API_KEY", DEFAULT_API_KEY),
        help="the Bearer key it accepts (default $FAKE_THUNDERPHONE_API_KEY or a fixed local value)",
    )
    args = parser.parse_args()
    fake = start_fake_thunderphone(args.api_key, host=args.host, port=args.port)
    print(f"Fake ThunderPhone API at {fake.base_url} (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
