"""`sbctl calls contested|assign`: calls several tenants' decisions fit, whose outcome events wait for the operator.

sbctl calls contested [--call 1001]                 # what waits, per call, with its claimants
sbctl calls assign 1001 --tenant acme               # store its events under acme (one of its claimants)

A call is contested when more than one tenant's decision fits its start (a tenant that sent the call id too,
within minutes of the call) and ThunderPhone's record of it does not say whose it is (functions/outcomes/
attribution.py). Its events are in the calls table's CONTESTED partition; `assign` stores them under the tenant
whose call it was, refuses those that arrived on another tenant's key URL, and keeps the choice for the call's
later events and the backfill.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import TYPE_CHECKING

from sbctl.arguments import SubParsers
from sbctl.context import Context
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from functions.outcomes.contested import ContestedCalls

CACHE_TTL_S = 60


def add_commands(commands: SubParsers) -> None:
    """Adds `contested` and `assign` to the `calls` group (sbctl.commands.calls)."""
    listing = commands.add_parser(
        "contested",
        help="calls whose outcome events wait for the operator: several tenants' decisions fit them",
        description="Lists the outcome events set aside because more than one tenant's decision fits their call.",
    )
    listing.add_argument("--call", type=_call_id, help="one call id")
    listing.set_defaults(handler=run_contested)

    assign = commands.add_parser(
        "assign",
        help="store a contested call's outcome events under one of its claimants",
        description="Needs the configuration table too (--table or SWITCHBOARD_TABLE): the tenant's transcript "
        "switch decides whether transcripts are kept.",
    )
    assign.add_argument("call_id", type=_call_id, help="the contested call's id")
    assign.add_argument("--tenant", required=True, help="the tenant whose call it was (one of its claimants)")
    assign.set_defaults(handler=run_assign)


def _call_id(text: str) -> int:
    from functions.common.types import is_call_id

    value = int(text) if text.isdigit() else 0
    if not is_call_id(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a call id (a whole number, 1 or more)")
    return value


def _contested(ctx: Context) -> ContestedCalls:
    from functions.outcomes.contested import ContestedCalls
    from sbctl.commands.calls import calls_table

    return ContestedCalls(ctx.client("dynamodb"), calls_table(ctx))


def run_contested(ctx: Context) -> int:
    from functions.outcomes.contested import ContestedEvent

    by_call: dict[int, list[ContestedEvent]] = defaultdict(list)
    for event in _contested(ctx).events(ctx.args.call):
        by_call[event.call_id].append(event)
    if not by_call:
        ctx.say("no contested call waits" + (f" for call {ctx.args.call}" if ctx.args.call else ""))
        return EXIT_OK
    for call_id, events in sorted(by_call.items()):
        claimants = sorted({claimant for event in events for claimant in event.claimants})
        ctx.say(f"call {call_id}: claimed by {', '.join(claimants)}; {_plural(len(events), 'event')} set aside")
        for event in sorted(events, key=lambda e: e.message.received_at):
            message = event.message
            route = f"{message.tenant_id}'s key URL" if message.route_kind == "key" else "the org-level URL"
            may = ", ".join(claimant for claimant in event.claimants if event.named in (None, claimant))
            ctx.say(
                f"  {message.event_type} received {message.received_at.isoformat()} on {route}"
                f" (may be assigned to {may or 'nobody: it will be refused'})"
            )
        ctx.say(f"  assign it: sbctl --operator calls assign {call_id} --tenant {claimants[0]}")
    return EXIT_OK


def run_assign(ctx: Context) -> int:
    from functions.billing.meter import build_meter
    from functions.billing.settings import BillingSettings
    from functions.calls.repository import CallRepository
    from functions.common.settings import load_settings
    from functions.outcomes.contested import NotAClaimant, assign_call
    from functions.outcomes.directory import ConfigDirectory
    from sbctl.commands.calls import calls_table, cli_settings

    client = ctx.client("dynamodb")
    try:
        assigned = assign_call(
            _contested(ctx),
            CallRepository(
                client,
                calls_table(ctx),
                ttl_days=cli_settings().DECISION_TTL_DAYS,
                # what is stored under the tenant is counted into its month, as the outcome recorder counts it
                usage=build_meter(
                    client,
                    lambda: ctx.client("events"),
                    load_settings(BillingSettings),
                    config_table=ctx.table,
                    calls_table=calls_table(ctx),
                ),
            ),
            ConfigDirectory(client, ctx.table, ttl_seconds=CACHE_TTL_S, max_entries=16),
            ctx.args.call_id,
            ctx.args.tenant,
            actor=ctx.actor,
        )
    except NotAClaimant as exc:
        ctx.warn(f"sbctl: {exc}")
        return EXIT_FAILED
    call_id, tenant = ctx.args.call_id, ctx.args.tenant
    ctx.say(f"call {call_id} assigned to {tenant}: {_plural(len(assigned.stored), 'event')} stored under {tenant}")
    for event in assigned.refused:
        ctx.say(
            f"  refused {event.message.event_type} received on {event.message.tenant_id}'s key URL: "
            f"that URL cannot report {tenant}'s calls"
        )
    ctx.say("later events of this call, and the backfill, follow this choice")
    return EXIT_OK


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
