"""`sbctl validate --tenant T`: every invalid item of a tenant and every dangling reference.

Catches what direct edits (console, scripts) can break: items that no longer validate (the router
falls back for them), a default profile or rule target that does not exist, and phone numbers the
org-level endpoint would not route to this tenant. Exit code 1 when anything is found.
"""

from __future__ import annotations

from functions.common.errors import StoreUnavailable
from functions.tenant_config.items import ItemKind
from functions.tenant_config.models import AgentProfile, RoutingRule, Tenant
from sbctl.arguments import SubParsers, add_tenant
from sbctl.context import Context
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK

KINDS: tuple[ItemKind, ...] = ("tenant", "profile", "rule", "customer")


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser("validate", help="report every invalid item and dangling reference of a tenant")
    add_tenant(parser)
    parser.set_defaults(handler=cmd_validate)


def cmd_validate(ctx: Context) -> int:
    tenant_id = ctx.args.tenant
    findings: list[tuple[str, str]] = []  # (where, problem)
    listings = {kind: ctx.store.list_checked(tenant_id, kind) for kind in KINDS}
    for listing in listings.values():
        findings += [(error.sort_key, problem) for error in listing.invalid for problem in error.problems]
    tenant = next((item for item in listings["tenant"].items if isinstance(item, Tenant)), None)
    profiles = {item.profile_id for item in listings["profile"].items if isinstance(item, AgentProfile)}
    invalid_profiles = {error.sort_key.rpartition("#")[2] for error in listings["profile"].invalid}
    if tenant is None and not listings["tenant"].invalid:
        findings.append(("CONFIG#TENANT", "the tenant item is missing: every call gets the fallback"))
    if tenant is not None and tenant.default_profile_id not in profiles | invalid_profiles:
        findings.append(("CONFIG#TENANT", f"default_profile_id '{tenant.default_profile_id}' does not exist"))
    for rule in (item for item in listings["rule"].items if isinstance(item, RoutingRule)):
        for profile_id in sorted(rule.profile_ids() - profiles - invalid_profiles):
            state = "" if rule.enabled else " (rule disabled)"
            findings.append((f"CONFIG#RULE#{rule.rule_id}", f"profile '{profile_id}' does not exist{state}"))
    notes: list[str] = []
    if tenant is not None:
        try:
            for number in tenant.phone_numbers:
                owner = ctx.store.number_owner(number)
                if owner != tenant_id:
                    claimed = "claimed by another tenant" if owner else "not claimed"
                    findings.append(("CONFIG#TENANT", f"phone number {number} is {claimed}: org-level calls miss it"))
        except StoreUnavailable:
            notes.append("phone number claims not checked: these credentials cannot read NUMBER# items")
    counted = ", ".join(f"{len(listing.items) + len(listing.invalid)} {kind}(s)" for kind, listing in listings.items())
    for note in notes:
        ctx.warn(f"note: {note}")
    if not findings:
        ctx.say(f"tenant {tenant_id}: OK ({counted} checked)")
        return EXIT_OK
    for where, problem in findings:
        ctx.say(f"{where}: {problem}")
    ctx.say(f"tenant {tenant_id}: {len(findings)} problem(s) ({counted} checked)")
    return EXIT_FAILED
