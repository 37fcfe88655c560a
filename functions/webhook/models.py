"""The webhook's settings, the facts of a call, a tenant's loaded configuration and the decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from functions.billing.settings import BillingSettings
from functions.tenant_config.models import Channel

FallbackReason = Literal[
    "unknown_tenant",
    "tenant_suspended",
    "unknown_number",
    "invalid_item",
    "no_profile",
    "tool_secret_unavailable",
    "invalid_answer",
    "malformed_payload",
    "store_unavailable",
    "secrets_unavailable",
    "budget_exceeded",
    "internal_error",
]


class WebhookSettings(BillingSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    # Secrets Manager secret holding the valid signing secrets: a plain string, a JSON list,
    # or {"secrets": [...]}; more than one may be valid while a secret is rotated.
    SIGNING_SECRET_NAME: Annotated[str, Field(min_length=1)]
    # Tenant tool credentials live in the secret named TOOL_SECRET_PREFIX + tenant_id (a JSON object).
    TOOL_SECRET_PREFIX: Annotated[str, Field(min_length=1)]
    # Optional decision log and call outcomes (a second table the webhook may write to).
    # Tenants with their own CloudWatch `tenant` dimension (comma list); all others count as "other".
    METRIC_TENANTS: str = ""
    BUDGET_MS: Annotated[int, Field(ge=100, le=1900)] = 1500
    CACHE_TTL_SECONDS: Annotated[int, Field(ge=0, le=3600)] = 60
    CACHE_MAX_TENANTS: Annotated[int, Field(ge=1)] = 1000
    CACHE_MAX_CUSTOMERS: Annotated[int, Field(ge=1)] = 20_000
    # How long past its TTL a cached item or secret is still served (marked stale) when DynamoDB or Secrets
    # Manager cannot refresh it.
    STALE_MAX_SECONDS: Annotated[int, Field(ge=0, le=7 * 86_400)] = 86_400
    # The store's own loader: at most LOADER_WORKERS reads at once, at most LOADS_PER_TENANT of one tenant's.
    LOADER_WORKERS: Annotated[int, Field(ge=1, le=64)] = 8
    LOADS_PER_TENANT: Annotated[int, Field(ge=1, le=16)] = 2
    MAX_BODY_BYTES: Annotated[int, Field(ge=1024, le=1_048_576)] = 65_536
    # Outcome events (non-blocking: ThunderPhone waits 30 s for them) are queued before they are acknowledged.
    # Unset: they get 503 (and ThunderPhone retries them) until it is set; incoming events are unaffected.
    OUTCOME_QUEUE_URL: str | None = None
    # A signed outcome event may be larger than MAX_BODY_BYTES (long transcripts), up to this; it must fit in
    # one SQS message (256 KiB) with its attributes.
    MAX_OUTCOME_BODY_BYTES: Annotated[int, Field(ge=1024, le=250_000)] = 245_760
    # How long an outcome event may take to be made durable (signature, route, queue); past it, 503.
    OUTCOME_BUDGET_MS: Annotated[int, Field(ge=1000, le=25_000)] = 10_000
    # Edge protection (origin.py): the secret whose value CloudFront adds to every request it forwards; set, a
    # webhook request without it is refused (403) before anything else. Unset: no CloudFront in front.
    ORIGIN_SECRET_NAME: Annotated[str, Field(min_length=1)] | None = None
    # With it, such a request is only logged ("would refuse ... report only") and answered as usual: for moving URLs
    # made before edge protection (docs/deploy.md, "Edge protection").
    ORIGIN_REPORT_ONLY: bool = False
    MAX_PROMPT_CHARS: Annotated[int, Field(ge=1000, le=100_000)] = 20_000
    AWS_CONNECT_TIMEOUT_MS: Annotated[int, Field(ge=50, le=5000)] = 250
    AWS_READ_TIMEOUT_MS: Annotated[int, Field(ge=50, le=5000)] = 500
    AWS_MAX_ATTEMPTS: Annotated[int, Field(ge=1, le=5)] = 2


@dataclass(frozen=True)
class CallFacts:
    """What ThunderPhone told us about the call, plus where and when it arrived."""

    call_id: int
    event_type: str
    channel: Channel
    from_number: str
    to_number: str | None
    widget_id: str | None
    received_at: datetime  # timezone-aware
    # The tenant was found through the operator's claim on `to_number` (the org-level route): the number is the
    # tenant's own ThunderPhone number. On a key's route nothing vouches for it (decision_log.py).
    number_claimed: bool = False


@dataclass(frozen=True)
class Decision:
    """What the router answers for a call and why; the simulator prints it, the logs summarise it."""

    tenant_id: str
    outcome: Literal["config", "fallback", "capped"]
    # "rule" / "default_profile" when a config is served; "minutes_cap" / "spend_cap" when capped (capping.py);
    # else a FallbackReason
    reason: str
    rule_id: str | None = None
    variant: str | None = None
    profile_id: str | None = None
    profile_version: int | None = None
    config_version: int | None = None  # the published configuration version that decided
    customer_known: bool = False
    local_time: str | None = None
    variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    missing_variables: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    config: Mapping[str, Any] | None = None
    stale: bool = False  # decided on a last-known-good configuration or customer (a refresh failed)

    @property
    def body(self) -> Mapping[str, Any]:
        served = self.outcome in ("config", "capped")  # capped: the operator's over-limit profile, or `{}`
        return self.config if served and self.config is not None else {}


@dataclass(frozen=True)
class Reply:
    """The HTTP answer plus what the handler logs and counts about it."""

    status: int
    body: Mapping[str, Any]
    outcome: str  # config / fallback / capped / rejected / acknowledged
    reason: str | None = None
    decision: Decision | None = None
    call_id: int | None = None
    facts: CallFacts | None = None  # for the decision log
    tenant_id: str | None = None  # the tenant the route named or the number claim found, once known
    widget_id: str | None = None
    retry_after_s: int | None = None  # a Retry-After header: ThunderPhone should deliver it again later
    stale_secrets: bool = False  # a signing secret or tool credential was a last-known-good copy
