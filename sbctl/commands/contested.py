"""`sbctl calls contested|assign`: calls several tenants' decisions fit, whose outcome events wait for the operator.

sbctl calls contested [--call 1001]                 # what waits, per call, with its claimants and their decisions
sbctl calls assign 1001 --tenant acme               # store what is acme's under acme (one of its claimants)

A call is contested when more than one tenant's decision fits its start (a tenant that sent the call id too,
within minutes of the call) and ThunderPhone's record of it does not say whose it is (functions/outcomes/
attribution.py). Its events, and ThunderPhone's record of it when the backfill found it so, are in the calls
table's CONTESTED partition, listed with when each claimant decided the call against its start. `assign` stores
under the tenant whose call it was what that tenant's decision fits, refuses only the events whose route names
another tenant (another tenant's key URL, or the org-level URL naming another tenant's number), leaves the rest
waiting, and keeps the choice, which cannot be changed, for the call's later events and the backfill.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import TYPE_CHECKING

from sbctl.arguments import SubParsers
from sbctl.context import Context
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from datetime import datetime

    from functions.outcomes.contested import BackfilledCall, ContestedCalls, ContestedEvent

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
        help="store a contested call's outcome events under one of its claimants (a choice that cannot be changed)",
        description="Stores under the tenant what its decision fits, refuses the events whose route names another "
        "tenant and leaves the rest waiting; the choice is kept for the call's later events and the backfill, and "
        "cannot be changed. Needs the configuration table too (--table or SWITCHBOARD_TABLE): the tenant's "
        "transcript switch decides whether transcripts are kept.",
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
    from sbctl.commands.calls import calls_table, cli_settings

    return ContestedCalls(ctx.client("dynamodb"), calls_table(ctx), ttl_days=cli_settings().DECISION_TTL_DAYS)


def run_contested(ctx: Context) -> int:
    found = _contested(ctx).waiting(ctx.args.call)
    by_call: dict[int, list[ContestedEvent]] = defaultdict(list)
    for event in found.events:
        by_call[event.call_id].append(event)
    backfilled: dict[int, BackfilledCall] = {call.call_id: call for call in found.backfilled}
    if not by_call and not backfilled:
        ctx.say("no contested call waits" + (f" for call {ctx.args.call}" if ctx.args.call else ""))
        return EXIT_OK
    for call_id in sorted(set(by_call) | set(backfilled)):
        events = by_call.get(call_id, [])
        record = backfilled.get(call_id)
        claimants = sorted(
            {claimant for event in events for claimant in event.claimants} | set(record.claimants if record else ())
        )
        waits = [_plural(len(events), "event")] if events else []
        waits += ["ThunderPhone's record of it (found by the backfill)"] if record else []
        ctx.say(f"call {call_id}: claimed by {', '.join(claimants)}; {' and '.join(waits)} set aside")
        assignment = found.assignments.get(call_id)
        if assignment is not None:
            ctx.say(
                f"  assigned to {assignment.tenant_id} by {assignment.assigned_by or 'an operator'}"
                f" at {assignment.assigned_at.isoformat()}: what waits is not that tenant's as it stands"
            )
        for claim in _claims(events, record):
            ctx.say(f"  {claim}")
        for event in sorted(events, key=lambda e: e.message.received_at):
            may = ", ".join(claimant for claimant in event.claimants if event.named in (None, claimant))
            ctx.say(
                f"  {event.message.event_type} received {event.message.received_at.isoformat()} on {_route(event)}"
                f" (may be assigned to {may or 'nobody: it will be refused'})"
            )
        if assignment is None:
            ctx.say(f"  assign it: sbctl --operator calls assign {call_id} --tenant TENANT")
    return EXIT_OK


def _claims(events: list[ContestedEvent], record: BackfilledCall | None) -> list[str]:
    """Each claimant's decision against the call's start: ThunderPhone's record's, else the latest event's that
    names one (a grade names none, and then every decider claims)."""
    from functions.common.clock import iso

    claims: dict[str, datetime] = {}
    for event in events:
        claims |= event.claims
    starts = [event.call_start for event in sorted(events, key=lambda e: e.set_aside_at, reverse=True)]
    if record is not None:
        claims |= record.claims
        starts.insert(0, record.call_start)
    start = next((start for start in starts if start is not None), None)
    lines = []
    for tenant, decided_at in sorted(claims.items(), key=lambda claim: claim[1]):
        if start is None:
            lines.append(f"{tenant} decided it at {iso(decided_at)} (the call's start is unknown)")
            continue
        seconds = round((decided_at - start).total_seconds())
        when = (
            "at its start"
            if seconds == 0
            else _plural(abs(seconds), "second") + (" before" if seconds < 0 else " after")
        )
        lines.append(
            f"{tenant} decided it at {iso(decided_at)}, {when}{' it started' if seconds else ''} ({iso(start)})"
        )
    return lines


def _route(event: ContestedEvent) -> str:
    message = event.message
    if message.route_kind == "key":
        return f"{message.tenant_id}'s key URL"
    return f"the org-level URL, naming {event.named}'s number" if event.named else "the org-level URL"


def run_assign(ctx: Context) -> int:
    from functions.calls.repository import CallRepository
    from functions.outcomes.contested import AlreadyAssigned, NotAClaimant, assign_call
    from functions.outcomes.directory import ConfigDirectory
    from sbctl.commands.calls import calls_table, cli_settings, usage_meter

    client = ctx.client("dynamodb")
    try:
        assigned = assign_call(
            _contested(ctx),
            CallRepository(
                client,
                calls_table(ctx),
                ttl_days=cli_settings().DECISION_TTL_DAYS,
                usage=usage_meter(ctx),
            ),
            ConfigDirectory(client, ctx.table, ttl_seconds=CACHE_TTL_S, max_entries=16),
            ctx.args.call_id,
            ctx.args.tenant,
            actor=ctx.actor,
        )
    except (NotAClaimant, AlreadyAssigned) as exc:
        ctx.warn(f"sbctl: {exc}")
        return EXIT_FAILED
    call_id, tenant = ctx.args.call_id, ctx.args.tenant
    ctx.say(f"call {call_id} assigned to {tenant}: {_plural(len(assigned.stored), 'event')} stored under {tenant}")
    if assigned.backfilled:
        ctx.say(f"  ThunderPhone's record of it, found by the backfill, stored under {tenant}")
    for event in assigned.refused:
        ctx.say(
            f"  refused {event.message.event_type} received on {_route(event)}: that URL cannot report {tenant}'s calls"
        )
    for event in assigned.waiting:
        ctx.say(
            f"  still waiting: {event.message.event_type} received on {_route(event)}, whose start "
            f"{tenant}'s decision does not fit (see `calls contested --call {call_id}`)"
        )
    ctx.say("later events of this call, and the backfill, follow this choice")
    return EXIT_OK


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
