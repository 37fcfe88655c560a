"""Requests to the tenant API: JSON in and out, a bearer token, a timeout, and the API's errors as exceptions.

The network is one injectable function, a Transport: `(method, url, headers, body) -> (status, headers, body)`.
sbctl uses `urllib_transport` (stdlib, no extra dependency); the tests pass one that calls the real Lambda
handler in-process.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

Transport = Callable[[str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]
TIMEOUT_S = 30.0
USER_AGENT = "sbctl (tenant mode)"


class Unreachable(Exception):
    """No HTTP answer at all: refused, unknown host, timed out."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass
class ApiError(Exception):
    """The API refused: `{error, message, fields}` (plus `current` for a stale or existing item)."""

    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    @property
    def current(self) -> dict[str, Any] | None:
        current = self.body.get("current")
        return current if isinstance(current, dict) else None


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    data: Any

    @property
    def version(self) -> int | None:
        """The ETag's version (`"3"` -> 3), if there is one."""
        return etag_version(self.headers.get("etag"))


def etag_version(value: str | None) -> int | None:
    if not value:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


def item_path(collection: str, item_id: str) -> str:
    """`/customers/%2B14155550100`: every id is one path segment, whatever it holds."""
    return f"/{collection}/{quote(item_id, safe='')}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is returned as it is: urllib would follow it with every header, the bearer token included, to
    whatever host (or plain-HTTP URL) it names. The tenant API never redirects."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def urllib_transport(timeout_s: float = TIMEOUT_S) -> Transport:
    opener = urllib.request.build_opener(_NoRedirect)

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        request = urllib.request.Request(url, data=body or None, headers=dict(headers), method=method)
        try:
            with opener.open(request, timeout=timeout_s) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:  # an answer, just not a 2xx one
            with exc:
                return exc.code, dict(exc.headers.items()), exc.read()
        except urllib.error.URLError as exc:
            raise Unreachable(url, _reason(exc.reason)) from None
        except TimeoutError:
            raise Unreachable(url, f"no answer within {timeout_s:g} s") from None
        except ConnectionError as exc:
            raise Unreachable(url, _reason(exc)) from None

    return send


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "no answer in time"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    return str(getattr(reason, "strerror", None) or reason)


@dataclass
class ApiClient:
    base_url: str  # …/tenant/v1, no trailing slash
    token: str | None
    transport: Transport
    # A fresh token after a 401 (a saved browser sign-in's refresh token); used once, then the 401 stands.
    renew: Callable[[], str] | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Answer:
        """One request; an error status raises ApiError (with the API's own words), no answer raises Unreachable."""
        url = self.base_url + path
        if query:
            url += "?" + urlencode({key: value for key, value in query.items() if value is not None})
        sent = {"accept": "application/json", "user-agent": USER_AGENT, **(headers or {})}
        raw = b""
        if body is not None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            sent["content-type"] = "application/json"
        status, got, payload = self.transport(method, url, self._authorized(sent), raw)
        if status == 401 and self.renew is not None:
            renew, self.renew = self.renew, None
            self.token = renew()
            status, got, payload = self.transport(method, url, self._authorized(sent), raw)
        lowered = {key.lower(): value for key, value in got.items()}
        data = _json(payload)
        if status >= 300:  # a 3xx too: it is not followed (_NoRedirect)
            raise error_of(status, data, payload)
        return Answer(status, lowered, data)

    def _authorized(self, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "authorization": f"Bearer {self.token}"} if self.token else headers


def _json(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def error_of(status: int, data: Any, payload: bytes) -> ApiError:
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        raw_fields = data.get("fields")
        fields: dict[str, list[str]] = {}
        if isinstance(raw_fields, dict):
            for name, sentences in raw_fields.items():
                listed = sentences if isinstance(sentences, list) else [sentences]
                fields[str(name)] = [str(sentence) for sentence in listed]
        message = data.get("message")
        return ApiError(
            status,
            data["error"],
            str(message) if message else data["error"].replace("_", " "),
            fields,
            data,
        )
    text = payload.decode("utf-8", "replace").strip()[:200]
    return ApiError(status, "http_error", f"the API answered HTTP {status}" + (f": {text}" if text else ""))
