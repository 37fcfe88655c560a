"""`sbctl --operator plan|usage`: tenants' plans (monthly caps and what callers get at a cap) and monthly usage
statements, read and written in the tables directly (functions/billing), as the admin API does.

sbctl --operator plan show --tenant demo
sbctl --operator plan set --tenant demo --minutes 500 [--spend-cents 2000] [--alert-percent 80]
      (or --minutes-left 5: this month's usage so far plus 5 minutes)
      [--at-cap fallback | --at-cap over-limit-profile --over-limit-prompt "..." --over-limit-voice en-US-Ava1]
sbctl --operator plan remove --tenant demo
sbctl --operator usage [--tenant demo] [--month 2026-12] [--format text|json|csv]   # every tenant without --tenant

Months are the billing time zone's (BILLING_TIMEZONE, as the functions read it; default UTC).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from functions.billing.months import BadMonth, month_of
from functions.billing.operator import AllStatements, PlanView, every_statement, month_or_current, plan_view
from functions.billing.plan import Plan
from functions.billing.settings import BillingSettings
from functions.billing.statements import Statement, statements_csv
from functions.billing.store import BillingStore
from functions.common.clock import utc_now
from functions.common.settings import load_settings
from functions.common.validation import problems_of
from functions.tenant_config.models import Tenant
from sbctl.arguments import SubParsers, add_tenant
from sbctl.commands.calls import calls_table
from sbctl.context import Context
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK

OVER_LIMIT_PROFILE_ID = "over-limit"


def register(subparsers: SubParsers) -> None:
    plan = subparsers.add_parser(
        "plan", help="a tenant's plan: monthly minute and spend caps, alerts, the capped answer"
    )
    commands = plan.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="the plan and this month's usage against it")
    add_tenant(show)
    show.add_argument("--json", action="store_true", help="print it as JSON")
    show.set_defaults(handler=run_show)
    put = commands.add_parser("set", help="set the plan (replaces the whole plan; usage is kept)")
    add_tenant(put)
    put.add_argument("--minutes", type=int, help="monthly cap of billable minutes")
    put.add_argument(
        "--minutes-left",
        type=int,
        help="or: cap at what this month has used so far plus this many minutes (rounded up to whole minutes)",
    )
    put.add_argument("--spend-cents", type=int, help="monthly cap of ThunderPhone cost, in cents")
    put.add_argument("--alert-percent", type=int, default=80, help="tell the operator at this share of a cap (80)")
    put.add_argument(
        "--at-cap",
        choices=["fallback", "over-limit-profile"],
        default="fallback",
        help="what callers get at a cap: the key's or number's static agent, or the over-limit profile",
    )
    put.add_argument("--over-limit-prompt", help="the over-limit profile's prompt (e.g. take a message)")
    put.add_argument("--over-limit-voice", help="the over-limit profile's ThunderPhone voice")
    put.set_defaults(handler=run_set)
    remove = commands.add_parser("remove", help="remove the plan: no caps (usage is still counted)")
    add_tenant(remove)
    remove.set_defaults(handler=run_remove)

    usage = subparsers.add_parser("usage", help="monthly usage statements: sessions, minutes, cost, per call")
    add_tenant(usage, required=False)
    usage.add_argument("--month", help="YYYY-MM in the billing time zone (default: this month)")
    usage.add_argument("--format", choices=["text", "json", "csv"], default="text", help="output (default text)")
    usage.add_argument("--calls-table", help="calls table name (env SWITCHBOARD_CALLS_TABLE)")
    usage.set_defaults(handler=run_usage)


def _settings() -> BillingSettings:
    return load_settings(BillingSettings)


def _store(ctx: Context) -> BillingStore:
    return BillingStore(ctx.client(), ctx.table)


def _existing(ctx: Context, tenant_id: str) -> None:
    if not isinstance(ctx.store.get(tenant_id, "tenant", tenant_id), Tenant):
        raise UsageError(f"tenant '{tenant_id}' does not exist (sbctl --operator tenants list shows them)")


def run_show(ctx: Context) -> int:
    _existing(ctx, ctx.args.tenant)
    view = plan_view(_store(ctx), ctx.args.tenant, zone=_settings().billing_zone, now=utc_now())
    ctx.say(view.model_dump_json(indent=2) if ctx.args.json else render_plan(view))
    return EXIT_OK


def run_set(ctx: Context) -> int:
    args, settings, now = ctx.args, _settings(), utc_now()
    _existing(ctx, args.tenant)
    month = month_of(now, settings.billing_zone)
    minutes = args.minutes
    if args.minutes_left is not None:
        if minutes is not None:
            raise UsageError("give --minutes or --minutes-left, not both")
        minutes = math.ceil(_store(ctx).read(args.tenant).used(month).minutes) + args.minutes_left
    values: dict[str, Any] = {
        "monthly_minutes": minutes,
        "monthly_spend_cents": args.spend_cents,
        "alert_percent": args.alert_percent,
        "at_cap": args.at_cap.replace("-", "_"),
    }
    if args.over_limit_prompt or args.over_limit_voice:
        values["over_limit_profile"] = {
            "profile_id": OVER_LIMIT_PROFILE_ID,
            "prompt": args.over_limit_prompt,
            "voice": args.over_limit_voice,
        }
    try:
        plan = Plan.model_validate({name: value for name, value in values.items() if value is not None})
    except ValidationError as exc:
        ctx.warn_problems("sbctl: the plan is not valid", problems_of(exc))
        return EXIT_FAILED
    _store(ctx).set_plan(args.tenant, plan, actor=ctx.actor, now=now, month=month)
    ctx.say(render_plan(plan_view(_store(ctx), args.tenant, zone=settings.billing_zone, now=now)))
    return EXIT_OK


def run_remove(ctx: Context) -> int:
    _existing(ctx, ctx.args.tenant)
    _store(ctx).remove_plan(ctx.args.tenant, actor=ctx.actor, now=utc_now())
    ctx.say(f"tenant {ctx.args.tenant}: no plan, no caps (usage is still counted)")
    return EXIT_OK


def run_usage(ctx: Context) -> int:
    from functions.calls.read_model import CallsReader

    args, settings, now = ctx.args, _settings(), utc_now()
    try:
        month = month_or_current(args.month, zone=settings.billing_zone, now=now)
    except BadMonth as exc:
        raise UsageError(str(exc)) from None
    if args.tenant:
        _existing(ctx, args.tenant)
        tenant_ids = [args.tenant]
    else:
        tenant_ids = [item.tenant_id for item in ctx.store.list_tenants().items if isinstance(item, Tenant)]
    every = every_statement(
        tenant_ids,
        month,
        calls=CallsReader(ctx.client(), calls_table(ctx)),
        billing=_store(ctx),
        zone=settings.billing_zone,
        final_days=settings.STATEMENT_FINAL_DAYS,
        now=now,
    )
    if args.format == "json":
        ctx.say(every.model_dump_json(indent=2))
    elif args.format == "csv":
        ctx.out.write(statements_csv(every.statements))
    else:
        ctx.say(render_usage(every))
    return EXIT_OK


def _minutes(value: float) -> str:
    return f"{value:g} minute" + ("" if value == 1 else "s")


def render_plan(view: PlanView) -> str:
    plan = view.plan
    lines = [f"tenant {view.tenant_id}, {view.month} ({view.timezone})"]
    if view.plan_problem:
        lines.append(f"  the stored plan is invalid ({view.plan_problem}): nothing is capped; set it again")
    if plan is None:
        lines.append("  no plan: no caps")
    else:
        caps = []
        if plan.monthly_minutes is not None:
            caps.append(f"{_minutes(plan.monthly_minutes)} ({view.percent_used.get('minutes', 0):g}% used)")
        if plan.monthly_spend_cents is not None:
            caps.append(f"${plan.monthly_spend_cents / 100:,.2f} ({view.percent_used.get('spend', 0):g}% used)")
        lines.append(f"  caps: {', '.join(caps) if caps else 'none'}; alert at {plan.alert_percent}%")
        at_cap = (
            f"the over-limit profile '{plan.over_limit_profile.profile_id}'"
            if plan.at_cap == "over_limit_profile" and plan.over_limit_profile
            else "the key's or number's static agent"
        )
        lines.append(f"  at a cap callers get {at_cap}" + ("; CAPPED NOW" if view.capped else ""))
    calls = f"{view.calls_counted} call" + ("" if view.calls_counted == 1 else "s")
    lines.append(f"  used: {_minutes(view.billable_minutes)}, ${view.cost_cents / 100:,.2f} ({calls} costed)")
    return "\n".join(lines)


def _statement_text(each: Statement) -> list[str]:
    totals = each.totals
    sessions = "session" if totals.sessions == 1 else "sessions"
    final = "final" if each.final else "not final yet"
    lines = [
        f"{each.tenant_id} {each.month} ({each.timezone}, {final}): {totals.sessions} {sessions}, "
        f"{_minutes(totals.billable_minutes)}, ${totals.cost_cents / 100:,.2f}"
        + (f"; {totals.without_cost} without a cost yet" if totals.without_cost else "")
    ]
    for title, split in (("channel", each.by_channel), ("widget", each.by_widget), ("number", each.by_number)):
        for name, part in split.items():
            lines.append(
                f"  {title} {name}: {part.sessions}, {_minutes(part.billable_minutes)}, ${part.cost_cents / 100:,.2f}"
            )
    return lines


def render_usage(every: AllStatements) -> str:
    if not every.statements:
        return f"no tenants for {every.month}"
    lines: list[str] = []
    for each in every.statements:
        lines.extend(_statement_text(each))
    lines.append("per call: --format csv (or json)")
    return "\n".join(lines)
