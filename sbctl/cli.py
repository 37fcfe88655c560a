"""`python -m sbctl [global options] <group> <command> ...`: parsing, dispatch and exit codes.

Exit codes (sbctl.exit_codes): 0 ok, 1 invalid input / invalid stored items / version conflict / AWS error, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from functions.common.errors import InvalidItem, ItemNotFound, NumberTaken, StoreUnavailable, VersionConflict
from sbctl.commands import register_all
from sbctl.context import Context
from sbctl.errors import FileProblem, UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_USAGE
from sbctl.settings import get_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sbctl",
        description="Switchboard tenant admin: configuration items, customers, history and call simulation.",
        epilog="Flags fall back to SWITCHBOARD_TABLE, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and SBCTL_ACTOR.",
    )
    parser.add_argument("--table", help="configuration table name (env SWITCHBOARD_TABLE)")
    parser.add_argument("--region", help="AWS region (env AWS_REGION)")
    parser.add_argument("--profile", help="AWS credentials profile (env AWS_PROFILE)")
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint, e.g. the local run's (env AWS_ENDPOINT_URL)")
    parser.add_argument("--actor", help="name recorded as updated_by (env SBCTL_ACTOR, else the login name)")
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    register_all(groups)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clients: dict[str, Any] | None = None,
) -> int:
    """Run one command; `clients` pre-seeds boto3 clients by service name (tests reuse one client)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
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
