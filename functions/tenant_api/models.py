"""Request bodies and settings of the tenant API (pydantic: the OpenAPI document is generated from them).

Item bodies are the stored models with the id optional (the path names the item); bookkeeping fields a
client read back (`version`, `updated_at`, `updated_by`) are accepted and ignored, so a GET can be edited
and PUT back as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.billing.settings import BillingSettings
from functions.common.types import E164, ItemId
from functions.tenant_config.live import OPERATOR_FIELDS, TENANT_FIELDS
from functions.tenant_config.models import AgentProfile, BusinessHours, Customer, RoutingRule, Variables


class TenantApiSettings(BillingSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    MAX_PROMPT_CHARS: Annotated[int, Field(ge=1000, le=100_000)] = 20_000
    IMPACT_MAX_CALLS: Annotated[int, Field(ge=1, le=100_000)] = 5_000
    # Rows written at once by POST /customers/import (boto3's pool has 10 connections); 1000 rows, each a read and
    # a transaction, then fit well inside the HTTP API's 30 s.
    IMPORT_CONCURRENCY: Annotated[int, Field(ge=1, le=10)] = 8


class ProfileBody(AgentProfile):
    profile_id: ItemId | None = None  # type: ignore[assignment]


class RuleBody(RoutingRule):
    rule_id: ItemId | None = None  # type: ignore[assignment]


class CustomerBody(Customer):
    customer_id: str | None = None  # type: ignore[assignment]


OPERATOR_OWNED = ("tenant_id", *OPERATOR_FIELDS)
_OPERATOR_NOTE = "Operator-owned: refused here (403 operator_owned)."


class SettingsPatch(BaseModel):
    """The tenant-owned settings; a field left out is unchanged. The operator-owned fields are listed
    only to refuse them in words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    variables: Variables | None = None
    business_hours: BusinessHours | None = None
    default_profile_id: ItemId | None = None
    keep_transcripts: bool | None = None
    version: int | None = Field(default=None, description="Ignored: send the ETag as If-Match.")
    updated_at: datetime | None = Field(default=None, description="Ignored.")
    updated_by: str | None = Field(default=None, description="Ignored.")
    tenant_id: Any = Field(default=None, description=_OPERATOR_NOTE)
    display_name: Any = Field(default=None, description=_OPERATOR_NOTE)
    status: Any = Field(default=None, description=_OPERATOR_NOTE)
    phone_numbers: Any = Field(default=None, description=_OPERATOR_NOTE)

    def operator_fields(self) -> list[str]:
        return [name for name in OPERATOR_OWNED if name in self.model_fields_set]

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set & set(TENANT_FIELDS)}


MAX_IMPORT_ROWS = 1000


class CustomerImport(BaseModel):
    """A customers CSV file as text: a header row, then one customer a row (see docs/tenant-api.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    csv: str = Field(
        description="The CSV text. Columns: phone (or customer_id), name, segment, prompt_override, prompt_addendum, "
        f"variables (a JSON object), var.NAME. At most {MAX_IMPORT_ROWS} rows, and the body at most 256 KiB."
    )


class SimulateRequest(BaseModel):
    """A call to preview: what the draft (or live) configuration would answer, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config: Literal["draft", "live"] = "draft"
    channel: Literal["web", "phone"]
    caller: E164 | None = Field(default=None, description="The caller's number (phone calls only).")
    widget_id: ItemId | None = Field(default=None, description="The widget the session starts from (web only).")
    to_number: E164 | None = Field(default=None, description="The number called (phone only).")
    at: datetime | None = Field(
        default=None,
        description="When the call arrives, ISO 8601: with an offset (2026-05-04T21:30:00-04:00) that moment; "
        "without one, that wall-clock time in the tenant's zone. Default: now.",
    )
    profile_id: ItemId | None = Field(
        default=None,
        description="Preview this profile's answer (its rendered prompt) instead of the one the rules choose; "
        "the rules are not evaluated, the caller and time still fill the template.",
    )
    call_id: Annotated[int, Field(ge=0)] | None = Field(default=None, description="Picks the A/B variant.")

    @model_validator(mode="after")
    def _can_match(self) -> SimulateRequest:
        if self.channel == "web" and (self.caller or self.to_number):
            raise ValueError("a web session has no caller and no number called: leave out caller and to_number")
        if self.channel == "phone" and self.widget_id:
            raise ValueError("a widget only starts web sessions: leave out widget_id for a phone call")
        return self
