"""Webhook authenticity: HMAC-SHA256 of the exact received bytes, compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

SIGNATURE_HEADER = "x-thunderphone-signature"


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


def parse_signing_secrets(secret_string: str) -> tuple[str, ...]:
    """Accept a plain secret, a JSON list of secrets, or {"secrets": [...]} (current first)."""
    text = secret_string.strip()
    if text.startswith(("[", "{")):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError("signing secret looks like JSON but does not parse") from exc
        values = parsed.get("secrets", []) if isinstance(parsed, dict) else parsed
        if not isinstance(values, list):
            raise ValueError('signing secret JSON must be a list or {"secrets": [...]}')
        return tuple(value for value in values if isinstance(value, str) and value)
    return (text,) if text else ()


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str | None, secrets: Sequence[str]) -> bool:
    if not signature or not secrets:
        return False
    given = signature.strip().lower().encode("ascii", errors="replace")
    # Every secret is checked so the time taken does not reveal which one matched.
    matches = [hmac.compare_digest(sign(body, secret).encode("ascii"), given) for secret in secrets]
    return any(matches)
