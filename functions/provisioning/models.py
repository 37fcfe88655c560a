"""Provisioning API models and settings.

Requests forbid unknown fields (a typo is a 400, not a silently ignored setting); responses carry
only what an operator may see: never the sk_live_ key, never a whsec_ secret.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from functions.billing.settings import BillingSettings
from functions.common.identity import TenantRole
from functions.common.types import E164, ItemId, TenantId, Version
from functions.provisioning.key_records import EmbedSnippets, KeyRecord
from functions.tenant_config.models import AgentProfile, BusinessHours, Template, Tenant, Variables
from functions.thunderphone.agent_config import VoiceSettings
from functions.thunderphone.events import WebhookEventType
from functions.thunderphone.objects import KeyMode, RemoteEndpoint

DEFAULT_PROFILE_ID = "default"
DEFAULT_VOICE = "en-US-James1"
DEFAULT_PROMPT = (
    "You are the friendly voice assistant of {{ tenant.name }}. Greet the caller, find out how you can help, "
    "answer briefly and clearly, and offer to take a message when you cannot help."
)
DEFAULT_KEY_NAME = "Web Widget"
# Org-level endpoint: the blocking incoming events, plus outcomes and grades so call records fill in.
DEFAULT_ENDPOINT_EVENTS = ("telephony.incoming", "web.incoming", "telephony.complete", "web.complete", "call.graded")


class ProvisioningSettings(BillingSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    # The calls table, read for usage statements (unset: the usage routes answer 503).
    CALLS_TABLE_NAME: Annotated[str | None, Field(min_length=1)] = None
    # Secret holding ThunderPhone's secret API key (sk_live_...); never logged or returned.
    THUNDERPHONE_API_KEY_SECRET_NAME: Annotated[str, Field(min_length=1)]
    # The signing-secrets secret; endpoint setup adds a new whsec_ beside the current ones.
    SIGNING_SECRET_NAME: Annotated[str, Field(min_length=1)]
    THUNDERPHONE_API_BASE: str = "https://api.thunderphone.com/v1"
    # Public base of this deployment's webhook routes; derived from the request when unset.
    WEBHOOK_BASE_URL: str | None = None
    THUNDERPHONE_TIMEOUT_MS: Annotated[int, Field(ge=100, le=20_000)] = 5000
    THUNDERPHONE_MAX_RETRIES: Annotated[int, Field(ge=0, le=5)] = 2
    API_KEY_CACHE_SECONDS: Annotated[int, Field(ge=0, le=3600)] = 300
    # A create that has not finished after this long is presumed dead and may be taken over by a retry;
    # keep it above the function's timeout.
    KEY_CREATE_LEASE_SECONDS: Annotated[int, Field(ge=5, le=900)] = 60
    # How long a finished create is remembered, so a late retry gets the same key back.
    IDEMPOTENCY_TTL_HOURS: Annotated[int, Field(ge=1, le=720)] = 24
    WIDGET_CDN_VERSION: Annotated[str, Field(pattern=r"^(latest|\d+\.\d+\.\d+)$")] = "latest"
    # The tenant user pool (stack output TenantUserPoolId); unset, the tenant-admin routes answer 503.
    TENANT_USER_POOL_ID: Annotated[str | None, Field(min_length=1, max_length=55)] = None


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- tenants


class DefaultProfileInput(VoiceSettings):
    """The tenant's first agent profile; every field has a documented default."""

    profile_id: ItemId = DEFAULT_PROFILE_ID
    description: Annotated[str | None, Field(max_length=500)] = None
    prompt: Template = DEFAULT_PROMPT
    voice: Annotated[str, Field(min_length=1, max_length=128)] = DEFAULT_VOICE
    acknowledgement_prompt: Template | None = None
    variables: Variables = Field(default_factory=dict)


class CreateTenantRequest(_Request):
    tenant_id: TenantId
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    timezone: str = "UTC"
    variables: Variables = Field(default_factory=dict)
    phone_numbers: list[E164] = Field(default_factory=list)
    business_hours: BusinessHours | None = None
    keep_transcripts: bool = False
    default_profile: DefaultProfileInput = Field(default_factory=DefaultProfileInput)


