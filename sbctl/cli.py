"""`sbctl [--operator] <command> ...`: choosing the mode, then parsing, dispatch and exit codes.

Two modes, chosen before anything else is parsed:
- tenant mode (the default): tenant admins, through the tenant API with a bearer token (sbctl.tenant_mode);
- operator mode (`--operator`, or SBCTL_MODE=operator): the operator's direct-table commands with AWS
  credentials (sbctl.commands), unchanged from before the tenant API.

Exit codes (sbctl.exit_codes): 0 ok, 1 refused / invalid / conflict / AWS or API error, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from sbctl.arguments import parse_quietly
from sbctl.errors import FileProblem, UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_USAGE
from sbctl.settings import get_settings

if TYPE_CHECKING:
    from sbctl.tenant_mode.http import Transport

OPERATOR_FLAG = "--operator"
MODES = ("tenant", "operator")


def choose_mode(argv: Sequence[str], env_mode: str | None) -> tuple[str, list[str]]:
    """(mode, argv without --operator): `--operator` anywhere wins, else SBCTL_MODE, else tenant."""
    rest = [arg for arg in argv if arg != OPERATOR_FLAG]
    if len(rest) != len(argv):
        return "operator", rest
    mode = (env_mode or "tenant").strip().lower()
    if mode not in MODES:
        raise UsageError(f"SBCTL_MODE is '{env_mode}': it is tenant (the default) or operator")
    return mode, rest


def build_operator_parser() -> argparse.ArgumentParser:
    """Operator mode's parser: every group of sbctl.commands, with the AWS global options."""
    from sbctl.commands import register_all

    parser = argparse.ArgumentParser(
        prog="sbctl --operator",
        description="Switchboard operator mode: tenants' configuration items, customers, history, call simulation "
        "and call reports, read and written directly in the tables with AWS credentials. Tenant admins use tenant "
        "mode instead (sbctl --help).",
        epilog="Flags fall back to SWITCHBOARD_TABLE, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and SBCTL_ACTOR. "
        "SBCTL_MODE=operator selects this mode without --operator.",
    )
    parser.add_argument("--table", help="configuration table name (env SWITCHBOARD_TABLE)")
    parser.add_argument("--region", help="AWS region (env AWS_REGION)")
    parser.add_argument("--profile", help="AWS credentials profile (env AWS_PROFILE)")
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint, e.g. the local run's (env AWS_ENDPOINT_URL)")
    parser.add_argument("--actor", help="name recorded as updated_by (env SBCTL_ACTOR, else the login name)")
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    register_all(groups)
    return parser


def run_operator(argv: Sequence[str], *, out: TextIO, err: TextIO, clients: dict[str, Any] | None) -> int:
    from functions.common.errors import InvalidItem, ItemNotFound, NumberTaken, StoreUnavailable, VersionConflict
    from sbctl.context import Context

    args = parse_quietly(build_operator_parser(), argv, out=out, err=err)
    if isinstance(args, int):
        return args
    ctx = Context(args=args, settings=get_settings(), out=out, err=err, _clients=dict(clients or {}))
    try:
        return int(args.handler(ctx))
    except UsageError as exc:
        ctx.warn(f"sbctl: usage: {exc}")
        return EXIT_USAGE
    except (FileProblem, ItemNotFound, NumberTaken, StoreUnavailable) as exc:
        ctx.warn(f"sbctl: {exc}")
        return EXIT_FAILED
    except VersionConflict as exc:  # commands show their own diff; this is the last resort
        ctx.warn(f"sbctl: {exc}")
        return EXIT_FAILED
    except InvalidItem as exc:
        ctx.warn_problems(f"sbctl: stored {exc.sort_key} of tenant {exc.tenant_id} is invalid", exc.problems)
        return EXIT_FAILED


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clients: dict[str, Any] | None = None,
    transport: Transport | None = None,
) -> int:
    """Run one command. `clients` pre-seeds operator mode's boto3 clients by service name and `transport`
    replaces tenant mode's HTTP (tests pass in-process ones)."""
    out = out or sys.stdout
    err = err or sys.stderr
    settings = get_settings()
    try:
        mode, rest = choose_mode(sys.argv[1:] if argv is None else argv, settings.SBCTL_MODE)
    except UsageError as exc:
        print(f"sbctl: {exc}", file=err)
        return EXIT_USAGE
    try:
        if mode == "operator":
            return run_operator(rest, out=out, err=err, clients=clients)
        from sbctl.tenant_mode import app

        return app.run(rest, out=out, err=err, settings=settings, transport=transport)
    except KeyboardInterrupt:
        print("sbctl: interrupted", file=err)
        return 130


def run() -> None:
    """The `sbctl` console script."""
    raise SystemExit(main())
