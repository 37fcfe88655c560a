"""What a tenant stores: tenant settings, agent profiles, routing rules and customers.

The one source of truth: the router reads items with these models, the admin tooling and the
provisioning API write with them, so nothing written through our tools can make the router fall
back. Stored models forbid unknown attributes, so a misspelt attribute edited by hand is caught.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time
from functools import cached_property, lru_cache
from hashlib import sha256
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cachetools import LRUCache, cached
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.common.types import E164, CallerPrefix, ItemId, TenantId, VariableName, Version
from functions.tenant_config.templating import template_errors
from functions.thunderphone.agent_config import (
    FunctionSpec,
    ToolEndpoint,
    VoiceSettings,
    require_unique_names,
)

Variables = dict[VariableName, Annotated[str, Field(max_length=2000)]]
Segment = Annotated[str, Field(min_length=1, max_length=64)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Channel = Literal["web", "phone"]

MAX_TEMPLATE_CHARS = 20_000


def _digest(template: str) -> bytes:
    return sha256(template.encode("utf-8", "surrogatepass")).digest()


@cached(LRUCache(maxsize=4096), key=_digest, lock=threading.Lock())
def _template_problems(template: str) -> tuple[str, ...]:
    """template_errors, remembered by the template's digest (which keeps no prompt alive): every load of a
    published configuration validates every prompt again, and they rarely change."""
    return tuple(template_errors(template))


def _valid_template(value: str) -> str:
    errors = _template_problems(value)
    if errors:
        raise ValueError("; ".join(errors))
    return value


# A prompt template: at most MAX_TEMPLATE_CHARS characters, and what templating.template_errors checks in
# time linear in its size (syntax, namespaces, at most templating.MAX_PLACEHOLDERS placeholders and defaults
# of at most templating.MAX_DEFAULT_CHARS characters on one line).
Template = Annotated[str, Field(min_length=1, max_length=MAX_TEMPLATE_CHARS), AfterValidator(_valid_template)]


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class StoredItem(BaseModel):
    """Bookkeeping every stored item carries; `version` drives optimistic concurrency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Version = 0
    updated_at: datetime | None = None
    updated_by: Annotated[str | None, Field(max_length=256)] = None


# The bookkeeping fields every stored item carries, in order: never part of what the item says.
BOOKKEEPING: tuple[str, ...] = tuple(StoredItem.model_fields)


class HourRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time  # exclusive; "24:00" is written as "23:59:59" by the parser below

    @classmethod
    def parse(cls, text: str) -> HourRange:
        try:
            start_text, end_text = text.split("-")
            start = time.fromisoformat(start_text.strip())
            end_text = end_text.strip()
            end = time(23, 59, 59, 999999) if end_text == "24:00" else time.fromisoformat(end_text)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a range like '09:00-17:30'") from exc
        if end <= start:
            raise ValueError(f"'{text}' ends before it starts; split ranges that cross midnight")
        return cls(start=start, end=end)


class BusinessHours(BaseModel):
    """Opening hours in the tenant's time zone, e.g. {"mon": ["09:00-17:00"], ...}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekly: dict[Weekday, list[str]] = Field(default_factory=dict)
    closed_dates: list[date] = Field(default_factory=list)

    @field_validator("weekly")
    @classmethod
    def _ranges(cls, weekly: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for ranges in weekly.values():
            for text in ranges:
                HourRange.parse(text)
        return weekly

    @cached_property
    def _ranges_by_weekday(self) -> dict[str, tuple[HourRange, ...]]:
        """The ranges parsed once per (immutable) item: the router asks `is_open` on every call."""
        return {day: tuple(HourRange.parse(text) for text in ranges) for day, ranges in self.weekly.items()}

    def is_open(self, local: datetime) -> bool:
        if local.date() in self.closed_dates:
            return False
        now = local.time().replace(tzinfo=None)
        return any(
            hours.start <= now < hours.end for hours in self._ranges_by_weekday.get(WEEKDAYS[local.weekday()], ())
        )


class Tenant(StoredItem):
    tenant_id: TenantId
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    status: Literal["active", "suspended"] = "active"
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    variables: Variables = Field(default_factory=dict)
    phone_numbers: Annotated[list[E164], Field(max_length=100)] = Field(default_factory=list)
    default_profile_id: ItemId
    business_hours: BusinessHours | None = None
    keep_transcripts: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # a directory or an over-long name: OSError
            raise ValueError("unknown time zone (use an IANA name such as 'Europe/Paris')") from exc
        return value

    @field_validator("phone_numbers")
    @classmethod
    def _each_number_once(cls, numbers: list[str]) -> list[str]:
        if len(numbers) != len(set(numbers)):
            raise ValueError("each phone number may be listed once")
        return numbers


class SecretRef(BaseModel):
    """A header value kept in the tenant's tool-credentials secret, resolved when a call is answered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: VariableName


