"""Webhook signatures: `X-ThunderPhone-Signature` = lowercase hex HMAC-SHA256 of the exact received bytes,
keyed with a signing secret, compared in constant time (shared/thunderphone-api.md section 1.6).

The signing-secrets secret may hold several valid secrets while one is rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence

SIGNATURE_HEADER = "x-thunderphone-signature"


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
