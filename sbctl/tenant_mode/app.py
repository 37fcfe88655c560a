"""Tenant mode's command line: the parser, the dispatch, and the one place API errors become messages."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NoReturn, TextIO

from sbctl.arguments import parse_quietly
from sbctl.errors import FileProblem, UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_USAGE
from sbctl.settings import SbctlSettings
from sbctl.tenant_mode import messages
from sbctl.tenant_mode.commands import GROUPS
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiError, Transport, Unreachable, urllib_transport

OPERATOR_FLAGS = ("--table", "--region", "--profile", "--endpoint-url", "--actor", "--tenant")
DESCRIPTION = """\
Switchboard's admin CLI. Tenant mode (this one, the default) edits your tenant's profiles, rules,
customers and settings through the tenant API, with the token `sbctl login` saved (or SWITCHBOARD_API_URL
and SWITCHBOARD_TOKEN). The tenant is always your token's. Profiles, rules and settings are drafted: callers
get them after `sbctl draft publish`. Customers are live at once.

Operators with AWS credentials: `sbctl --operator --help` (or SBCTL_MODE=operator) for the direct-table
commands."""
EPILOG = "Exit codes: 0 ok; 1 refused by the API, not reachable, or a simulated fallback; 2 usage or input refused."


class TenantParser(argparse.ArgumentParser):
    """argparse, plus a hint when an operator-mode flag (--table, --tenant, ...) is used in tenant mode."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments") and any(flag in message for flag in OPERATOR_FLAGS):
            message += (
                ". In tenant mode the tenant is your token's (sbctl whoami) and there is no table; the operator's "
                "direct-table commands are `sbctl --operator ...`"
            )
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = TenantParser(
        prog="sbctl", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--operator",
        action="store_true",
        help="operator mode: the direct-table commands with AWS credentials (see sbctl --operator --help)",
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(groups)
    return parser


def run(
    argv: Sequence[str],
    *,
    out: TextIO,
    err: TextIO,
    settings: SbctlSettings,
    transport: Transport | None = None,
    clock: Callable[[], datetime] | None = None,
    open_browser: Callable[[str], bool] | None = None,
) -> int:
    """One command. `clock` and `open_browser` are for tests (a token's expiry, the browser sign-in)."""
    args = parse_quietly(build_parser(), argv, out=out, err=err)
    if isinstance(args, int):
        return args
    ctx = TenantContext(args=args, settings=settings, out=out, err=err, transport=transport or urllib_transport())
    if clock is not None:
        ctx.clock = clock
    if open_browser is not None:
        ctx.open_browser = open_browser
    try:
        return int(args.handler(ctx))
    except UsageError as exc:
        ctx.warn(f"sbctl: {exc}")
        return EXIT_USAGE
    except FileProblem as exc:
        ctx.warn(f"sbctl: {exc}")
        return EXIT_FAILED
    except ApiError as exc:
        claims = ctx.claims
        source = ctx.credentials.token_source if ctx.credentials.token else None
        ctx.warn_lines(messages.api_error_lines(exc, role=claims.role if claims else None, token_source=source))
        return EXIT_FAILED
    except Unreachable as exc:
        base = ctx.api.base_url if "api" in ctx.__dict__ else exc.url
        ctx.warn_lines(messages.unreachable_lines(exc, base))
        return EXIT_FAILED
