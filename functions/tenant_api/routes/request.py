"""What every route needs: the caller, the conditional-request headers, and JSON responses with ETags."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.types import ITEM_ID_PATTERN
from functions.tenant_api.preconditions import etag
from functions.tenant_api.principal import Principal, principal_of
from functions.tenant_config.models import StoredItem

ItemIdPath = Annotated[str, Path(pattern=ITEM_ID_PATTERN, description="The item's id.")]
CustomerIdPath = Annotated[
    str, Path(min_length=2, max_length=210, description="E.164 (URL-encoded: %2B14155550100) or kind:value.")
]
IfMatch = Annotated[str | None, Header(alias="if-match", description='The ETag you read, e.g. "3".')]
IfNoneMatch = Annotated[str | None, Header(alias="if-none-match", description="`*` to create.")]


def caller(router: APIGatewayHttpRouter) -> Principal:
    """The caller; the handler has already checked that its role may make this request (principal.py)."""
    return principal_of(router.current_event.raw_event)


def as_json(item: StoredItem) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude_none=True)


def json_response(body: Any, *, status: int = 200, version: int | None = None) -> Response[Any]:
    """With an ETag: the item's version, or for a listing a digest of its content."""
    tag = etag(version) if version is not None else _digest(body)
    return Response(status_code=status, content_type="application/json", body=body, headers={"ETag": tag})


def _digest(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return f'W/"{hashlib.sha256(text.encode()).hexdigest()[:16]}"'
