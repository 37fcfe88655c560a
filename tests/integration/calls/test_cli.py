"""`sbctl calls report|sync` against moto (and the fake ThunderPhone API for sync)."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.billing.store import BillingStore
from functions.calls.repository import CallRepository
from functions.tenant_config.models import Channel
from functions.webhook.models import CallFacts, Decision
from sbctl.commands import calls
from sbctl.context import Context
from sbctl.settings import SbctlSettings
from tests.fixtures.admin import API_KEY
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME
from tests.fixtures.decisions import record_decision
from tests.fixtures.outcomes import record_outcome
from tests.integration.calls.conftest import NOW

DAY = datetime(2026, 5, 3, 10, tzinfo=UTC)


def sbctl(argv: list[str]) -> tuple[int, str, str]:
    """The calls group under sbctl's global options, run as `python -m sbctl` would."""
    parser = argparse.ArgumentParser(prog="sbctl")
    for flag in ("--table", "--region", "--profile", "--endpoint-url", "--actor"):
        parser.add_argument(flag)
    calls.register(parser.add_subparsers(dest="group", required=True))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = args.handler(Context(args=args, settings=SbctlSettings(), out=out, err=err))
    return code, out.getvalue(), err.getvalue()


def seed(client: Any) -> None:
    """acme: 4 web sessions (A, A, B, fallback) with 3 outcomes on 2026-05-03; globex: 1 phone session."""
    log = CallRepository(client, CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)
    decisions: list[tuple[int, str, Channel, Decision]] = [
        (1, "acme", "web", Decision("acme", "config", "rule", rule_id="greet", variant="A", profile_id="a")),
        (2, "acme", "web", Decision("acme", "config", "rule", rule_id="greet", variant="A", profile_id="a")),
        (3, "acme", "web", Decision("acme", "config", "rule", rule_id="greet", variant="B", profile_id="b")),
        (4, "acme", "web", Decision("acme", "fallback", "no_profile")),
        (5, "globex", "phone", Decision("globex", "config", "default_profile", profile_id="main")),
    ]
    for call_id, _tenant, channel, decision in decisions:
        facts = CallFacts(call_id, "web.incoming", channel, "web", None, "home" if channel == "web" else None, DAY)
        record_decision(log, facts, decision, latency_ms=8)
    for call_id, status, cents in ((1, "completed", 18), (2, "failed", 9), (3, "completed", 27)):
        data = {
            "call_id": call_id,
            "status": status,
            "duration_seconds": 60,
            "billable_minutes": 1,
            "billing_total_cents": cents,
        }
        record_outcome(log, "acme", "web.complete", data, keep_transcripts=False)
    record_outcome(log, "acme", "call.graded", {"call_id": 1, "grade": {"score": 90}}, keep_transcripts=False)
    # Outside the period: the next day.
    record_decision(
        log,
        CallFacts(9, "web.incoming", "web", "web", None, None, DAY + timedelta(days=1)),
        Decision("acme", "config", "rule"),
        latency_ms=8,
    )


def test_report_for_one_tenant_as_json(aws: dict[str, Any]) -> None:
    seed(aws["dynamodb"])

    code, out, _ = sbctl(
        [
            "calls",
            "--calls-table",
            CALLS_TABLE_NAME,
            "report",
            "--tenant",
            "acme",
            "--from",
            "2026-05-03",
            "--to",
            "2026-05-03",
            "--json",
        ]
    )

    assert code == 0
    (tenant,) = json.loads(out)["tenants"]
    assert (tenant["tenant_id"], tenant["sessions"], tenant["fallbacks"], tenant["decided"]) == ("acme", 4, 1, 4)
    assert (tenant["minutes"], tenant["cost_cents"], tenant["by_widget"]) == (3, 54, {"home": 4})
    variants = {v["variant"]: v for v in tenant["experiments"][0]["variants"]}
    assert (variants["A"]["sessions"], variants["A"]["completion_rate"], variants["A"]["avg_grade"]) == (2, 0.5, 90)
    assert (variants["B"]["sessions"], variants["B"]["completion_rate"]) == (1, 1.0)


def test_report_for_all_tenants_with_plots(aws: dict[str, Any], tmp_path: Path) -> None:
    seed(aws["dynamodb"])

    code, out, err = sbctl(
        [
            "calls",
            "--calls-table",
            CALLS_TABLE_NAME,
            "report",
            "--from",
            "2026-05-01",
            "--to",
            "2026-05-03",
            "--plot",
            str(tmp_path / "calls.png"),
        ]
    )

    assert code == 0
    assert "== Tenant acme ==" in out and "== Tenant globex ==" in out
    assert "Sessions 4 " in out and "Sessions 1 " in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls-acme.png", "calls-globex.png"]
    assert "wrote" in err


def test_report_needs_a_calls_table(aws: dict[str, Any]) -> None:
    from sbctl.errors import UsageError

    with pytest.raises(UsageError, match="--calls-table"):
        sbctl(["calls", "report", "--from", "2026-05-01", "--to", "2026-05-03"])


def test_sync_command_runs_a_window_and_resumes_it(aws: dict[str, Any], fake_thunderphone: Any) -> None:
    aws["secretsmanager"].create_secret(Name="tp-key", SecretString=API_KEY)
    log = CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)
    for i in range(3):
        fake_thunderphone.add_call(
            call_id=60 + i,
            direction="widget",
            start_time=f"2026-05-03T1{i}:00:00Z",
            billable_minutes=1,
            billing_total_cents=9,
        )
        record_decision(
            log,
            CallFacts(60 + i, "web.incoming", "web", "web", None, None, DAY + timedelta(hours=i)),  # at its start
            Decision("acme", "config", "rule"),
            latency_ms=3,
        )
    argv = [
        "--table",
        TABLE_NAME,
        "calls",
        "--calls-table",
        CALLS_TABLE_NAME,
        "sync",
        "--from",
        "2026-05-03",
        "--to",
        "2026-05-03",
        "--api-key-secret",
        "tp-key",
        "--api-base",
        fake_thunderphone.base_url,
        "--page-limit",
        "2",
    ]

    fake_thunderphone.fail_next(401)
    failed = sbctl(argv)
    code, out, _ = sbctl(argv)

    assert failed[0] == 1 and "refused the API key" in failed[2] and API_KEY not in failed[2]
    assert code == 0 and "3 calls seen (from offset 0), 3 ours, 3 outcomes" in out
    # and the outcomes it filled count in the tenant's month, as the backfill Lambda's do
    used = BillingStore(aws["dynamodb"], TABLE_NAME).read("acme").used("2026-05")
    assert (used.calls, used.minutes, used.cents) == (3, 3.0, 27.0)
