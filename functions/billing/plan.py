"""The operator's plan for one tenant: monthly caps, when to warn, and what a capped tenant's callers get.

Only the operator writes it (the admin API and `sbctl --operator plan`); tenants read it, never change it. It is
stored in the tenant's billing item (store.py), which the tenant API's role may not write.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.tenant_config.models import AgentProfile

AtCap = Literal["fallback", "over_limit_profile"]
# Which cap a month reached: "minutes" (billable minutes) or "spend" (ThunderPhone cost).
CapKind = Literal["minutes", "spend"]
DEFAULT_ALERT_PERCENT = 80


class Plan(BaseModel):
    """No cap given: the tenant is never capped (its usage is still counted and stated)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monthly_minutes: Annotated[int | None, Field(ge=1, le=100_000_000)] = None
    monthly_spend_cents: Annotated[int | None, Field(ge=1, le=100_000_000_000)] = None
    # The operator is told once per tenant, month and threshold: at alert_percent of a cap, and at the cap.
    alert_percent: Annotated[int, Field(ge=1, le=99)] = DEFAULT_ALERT_PERCENT
    # At the cap: `{}` (ThunderPhone's static agent for the key or number), or the operator's own profile.
    at_cap: AtCap = "fallback"
    over_limit_profile: AgentProfile | None = None

    @model_validator(mode="after")
    def _profile_when_chosen(self) -> Plan:
        if self.at_cap == "over_limit_profile" and self.over_limit_profile is None:
            raise ValueError("at_cap 'over_limit_profile' needs over_limit_profile: the agent capped callers get")
        return self

    @property
    def capped(self) -> bool:
        return self.monthly_minutes is not None or self.monthly_spend_cents is not None
