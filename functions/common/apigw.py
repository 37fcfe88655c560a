"""Reading an API Gateway HTTP API (v2) request as the caller sent it: the exact body bytes and a header."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from functions.common.validation import NOT_UTF8, BodyProblem, json_body_problem


class MalformedRequest(Exception):
    """The request cannot even be read (for example a body that is not valid base64)."""


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The bytes ThunderPhone sent; API Gateway hands binary or non-UTF-8 bodies over base64-encoded."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise MalformedRequest("body is not a string")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedRequest("body is not valid base64") from exc
    return body.encode("utf-8", errors="surrogateescape")


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A header's first value, whatever the case of its name (HTTP API joins repeats with commas)."""
    headers = event.get("headers") or {}
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            text = value[0] if isinstance(value, list) and value else value
            return text.split(",")[0].strip() if isinstance(text, str) else None
    return None


def json_request_problem(event: Mapping[str, Any]) -> BodyProblem | None:
    """Why the request's body cannot be a JSON API request body (any route), or None; empty bodies are fine.

    Checked before Powertools sees the event rather than in a middleware: Powertools validates (decoding and
    parsing the body) before any middleware, and a body that is not UTF-8, not base64, or nested past
    Python's recursion limit escapes it as an exception, i.e. a 500."""
    try:
        raw = raw_body(event)
    except (MalformedRequest, UnicodeError):
        return NOT_UTF8  # not valid base64, or (never from API Gateway) a string that is not Unicode
    if raw and not _is_json(header(event, "content-type")):
        return BodyProblem(415, "unsupported_media_type", "body must be JSON, sent as Content-Type: application/json")
    return json_body_problem(raw)


def without_content_type(event: dict[str, Any]) -> dict[str, Any]:
    """The event without its Content-Type, once the body is known to be JSON or empty: Powertools parses a body
    without one as JSON (with one, it would try form or multipart parsing even on an empty body, and fail)."""
    headers = {name: value for name, value in (event.get("headers") or {}).items() if name.lower() != "content-type"}
    return {**event, "headers": headers}


def _is_json(content_type: str | None) -> bool:
    return not content_type or content_type.partition(";")[0].strip().lower() == "application/json"
