"""`sbctl simulate --config draft|live --channel web|phone ...`: what a call would get, and why.

The API runs the router's own decision on the draft or the live version. A call that can never happen (a
caller that is not E.164, a widget on a phone call, a caller or number called on a web session) is refused
before any request (sbctl/sanity.py). Exit code 1 when the call would get the fallback.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sbctl.arguments import SubParsers
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.sanity import simulation_problems
from sbctl.tenant_mode.context import TenantContext


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="the answer, rule, variant and profile a call would get from the draft or the live version",
        description="Runs the router's decision in the API on the draft (default) or the live version. "
        "Exit code 1 when the call would get the fallback (ThunderPhone's static agent).",
    )
    parser.add_argument("--config", choices=("draft", "live"), default="draft", help="which version (default draft)")
    parser.add_argument("--channel", choices=("web", "phone"), required=True)
    parser.add_argument("--caller", help="the caller's number, E.164 (phone only; default: withheld)")
    parser.add_argument("--to", dest="to_number", help="the number called, E.164 (phone only)")
    parser.add_argument("--widget", help="the widget the session starts from (web only)")
    parser.add_argument("--at", help="when the call arrives, ISO 8601 (no offset: the tenant's time zone); default now")
    parser.add_argument("--call-id", type=int, help="ThunderPhone call id (picks the A/B variant)")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.set_defaults(handler=cmd_simulate)


def request_body(args: Any) -> dict[str, Any]:
    """The simulate request for these flags; refused (exit 2) when no such call can ever happen."""
    problems = simulation_problems(
        channel=args.channel, caller=args.caller, widget=args.widget, to_number=args.to_number, call_id=args.call_id
    )
    if args.at is not None:
        try:
            datetime.fromisoformat(args.at)
        except ValueError:
            problems.append(f"--at '{args.at}' is not an ISO 8601 date-time such as 2026-03-02T09:30")
    if problems:
        raise UsageError("no such call can happen, nothing was sent:\n  - " + "\n  - ".join(problems))
    body = {
        "config": args.config,
        "channel": args.channel,
        "caller": args.caller,
        "widget_id": args.widget,
        "to_number": args.to_number,
        "at": args.at,
        "call_id": args.call_id,
    }
    return {key: value for key, value in body.items() if value is not None}


def cmd_simulate(ctx: TenantContext) -> int:
    body = request_body(ctx.args)
    data = ctx.api.request("POST", "/simulate", body=body).data or {}
    ctx.show(data)
    return EXIT_OK if isinstance(data, dict) and data.get("outcome") == "config" else EXIT_FAILED
