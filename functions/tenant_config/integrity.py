"""Whole-configuration checks: what each item's model cannot see on its own.

A change is checked against the whole draft (the draft with the change applied): a rule naming a missing
profile, a default profile that does not exist, or a deleted profile still in use would make calls fall back,
so such a change is refused, naming what breaks. Unknown template variables are only warnings: a customer
may define them.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.tenant_config.live import Snapshot
from functions.tenant_config.models import AgentProfile
from functions.tenant_config.templating import CALL_VARIABLES, unknown_variables


@dataclass(frozen=True, order=True)
class Breakage:
    """Something that would make calls fall back; `field` says where (e.g. `rules.after-hours.profile_id`)."""

    field: str
    message: str


def breakages(snapshot: Snapshot) -> list[Breakage]:
    found: list[Breakage] = []
    settings = snapshot.settings
    if settings is None:
        found.append(Breakage("settings", "the tenant has no settings; ask the operator to create the tenant"))
    elif settings.default_profile_id not in snapshot.profiles:
        found.append(
            Breakage(
                "settings.default_profile_id",
                f"the default profile '{settings.default_profile_id}' does not exist",
            )
        )
    for rule in snapshot.rules.values():
        for profile_id in sorted(rule.profile_ids()):
            if profile_id not in snapshot.profiles:
                found.append(
                    Breakage(
                        f"rules.{rule.rule_id}.profile_id",
                        f"rule '{rule.rule_id}' names profile '{profile_id}', which does not exist",
                    )
                )
    return sorted(found)


def introduced(before: Snapshot, after: Snapshot) -> list[Breakage]:
    """What a change breaks that was not already broken: an old problem never blocks fixing another."""
    existing = set(breakages(before))
    return [breakage for breakage in breakages(after) if breakage not in existing]


def by_field(found: list[Breakage]) -> dict[str, list[str]]:
    """The breakages' messages keyed by where they are (an error's `fields`)."""
    fields: dict[str, list[str]] = {}
    for breakage in found:
        fields.setdefault(breakage.field, []).append(breakage.message)
    return fields


def users_of(snapshot: Snapshot, profile_id: str) -> list[str]:
    """Who uses a profile, in words: the rules naming it and, if it is, the default."""
    users = [f"rule '{rule.rule_id}'" for rule in snapshot.rules.values() if profile_id in rule.profile_ids()]
    if snapshot.settings is not None and snapshot.settings.default_profile_id == profile_id:
        users.insert(0, "the tenant's default profile setting")
    return users


def warnings(snapshot: Snapshot, profile: AgentProfile) -> list[str]:
    """Placeholders in a profile's prompts that neither the tenant's nor the profile's variables define."""
    variables = {**(snapshot.settings.variables if snapshot.settings else {}), **profile.variables}
    known = set(variables)
    known |= {f"tenant.{name}" for name in (snapshot.settings.variables if snapshot.settings else {})}
    known |= {f"profile.{name}" for name in profile.variables}
    found: list[str] = []
    for field_name in ("prompt", "acknowledgement_prompt"):
        template = getattr(profile, field_name)
        for name in unknown_variables(template, known) if template else []:
            if name.startswith("call."):
                provided = ", ".join(f"call.{variable}" for variable in sorted(CALL_VARIABLES))
                found.append(f"{field_name}: '{{{{ {name} }}}}' is never set: a call provides only {provided}")
                continue
            found.append(
                f"{field_name}: '{{{{ {name} }}}}' is not a tenant or profile variable; it renders empty unless "
                'the caller is a customer who defines it (give it a default: {{ name | default("...") }})'
            )
    return found
