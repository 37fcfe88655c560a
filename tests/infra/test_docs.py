"""docs/deploy.md and docs/runbook.md as operators read them: every figure of deploy.md's "Sizes at a glance"
table is what the templates hold, and every table renders (no paragraph line inside one, every row complete)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.conftest import ROOT, function_by_handler, our_functions, resources, synth_templates

DEPLOY = ROOT / "docs" / "deploy.md"
RUNBOOK = ROOT / "docs" / "runbook.md"
UNRESERVED_KEPT_BY_AWS = 100
NEW_ACCOUNT_QUOTA = 10
WEBHOOK = "functions.webhook.handler.lambda_handler"


@pytest.fixture(scope="module")
def stages() -> Iterator[dict[str, dict[str, Any]]]:
    yield {
        stage: synth_templates(stage=stage, alarmEmail="oncall@example.com")[f"Switchboard-{stage}"]
        for stage in ("dev", "prod")
    }


def tables(text: str) -> list[list[str]]:
    """Every markdown table: its lines, from the header to the last row."""
    found: list[list[str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].startswith("|") and index + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[index + 1]):
            end = index
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            found.append(lines[index:end])
            index = end
        else:
            index += 1
    return found


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def glance() -> dict[str, tuple[str, str]]:
    text = DEPLOY.read_text()
    section = text.split("## Sizes at a glance", 1)[1].split("\n## ", 1)[0]
    (table,) = tables(section)
    assert cells(table[0]) == ["Setting", "dev", "prod"]
    return {cells(row)[0]: (cells(row)[1], cells(row)[2]) for row in table[2:]}


def _limit(settings: dict[str, int]) -> str:
    return f"{settings['ThrottlingRateLimit']} / {settings['ThrottlingBurstLimit']}"


def facts(template: dict[str, Any]) -> dict[str, str]:
    """The figures of "Sizes at a glance", read from a synthesized template."""
    webhook = function_by_handler(template, WEBHOOK)[1]["Properties"]
    reserved = [f["Properties"].get("ReservedConcurrentExecutions") for f in our_functions(template).values()]
    total = sum(value or 0 for value in reserved)
    (alias,) = resources(template, "AWS::Lambda::Alias").values()
    provisioned = alias["Properties"].get("ProvisionedConcurrencyConfig", {}).get("ProvisionedConcurrentExecutions")
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    routes = stage["Properties"]["RouteSettings"]
    retention = {g["Properties"]["RetentionInDays"] for g in resources(template, "AWS::Logs::LogGroup").values()}
    (days,) = retention
    return {
        "Webhook Lambda timeout (s)": str(webhook["Timeout"]),
        "Webhook answer budget, `BUDGET_MS` (ms)": webhook["Environment"]["Variables"]["BUDGET_MS"],
        "Webhook memory (MB)": str(webhook["MemorySize"]),
        "Webhook reserved concurrency": str(webhook.get("ReservedConcurrentExecutions", "none")),
        "Reserved concurrency, all functions together": str(total) if total else "none",
        "Provisioned concurrency on the webhook's `live` alias": str(provisioned) if provisioned else "none",
        "Account concurrency quota the stage needs": str(
            total + UNRESERVED_KEPT_BY_AWS if total else NEW_ACCOUNT_QUOTA
        ),
        "Webhook route limit (requests/s / burst)": _limit(routes["POST /webhooks/{token}"]),
        "Admin route limit (requests/s / burst)": _limit(routes["ANY /admin/{proxy+}"]),
        "Tenant API and console routes limit (requests/s / burst)": _limit(routes["ANY /tenant/v1/{proxy+}"]),
        "Stage default limit (requests/s / burst)": _limit(stage["Properties"]["DefaultRouteSettings"]),
        "Log retention (days)": str(days),
        "Alarms": str(len(resources(template, "AWS::CloudWatch::Alarm"))),
    }


def test_every_figure_at_a_glance_is_what_the_templates_hold(stages: dict[str, dict[str, Any]]) -> None:
    documented = glance()
    dev, prod = facts(stages["dev"]), facts(stages["prod"])
    assert set(documented) == set(dev)
    assert {name: (dev[name], prod[name]) for name in dev} == documented


def test_the_console_and_tenant_routes_share_the_documented_limit(stages: dict[str, dict[str, Any]]) -> None:
    for template in stages.values():
        (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
        routes = stage["Properties"]["RouteSettings"]
        assert routes["GET /console"] == routes["GET /console/{proxy+}"] == routes["ANY /tenant/v1/{proxy+}"]


def test_the_timeout_the_docs_state_in_words_is_the_template_s(stages: dict[str, dict[str, Any]]) -> None:
    text = DEPLOY.read_text()
    timeout = function_by_handler(stages["prod"], WEBHOOK)[1]["Properties"]["Timeout"]
    assert f"The Lambda's own timeout ({timeout} s)" in text
    assert "at most 3 s" not in text


@pytest.mark.parametrize("doc", [DEPLOY, RUNBOOK], ids=lambda path: path.name)
def test_every_table_renders(doc: Any) -> None:
    text = doc.read_text()
    lines = text.splitlines()
    in_tables = {row for table in tables(text) for row in table}
    in_code = False
    for line in lines:
        in_code = in_code != line.startswith("```")
        # A row cut off from its table's header by a paragraph renders as text with pipes
        assert in_code or not line.startswith("|") or line in in_tables, (
            f"{doc.name}: a row outside a table: {line[:80]}"
        )
    for table in tables(text):
        width = len(cells(table[0]))
        for row in table:
            assert len(cells(row)) == width, f"{doc.name}: a row with {len(cells(row))} cells, not {width}: {row[:80]}"
        after = lines.index(table[-1]) + 1
        # A line right after a table joins it as a broken row: a table ends with a blank line (or the file)
        assert after >= len(lines) or lines[after] == "", f"{doc.name}: text right after a table: {lines[after][:80]}"
