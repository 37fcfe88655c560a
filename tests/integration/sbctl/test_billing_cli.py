"""`sbctl --operator plan` and `sbctl --operator usage`: the operator's plans and monthly statements from the shell."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from functions.billing.alerts import LoggedAlerts
from functions.billing.meter import UsageMeter
from functions.calls.records import Completion
from functions.calls.repository import CallRepository
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME
from tests.integration.sbctl.conftest import Sbctl


def complete(aws: dict[str, Any], tenant: str, call_id: int, minutes: float, cents: float) -> None:
    meter = UsageMeter(
        aws["dynamodb"],
        config_table=TABLE_NAME,
        calls_table=CALLS_TABLE_NAME,
        zone=UTC,  # type: ignore[arg-type]  # a tzinfo is all the meter needs of a zone
        alerts=LoggedAlerts(),
    )
    repository = CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, usage=meter)
    now = datetime.now(UTC)
    done = Completion(call_id, "event", "web.complete", "widget", "completed", None, 60.0, minutes, cents, now, now)
    repository.record_completion(tenant, done, keep_transcripts=False)


def test_the_operator_caps_a_tenant_and_reads_its_month(demo_tenant: str, sbctl: Sbctl, aws: dict[str, Any]) -> None:
    result = sbctl("plan", "set", "--tenant", "demo", "--minutes", "5")
    assert result.code == 0, result.err
    assert "5 minutes (0% used)" in result.out and "static agent" in result.out
    complete(aws, "demo", 501, 4.5, 45)
    complete(aws, "demo", 501, 4.5, 45)  # delivered twice
    complete(aws, "demo", 502, 1.0, 10)
    shown = sbctl("plan", "show", "--tenant", "demo")
    assert "110% used" in shown.out and "CAPPED NOW" in shown.out
    month = datetime.now(UTC).strftime("%Y-%m")
    args = ("usage", "--tenant", "demo", "--month", month, "--calls-table", CALLS_TABLE_NAME)
    text = sbctl(*args)
    assert text.code == 0, text.err
    assert "2 sessions, 5.5 minutes, $0.55" in text.out
    rows = list(csv.DictReader(io.StringIO(sbctl(*args, "--format", "csv").out)))
    assert [(row["call_id"], row["billable_minutes"], row["status"]) for row in rows] == [
        ("501", "4.5", "costed"),
        ("502", "1", "costed"),
    ]
    statement = json.loads(sbctl(*args, "--format", "json").out)["statements"][0]
    assert statement["totals"]["billable_minutes"] == 5.5 and statement["plan"]["monthly_minutes"] == 5


def test_a_plan_that_cannot_work_is_refused_in_words(demo_tenant: str, sbctl: Sbctl) -> None:
    result = sbctl("plan", "set", "--tenant", "demo", "--minutes", "5", "--at-cap", "over-limit-profile")
    assert result.code != 0 and "over_limit_profile" in result.err
    missing = sbctl("plan", "set", "--tenant", "nobody", "--minutes", "5")
    assert missing.code != 0 and "does not exist" in missing.err
    month = sbctl("usage", "--month", "12-2026", "--calls-table", CALLS_TABLE_NAME)
    assert month.code != 0 and "YYYY-MM" in month.err
