"""`sbctl draft show|discard|publish|impact`: the tenant's unpublished edits of profiles, rules and settings.

The router serves only the published (live) version. `publish` makes every drafted change live at once as a
new version; `impact` replays recent calls against the draft first and lists the ones it would route
differently or whose callers would hear something else (prompt, acknowledgement, voice, product, tools).
"""

from __future__ import annotations

import argparse
from typing import Any

from sbctl.arguments import SubParsers
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from sbctl.render import table
from sbctl.tenant_mode import messages
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiError

MAX_DAYS = 90


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "draft",
        help="unpublished changes: show, discard, publish, impact on recent calls",
        description="Edits of profiles, rules and settings change the draft; callers get them after publish.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="what the draft changes compared with the live version")
    show.add_argument("--format", choices=("table", "yaml", "json"), default="table")
    show.set_defaults(handler=cmd_show)

    discard = commands.add_parser("discard", help="drop every unpublished change (the draft becomes live again)")
    discard.add_argument("--yes", action="store_true", help="really discard (without it: show what would go)")
    discard.set_defaults(handler=cmd_discard)

    publish = commands.add_parser("publish", help="make every drafted change live at once, as a new version")
    publish.set_defaults(handler=cmd_publish)

    impact = commands.add_parser(
        "impact", help="replay recent calls against the draft: which would be routed or heard differently"
    )
    impact.add_argument("--days", type=_days, default=7, help=f"how many days of calls to replay (1-{MAX_DAYS}, 7)")
    impact.add_argument("--format", choices=("table", "yaml", "json"), default="table")
    impact.set_defaults(handler=cmd_impact)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days is 1 to {MAX_DAYS}")
    return days


def changes_table(changes: list[dict[str, Any]]) -> str:
    rows = [[c.get("kind"), c.get("id"), c.get("change"), ", ".join(c.get("fields") or [])] for c in changes]
    return table(["KIND", "ID", "CHANGE", "FIELDS"], rows)


def cmd_show(ctx: TenantContext) -> int:
    data = ctx.api.request("GET", "/draft").data or {}
    if ctx.args.format != "table":
        ctx.show(data)
        return EXIT_OK
    live = data.get("live_version")
    changes = data.get("changes") or []
    base = f"live version {live}" if live is not None else "nothing published yet"
    if not changes:
        ctx.say(f"the draft is the same as {base}: nothing to publish")
        return EXIT_OK
    ctx.say(f"{len(changes)} unpublished change(s) against {base}:")
    ctx.say(changes_table(changes))
    ctx.say("callers get them after `sbctl draft publish`; `sbctl draft impact` shows which recent calls would change")
    return EXIT_OK


def cmd_discard(ctx: TenantContext) -> int:
    if not ctx.args.yes:
        data = ctx.api.request("GET", "/draft").data or {}
        changes = data.get("changes") or []
        if not changes:
            ctx.say("the draft has no unpublished changes: nothing to discard")
            return EXIT_OK
        ctx.say(changes_table(changes))
        ctx.warn(f"sbctl: discarding drops these {len(changes)} unpublished change(s) for good: add --yes to do it")
        return EXIT_USAGE
    data = ctx.api.request("DELETE", "/draft").data or {}
    ctx.say(f"discarded {data.get('discarded', 0)} change(s): the draft is the live version again")
    return EXIT_OK


def cmd_publish(ctx: TenantContext) -> int:
    try:
        data = ctx.api.request("POST", "/draft/publish").data or {}
    except ApiError as error:
        if error.code == "nothing_to_publish":
            ctx.warn(f"sbctl: {error.message}")
            ctx.warn("  (the draft is the same as the live version; edit profiles, rules or settings first)")
            return EXIT_FAILED
        if error.code == "publish_conflict":
            ctx.warn(f"sbctl: {error.message}")
            ctx.warn("  Someone else published at the same moment: check `sbctl draft show`, then publish again.")
            return EXIT_FAILED
        raise
    changes = data.get("changes") or []
    ctx.say(f"published version {data.get('version')} at {data.get('published_at')} ({len(changes)} change(s)):")
    if changes:
        ctx.say(changes_table(changes))
    ctx.say(messages.PUBLISHED)
    return EXIT_OK


def cmd_impact(ctx: TenantContext) -> int:
    days = ctx.args.days
    data = ctx.api.request("GET", "/draft/impact", query={"days": days}).data or {}
    if ctx.args.format != "table":
        ctx.show(data)
        return EXIT_OK
    changed = data.get("changed") or []
    checked = data.get("calls_checked", 0)
    period = f"the last {_plural(days, 'day')}"
    ctx.say(f"{_plural(checked, 'call')} of {period} replayed against the draft: {len(changed)} would change")
    if data.get("truncated"):
        ctx.say("(only the most recent calls were replayed: the API stops at its limit; try fewer --days)")
    heard = data.get("heard_differently")
    if heard is not None:  # an API without the answer comparison sends only `changed`
        parts = [f"{part} for {count}" for part, count in (data.get("heard_by_part") or {}).items()]
        said = ": " + ", ".join([parts[0].replace(" for ", " changed for ", 1), *parts[1:]]) if parts else ""
        ctx.say(f"  {heard} would hear something different{said}")
        ctx.say(f"  {data.get('routing_changed', 0)} would be routed differently (rule, variant or profile)")
    if changed:
        rows = [
            [c.get("call_id"), _route(c.get("live")), _route(c.get("draft")), ", ".join(c.get("heard") or []) or "-"]
            for c in changed
        ]
        headers = ["CALL_ID", "LIVE (rule/variant -> profile)", "DRAFT (rule/variant -> profile)", "HEARS NEW"]
        ctx.say(table(headers, rows))
    sample = data.get("sample")
    if isinstance(sample, dict):
        ctx.say(f"call {sample.get('call_id')}'s prompt, live:")
        ctx.say(_indented(sample.get("live_prompt")))
        ctx.say("and with the draft:")
        ctx.say(_indented(sample.get("draft_prompt")))
    return EXIT_OK


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _indented(prompt: Any) -> str:
    if not isinstance(prompt, str):
        return "    (no prompt: the key's static agent answers)"
    return "\n".join(f"    {line}" for line in prompt.splitlines() or [""])


def _route(value: Any) -> str:
    if not isinstance(value, dict):
        return "-"
    rule = value.get("rule_id") or "(default)"
    variant = f"/{value['variant']}" if value.get("variant") else ""
    return f"{rule}{variant} -> {value.get('profile_id') or '(fallback)'}"
