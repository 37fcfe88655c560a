"""Previews: what a configuration (the draft, or live) answers for one call, and what publishing the draft
would change for the tenant's recent calls. Both run the router's own decision (functions/webhook/routing.py)
on the same compiled configuration the router would serve; only tool credentials are never read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.calls.read_model import CallRecord, CallsReader
from functions.common.clock import iso
from functions.common.types import is_e164
from functions.tenant_api.errors import NotFound
from functions.tenant_api.models import SimulateRequest
from functions.tenant_api.service.impact import CallImpact, ImpactSummary
from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import Customer, zone
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore
from functions.thunderphone.events import WEB_CALLER
from functions.webhook.models import CallFacts, Decision
from functions.webhook.routing import SecretPlaceholders, bucket_key, decide

WITHHELD_CALLER = "anonymous"
# Why a preview would fall back, in words (the preview never meets the outages and bad requests of a real call).
FALLBACK_WORDS = {
    "unknown_tenant": "the tenant has no settings",
    "tenant_suspended": "the tenant is suspended; ask the operator",
    "invalid_item": "a stored item is invalid; fix or replace it",
    "no_profile": "the chosen profile does not exist; point the rule at another profile",
    "tool_secret_unavailable": "a tool needs a credential the tenant has not stored; ask the operator to add it",
    "invalid_answer": "the answer would break ThunderPhone's rules; see the problems below",
}
NO_RULE = "no rule matched, so the default profile answers"


@dataclass
class Previewer:
    tenant_id: str
    store: ConfigStore
    drafts: Drafts
    calls: CallsReader
    max_prompt_chars: int

    def config(self, which: str) -> TenantConfig:
        if which == "draft":
            return TenantConfig.of(self.tenant_id, self.drafts.draft(self.tenant_id), None)
        live = self.drafts.live(self.tenant_id)
        if live is None:
            raise NotFound("nothing is published yet: simulate the draft, or publish it first")
        return TenantConfig.of(self.tenant_id, live.snapshot, live.version)

    def simulate(self, request: SimulateRequest) -> dict[str, Any]:
        config = self.config(request.config)
        timezone = config.tenant.timezone if config.tenant is not None else "UTC"
        at = request.at or datetime.now(UTC)
        received_at = at if at.tzinfo is not None else at.replace(tzinfo=zone(timezone))
        caller = WEB_CALLER if request.channel == "web" else (request.caller or WITHHELD_CALLER)
        facts = CallFacts(
            call_id=request.call_id if request.call_id is not None else random.randrange(1, 10**9),
            event_type="web.incoming" if request.channel == "web" else "telephony.incoming",
            channel=request.channel,
            from_number=caller,
            to_number=request.to_number,
            widget_id=request.widget_id,
            received_at=received_at,
        )
        if request.profile_id is not None:
            config = _answered_by(config, request.profile_id, request.config)
        decision = self._decide(config, facts, {})
        said = reasons(config, decision, facts)
        if request.profile_id is not None:
            asked = f"profile '{request.profile_id}' was asked for: the rules were not evaluated"
            said = [asked, *(sentence for sentence in said if sentence != NO_RULE)]
        return {
            "config": request.config,
            "config_version": config.version,
            "call_id": facts.call_id,
            "received_at": received_at.isoformat(),
            "outcome": decision.outcome,
            "reason": decision.reason,
            "rule_id": decision.rule_id,
            "variant": decision.variant,
            "profile_id": decision.profile_id,
            "customer_known": decision.customer_known,
            "local_time": decision.local_time,
            "missing_variables": list(decision.missing_variables),
            "reasons": said,
            "answer": dict(decision.body),
        }

    def impact(self, days: int, max_calls: int) -> dict[str, Any]:
        """Replays the tenant's recent calls against live and against the draft, through the router's own
        decision, and compares both what routes each call (rule, variant, profile) and the answer the webhook
        would send for it (what the caller hears)."""
        live = self.config("live")
        draft = self.config("draft")
        end = datetime.now(UTC)
        customers: dict[str, Customer | None] = {}
        summary = ImpactSummary()
        # Newest first, so past the limit it is the latest calls that are replayed ("the last M calls").
        for record in self.calls.newest_first(self.tenant_id, end - timedelta(days=days), iso(end)):
            if not record.has_decision or record.decided_at is None:
                continue
            if summary.checked >= max_calls:
                break
            facts = replayed_call(record)
            before = self._decide(live, facts, customers)
            after = self._decide(draft, facts, customers)
            summary.add(CallImpact(record.call_id, facts.channel, facts.widget_id, before, after))
        timezone = live.tenant.timezone if live.tenant is not None else "UTC"
        return {"days": days, "timezone": timezone, "truncated": summary.checked >= max_calls, **summary.as_json()}

    def _decide(self, config: TenantConfig, facts: CallFacts, customers: dict[str, Customer | None]) -> Decision:
        customer = None
        if facts.channel == "phone" and is_e164(facts.from_number):
            if facts.from_number not in customers:
                found = self.store.get(self.tenant_id, "customer", facts.from_number)
                customers[facts.from_number] = found if isinstance(found, Customer) else None
            customer = customers[facts.from_number]
        return decide(config, customer, facts, tool_secrets=SecretPlaceholders, max_prompt_chars=self.max_prompt_chars)


def _answered_by(config: TenantConfig, profile_id: str, which: str) -> TenantConfig:
    """`config` with no rules and `profile_id` as the default: that profile answers whoever calls, whenever."""
    if profile_id not in config.profiles:
        raise NotFound(f"there is no profile '{profile_id}' in the {which} configuration")
    tenant = config.tenant.model_copy(update={"default_profile_id": profile_id}) if config.tenant else None
    return replace(config, tenant=tenant, rules=())


def replayed_call(record: CallRecord) -> CallFacts:
    """The call as the router saw it, from what the decision log kept."""
    assert record.decided_at is not None
    web = record.channel == "web"
    return CallFacts(
        call_id=record.call_id,
        event_type="web.incoming" if web else "telephony.incoming",
        channel="web" if web else "phone",
        from_number=WEB_CALLER if web else (record.caller or WITHHELD_CALLER),
        to_number=record.to_number,
        widget_id=record.widget_id,
        received_at=record.decided_at,
    )


def reasons(config: TenantConfig, decision: Decision, facts: CallFacts) -> list[str]:
    """Why this answer, in sentences."""
    said: list[str] = []
    if decision.rule_id is not None:
        said.append(f"rule '{decision.rule_id}' is the first enabled rule, by priority, whose conditions all hold")
    elif decision.profile_id is not None:
        said.append(NO_RULE)
    if decision.variant is not None:
        rule = next((rule for rule in config.rules if rule.rule_id == decision.rule_id), None)
        by = "the caller's number" if rule is not None and isinstance(bucket_key(rule, facts), str) else "the call id"
        said.append(f"the call was bucketed into variant '{decision.variant}' by {by}")
    if decision.profile_id is not None:
        said.append(f"profile '{decision.profile_id}' answers")
    if decision.outcome == "fallback":
        why = FALLBACK_WORDS.get(decision.reason, decision.reason.replace("_", " "))
        said.append(f"Switchboard sends no configuration ({why}), so ThunderPhone's own agent for the number answers")
    said += list(decision.problems)
    if decision.missing_variables:
        said.append("these placeholders had no value: " + ", ".join(decision.missing_variables))
    if config.tenant is None:
        said.append("the tenant has no settings")
    return said
