"""`sbctl settings get|set`: the tenant's settings (drafted, like profiles and rules).

Tenant admins change the tenant-owned fields only: time zone, variables, business hours and closed dates,
default profile, transcript opt-in. `display_name`, `status` and `phone_numbers` are the operator's: shown,
never changed here (a file from `settings get` may keep them as they are; changing one is refused).
"""

from __future__ import annotations

from typing import Any

from functions.tenant_api.models import OPERATOR_OWNED
from functions.tenant_config.live import TENANT_FIELDS
from functions.tenant_config.models import BOOKKEEPING
from sbctl.arguments import SubParsers, non_negative
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.files import load_text, read_text
from sbctl.tenant_mode import messages
from sbctl.tenant_mode.commands.items import document
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiError


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "settings",
        help="tenant settings: time zone, variables, business hours, default profile (drafted)",
        description=f"Tenant-owned: {', '.join(TENANT_FIELDS)}. Operator-owned (read-only here): "
        f"{', '.join(OPERATOR_OWNED)}. A change is {messages.DRAFTED}.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    get = commands.add_parser("get", help="print the settings (a file `set -f` takes back)")
    get.add_argument("--format", choices=("yaml", "json"), default="yaml")
    get.set_defaults(handler=cmd_get)

    change = commands.add_parser(
        "set",
        help="change tenant-owned settings (fields left out stay as they are)",
        description="Changes only the fields given (a file's and the flags'). It is based on --expect-version N, "
        "else the file's `version` (what `settings get` printed): a change made since is refused, never overwritten.",
    )
    change.add_argument("-f", "--file", metavar="FILE", help="YAML or JSON mapping of settings")
    change.add_argument("--timezone", help="IANA time zone, e.g. America/New_York")
    change.add_argument("--default-profile", dest="default_profile_id", help="profile that answers when no rule does")
    change.add_argument("--keep-transcripts", choices=("true", "false"), help="opt in to keeping transcripts")
    change.add_argument("--expect-version", type=non_negative, help="the settings version your change is based on")
    change.set_defaults(handler=cmd_set)


def cmd_get(ctx: TenantContext) -> int:
    ctx.show(document(ctx.api.request("GET", "/settings").data, "tenant_id"))
    ctx.warn(f"(operator-owned, read-only here: {', '.join(OPERATOR_OWNED)})")
    return EXIT_OK


def requested_changes(ctx: TenantContext) -> tuple[dict[str, Any], int | None]:
    """The fields to change and the version the change is based on (None: not said)."""
    args = ctx.args
    changes: dict[str, Any] = {}
    expected = args.expect_version
    if args.file:
        loaded = load_text(read_text(args.file), args.file)
        if not isinstance(loaded, dict):
            raise UsageError(f"{args.file}: settings are a mapping of fields, not {type(loaded).__name__}")
        version = loaded.get("version")
        if expected is None and isinstance(version, int) and not isinstance(version, bool):
            expected = version
        changes = {key: value for key, value in loaded.items() if key not in BOOKKEEPING}
    for name in ("timezone", "default_profile_id"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.keep_transcripts is not None:
        changes["keep_transcripts"] = args.keep_transcripts == "true"
    if not changes:
        raise UsageError("nothing to change: give -f FILE or a flag such as --timezone")
    return changes, expected


def cmd_set(ctx: TenantContext) -> int:
    changes, expected = requested_changes(ctx)
    current = ctx.api.request("GET", "/settings").data or {}
    # A file from `settings get` carries the operator's fields: unchanged, they are no change at all.
    changes = {
        key: value for key, value in changes.items() if not (key in OPERATOR_OWNED and current.get(key) == value)
    }
    if expected is None:
        version = current.get("version")
        now = ", ".join(f"{key} is {messages.short(current.get(key))}" for key in changes if key in current)
        ctx.warn(
            f"sbctl: say which version your change is based on: the settings are at version {version}"
            + (f" ({now})" if now else "")
            + f"; set them again with --expect-version {version}"
        )
        return EXIT_FAILED
    if not changes:
        ctx.say(f"the settings already say that (version {current.get('version')}): nothing to change")
        return EXIT_OK
    try:
        answer = ctx.api.request("PATCH", "/settings", body=changes, headers={"if-match": f'"{expected}"'})
    except ApiError as error:
        if error.status != 412:
            raise
        latest = error.current if error.current is not None else ctx.api.request("GET", "/settings").data
        latest = latest if isinstance(latest, dict) else {}
        if all(latest.get(key) == value for key, value in changes.items()):
            ctx.say(f"the settings already say that (version {latest.get('version')}): nothing to change")
            return EXIT_OK
        next_step = "Apply your change to the current settings (`sbctl settings get`), then set them again with "
        next_step += "--expect-version {version}."
        lines = messages.stale("settings", "", expected, latest, {**latest, **changes}, next_step)
        ctx.warn_lines(["sbctl: " + lines[0], *lines[1:]])
        return EXIT_FAILED
    data = answer.data if isinstance(answer.data, dict) else {}
    item = data.get("item") if isinstance(data.get("item"), dict) else data
    version = item.get("version", answer.version) if isinstance(item, dict) else answer.version
    ctx.say(f"the settings changed, now version {version}: {messages.DRAFTED}")
    ctx.warnings(data)
    return EXIT_OK
