"""The Streams validator: invalid configuration writes are logged (without values) and counted."""

from __future__ import annotations

import json

import pytest

from functions.item_validator.handler import lambda_handler
from functions.item_validator.service import check, redact
from tests.fixtures.apigw import LambdaContext, load_event


def test_item_validator_logs_and_counts_invalid_writes(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a stream batch with valid, invalid, deleted and unrelated records
    response = lambda_handler(load_event("stream_config_changes.json"), LambdaContext())
    # Then nothing is retried
    assert response == {"batchItemFailures": []}
    # And each invalid item is logged once, at WARNING, with tenant, sort key and problems
    logged = [vars(record) for record in caplog.records if record.getMessage() == "invalid configuration item written"]
    warnings = [{key: record[key] for key in ("tenant_id", "sort_key", "problems", "levelname")} for record in logged]
    assert [(w["tenant_id"], w["sort_key"]) for w in warnings] == [
        ("acme", "CONFIG#PROFILE#sales"),
        ("acme", "CUSTOMER#+3361*****78"),  # a customer's phone number never reaches the logs
        ("acme", "CONFIG#WIDGET#pricing"),
    ]
    assert all(w["levelname"] == "WARNING" for w in warnings)
    sales = warnings[0]["problems"]
    assert any(problem.startswith("promt: Extra inputs are not permitted") for problem in sales)
    assert any(problem.startswith("prompt: Value error, unknown namespace") for problem in sales)
    customer = warnings[1]["problems"]
    assert any(problem.startswith("segment:") for problem in customer)
    assert any(problem.startswith("variables.plan:") for problem in customer)
    # Values never reach the logs
    text = json.dumps(warnings)
    for value in ("typo-value-do-not-log", "private_note_value", "Marie Curie"):
        assert value not in text
    # And they are counted (Powertools prints the EMF metrics blob on stdout)
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [blob["InvalidConfigItem"] for blob in blobs if "InvalidConfigItem" in blob] == [[1.0, 1.0, 1.0]]


def test_item_validator_fails_only_a_corrupt_record(capsys: pytest.CaptureFixture[str]) -> None:
    response = lambda_handler(load_event("stream_corrupt_record.json"), LambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": "000000000000000000012"}]}


def test_item_validator_check_ignores_deletes_history_and_numbers() -> None:
    keys = {"pk": "TENANT#acme", "sk": "CONFIG#RULE#vip"}
    assert check(keys, None) is None
    assert check({"pk": "TENANT#acme", "sk": "HISTORY#rule#vip#0000000001"}, {"junk": 1}) is None
    assert check({"pk": "NUMBER#+33180000001", "sk": "NUMBER"}, {"tenant_id": "acme"}) is None
    finding = check(keys, {**keys, "rule_id": "vip", "priority": 1})
    assert finding is not None
    assert finding.problems == ("(item): Value error, a rule names exactly one of profile_id or variants",)


def test_item_validator_redact_drops_quoted_text() -> None:
    assert redact("prompt: malformed placeholder at character 3: '{{ oops'") == (
        "prompt: malformed placeholder at character 3: <redacted>"
    )


def test_item_validator_checks_the_published_configuration_the_router_reads() -> None:
    from tests.fixtures import tenants as demo

    item = demo.live_item(demo.TENANT_ID, demo.demo_items(), version=2)
    keys = {"pk": item["pk"], "sk": item["sk"]}
    assert check(keys, item) is None
    finding = check(keys, item | {"config": b"damaged"})
    assert finding is not None and (finding.tenant_id, finding.sort_key) == (demo.TENANT_ID, "LIVE")
