"""The billing settings every function that counts, caps or states usage shares (they must agree)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from functions.common.settings import FunctionSettings


class BillingSettings(FunctionSettings):
    # The operator's billing time zone: which calendar month a call is billed in (an IANA name).
    BILLING_TIMEZONE: Annotated[str, Field(min_length=1)] = "UTC"
    # Where usage alerts go: an EventBridge bus name or ARN ("default"); unset, they are only logged (a warning line).
    BILLING_ALERTS_EVENT_BUS: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    # A closed month's statement is final this many days after the month ends: late completions (ThunderPhone
    # retries for 24 h, the backfill runs hourly) have arrived by then, and it is kept as it was, unchanged.
    STATEMENT_FINAL_DAYS: Annotated[int, Field(ge=1, le=60)] = 3

    @field_validator("BILLING_TIMEZONE")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"BILLING_TIMEZONE '{value}' is not an IANA time zone") from None
        return value

    @property
    def billing_zone(self) -> ZoneInfo:
        return ZoneInfo(self.BILLING_TIMEZONE)
