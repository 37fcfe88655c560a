"""What a route needs to know about the request itself: who is calling, and this API's public URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from functions.common.types import TENANT_ID_PATTERN
from functions.provisioning.errors import ProvisioningError

TenantIdPath = Annotated[str, Path(pattern=TENANT_ID_PATTERN)]
KeyIdPath = Annotated[int, Path(ge=1)]
IdempotencyKey = Annotated[
    str | None, Header(alias="idempotency-key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]


def actor(event: Mapping[str, Any]) -> str:
    """Who is calling: the IAM principal API Gateway authorised (SigV4), else this API's name."""
    context = event.get("requestContext") or {}
    iam = (context.get("authorizer") or {}).get("iam") or {}
    return str(iam.get("userArn") or iam.get("callerId") or "provisioning-api")[:256]


def webhook_base(event: Mapping[str, Any], configured: str | None) -> str:
    """WEBHOOK_BASE_URL, else this API's own URL (domain + stage path unless the stage is `$default`).
    With a custom domain and API mapping, set WEBHOOK_BASE_URL: the mapping path is not in the event."""
    if configured:
        return configured.rstrip("/")
    context = event.get("requestContext") or {}
    domain = context.get("domainName")
    if not domain:
        raise ProvisioningError("cannot tell this API's public URL; set WEBHOOK_BASE_URL")
    headers = {str(key).lower(): value for key, value in (event.get("headers") or {}).items()}
    scheme = str(headers.get("x-forwarded-proto") or "https").split(",")[0].strip()
    stage = context.get("stage")
    return f"{scheme}://{domain}" + (f"/{stage}" if stage and stage != "$default" else "")
