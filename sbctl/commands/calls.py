"""`sbctl calls report|sync|contested|assign`: session reports from the calls table, the outcome backfill, and
contested calls (sbctl.commands.contested).

sbctl calls report --tenant acme --from 2026-05-01 --to 2026-05-31 [--json] [--plot acme.png]
sbctl calls report --from 2026-05-01 --to 2026-05-31            # every tenant (scans the table)
sbctl calls sync --from 2026-05-01 --to 2026-05-02 [--direction widget] [--restart]
sbctl calls sync                                                 # the scheduled window, as the Lambda does
sbctl calls contested; sbctl calls assign 1001 --tenant acme     # calls several tenants' decisions fit
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, ValidationError

from functions.common.settings import load_settings
from functions.outcomes.attribution import FitSettings
from sbctl.arguments import SubParsers
from sbctl.commands import contested
from sbctl.context import Context
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from functions.billing.meter import UsageMeter


class CallsCliSettings(FitSettings):
    """Environment fall-backs for the calls commands' own flags (and the attribution rule's window, as the
    backfill Lambda reads it)."""

    SWITCHBOARD_CALLS_TABLE: str | None = None
    THUNDERPHONE_API_KEY_SECRET_NAME: str | None = None
    THUNDERPHONE_API_BASE: str = "https://api.thunderphone.com/v1"
    DECISION_TTL_DAYS: Annotated[int, Field(ge=1, le=3650)] = 90
    THUNDERPHONE_TIMEOUT_S: Annotated[float, Field(gt=0, le=30)] = 10.0
    THUNDERPHONE_MAX_RETRIES: Annotated[int, Field(ge=0, le=5)] = 2


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser("calls", help="session reports, the call outcome backfill and contested calls")
    parser.add_argument("--calls-table", help="calls table name (env SWITCHBOARD_CALLS_TABLE)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser(
        "report",
        help="sessions, fallbacks, minutes, cost and A/B results per tenant for a period",
        description="Days are UTC and inclusive. Without --tenant every tenant is reported (a table scan).",
    )
    report.add_argument("--tenant", help="one tenant (default: all tenants)")
    report.add_argument("--from", dest="start", required=True, type=_date, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, type=_date, help="last day, YYYY-MM-DD (inclusive)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--plot", type=Path, help="write a PNG (daily sessions + experiments); one file per tenant")
    report.set_defaults(handler=run_report)

    sync = commands.add_parser(
        "sync",
        help="fill missed call outcomes from ThunderPhone's GET /v1/calls (resumable, safe to re-run)",
        description="Without --from/--to it runs the next scheduled window, exactly as the scheduled Lambda does.",
    )
    sync.add_argument("--from", dest="start", type=_moment, help="window start: YYYY-MM-DD or ISO time (UTC)")
    sync.add_argument("--to", dest="end", type=_moment_end, help="window end: YYYY-MM-DD (inclusive) or ISO time")
    sync.add_argument(
        "--direction",
        action="append",
        choices=["all", "widget", "mic", "inbound", "outbound"],
        help="ThunderPhone direction filter; repeatable (default: all)",
    )
    sync.add_argument("--restart", action="store_true", help="ignore a saved cursor for this window and start over")
    sync.add_argument("--page-limit", type=int, default=100, help="calls per page (default 100)")
    sync.add_argument(
        "--api-key-secret", help="Secrets Manager secret with the sk_live_ key (env THUNDERPHONE_API_KEY_SECRET_NAME)"
    )
    sync.add_argument("--api-base", help="ThunderPhone API base URL (env THUNDERPHONE_API_BASE)")
    sync.set_defaults(handler=run_sync)
    contested.add_commands(commands)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-05-01") from None


def _moment(text: str, *, end: bool = False) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (2026-05-01) or ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment_end(text: str) -> datetime:
    return _moment(text, end=True)


def cli_settings() -> CallsCliSettings:
    return load_settings(CallsCliSettings)


def usage_meter(ctx: Context) -> UsageMeter:
    """What the operator stores under a tenant (`sync`, `assign`) is counted into its month in the configuration
    table, as the outcome recorder counts it (BILLING_TIMEZONE and BILLING_ALERTS_EVENT_BUS from the environment:
    set them as the stage's functions have them, or alerts are only printed here)."""
    from functions.billing.meter import build_meter
    from functions.billing.settings import BillingSettings

    client = ctx.client("dynamodb")
    return build_meter(
        client,
        lambda: ctx.client("events"),
        load_settings(BillingSettings),
        config_table=ctx.table,
        calls_table=calls_table(ctx),
    )


def calls_table(ctx: Context) -> str:
    name: str | None = ctx.args.calls_table or cli_settings().SWITCHBOARD_CALLS_TABLE
    if not name:
        raise UsageError("no calls table given: pass --calls-table or set SWITCHBOARD_CALLS_TABLE")
    return name


def run_report(ctx: Context) -> int:
    from functions.calls.read_model import CallsReader
    from functions.calls.report import Period, build_report, render_text

    args = ctx.args
    if args.end < args.start:
        raise UsageError("--to is before --from")
    period = Period(start=args.start, end=args.end)
    reader = CallsReader(ctx.client("dynamodb"), calls_table(ctx))
    if args.tenant:
        records = list(reader.tenant_calls(args.tenant, period.start_at, period.end_at))
    else:
        records = list(reader.all_calls(period.start_at, period.end_at))
    report = build_report(records, period)
    if args.tenant and not report.tenants:
        ctx.warn(f"no sessions for tenant {args.tenant} in this period")
    ctx.say(report.model_dump_json(indent=2) if args.json else render_text(report))
    if args.plot is not None:
        from sbctl.reports.plots import plot_paths, plot_tenant

        paths = plot_paths(args.plot, [tenant.tenant_id for tenant in report.tenants])
        for tenant in report.tenants:
            written = plot_tenant(tenant, paths[tenant.tenant_id])
            ctx.warn(f"wrote {written}")
    return EXIT_OK


def run_sync(ctx: Context) -> int:
    from functions.call_sync import service
    from functions.call_sync.adapters import DynamoOutcomeStore
    from functions.call_sync.models import (
        DEFAULT_LOOKBACK_HOURS,
        DEFAULT_OVERLAP_MINUTES,
        DEFAULT_SETTLE_MINUTES,
        SyncRequest,
        report_json,
    )
    from functions.outcomes.directory import ConfigDirectory
    from functions.thunderphone.credentials import calls_api

    args = ctx.args
    settings = cli_settings()
    secret_name = args.api_key_secret or settings.THUNDERPHONE_API_KEY_SECRET_NAME
    if not secret_name:
        raise UsageError("no API key secret given: pass --api-key-secret or set THUNDERPHONE_API_KEY_SECRET_NAME")
    if not 1 <= args.page_limit <= 1000:
        raise UsageError("--page-limit must be between 1 and 1000")
    try:
        request = SyncRequest(start=args.start, end=args.end, directions=args.direction, restart=args.restart)
    except ValidationError as exc:
        raise UsageError("; ".join(error["msg"] for error in exc.errors())) from None

    source = calls_api(  # as the backfill Lambda builds it, with its defaults
        ctx.client("secretsmanager"),
        secret_name,
        base_url=args.api_base or settings.THUNDERPHONE_API_BASE,
        timeout_s=settings.THUNDERPHONE_TIMEOUT_S,
        max_retries=settings.THUNDERPHONE_MAX_RETRIES,
    )
    schedule = service.Schedule(  # the scheduled Lambda's defaults, so both continue the same cursor
        directions=("all",),
        lookback=timedelta(hours=DEFAULT_LOOKBACK_HOURS),
        settle=timedelta(minutes=DEFAULT_SETTLE_MINUTES),
        overlap=timedelta(minutes=DEFAULT_OVERLAP_MINUTES),
    )
    report = service.sync(
        request,
        source=source,
        store=DynamoOutcomeStore(
            ctx.client("dynamodb"),
            calls_table(ctx),
            usage=usage_meter(ctx),
            ttl_days=settings.DECISION_TTL_DAYS,
            clock=lambda: datetime.now(UTC),
        ),
        schedule=schedule,
        page_limit=args.page_limit,
        clock=lambda: datetime.now(UTC),
        time_left_s=lambda: float("inf"),
        fit=settings.fit_window,
        # The configuration table's number claims settle contested phone calls (the rest wait for `assign`).
        owners=ConfigDirectory(ctx.client("dynamodb"), ctx.table, ttl_seconds=300, max_entries=1000),
    )
    summary = report_json(report)
    for window in summary["windows"]:
        ctx.say(
            f"{window['direction']} {window['window_start']} .. {window['window_end']}: "
            f"{window['seen']} calls seen (from offset {window['resumed_from']}), {window['matched']} ours, "
            f"{window['completions_filled']} outcomes and {window['grades_filled']} grades filled"
            + (f", {window['contested']} contested (see `calls contested`)" if window["contested"] else "")
            + ("" if window["finished"] else " - NOT finished, run again to resume")
        )
    if not summary["windows"]:
        ctx.say("nothing to sync: the last scheduled window ended less than the settle time ago")
    for error in summary["errors"]:
        ctx.warn(f"sbctl: sync stopped: {error}")
    return EXIT_FAILED if summary["errors"] else EXIT_OK
