"""sbctl's pure parts: file readers, customer rows with line numbers, diffs and the command registry."""

from __future__ import annotations

import argparse
import importlib
import io

import pytest

from sbctl import customers_io
from sbctl.cli import build_operator_parser, main
from sbctl.commands import GROUPS
from sbctl.errors import FileProblem
from sbctl.files import load_text
from sbctl.render import diff, dump


def test_files_yaml_keeps_unquoted_phone_numbers_as_strings() -> None:
    loaded = load_text("phone_numbers: [+33180000001]\npriority: 10\nweight: +5\nscore: 1.5\n", "t.yaml")
    assert loaded == {"phone_numbers": ["+33180000001"], "priority": 10, "weight": "+5", "score": 1.5}


def test_files_bad_json_names_the_file() -> None:
    with pytest.raises(FileProblem, match=r"x\.json: not valid JSON"):
        load_text("{", "x.json")


def test_customers_io_csv_rows_carry_their_starting_line() -> None:
    text = 'phone,name,prompt_addendum\n+33612345678,A,"two\nlines"\n+33687654321,B,\n'
    rows = customers_io.read_csv(text)
    assert [(row.line, row.data["phone"]) for row in rows] == [(2, "+33612345678"), (4, "+33687654321")]
    assert rows[0].data["prompt_addendum"] == "two\nlines"
    assert "prompt_addendum" not in rows[1].data  # empty cell: not set


def test_customers_io_csv_merges_variables_column_and_var_columns() -> None:
    rows = customers_io.read_csv('phone,variables,var.city\n+33612345678,"{""plan"": ""gold""}",Paris\n')
    good, bad = customers_io.parse_rows(rows)
    assert bad == []
    assert good[0][1].variables == {"plan": "gold", "city": "Paris"}


def test_customers_io_json_rows_carry_their_starting_line() -> None:
    text = '[\n  {"phone": "+33612345678"},\n\n  {"phone": "+33687654321",\n   "name": "B"}\n]'
    assert [row.line for row in customers_io.read_json(text)] == [2, 4]
    with pytest.raises(FileProblem, match="line 1: expected a JSON list"):
        customers_io.read_json('{"phone": "+33612345678"}')
    with pytest.raises(FileProblem, match="line 2"):
        customers_io.read_json('[{"phone": "+1"}\n {"phone": "+2"}]')


def test_customers_io_parse_rows_reports_every_problem() -> None:
    rows = [
        customers_io.Row(2, {"phone": "+33612345678", "version": 4}),
        customers_io.Row(3, {"phone": "0612345678"}),
        customers_io.Row(4, {"phone": "+33612345678"}),
        customers_io.Row(5, {"phone": "+33687654321", "customer_id": "+33687654321"}),
        customers_io.Row(6, {"phone": "+33699999999", "prompt_override": "Hi {{ nope.x }}"}),
    ]
    good, bad = customers_io.parse_rows(rows)
    assert [line for line, _ in good] == [2]
    assert [row.line for row in bad] == [3, 4, 5, 6]
    assert bad[0].problems[0].startswith("phone: String should match pattern")
    assert "unknown namespace 'nope'" in bad[3].problems[0]


def test_customers_io_detect_format() -> None:
    assert customers_io.detect_format("a.CSV", None) == "csv"
    assert customers_io.detect_format("a.txt", "json") == "json"
    with pytest.raises(FileProblem, match="--format"):
        customers_io.detect_format("a.txt", None)


def test_render_diff_ignores_bookkeeping_and_shows_changes() -> None:
    before = {"profile_id": "p", "prompt": "Old\nline", "version": 1, "updated_by": "a"}
    after = {"profile_id": "p", "prompt": "New\nline", "version": 2}
    changes = diff(before, after, "stored", "file")
    assert "-  Old" in changes and "+  New" in changes
    assert "version" not in changes
    assert diff(before, {**before, "version": 9}, "a", "b") == ""
    assert dump({"prompt": "a\nb"}, "yaml") == "prompt: |-\n  a\n  b"


def test_registry_every_group_registers_through_one_function() -> None:
    for name in GROUPS:
        assert callable(importlib.import_module(name).register), name
    parser = build_operator_parser()
    groups = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    assert {"tenants", "profiles", "rules", "customers", "validate", "simulate"} <= set(groups.choices)


def test_cli_help_exits_0_and_unknown_group_exits_2() -> None:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as caught:
        build_operator_parser().parse_args(["--help"])
    assert caught.value.code == 0
    assert main(["no-such-group"], out=out, err=err) == 2
