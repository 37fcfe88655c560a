"""`make run`'s caps and statements, as its banner prints them: the operator caps the demo tenant just above
this month's usage, two sessions end and reach the cap, the terminal shows the 80% alert and then the cap's, the
next session gets the over-limit agent (recorded as `capped`), and the month's statement lists the calls in
`sbctl --operator usage` and in the tenant's own usage view."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.clock import eventually
from tests.fixtures.local_run import LocalRun, local_run, send_json
from tests.integration.test_local_run import (
    admin_token,
    newcomer_shell,
    printed_commands,
    run_curl,
    run_in_shell,
)

SECTION = "Caps and statements"
OVER_LIMIT = "Say that Acme Dental is closed to calls; take a message."


@pytest.fixture(scope="module")
def run() -> Iterator[LocalRun]:
    with local_run() as started:
        yield started


def section_commands(banner: str) -> list[str]:
    """The operator tooling's exports, then the section's commands as a person copies them."""
    export = next(command for command in printed_commands(banner) if command.startswith("export "))
    commands: list[str] = []
    continuing = False
    for line in banner[banner.index(SECTION) :].splitlines():
        text = line.strip()
        if continuing:
            commands[-1] += "\n" + line
        elif line.startswith("  ") and text.startswith(("curl ", ".venv/bin/sbctl")):
            commands.append(text)
        else:
            continue
        continuing = text.endswith("\\")
    return [export, *commands]


def test_the_printed_cap_is_reached_alerted_and_enforced_and_the_month_is_stated(run: LocalRun, tmp_path: Path) -> None:
    export, plan_set, *calls, usage, plan_remove = section_commands(run.banner)
    assert [command.split()[0] for command in calls] == ["curl"] * 5
    shell = newcomer_shell(run, tmp_path)
    # When the operator caps the demo and two sessions come in and end, as printed
    results = run_in_shell([export, plan_set, *calls[:4]], shell)
    assert [code for code, _ in results] == [0] * 6, results
    assert "at a cap callers get the over-limit profile" in results[1][1]
    # Then the terminal shows the 80% alert, then the cap's
    eighty = run.wait_for_output(lambda line: "usage alert: tenant demo reached 80% of its cap" in line, timeout_s=60)
    assert eighty is not None, run.output[-20:]
    cap = run.wait_for_output(lambda line: "usage alert: tenant demo reached its cap" in line, timeout_s=60)
    assert cap is not None, run.output[-20:]

    # And the next session, once the webhook's cache has caught up, gets the over-limit agent
    def capped() -> dict[str, Any] | None:
        status, answer = run_curl(calls[4])
        return answer if status == 200 and answer.get("prompt") == OVER_LIMIT else None

    eventually(capped, "the over-limit agent answering", every_s=0.25)
    shown = run.wait_for_output(lambda line: "capped (minutes cap) -> over-limit" in line)
    assert shown is not None, run.output[-10:]

    # And the month's statement lists both sessions with their minutes, in sbctl's CSV
    def stated() -> list[dict[str, str]] | None:
        code, text = run_in_shell([export, usage], shell)[1]
        rows = [row for row in csv.DictReader(io.StringIO(text)) if row["call_id"] in ("1101", "1102", "1103")]
        return rows if code == 0 and len(rows) == 3 else None

    rows = eventually(stated, "the three sessions in the statement", every_s=0.25)
    by_call = {row["call_id"]: row for row in rows}
    assert (by_call["1101"]["billable_minutes"], by_call["1102"]["billable_minutes"]) == ("4", "2")
    assert by_call["1103"]["decision"] == "capped" and by_call["1103"]["status"] == "no cost yet"
    # and in the tenant's own view (the console's Usage page reads it)
    status, month = send_json(f"{run.base_url}/tenant/v1/usage", headers={"Authorization": admin_token(run)})
    assert status == 200 and month["plan"]["capped"] is True
    assert {line["call_id"] for line in month["statement"]["lines"]} >= {1101, 1102, 1103}
    # And removing the plan, as printed, uncaps the demo
    assert run_in_shell([export, plan_remove], shell)[1][0] == 0
    eventually(lambda: run_curl(calls[4])[1].get("prompt") not in (None, OVER_LIMIT), "the demo uncapped", every_s=0.25)
