"""Bulk customer import/export: every row validated first, bad rows by line, nothing partially written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.sbctl.conftest import Sbctl

Write = Callable[[str, Any], str]
T = ("--tenant", "acme")

GOOD_CSV = """phone,name,segment,prompt_override,prompt_addendum,var.plan,var.city
+33612345678,Marie Curie,vip,,,gold,Paris
+33687654321,Paul,regular,,"Paul prefers
to speak French.",,Lyon
+447700900123,Ada,,Hello {{ customer.name }}!,,silver,
"""

BAD_CSV = """phone,name,segment,var.plan
+33612345678,Marie Curie,vip,gold
0612345678,No Plus,vip,gold
+33687654321,Paul,regular,
+33612345678,Duplicate,vip,gold
+33699999999,Someone,{long_segment},
""".format(long_segment="s" * 70)


def customer_ids(sbctl: Sbctl) -> list[str]:
    return [item["customer_id"] for item in sbctl("customers", "list", *T, "--format", "json").yaml()]


def test_sbctl_import_csv_writes_every_row(sbctl: Sbctl, write: Write) -> None:
    result = sbctl("customers", "import", *T, write("customers.csv", GOOD_CSV))
    assert result.code == 0, result.err
    assert "created 3, updated 0, unchanged 0" in result.out
    paul = sbctl("customers", "get", *T, "+33687654321").yaml()
    assert paul["prompt_addendum"] == "Paul prefers\nto speak French."
    assert paul["variables"] == {"city": "Lyon"}
    assert paul["version"] == 1
    # Importing the same file again changes nothing
    again = sbctl("customers", "import", *T, write("customers.csv", GOOD_CSV))
    assert "created 0, updated 0, unchanged 3" in again.out


def test_sbctl_import_reports_bad_rows_by_line_and_writes_nothing(sbctl: Sbctl, write: Write) -> None:
    result = sbctl("customers", "import", *T, write("bad.csv", BAD_CSV))
    assert result.code == 1
    assert "bad.csv: line 3:" in result.err
    assert "phone: String should match pattern" in result.err
    assert "bad.csv: line 5:" in result.err
    assert "+33612345678 already appears on line 2" in result.err
    assert "bad.csv: line 6:" in result.err
    assert "segment: String should have at most 64 characters" in result.err
    assert "line 2:" not in result.err and "line 4:" not in result.err
    assert "3 of 5 row(s) invalid: nothing written" in result.err
    assert customer_ids(sbctl) == []


def test_sbctl_import_skip_invalid_writes_the_good_rows(sbctl: Sbctl, write: Write) -> None:
    result = sbctl("customers", "import", *T, write("bad.csv", BAD_CSV), "--skip-invalid")
    assert result.code == 1  # still reports that rows were skipped
    assert "created 2, updated 0, unchanged 0, skipped invalid 3" in result.out
    assert customer_ids(sbctl) == ["+33612345678", "+33687654321"]


def test_sbctl_import_json_with_line_numbers_and_updates_with_history(sbctl: Sbctl, write: Write) -> None:
    sbctl("customers", "import", *T, write("customers.csv", GOOD_CSV))
    rows = [
        {"phone": "+33612345678", "name": "Marie Curie", "segment": "vip", "variables": {"plan": "platinum"}},
        {"phone": "+33600000001", "name": "New", "variables": {"plan": 3}},
    ]
    text = json.dumps(rows, indent=2)
    bad = sbctl("customers", "import", *T, write("customers.json", text))
    assert bad.code == 1
    assert "customers.json: line 10:" in bad.err  # the second object starts on line 10
    assert "variables.plan: Input should be a valid string" in bad.err
    rows[1]["variables"] = {"plan": "3"}
    dry = sbctl("customers", "import", *T, write("customers.json", json.dumps(rows)), "--dry-run")
    assert "dry run: would have created 1, updated 1" in dry.out
    assert len(customer_ids(sbctl)) == 3
    good = sbctl("customers", "import", *T, write("customers.json", json.dumps(rows)))
    assert good.code == 0, good.err
    assert "created 1, updated 1, unchanged 0" in good.out
    marie = sbctl("customers", "get", *T, "+33612345678").yaml()
    assert (marie["version"], marie["variables"]) == (2, {"plan": "platinum"})
    history = sbctl("customers", "history", *T, "+33612345678", "--version", "1").yaml()
    assert history["variables"] == {"plan": "gold", "city": "Paris"}


def test_sbctl_export_then_import_round_trips(sbctl: Sbctl, write: Write, tmp_path: Path) -> None:
    sbctl("customers", "import", *T, write("customers.csv", GOOD_CSV))
    for fmt in ("csv", "json"):
        target = tmp_path / f"export.{fmt}"
        exported = sbctl("customers", "export", *T, "--format", fmt, "--output", str(target))
        assert exported.code == 0
        assert "exported 3 customer(s)" in exported.err
        back = sbctl("customers", "import", "--tenant", f"copy-{fmt}", str(target))
        assert back.code == 0, back.err
        assert "created 3" in back.out
        for customer_id in ("+33612345678", "+33687654321", "+447700900123"):
            original = sbctl("customers", "get", *T, customer_id).yaml()
            copy = sbctl("customers", "get", "--tenant", f"copy-{fmt}", customer_id).yaml()
            assert {k: v for k, v in copy.items() if k != "updated_at"} == {
                k: v for k, v in original.items() if k != "updated_at"
            }
    stdout = sbctl("customers", "export", *T)
    header = stdout.out.splitlines()[0]
    assert header == '"phone","name","segment","prompt_override","prompt_addendum","var.city","var.plan"'
    # a phone number is made text for spreadsheets (a leading apostrophe), and reads back as it was
    assert stdout.out.splitlines()[1].startswith('"\'+33612345678","')


def test_sbctl_import_shows_progress_for_long_imports(sbctl: Sbctl, write: Write) -> None:
    lines = ["phone,name"] + [f"+3361000{n:04d},Customer {n}" for n in range(120)]
    result = sbctl("customers", "import", *T, write("many.csv", "\n".join(lines) + "\n"))
    assert result.code == 0, result.err
    progress = [line for line in result.err.splitlines() if line.startswith("writing ")]
    assert progress[0] == "writing 25/120"
    assert progress[-1] == "writing 120/120"
    assert len(customer_ids(sbctl)) == 120


def test_sbctl_import_rejects_unknown_columns(sbctl: Sbctl, write: Write) -> None:
    result = sbctl("customers", "import", *T, write("odd.csv", "phone,nmae\n+33612345678,Marie\n"))
    assert result.code == 1
    assert "unknown column(s) nmae" in result.err


def test_sbctl_examples_are_valid_and_import(sbctl: Sbctl) -> None:
    examples = Path(__file__).parents[3] / "examples"
    demo = ("--tenant", "demo")
    for group, name in (
        ("profiles", "profile-new-patient.yaml"),
        ("rules", "rules.yaml"),
        ("customers", "customer.yaml"),
    ):
        result = sbctl(group, "put", *demo, str(examples / name))
        assert result.code == 0, (name, result.err)
    for name in ("customers.csv", "customers.json"):
        result = sbctl("customers", "import", *demo, str(examples / name))
        assert result.code == 0, (name, result.err)
    maria = sbctl("customers", "get", *demo, "+14155550177").yaml()
    assert maria["version"] == 1  # the CSV and JSON rows equal the YAML: nothing rewritten
