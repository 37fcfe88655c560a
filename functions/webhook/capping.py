"""A capped tenant's answer: the operator's plan (functions/billing) says what callers get once a month's cap is
reached, and the decision says `capped`, so reports and the call's story show it.

Pure: the plan and the month's counters come with the tenant's configuration (the store reads them together and
caches them together), so the cap costs the warm answer no AWS call and may lag by at most one cache time.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from functions.billing.months import month_of
from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import Customer
from functions.webhook.models import CallFacts, Decision
from functions.webhook.routing import ToolSecrets, decide

CAP_REASONS = {"minutes": "minutes_cap", "spend": "spend_cap"}


def capped_decision(
    config: TenantConfig,
    customer: Customer | None,
    call: CallFacts,
    *,
    zone: ZoneInfo,
    tool_secrets: ToolSecrets,
    max_prompt_chars: int,
) -> Decision | None:
    """None when the tenant is not capped this month (or could not be answered anyway: an unpublished, invalid
    or suspended configuration falls back as it always did)."""
    billing, tenant = config.billing, config.tenant
    if billing is None or billing.plan is None or not billing.plan.capped:
        return None  # most tenants: nothing more to look at
    if tenant is None or config.invalid or tenant.status != "active":
        return None
    reached = billing.reached(month_of(call.received_at, zone))
    if reached is None:
        return None
    plan, reason = billing.plan, CAP_REASONS[reached]
    capped = Decision(config.tenant_id, "capped", reason, config_version=config.version)
    profile = plan.over_limit_profile
    if plan.at_cap != "over_limit_profile" or profile is None:
        return capped  # `{}`: ThunderPhone's static agent for the key or number
    # The operator's profile, rendered as the tenant's default would be (its variables, time zone, caller).
    only = TenantConfig(
        tenant_id=config.tenant_id,
        tenant=tenant.model_copy(update={"default_profile_id": profile.profile_id}),
        profiles={profile.profile_id: profile},
        version=config.version,
        stale=config.stale,
    )
    answered = decide(only, customer, call, tool_secrets=tool_secrets, max_prompt_chars=max_prompt_chars)
    if answered.outcome != "config":
        return replace(capped, problems=(f"over-limit profile: {answered.reason}", *answered.problems))
    return replace(answered, outcome="capped", reason=reason, rule_id=None, variant=None)
