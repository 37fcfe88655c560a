"""Customer files for bulk import/export: CSV (spreadsheet friendly) and JSON, with line numbers. One home for
`sbctl customers import|export` (both modes) and the tenant API's `POST /tenant/v1/customers/import`.

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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from pydantic import ValidationError

from functions.common.validation import describe, problems_of
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


@dataclass(frozen=True)
class BadRow:
    line: int
    problems: list[str]


def read_csv(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = reader.fieldnames or []
    unknown = [h for h in headers if h not in (*FIELDS, "customer_id", "variables") and not h.startswith(VAR_PREFIX)]
    if unknown:
        raise FileProblem(
            1, f"unknown column(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}, variables, var.NAME"
        )
    if not {"phone", "customer_id"} & set(headers):
        raise FileProblem(1, "a `phone` (or `customer_id`) column is required")
    rows: list[Row] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            rows.append(Row(start, _from_csv(record)))
            start = reader.line_num + 1
    except csv.Error as exc:  # a NUL byte, or a quoted cell still open at the end of the text
        raise FileProblem(start, f"not readable as CSV: {exc}") from None
    return rows


def _from_csv(record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    for key, value in record.items():
        if key is None:  # more cells than headers
            data[EXTRA_CELLS] = value
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
    writer = csv.DictWriter(stream, fieldnames=[*FIELDS, *(VAR_PREFIX + name for name in names)], lineterminator="\n")
    writer.writeheader()
    for customer in customers:
        record = export_record(customer)
        variables = record.pop("variables", {})
        writer.writerow(record | {VAR_PREFIX + name: value for name, value in variables.items()})
