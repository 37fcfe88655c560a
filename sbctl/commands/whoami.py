"""`sbctl --operator whoami`: which mode sbctl is in and which table and AWS settings it would use (no AWS call)."""

from __future__ import annotations

from sbctl.arguments import SubParsers
from sbctl.context import Context
from sbctl.exit_codes import EXIT_OK


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser("whoami", help="the mode, table and AWS settings sbctl uses (makes no AWS call)")
    parser.set_defaults(handler=cmd_whoami)


def cmd_whoami(ctx: Context) -> int:
    args, settings = ctx.args, ctx.settings
    ctx.say("mode: operator (direct table access with AWS credentials; tenant admins use tenant mode: sbctl --help)")

    def shown(flag: str | None, env_name: str, env_value: str | None) -> str:
        if flag:
            return f"{flag} (from the flag)"
        return f"{env_value} (from {env_name})" if env_value else "(not set)"

    ctx.say(f"table: {shown(args.table, 'SWITCHBOARD_TABLE', settings.SWITCHBOARD_TABLE)}")
    region = settings.AWS_REGION or settings.AWS_DEFAULT_REGION
    ctx.say(f"region: {shown(args.region, 'AWS_REGION / AWS_DEFAULT_REGION', region)}")
    ctx.say(f"aws profile: {shown(args.profile, 'AWS_PROFILE', settings.AWS_PROFILE)}")
    ctx.say(f"endpoint: {shown(args.endpoint_url, 'AWS_ENDPOINT_URL', settings.AWS_ENDPOINT_URL)}")
    ctx.say(f"actor (updated_by): {ctx.actor}")
    return EXIT_OK
