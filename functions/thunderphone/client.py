"""A small client for ThunderPhone's REST API (shared/thunderphone-api.md sections 3, 5, 6).

Built on urllib3 (it ships with botocore in the Lambda runtime, so it costs no extra package) with
`urllib3.util.Retry` doing backoff, jitter and `Retry-After`. Retries happen only where they are safe:
connection failures before the request was sent (any method), and 429/5xx or a read failure for
GET/DELETE/PATCH and for POST only when the caller says the POST is idempotent.

The secret key is read from `api_key()` on every request (the caller caches it) and only ever goes
into the Authorization header: it is never logged, never part of an error message, and text that
looks like a secret (`sk_live_...`, `whsec_...`) is scrubbed from ThunderPhone's error messages.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import Retry

from functions.common.observability import logger

DEFAULT_BASE_URL = "https://api.thunderphone.com/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SECRETISH = re.compile(r"\b(sk|pk|rk)_(live|test)_[A-Za-z0-9_-]+|\bwhsec_[A-Za-z0-9_+/=-]+")
_MAX_MESSAGE_CHARS = 500


def scrub(text: str) -> str:
    """Text safe to log or return: anything shaped like an API key or signing secret is masked."""
    return _SECRETISH.sub("[redacted]", text)[:_MAX_MESSAGE_CHARS]


class ThunderPhoneError(Exception):
    """ThunderPhone refused or failed a request. `message` never contains a key or secret."""

    default_code: ClassVar[str] = "thunderphone_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        self.status = status
        self.code = code or self.default_code
        self.message = scrub(message)
        super().__init__(self.message)


class ThunderPhoneBadRequest(ThunderPhoneError):
    """400: the request was invalid. `fields` maps a field name to ThunderPhone's messages for it."""

    default_code = "thunderphone_bad_request"

    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None, status: int = 400) -> None:
        super().__init__(message, status=status)
        self.fields: dict[str, list[str]] = {name: [scrub(m) for m in msgs] for name, msgs in (fields or {}).items()}


class ThunderPhoneAuthError(ThunderPhoneError):
    """401/403: the secret key is wrong, revoked, or lacks the role for this call."""

    default_code = "thunderphone_auth"


class ThunderPhonePaymentRequired(ThunderPhoneError):
    """402: the ThunderPhone organisation has insufficient balance."""

    default_code = "thunderphone_payment_required"


class ThunderPhoneNotFound(ThunderPhoneError):
    """404: the object does not exist (or belongs to another organisation)."""

    default_code = "thunderphone_not_found"


class ThunderPhoneUnavailable(ThunderPhoneError):
    """429, 5xx, timeouts, connection errors: still failing after the allowed retries."""

    default_code = "thunderphone_unavailable"


class ThunderPhoneBadResponse(ThunderPhoneError):
    """ThunderPhone answered 2xx with something that is not what its docs describe."""

    default_code = "thunderphone_bad_response"


