"""Customer files for bulk import/export: CSV (spreadsheet friendly) and JSON, with line numbers.

CSV columns: `phone` (E.164, or another customer id such as `email:ana@example.com`; the header
`customer_id` is accepted too), `name`, `segment`, `prompt_override`, `prompt_addendum`,
`variables` (a JSON object) and any number of `var.NAME` columns (one variable each). Empty cells
mean "not set". JSON: a list of objects with the same keys (`variables` an object).
Bookkeeping (`version`, `updated_at`, `updated_by`) in an exported file is ignored on import.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from pydantic import ValidationError

from functions.common.validation import problems_of
from functions.tenant_config.models import Customer
from sbctl.errors import FileProblem, UsageError
from sbctl.files import read_text

FIELDS = ("phone", "name", "segment", "prompt_override", "prompt_addendum")
VAR_PREFIX = "var."
BOOKKEEPING = frozenset({"version", "updated_at", "updated_by"})


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file (1-based)
    data: dict[str, Any]


@dataclass(frozen=True)
class BadRow:
    line: int
    problems: list[str]


def load(path: str, given_format: str | None) -> tuple[str, list[Row]]:
    """The rows of a customers file ('-': standard input, which needs `given_format`) and its name for messages."""
    if path == "-":
        if not given_format:
            raise UsageError("reading standard input: pass --format csv or --format json")
        text, name = sys.stdin.read(), "<stdin>"
    else:
        text, name = read_text(path), path
    try:
        rows = read_csv(text) if detect_format(name, given_format) == "csv" else read_json(text)
    except FileProblem as exc:
        raise FileProblem(f"{name}: {exc}") from None
    return name, rows


def detect_format(path: str, given: str | None) -> str:
    if given:
        return given
    if path.lower().endswith(".csv"):
        return "csv"
    if path.lower().endswith(".json"):
        return "json"
    raise FileProblem(f"{path}: cannot tell the format from the name; pass --format csv or --format json")


def read_csv(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = reader.fieldnames or []
    unknown = [h for h in headers if h not in (*FIELDS, "customer_id", "variables") and not h.startswith(VAR_PREFIX)]
    if unknown:
        raise FileProblem(
            f"line 1: unknown column(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}, variables, var.NAME"
        )
    if not {"phone", "customer_id"} & set(headers):
        raise FileProblem("line 1: a `phone` (or `customer_id`) column is required")
    rows: list[Row] = []
    start = reader.line_num + 1
    for record in reader:
        rows.append(Row(start, _from_csv(record)))
        start = reader.line_num + 1
    return rows


def _from_csv(record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    for key, value in record.items():
        if key is None:  # more cells than headers
            data["(extra cells)"] = value
            continue
        if value is None or value == "":
            continue
        if key == "variables":
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = value  # reported by the model as "not a valid dictionary"
            if isinstance(parsed, dict):
                variables.update(parsed)
            else:
                data["variables"] = parsed
        elif key.startswith(VAR_PREFIX):
            variables[key[len(VAR_PREFIX) :]] = value
        else:
            data[key] = value
    if variables and "variables" not in data:
        data["variables"] = variables
    return data


def read_json(text: str) -> list[Row]:
    """A JSON list of objects; each row's line number is where its object starts."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        raise FileProblem(f"line {_line(text, position)}: expected a JSON list of customers")
    position = _skip_space(text, position + 1)
    rows: list[Row] = []
    if text.startswith("]", position):
        return rows
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise FileProblem(f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
        rows.append(Row(_line(text, position), value if isinstance(value, dict) else {"(row)": value}))
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif text.startswith("]", position):
            return rows
        else:
            raise FileProblem(f"line {_line(text, position)}: expected ',' or ']' in the list of customers")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def parse_rows(rows: Iterable[Row]) -> tuple[list[tuple[int, Customer]], list[BadRow]]:
    """Validate every row with the router's Customer model; duplicates are bad rows too."""
    good: list[tuple[int, Customer]] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        data = {key: value for key, value in row.data.items() if key not in BOOKKEEPING}
        if "phone" in data:
            if "customer_id" in data:
                bad.append(BadRow(row.line, ["give either phone or customer_id, not both"]))
                continue
            data["customer_id"] = data.pop("phone")
        try:
            customer = Customer.model_validate(data)
        except ValidationError as exc:
            bad.append(BadRow(row.line, [problem.replace("customer_id", "phone", 1) for problem in problems_of(exc)]))
            continue
        if customer.customer_id in seen:
            bad.append(
                BadRow(row.line, [f"{customer.customer_id} already appears on line {seen[customer.customer_id]}"])
            )
            continue
        seen[customer.customer_id] = row.line
        good.append((row.line, customer))
    return good, bad


def export_record(customer: Customer) -> dict[str, Any]:
    record: dict[str, Any] = {"phone": customer.customer_id}
    record |= customer.model_dump(mode="json", exclude_none=True, include=set(FIELDS[1:]) | {"variables"})
    if not record.get("variables"):
        record.pop("variables", None)
    return record


def write_json(customers: Iterable[Customer], stream: TextIO) -> None:
    json.dump([export_record(customer) for customer in customers], stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def write_csv(customers: Iterable[Customer], stream: TextIO) -> None:
    customers = list(customers)
    names = sorted({name for customer in customers for name in customer.variables})
    writer = csv.DictWriter(stream, fieldnames=[*FIELDS, *(VAR_PREFIX + name for name in names)], lineterminator="\n")
    writer.writeheader()
    for customer in customers:
        record = export_record(customer)
        variables = record.pop("variables", {})
        writer.writerow(record | {VAR_PREFIX + name: value for name, value in variables.items()})