class ProfileToolEndpoint(ToolEndpoint):
    """A tool endpoint as stored: a header may name a credential instead of holding it."""

    headers: dict[Annotated[str, Field(min_length=1, max_length=128)], str | SecretRef] = Field(  # type: ignore[assignment]
        default_factory=dict
    )


class ProfileTool(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["function"] = "function"
    function: FunctionSpec
    endpoint: ProfileToolEndpoint

    def secret_names(self) -> set[str]:
        return {value.secret for value in self.endpoint.headers.values() if isinstance(value, SecretRef)}


class AgentProfile(StoredItem, VoiceSettings):
    profile_id: ItemId
    description: Annotated[str | None, Field(max_length=500)] = None
    prompt: Template
    acknowledgement_prompt: Template | None = None
    variables: Variables = Field(default_factory=dict)
    tools: list[ProfileTool] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_tools(self) -> AgentProfile:
        require_unique_names(self.tools)
        return self


class RuleMatch(BaseModel):
    """Every condition given must hold; a list condition holds when any entry matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel | None = None
    widget_ids: list[ItemId] = Field(default_factory=list)
    to_numbers: list[E164] = Field(default_factory=list)
    caller_numbers: list[E164] = Field(default_factory=list)
    caller_prefixes: list[CallerPrefix] = Field(default_factory=list)
    customer: Literal["known", "unknown"] | None = None
    segments: list[Segment] = Field(default_factory=list)
    schedule: Literal["business_hours", "after_hours"] | None = None


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ItemId
    profile_id: ItemId
    weight: Annotated[int, Field(ge=0, le=10_000)]


BucketBy = Literal["call_id", "caller"]


class RoutingRule(StoredItem):
    """The first enabled rule (by priority, then id) whose conditions hold chooses the profile or variant.

    Variants split calls by weight. `bucket_by` "call_id" (the default) buckets each call on its own;
    "caller" keeps a returning phone caller (E.164) on one variant. Web sessions and withheld callers have
    no caller to follow, so they are always bucketed by call id."""

    rule_id: ItemId
    priority: Annotated[int, Field(ge=0, le=1_000_000)]
    enabled: bool = True
    description: Annotated[str | None, Field(max_length=500)] = None
    when: RuleMatch = Field(default_factory=RuleMatch)
    profile_id: ItemId | None = None
    variants: list[Variant] = Field(default_factory=list)
    bucket_by: BucketBy = "call_id"

    @model_validator(mode="after")
    def _one_target(self) -> RoutingRule:
        if (self.profile_id is None) == (not self.variants):
            raise ValueError("a rule names exactly one of profile_id or variants")
        if self.variants:
            names = [variant.name for variant in self.variants]
            if len(names) != len(set(names)):
                raise ValueError("variant names must be unique within a rule")
            if sum(variant.weight for variant in self.variants) <= 0:
                raise ValueError("variant weights must add up to more than 0")
        if self.bucket_by == "caller" and self.when.channel == "web":
            raise ValueError("web sessions have no caller: bucket a web rule by call_id")
        return self

    def profile_ids(self) -> set[str]:
        return {self.profile_id} if self.profile_id else {variant.profile_id for variant in self.variants}


class Customer(StoredItem):
    """A known caller. Phone customers are keyed by E.164; other ids use a `kind:value` form."""

    customer_id: Annotated[str, Field(pattern=r"^(\+[1-9][0-9]{6,14}|[a-z]+:[^\s#]{1,200})$")]
    name: Annotated[str | None, Field(max_length=200)] = None
    segment: Segment | None = None
    variables: Variables = Field(default_factory=dict)
    prompt_override: Template | None = None
    prompt_addendum: Template | None = None
