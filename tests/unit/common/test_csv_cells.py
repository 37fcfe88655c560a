"""The cells of every CSV we write: nothing a spreadsheet would run, no control character, and every value read
back as it was."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.csv_cells import TEXT_MARK, read, would_run, write_table, written

CONTROLS = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)]))
texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=CONTROLS))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+14155550100", "'+14155550100"),
        ("-10%", "'-10%"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ('"=1', "'\"=1"),
        ("'=1", "''=1"),
        ("Jane Doe", "Jane Doe"),
        ("a=b", "a=b"),
        ("a\x00b\x1b[31m\x7f", "ab[31m"),
        (None, ""),
        (5, "5"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_made_text(value: object, cell: str) -> None:
    assert written(value) == cell


@given(texts)
def test_every_value_reads_back_as_it_was_and_no_written_cell_runs(value: str) -> None:
    cell = written(value)
    assert read(cell) == value
    assert cell.startswith(TEXT_MARK) or not would_run(cell)


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b"]), texts), max_size=5))
def test_a_written_table_reads_back(rows: list[dict[str, str]]) -> None:
    stream = io.StringIO()
    write_table(stream, ["a", "b"], rows)
    header, *lines = csv.reader(io.StringIO(stream.getvalue(), newline=""))
    assert header == ["a", "b"]
    assert [{"a": read(a), "b": read(b)} for a, b in lines] == [{"a": "", "b": ""} | row for row in rows]
