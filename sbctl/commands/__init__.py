"""Operator mode's command registry: every module listed in GROUPS adds its commands to `sbctl --operator`.

To add a group, write a module with

    def register(subparsers: sbctl.arguments.SubParsers) -> None:
        parser = subparsers.add_parser("calls", help="...")
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        report = commands.add_parser("report", help="...")
        sbctl.arguments.add_tenant(report)
        report.set_defaults(handler=run_report)   # run_report(ctx: sbctl.context.Context) -> int

and append its dotted name to GROUPS (one line). A handler returns an exit code from sbctl.exit_codes
(EXIT_OK, or EXIT_FAILED for invalid items or a conflict) and prints through `ctx.say` / `ctx.warn` /
`ctx.warn_problems`; raising sbctl.errors.UsageError exits 2. The global options (--table, --region,
--profile, --endpoint-url, --actor) are on `ctx.args` and `ctx.client()` / `ctx.store` build the AWS
clients from them.
"""

from __future__ import annotations

import importlib

from sbctl.arguments import SubParsers

GROUPS = [
    "sbctl.commands.tenants",
    "sbctl.commands.profiles",
    "sbctl.commands.rules",
    "sbctl.commands.customers",
    "sbctl.commands.validate",
    "sbctl.commands.publish",
    "sbctl.commands.simulate",
    "sbctl.commands.calls",
    "sbctl.commands.whoami",
    "sbctl.commands.billing",
]


def register_all(subparsers: SubParsers) -> None:
    for name in GROUPS:
        importlib.import_module(name).register(subparsers)
