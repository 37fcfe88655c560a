"""`sbctl customers list|get|put|delete|import`: known callers, live at once (not drafted).

`import` reads CSV or JSON with the operator mode's parser (sbctl/customers_io.py: every row validated with
the router's Customer model, problems by line), then sends one PUT per row: `If-None-Match: *` for a new
customer, `If-Match` with the version a GET just read for an existing one, nothing for an unchanged one. A
customer someone edits during the import is refused (412) and reported by line, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from functions.tenant_config.items import content
from functions.tenant_config.models import BOOKKEEPING, Customer
from sbctl import customers_io
from sbctl.arguments import SubParsers
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.tenant_mode import messages
from sbctl.tenant_mode.commands.items import KINDS, register_group
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiError, item_path

PROGRESS_FROM = 100  # rows; smaller imports finish too fast for progress lines to help
PROGRESS_EVERY = 25
ROW_ERRORS = frozenset({400, 404, 409, 412, 422})  # about this row; anything else stops the import


def register(subparsers: SubParsers) -> None:
    commands = register_group(subparsers, KINDS["customers"])
    importing = commands.add_parser(
        "import",
        help="create or change many customers from CSV or JSON (one request per row)",
        description="Every row is validated first; if any row is bad nothing is sent (unless --skip-invalid). "
        "Rows identical to the stored customer are skipped. A customer changed by someone else during the "
        f"import is refused and reported, never overwritten. Imported customers are {messages.LIVE_NOW}.",
    )
    importing.add_argument("file", metavar="FILE", help="a .csv or .json file ('-' reads standard input)")
    importing.add_argument("--format", choices=("csv", "json"), help="default: from the file name")
    importing.add_argument("--skip-invalid", action="store_true", help="import the good rows, report the bad ones")
    importing.add_argument("--dry-run", action="store_true", help="validate and compare; change nothing")
    importing.set_defaults(handler=cmd_import)


@dataclass
class Tally:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # lines

    @property
    def written(self) -> int:
        return len(self.created) + len(self.changed)


def cmd_import(ctx: TenantContext) -> int:
    args = ctx.args
    name, rows = customers_io.load(args.file, args.format)
    good, bad = customers_io.parse_rows(rows)
    for row in bad:
        ctx.warn(f"{name}: line {row.line}:")
        ctx.warn_lines(f"  - {problem}" for problem in row.problems)
    if bad and not args.skip_invalid:
        ctx.warn(f"{len(bad)} of {len(rows)} row(s) invalid: nothing sent (fix them, or pass --skip-invalid)")
        return EXIT_FAILED
    tally = Tally()
    for done, (line, customer) in enumerate(good, start=1):
        try:
            import_row(ctx, name, line, customer, tally)
        except Exception:
            ctx.warn(
                f"{name}: stopped at line {line}: {tally.written} customer(s) written before it "
                "(running the import again skips them)"
            )
            raise
        if len(good) >= PROGRESS_FROM and (done % PROGRESS_EVERY == 0 or done == len(good)):
            ctx.warn(f"{done}/{len(good)} row(s) done")
    prefix = "dry run: would have " if args.dry_run else ""
    ctx.say(
        f"{prefix}created {len(tally.created)}, changed {len(tally.changed)}, unchanged {len(tally.unchanged)}, "
        f"failed {len(tally.failed)}, skipped invalid {len(bad)}"
    )
    if tally.written and not args.dry_run:
        ctx.say(f"imported customers are {messages.LIVE_NOW}")
    return EXIT_FAILED if bad or tally.failed else EXIT_OK


def import_row(ctx: TenantContext, name: str, line: int, customer: Customer, tally: Tally) -> None:
    customer_id = customer.customer_id
    body = content(customer)
    path = item_path("customers", customer_id)
    try:
        stored = ctx.api.request("GET", path).data
    except ApiError as error:
        if error.status != 404:
            raise
        stored = None
    if isinstance(stored, dict) and same_content(stored, customer):
        tally.unchanged.append(customer_id)
        return
    expected = stored.get("version") if isinstance(stored, dict) else None
    if ctx.args.dry_run:
        (tally.created if expected is None else tally.changed).append(customer_id)
        return
    headers = {"if-none-match": "*"} if expected is None else {"if-match": f'"{expected}"'}
    try:
        answer = ctx.api.request("PUT", path, body=body, headers=headers)
    except ApiError as error:
        if error.status not in ROW_ERRORS:
            raise
        tally.failed.append(line)
        ctx.warn(f"{name}: line {line}: customer {customer_id}: {row_refusal(error, expected)}")
        ctx.warn_lines(f"  - {field_name}: {text}" for field_name, texts in error.fields.items() for text in texts)
        return
    (tally.created if answer.status == 201 else tally.changed).append(customer_id)
    ctx.warnings(answer.data)


def row_refusal(error: ApiError, expected: int | None) -> str:
    if error.status == 412:
        now = error.current.get("version") if error.current else None
        at = f" (now version {now})" if now is not None else ""
        if expected is None:
            return f"it was created by someone else during the import{at}: run the import again to compare"
        return f"someone changed it during the import{at}: nothing written for it; run the import again to compare"
    return error.message


def same_content(stored: dict[str, Any], customer: Customer) -> bool:
    """True when the stored customer says what the row says (bookkeeping aside)."""
    try:
        current = Customer.model_validate({key: value for key, value in stored.items() if key not in BOOKKEEPING})
    except ValidationError:
        return False
    return content(current) == content(customer)
