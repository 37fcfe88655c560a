"""Customer files for `sbctl customers import|export`: reading a file or standard input. The formats themselves
(columns, line numbers, validation with the router's Customer model) live in one home shared with the tenant API,
functions/tenant_config/customer_files.py; this module re-exports them with sbctl's FileProblem.
"""

from __future__ import annotations

import sys

from functions.tenant_config import customer_files
from functions.tenant_config.customer_files import (
    FIELDS,
    VAR_PREFIX,
    BadRow,
    Row,
    export_record,
    parse_rows,
    write_csv,
    write_json,
)
from functions.tenant_config.models import BOOKKEEPING
from sbctl.errors import FileProblem, UsageError
from sbctl.files import read_text

__all__ = [
    "BOOKKEEPING",
    "FIELDS",
    "VAR_PREFIX",
    "BadRow",
    "Row",
    "detect_format",
    "export_record",
    "load",
    "parse_rows",
    "read_csv",
    "read_json",
    "write_csv",
    "write_json",
]


def load(path: str, given_format: str | None) -> tuple[str, list[Row]]:
    """The rows of a customers file ('-': standard input, which needs `given_format`) and its name for messages."""
    if path == "-" and not given_format:
        raise UsageError("reading standard input: pass --format csv or --format json")
    name = "<stdin>" if path == "-" else path
    is_csv = detect_format(name, given_format) == "csv"
    # CSV keeps its line endings as they are: a quoted cell may hold a carriage return.
    text = sys.stdin.read() if path == "-" else read_text(path, newline="" if is_csv else None)
    try:
        rows = read_csv(text) if is_csv else read_json(text)
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
    try:
        return customer_files.read_csv(text)
    except customer_files.FileProblem as exc:
        raise FileProblem(str(exc)) from None


def read_json(text: str) -> list[Row]:
    try:
        return customer_files.read_json(text)
    except customer_files.FileProblem as exc:
        raise FileProblem(str(exc)) from None
