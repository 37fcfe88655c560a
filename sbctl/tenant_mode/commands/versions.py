"""`sbctl versions list|show N|rollback N`: the tenant's published versions, newest first.

Published versions never change. `rollback N` publishes version N's content again, as a new version, so
history only grows; it is refused while the draft has unpublished changes (publish or discard them first).
"""

from __future__ import annotations

from sbctl.arguments import SubParsers, non_negative
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.render import table
from sbctl.tenant_mode import messages
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiError


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser("versions", help="published versions: list, show one, roll back to one")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="every published version, newest first")
    listing.add_argument("--format", choices=("table", "yaml", "json"), default="table")
    listing.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", help="one published version: settings, profiles and rules")
    show.add_argument("version", type=non_negative)
    show.add_argument("--format", choices=("yaml", "json"), default="yaml")
    show.set_defaults(handler=cmd_show)

    rollback = commands.add_parser(
        "rollback", help="publish version N's content again as a new version (the draft must have no changes)"
    )
    rollback.add_argument("version", type=non_negative)
    rollback.set_defaults(handler=cmd_rollback)


def cmd_list(ctx: TenantContext) -> int:
    data = ctx.api.request("GET", "/versions").data or {}
    if ctx.args.format != "table":
        ctx.show(data)
        return EXIT_OK
    live = data.get("live_version")
    versions = data.get("versions") or []
    if not versions:
        ctx.say("nothing published yet")
        return EXIT_OK
    rows = [
        [
            f"{v.get('version')}{' (live)' if v.get('version') == live else ''}",
            v.get("published_at"),
            v.get("published_by"),
            v.get("restored_from"),
        ]
        for v in versions
    ]
    ctx.say(table(["VERSION", "PUBLISHED_AT", "PUBLISHED_BY", "RESTORED_FROM"], rows))
    return EXIT_OK


def cmd_show(ctx: TenantContext) -> int:
    ctx.show(ctx.api.request("GET", f"/versions/{ctx.args.version}").data)
    return EXIT_OK


def cmd_rollback(ctx: TenantContext) -> int:
    try:
        data = ctx.api.request("POST", f"/versions/{ctx.args.version}/rollback").data or {}
    except ApiError as error:
        if error.code == "draft_not_empty":
            ctx.warn(f"sbctl: {error.message}")
            ctx.warn(
                "  A rollback replaces the draft too: publish the draft (`sbctl draft publish`) or discard it "
                "(`sbctl draft discard`), then roll back again. `sbctl draft show` lists the changes."
            )
            return EXIT_FAILED
        raise
    ctx.say(
        f"published version {data.get('version')} with the content of version {data.get('restored_from')}: "
        f"{messages.PUBLISHED}"
    )
    return EXIT_OK
