"""Turning edge protection on without refusing every existing webhook URL at once: `edgeOriginReportOnly` makes the
webhook log, not refuse, a request that went around CloudFront while keys and endpoints move (docs/deploy.md)."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, StageConfig
from tests.infra.conftest import function_by_handler
from tests.infra.test_public_urls import WEBHOOK, edge_templates


def test_report_only_tells_the_webhook_to_log_instead_of_refusing() -> None:
    dev = edge_templates(edgeOriginReportOnly="true")["Switchboard-dev"]
    env = function_by_handler(dev, WEBHOOK)[1]["Properties"]["Environment"]["Variables"]
    assert env["ORIGIN_REPORT_ONLY"] == "true"
    assert "ORIGIN_SECRET_NAME" in env  # it still tells which requests came through CloudFront


def test_by_default_edge_protection_refuses_what_went_around_cloudfront() -> None:
    dev = edge_templates()["Switchboard-dev"]
    env = function_by_handler(dev, WEBHOOK)[1]["Properties"]["Environment"]["Variables"]
    assert "ORIGIN_REPORT_ONLY" not in env and "ORIGIN_SECRET_NAME" in env


def test_report_only_needs_edge_protection() -> None:
    with pytest.raises(ConfigError, match="'edgeOriginReportOnly' needs edgeProtection"):
        StageConfig(stage="dev", edge_origin_report_only=True)


def test_the_stack_says_whether_the_origin_check_refuses_or_reports() -> None:
    # The smoke test reads it (docs/deploy.md, "Smoke test"): a report-only stage answers a direct call as usual
    assert edge_templates()["Switchboard-dev"]["Outputs"]["EdgeOriginCheck"]["Value"] == "enforced"
    reporting = edge_templates(edgeOriginReportOnly="true")["Switchboard-dev"]
    assert reporting["Outputs"]["EdgeOriginCheck"]["Value"] == "report-only"
