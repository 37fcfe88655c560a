"""The decision: which rule, variant and profile serve a call, and the agent configuration it gets.

Pure and total: no I/O, no clock, never raises for bad data (an invalid item becomes a fallback
decision). The router and `sbctl simulate` both call `decide`, so a simulation is the real answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from functions.common.types import is_e164
from functions.common.validation import problems_of
from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import (
    WEEKDAYS,
    AgentProfile,
    Customer,
    ProfileTool,
    RoutingRule,
    RuleMatch,
    SecretRef,
    Tenant,
    Variant,
    zone,
)
from functions.tenant_config.templating import Rendered, render
from functions.thunderphone.agent_config import AgentConfig
from functions.webhook.models import CallFacts, Decision

# Reads the tenant's tool credentials; called only when a chosen profile references one.
ToolSecrets = Callable[[], Mapping[str, str]]

_DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


# What a profile says of the answer as it is stored (the prompt, acknowledgement and tools are rendered per call).
_PROFILE_ANSWER_FIELDS = set(AgentConfig.model_fields) - {"prompt", "tools"}  # a set: what model_dump takes


class ToolSecretUnavailable(Exception):
    """A tool header names a credential the tenant's secret does not hold (or cannot be read)."""


class SecretPlaceholders(Mapping[str, str]):
    """Tool credentials for previews: every name maps to `<secret:NAME>`, so a preview shows which secret a
    header uses and never reads one."""

    def __getitem__(self, name: str) -> str:
        return f"<secret:{name}>"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def bucket(tenant_id: str, rule_id: str, key: int | str, variants: list[Variant]) -> Variant:
    """Weighted choice that depends only on its inputs: a redelivered call gets the same variant.

    `key` is the call id, or what `bucket_key` gives (a caller's key cannot equal a call id's)."""
    total = sum(variant.weight for variant in variants)
    digest = hashlib.sha256(f"{tenant_id}:{rule_id}:{key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in variants:
        if point < variant.weight:
            return variant
        point -= variant.weight
    raise AssertionError("unreachable: weights add up to total")


def caller_of(call: CallFacts) -> str | None:
    """The caller's E.164 number on a phone call; None for web sessions and withheld or odd numbers."""
    return call.from_number if call.channel == "phone" and is_e164(call.from_number) else None


def bucket_key(rule: RoutingRule, call: CallFacts) -> int | str:
    """What a rule's variants are bucketed by: the caller (`bucket_by` "caller", a phone call from an E.164
    number), else the call id, which keeps the variant every call got before `bucket_by` existed."""
    caller = caller_of(call) if rule.bucket_by == "caller" else None
    return f"caller:{caller}" if caller is not None else call.call_id


def is_open(tenant: Tenant, local: datetime) -> bool:
    """No business hours configured means always open, so after-hours rules never fire."""
    return tenant.business_hours is None or tenant.business_hours.is_open(local)


def rule_matches(when: RuleMatch, call: CallFacts, customer: Customer | None, open_now: bool) -> bool:
    caller = call.from_number if call.channel == "phone" else None
    checks = (
        when.channel is None or when.channel == call.channel,
        not when.widget_ids or call.widget_id in when.widget_ids,
        not when.to_numbers or call.to_number in when.to_numbers,
        not when.caller_numbers or caller in when.caller_numbers,
        not when.caller_prefixes or (caller is not None and caller.startswith(tuple(when.caller_prefixes))),
        when.customer is None or (when.customer == "known") == (customer is not None),
        not when.segments or (customer is not None and customer.segment in when.segments),
        when.schedule is None or (when.schedule == "business_hours") == open_now,
    )
    return all(checks)


def template_context(
    tenant: Tenant, profile: AgentProfile, customer: Customer | None, call: CallFacts, local: datetime, open_now: bool
) -> dict[str, dict[str, str]]:
    customer_vars: dict[str, str] = {}
    if customer is not None:
        customer_vars = {**customer.variables}
        if customer.name:
            customer_vars["name"] = customer.name
        if customer.segment:
            customer_vars["segment"] = customer.segment
    call_vars = {
        "id": str(call.call_id),
        "channel": call.channel,
        "local_time": local.strftime("%H:%M"),
        "local_date": local.date().isoformat(),
        "weekday": _DAY_NAMES[WEEKDAYS[local.weekday()]],
        "timezone": tenant.timezone,
        "is_business_hours": "yes" if open_now else "no",
    }
    if call.channel == "phone":
        call_vars["from_number"] = call.from_number
    if call.to_number:
        call_vars["to_number"] = call.to_number
    if call.widget_id:
        call_vars["widget_id"] = call.widget_id
    return {
        "tenant": {**tenant.variables, "id": tenant.tenant_id, "name": tenant.display_name},
        "profile": {**profile.variables, "id": profile.profile_id},
        "customer": customer_vars,
        "call": call_vars,
        # Bare {{ name }}: the most specific variables win.
        "vars": {**tenant.variables, **profile.variables, **(customer.variables if customer else {})},
    }


def resolve_tools(tools: list[ProfileTool], secrets: ToolSecrets) -> list[dict[str, Any]]:
    if not tools:
        return []
    values: Mapping[str, str] = secrets() if any(tool.secret_names() for tool in tools) else {}
    resolved = []
    for tool in tools:
        headers: dict[str, str] = {}
        for header, value in tool.endpoint.headers.items():
            if isinstance(value, SecretRef):
                if not isinstance(values.get(value.secret), str):
                    raise ToolSecretUnavailable(f"tool '{tool.function.name}' needs credential '{value.secret}'")
                headers[header] = values[value.secret]
            else:
                headers[header] = value
        endpoint = {"url": tool.endpoint.url, "method": tool.endpoint.method, "headers": headers}
        resolved.append({"type": "function", "function": tool.function.model_dump(), "endpoint": endpoint})
    return resolved


def decide(
    config: TenantConfig,
    customer: Customer | None,
    call: CallFacts,
    *,
    tool_secrets: ToolSecrets,
    max_prompt_chars: int,
) -> Decision:
    decision = _decide(config, customer, call, tool_secrets=tool_secrets, max_prompt_chars=max_prompt_chars)
    return replace(decision, stale=True) if config.stale else decision


def _decide(
    config: TenantConfig,
    customer: Customer | None,
    call: CallFacts,
    *,
    tool_secrets: ToolSecrets,
    max_prompt_chars: int,
) -> Decision:
    tenant_id = config.tenant_id  # the route's tenant; the tenant item is bound to it (items.from_item)
    tenant = config.tenant
    if config.invalid:
        # The published configuration cannot be read: {} serves the key's static agent, as ThunderPhone designed.
        return Decision(
            tenant_id, "fallback", "invalid_item", problems=tuple(error.log_text for error in config.invalid.values())
        )
    if tenant is None:
        return Decision(tenant_id, "fallback", "unknown_tenant")
    if tenant.status != "active":
        return Decision(tenant_id, "fallback", "tenant_suspended", config_version=config.version)

    local = call.received_at.astimezone(zone(tenant.timezone))
    open_now = is_open(tenant, local)
    rule: RoutingRule | None = next(
        (candidate for candidate in config.rules if rule_matches(candidate.when, call, customer, open_now)), None
    )
    variant = bucket(tenant_id, rule.rule_id, bucket_key(rule, call), rule.variants) if rule and rule.variants else None
    profile_id = variant.profile_id if variant else (rule.profile_id if rule else tenant.default_profile_id)
    assert profile_id is not None  # a rule validates to exactly one target
    chosen: dict[str, Any] = {  # what every decision from here on says (one Decision built at the end)
        "tenant_id": tenant_id,
        "rule_id": rule.rule_id if rule else None,
        "variant": variant.name if variant else None,
        "profile_id": profile_id,
        "config_version": config.version,
        "customer_known": customer is not None,
        "local_time": local.isoformat(timespec="minutes"),
    }
    profile = config.profiles.get(profile_id)
    if profile is None:
        missing_profile = (f"profile '{profile_id}' does not exist",)
        return Decision(**chosen, outcome="fallback", reason="no_profile", problems=missing_profile)

    context = template_context(tenant, profile, customer, call, local, open_now)
    prompt = _prompt(profile, customer, context, max_prompt_chars)
    acknowledgement = (
        render(profile.acknowledgement_prompt, context, max_chars=4000) if profile.acknowledgement_prompt else None
    )
    missing = tuple(dict.fromkeys(prompt.missing + (acknowledgement.missing if acknowledgement else ())))
    chosen |= {"profile_version": profile.version, "variables": context, "missing_variables": missing}
    try:
        tools = resolve_tools(profile.tools, tool_secrets)
    except ToolSecretUnavailable as exc:
        return Decision(**chosen, outcome="fallback", reason="tool_secret_unavailable", problems=(str(exc),))
    try:
        answer = AgentConfig.model_validate(
            {
                **profile.model_dump(include=_PROFILE_ANSWER_FIELDS),
                "prompt": prompt.text,
                "acknowledgement_prompt": acknowledgement.text if acknowledgement else None,
                "tools": tools,
            }
        )
    except ValidationError as exc:
        return Decision(**chosen, outcome="fallback", reason="invalid_answer", problems=tuple(problems_of(exc)))
    return Decision(
        **chosen,
        outcome="config",
        reason="rule" if rule else "default_profile",
        problems=("prompt truncated to MAX_PROMPT_CHARS",) if prompt.truncated else (),
        config=answer.to_response(),
    )


def _prompt(
    profile: AgentProfile, customer: Customer | None, context: Mapping[str, Mapping[str, str]], max_chars: int
) -> Rendered:
    template = (customer.prompt_override if customer else None) or profile.prompt
    if customer and customer.prompt_addendum:
        template = f"{template}\n\n{customer.prompt_addendum}"
    return render(template, context, max_chars=max_chars)