class ThunderPhoneApi:
    """`Authorization: Bearer sk_live_...` JSON client. Paths are relative to the base URL ("publishable-key")."""

    def __init__(
        self,
        base_url: str,
        api_key: Callable[[], str],
        *,
        timeout_s: float = 5.0,
        max_retries: int = 3,
        pool: urllib3.PoolManager | None = None,
        backoff_factor: float = 0.25,
        backoff_max_s: float = 4.0,
        retry_after_max_s: int = 10,
    ) -> None:
        self._base = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key
        self._timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
        self._pool = pool or urllib3.PoolManager(num_pools=2, maxsize=4)
        self._max_retries = max_retries
        self._backoff_factor = backoff_factor
        self._backoff_max = backoff_max_s
        # A Retry-After beyond this is not waited for (a Lambda has seconds, not minutes).
        self._retry_after_max = retry_after_max_s

    @property
    def base_url(self) -> str:
        return self._base

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self._request("GET", path, params=params, retry_unsafe=True)

    def post(self, path: str, body: Mapping[str, Any], *, idempotent: bool = False) -> Any:
        return self._request("POST", path, body=body, retry_unsafe=idempotent)

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        # PATCH sets fields to given values, so repeating it lands in the same state.
        return self._request("PATCH", path, body=body, retry_unsafe=True)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path, retry_unsafe=True)

    def _retry(self, method: str, retry_unsafe: bool) -> Retry:
        # Once the request may have reached ThunderPhone (read errors, 429/5xx answers), repeat it only
        # when that is safe; a connection that never opened is always safe to try again.
        after_sending = self._max_retries if retry_unsafe else 0
        return Retry(
            total=self._max_retries,
            connect=self._max_retries,
            read=after_sending,
            status=after_sending,
            other=0,
            redirect=False,
            allowed_methods=frozenset({method}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self._backoff_factor,
            backoff_max=self._backoff_max,
            backoff_jitter=self._backoff_factor,
            respect_retry_after_header=True,
            retry_after_max=self._retry_after_max,
            raise_on_status=False,  # the last 429/5xx comes back and is mapped below
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
        retry_unsafe: bool,
    ) -> Any:
        url = f"{self._base}/{path.lstrip('/')}"
        headers = {
            "Authorization": f"Bearer {self._api_key()}",
            "Accept": "application/json",
            "User-Agent": "switchboard",
        }
        encoded: bytes | None = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            encoded = json.dumps(body, separators=(",", ":")).encode()
        fields = {name: str(value) for name, value in (params or {}).items()} or None
        started = time.perf_counter()
        try:
            response = self._pool.request(
                method,
                url,
                body=encoded,
                fields=fields,
                headers=headers,
                timeout=self._timeout,
                retries=self._retry(method, retry_unsafe),
                redirect=False,
            )
        except Urllib3Error as exc:
            logger.warning(
                "thunderphone request failed",
                extra={"method": method, "path": path, "error": type(exc).__name__, "ms": _ms(started)},
            )
            raise ThunderPhoneUnavailable(
                f"ThunderPhone did not answer {method} {path} ({_reason(exc)})", status=None
            ) from None
        status = response.status
        retries = response.retries.history if response.retries else ()
        logger.info(
            "thunderphone request",
            extra={"method": method, "path": path, "status": status, "attempts": len(retries) + 1, "ms": _ms(started)},
        )
        return _result(method, path, status, response.data)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return type(reason or exc).__name__


def _result(method: str, path: str, status: int, data: bytes) -> Any:
    payload: Any = None
    if data:
        try:
            payload = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
            if 200 <= status < 300:
                raise ThunderPhoneBadResponse(
                    f"ThunderPhone answered {method} {path} with a body that is not JSON", status=status
                ) from None
    if 200 <= status < 300:
        return payload
    message, fields = _error_text(payload, status)
    where = f"{method} {path}"
    if status == 400:
        raise ThunderPhoneBadRequest(f"ThunderPhone rejected {where}: {message}", fields=fields)
    if status in (401, 403):
        raise ThunderPhoneAuthError(f"ThunderPhone refused the API key for {where}: {message}", status=status)
    if status == 402:
        raise ThunderPhonePaymentRequired(f"ThunderPhone needs a balance top-up ({where}): {message}", status=status)
    if status == 404:
        raise ThunderPhoneNotFound(f"ThunderPhone has no such object ({where})", status=status)
    if status in RETRY_STATUSES or status >= 500:
        raise ThunderPhoneUnavailable(f"ThunderPhone is unavailable ({where} answered {status})", status=status)
    raise ThunderPhoneError(f"ThunderPhone answered {where} with HTTP {status}: {message}", status=status)


def _error_text(payload: Any, status: int) -> tuple[str, dict[str, list[str]]]:
    """ThunderPhone's errors are `{"detail": ...}` or field -> messages; the widget API uses {error, message}."""
    if not isinstance(payload, dict):
        return f"HTTP {status}", {}
    fields: dict[str, list[str]] = {}
    for name, value in payload.items():
        if name in {"detail", "error", "message", "code"}:
            continue
        if isinstance(value, list):
            fields[str(name)] = [str(item) for item in value]
        elif isinstance(value, str):
            fields[str(name)] = [value]
    detail = payload.get("detail") or payload.get("message") or payload.get("error")
    if isinstance(detail, str) and detail:
        return detail, fields
    if fields:
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()), fields
    return f"HTTP {status}", fields
