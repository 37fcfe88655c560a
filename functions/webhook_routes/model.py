"""A webhook URL is a capability: `/webhooks/{token}`, the token 192 random bits from `secrets`, known only
to ThunderPhone (a publishable key's `webhook_url`, the org-level endpoint) and the operator.

The table keeps the token's SHA-256, never the token, so a copy of the table opens no URL. The route a
token names decides the tenant: a key's route names its tenant and widget; the org-level endpoint's
route names none, and the tenant then comes only from the operator's phone-number claims.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.common.types import ItemId, TenantId

TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 32 URL-safe characters, 192 bits
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{32}$"
ROUTE_ID_PATTERN = r"^[0-9a-f]{64}$"
WEBHOOK_PATH = "/webhooks/"
_TOKEN = re.compile(TOKEN_PATTERN)

RouteKind = Literal["key", "org"]
RouteStatus = Literal["active", "retired"]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str) -> bool:
    return _TOKEN.match(text) is not None


def route_id(token: str) -> str:
    """How a token is stored and looked up: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def webhook_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{WEBHOOK_PATH}{token}"


def token_in(url: str | None) -> str | None:
    """The token of one of our webhook URLs, else None."""
    if not url or WEBHOOK_PATH not in url:
        return None
    token = url.rsplit(WEBHOOK_PATH, 1)[1]
    return token if is_token(token) else None


class Route(BaseModel):
    """What a token opens. Written by the operator's admin API only, never by tenant admins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route_id: Annotated[str, Field(pattern=ROUTE_ID_PATTERN)]
    kind: RouteKind
    tenant_id: TenantId | None = None
    widget_id: ItemId | None = None
    key_id: Annotated[int | None, Field(ge=1)] = None
    status: RouteStatus = "active"
    created_at: datetime
    retired_at: datetime | None = None

    @model_validator(mode="after")
    def _names_its_tenant(self) -> Route:
        if self.kind == "key" and self.tenant_id is None:
            raise ValueError("a key's route names its tenant")
        if self.kind == "org" and (self.tenant_id is not None or self.widget_id is not None):
            raise ValueError("the org-level route names no tenant: numbers decide")
        return self

    @property
    def active(self) -> bool:
        return self.status == "active"
