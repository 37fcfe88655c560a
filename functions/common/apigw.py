"""Reading an API Gateway HTTP API (v2) request as the caller sent it: the exact body bytes and a header."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any


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