class UpdateTenantRequest(_Request):
    """Only the fields given change; `version` is the one the change is based on (optimistic)."""

    version: Version
    status: Literal["active", "suspended"] | None = None
    display_name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    timezone: str | None = None
    variables: Variables | None = None
    phone_numbers: list[E164] | None = None
    business_hours: BusinessHours | None = None  # explicit null clears them
    keep_transcripts: bool | None = None

    def changes(self) -> dict[str, object]:
        given = self.model_fields_set - {"version"}
        nullable = {"business_hours"}
        return {name: getattr(self, name) for name in given if getattr(self, name) is not None or name in nullable}


class TenantView(BaseModel):
    tenant: Tenant
    default_profile: AgentProfile | None = None


class TenantList(BaseModel):
    tenants: list[Tenant]
    # Tenants whose tenant item does not validate (the router falls back for all their calls); fix by hand.
    invalid_tenants: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- keys


class CreateKeyRequest(_Request):
    name: Annotated[str, Field(min_length=1, max_length=80)] = DEFAULT_KEY_NAME
    mode: KeyMode = "webhook"
    agent_id: Annotated[int | None, Field(ge=1)] = None
    # Webhook mode: the key's route names this widget (its URL is a token), so rules can match it.
    widget_id: ItemId | None = None
    allowed_domains: Annotated[list[str], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _mode_fields(self) -> CreateKeyRequest:
        if self.mode == "agent" and self.agent_id is None:
            raise ValueError("agent_id is required when mode is 'agent'")
        if self.mode == "agent" and self.widget_id is not None:
            raise ValueError("widget_id only applies to mode 'webhook' (the key's webhook route names it)")
        if self.mode == "webhook" and self.agent_id is not None:
            raise ValueError("agent_id only applies to mode 'agent'")
        return self


class UpdateKeyRequest(_Request):
    name: Annotated[str | None, Field(min_length=1, max_length=80)] = None
    allowed_domains: Annotated[list[str] | None, Field(min_length=1, max_length=50)] = None
    is_enabled: bool | None = None


class RotateKeyRequest(_Request):
    name: Annotated[str | None, Field(min_length=1, max_length=80)] = None


class KeyView(KeyRecord):
    model_config = ConfigDict(extra="forbid", frozen=True)

    embed: EmbedSnippets
    warnings: list[str] = Field(default_factory=list)


class KeyList(BaseModel):
    keys: list[KeyView]


# ---------------------------------------------------------------- org-level webhook endpoint


class WebhookEndpointRequest(_Request):
    # The deployment's public base (default: WEBHOOK_BASE_URL, else this API's URL); the endpoint's URL is
    # always `{base_url}/webhooks/{token}` with a fresh token, never given by the caller (it would be guessable).
    base_url: Annotated[str | None, Field(pattern=r"^https?://[^\s?#]+$", max_length=2048)] = None
    label: Annotated[str, Field(min_length=1, max_length=120)] = "Switchboard"
    events: Annotated[list[WebhookEventType], Field(min_length=1)] = Field(
        default_factory=lambda: list(DEFAULT_ENDPOINT_EVENTS)  # type: ignore[arg-type]
    )
    # Make a new endpoint (new URL and secret) even when one with a stored secret exists; the old URL is
    # retired, the old secret stays valid.
    rotate_secret: bool = False


class WebhookEndpointView(BaseModel):
    endpoint: RemoteEndpoint
    created: bool
    removed_endpoint_ids: list[str] = Field(default_factory=list)
    signing_secret_name: str
    valid_signing_secrets: int


# ---------------------------------------------------------------- tenant admins (Cognito users)

# Deliberately simple (no email-validator dependency): one @, no spaces, a dot in the domain. Cognito and the
# invitation email do the rest.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOT_AN_EMAIL = "email must be an email address, like ana@example.com"


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(NOT_AN_EMAIL)
    # Compared case-insensitively (the pool signs in case-insensitively too), so kept lowercase.
    return value.lower()


Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]


class CreateTenantAdminRequest(_Request):
    email: Email
    role: TenantRole  # required: a privilege is never granted by default


class TenantAdminView(BaseModel):
    tenant_id: str
    email: str
    role: TenantRole
    # Cognito's user status: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED; DISABLED when disabled.
    status: str


class TenantAdminEntry(BaseModel):
    email: str
    role: TenantRole
    status: str


class TenantAdminList(BaseModel):
    admins: list[TenantAdminEntry]


class DeletedTenantAdmin(BaseModel):
    tenant_id: str
    email: str
    deleted: bool = True
