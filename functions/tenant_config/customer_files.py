"""Customer files for bulk import/export: CSV (spreadsheet friendly) and JSON, with line numbers. One home for
`sbctl customers import|export` (both modes) and the tenant API's `POST /tenant/v1/customers/import`.

CSV columns: `phone` (E.164, or another customer id such as `email:ana@example.com`; the header
`customer_id` is accepted too), `name`, `segment`, `prompt_override`, `prompt_addendum`,
`variables` (a JSON object) and any number of `var.NAME` columns (one variable each). Empty cells
mean "not set". JSON: a list of objects with the same keys (`variables` an object).
Bookkeeping (`version`, `updated_at`, `updated_by`) in an exported file is ignored on import.

CSV is written and read through functions/common/csv_cells.py: an exported cell a spreadsheet would run as a
formula is made text, and reads back as it was. A JSON cell is held to the nesting limit of request bodies. A
file never fails as a whole for what one cell holds: each problem is its row's, naming the column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from pydantic import ValidationError

from functions.common import csv_cells
from functions.common.validation import NotJson, describe, json_value, plain_or_hidden, problems_of
from functions.tenant_config.models import BOOKKEEPING, Customer

FIELDS = ("phone", "name", "segment", "prompt_override", "prompt_addendum")
VAR_PREFIX = "var."
EXTRA_CELLS = "(extra cells)"


class FileProblem(ValueError):
    """The text cannot be read as customers at all (not a row's problem); the message starts "line N: "."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file (1-based)
    data: dict[str, Any]
    problems: tuple[str, ...] = ()  # what its cells hold that no model could check, each naming its column


@dataclass(frozen=True)
class BadRow:
    line: int
    problems: list[str]


def read_csv(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))  # a spreadsheet's BOM
    try:
        headers = [csv_cells.read(header) for header in reader.fieldnames or []]
    except csv.Error as exc:
        raise FileProblem(1, _unreadable(exc)) from None
    reader.fieldnames = headers
    unknown = [h for h in headers if h not in (*FIELDS, "customer_id", "variables") and not h.startswith(VAR_PREFIX)]
    if unknown:
        named = ", ".join(dict.fromkeys(plain_or_hidden(header) for header in unknown))
        raise FileProblem(1, f"unknown column(s) {named}; expected {', '.join(FIELDS)}, variables, var.NAME")
    if not {"phone", "customer_id"} & set(headers):
        raise FileProblem(1, "a `phone` (or `customer_id`) column is required")
    rows: list[Row] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            rows.append(_from_csv(start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileProblem(start, _unreadable(exc)) from None
    return rows


def _unreadable(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"a cell is longer than {csv.field_size_limit()} characters; shorten it"
    return "this line cannot be read as CSV; look for a quote that is never closed"


def _from_csv(line: int, record: dict[str, Any]) -> Row:
    data: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    problems: list[str] = []
    for key, cell in record.items():
        if key is None:  # more cells than headers
            data[EXTRA_CELLS] = cell
            continue
        if cell is None or cell == "":
            continue
        value = csv_cells.read(cell)
        if key == "variables":
            try:
                parsed = json_value(value)
            except NotJson as exc:
                problems.append(f'variables {exc}, a JSON object like {{"dentist": "Dr. Patel"}}')
                continue
            if isinstance(parsed, dict):
                variables.update(parsed)
            else:
                data["variables"] = parsed  # reported by the model as "must be a JSON object"
        elif key.startswith(VAR_PREFIX):
            variables[key[len(VAR_PREFIX) :]] = value
        else:
            data[key] = value
    if variables and "variables" not in data:
        data["variables"] = variables
    return Row(line, data, tuple(problems))


def read_json(text: str) -> list[Row]:
    """A JSON list of objects; each row's line number is where its object starts."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        raise FileProblem(_line(text, position), "expected a JSON list of customers")
    position = _skip_space(text, position + 1)
    rows: list[Row] = []
    if text.startswith("]", position):
        return rows
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise FileProblem(exc.lineno, f"not valid JSON: {exc.msg}") from None
        rows.append(Row(_line(text, position), value if isinstance(value, dict) else {"(row)": value}))
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif text.startswith("]", position):
            return rows
        else:
            raise FileProblem(_line(text, position), "expected ',' or ']' in the list of customers")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def parse_rows(rows: Iterable[Row], *, in_words: bool = False) -> tuple[list[tuple[int, Customer]], list[BadRow]]:
    """Validate every row with the router's Customer model; duplicates are bad rows too. Problems are terse
    ("segment: Input should be ...") for the CLI, or sentences naming the field (`in_words`) for the API."""
    good: list[tuple[int, Customer]] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        data = {key: value for key, value in row.data.items() if key not in BOOKKEEPING}
        if row.problems:
            bad.append(BadRow(row.line, list(row.problems)))
            continue
        if EXTRA_CELLS in data:
            bad.append(BadRow(row.line, ["this row has more cells than the header has columns"]))
            continue
        if "phone" in data:
            if "customer_id" in data:
                bad.append(BadRow(row.line, ["give either phone or customer_id, not both"]))
                continue
            data["customer_id"] = data.pop("phone")
        try:
            customer = Customer.model_validate(data)
        except ValidationError as exc:
            said = [describe(entry, root="row")[1] for entry in exc.errors()] if in_words else problems_of(exc)
            bad.append(BadRow(row.line, [problem.replace("customer_id", "phone", 1) for problem in said]))
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
    records = []
    for customer in customers:
        record = export_record(customer)
        variables = record.pop("variables", {})
        records.append(record | {VAR_PREFIX + name: value for name, value in variables.items()})
    csv_cells.write_table(stream, [*FIELDS, *(VAR_PREFIX + name for name in names)], records)
