"""`sbctl customers ...`: per-customer records, plus bulk `import` and `export` (CSV or JSON).

Imports validate every row before writing anything; see docs/admin-tooling.md for how versions and
history behave for bulk imports (ConfigStore.put_many).
"""

from __future__ import annotations

from pathlib import Path

from functions.tenant_config.models import Customer
from sbctl import customers_io
from sbctl.arguments import SubParsers, add_tenant
from sbctl.commands.items import register_group
from sbctl.context import Context
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK

PROGRESS_FROM = 100  # writes; smaller imports finish too fast for a progress line to help


def register(subparsers: SubParsers) -> None:
    commands = register_group(
        subparsers, group="customers", kind="customer", help_text="Known callers: name, segment, variables, prompts"
    )
    importing = commands.add_parser(
        "import",
        help="bulk import customers from CSV or JSON",
        description="Every row is validated first; if any row is bad nothing is written (unless --skip-invalid). "
        "Rows identical to what is stored are skipped; replaced versions are kept in history.",
    )
    add_tenant(importing)
    importing.add_argument("file", metavar="FILE", help="a .csv or .json file ('-' reads standard input)")
    importing.add_argument("--format", choices=("csv", "json"), help="default: from the file name")
    importing.add_argument("--skip-invalid", action="store_true", help="import the good rows, report the bad ones")
    importing.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
    importing.set_defaults(handler=cmd_import)

    exporting = commands.add_parser("export", help="export every customer of a tenant as CSV or JSON")
    add_tenant(exporting)
    exporting.add_argument("--format", choices=("csv", "json"), default="csv")
    exporting.add_argument("--output", "-o", help="write to this file instead of standard output")
    exporting.set_defaults(handler=cmd_export)


def cmd_import(ctx: Context) -> int:
    args = ctx.args
    name, rows = customers_io.load(args.file, args.format)
    good, bad = customers_io.parse_rows(rows)
    for row in bad:
        ctx.warn_problems(f"{name}: line {row.line}", row.problems)
    if bad and not args.skip_invalid:
        ctx.warn(f"{len(bad)} of {len(rows)} row(s) invalid: nothing written (fix them, or pass --skip-invalid)")
        return EXIT_FAILED

    def progress(done: int, total: int) -> None:
        if total >= PROGRESS_FROM:
            ctx.warn(f"writing {done}/{total}")

    result = ctx.store.put_many(
        args.tenant, [customer for _, customer in good], progress=progress, dry_run=args.dry_run
    )
    prefix = "dry run: would have " if args.dry_run else ""
    ctx.say(
        f"{prefix}created {len(result.created)}, updated {len(result.updated)}, "
        f"unchanged {len(result.unchanged)}, skipped invalid {len(bad)}"
    )
    return EXIT_FAILED if bad else EXIT_OK


def cmd_export(ctx: Context) -> int:
    listing = ctx.store.list_checked(ctx.args.tenant, "customer")
    customers = sorted((item for item in listing.items if isinstance(item, Customer)), key=lambda c: c.customer_id)
    write = customers_io.write_csv if ctx.args.format == "csv" else customers_io.write_json
    if ctx.args.output:
        with Path(ctx.args.output).open("w", encoding="utf-8", newline="") as stream:
            write(customers, stream)
        ctx.warn(f"exported {len(customers)} customer(s) to {ctx.args.output}")
    else:
        write(customers, ctx.out)
    for error in listing.invalid:
        ctx.warn_problems(f"not exported: invalid item {error.sort_key}", error.problems)
    return EXIT_FAILED if listing.invalid else EXIT_OK
