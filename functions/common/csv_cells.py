"""CSV a spreadsheet opens as data, never as formulas: the one writer of every CSV Switchboard writes, and the
reading back of the cells it wrote.

Following OWASP's CSV-injection guidance, a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return,
also behind leading spaces or quotes (which spreadsheets skip), is written with a leading apostrophe: Excel,
LibreOffice and Google Sheets then take it as text and do not show the apostrophe. Every cell is quoted, and
control characters (NUL and the like; tabs and line breaks stay) are dropped.

Reading undoes exactly what writing did: an apostrophe is removed only where the writer would have put one, so
every value reads back as it was, a phone number such as `+14155550100` or a variable such as `-10%` included.
Any other leading apostrophe is part of the value: `'0123` reads back as `'0123`.

Hand-written rather than with defusedcsv: that library wraps such a cell in apostrophes on both sides and escapes
`|`, which do not read back, and leaves tabs, carriage returns and cells behind spaces or quotes alone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTES = frozenset("\"'")
TEXT_MARK = "'"
# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def would_run(text: str) -> bool:
    """Whether a spreadsheet would read this cell as a formula: its first character that is not a space or a
    quote starts one."""
    for char in text:
        if char in FORMULA_STARTS:
            return True
        if not (char.isspace() or char in QUOTES):
            return False
    return False


def written(value: object) -> str:
    """A value as its cell is written: control characters dropped, a formula's start made text."""
    text = _CONTROLS.sub("", "" if value is None else str(value))
    return TEXT_MARK + text if would_run(text) else text


def read(cell: str) -> str:
    """A cell as `written` meant it: the apostrophe it added, and only that, removed."""
    return cell[1:] if cell.startswith(TEXT_MARK) and would_run(cell[1:]) else cell


def write_table(stream: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """A header of `columns`, then one line per row (a column a row lacks is an empty cell)."""
    writer = csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([written(column) for column in columns])
    for row in rows:
        writer.writerow([written(row.get(column)) for column in columns])
