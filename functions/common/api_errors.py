"""The error body every JSON API here answers with (the admin API and the tenant API):
`{"error": code, "message": sentence, "fields": {field: [sentences]}}`, never carrying a secret; a 5xx is
logged. Each API keeps its own table of which exception is which status and code."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.common.observability import logger

_WITHOUT_SECRETS = re.compile(r"\b(sk_live_|whsec_)\S+")


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    *,
    retry_after: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """`extra` adds members to the body (for example the stored item a stale write lost to)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = {"error": code, "message": _WITHOUT_SECRETS.sub("[redacted]", message), "fields": fields or {}}
    if status >= 500:
        logger.warning("request failed", extra={"status": status, "error": code})
    return Response(status_code=status, content_type="application/json", body=body | (extra or {}), headers=headers)


def invalid_request(status: int, code: str, fields: dict[str, list[str]]) -> Response[dict[str, Any]]:
    """A request refused for what it sent: every field's sentences, also joined into the message."""
    problems = "; ".join(sentence for sentences in fields.values() for sentence in sentences)
    return error_response(status, code, f"the request is invalid: {problems}", fields)
