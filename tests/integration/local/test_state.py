"""What the local run keeps between runs: everything its emulated AWS holds comes back after a dump and a restore
into a fresh moto, and the file is written only when something changed, whole or not at all."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from moto import mock_aws

from local import emulator
from local.folder import LocalFolder
from local.state import FORMAT, Clients, StateKeeper, StateUnreadable, dump_aws, from_json, restore_aws, to_json
from tests.fixtures import tenants as demo

SECRET = "whsec_state_test"


@pytest.fixture
def fresh_environment() -> Iterator[None]:
    with mock.patch.dict(os.environ):  # create_resources names the queues and the pool in the environment
        yield


def sorted_dump(dump: dict[str, Any]) -> dict[str, Any]:
    """Scans and listings come in moto's order: compare as sets."""
    tables = {name: sorted(to_json(item) for item in items) for name, items in dump["tables"].items()}
    users = sorted(json.dumps(user, sort_keys=True) for user in dump["users"])
    return {**dump, "tables": tables, "users": users}


def a_deployment_in_use() -> tuple[Clients, Any]:
    resources = emulator.create_resources(signing_secret=SECRET, thunderphone_api_key="sk_live_state_test")
    clients = Clients.default()
    emulator.seed_demo()  # items (the compiled LIVE item is binary), secrets, routes
    quarantine = next(url for url in resources.queue_urls if url.endswith("-quarantine"))
    clients.sqs.send_message(
        QueueUrl=quarantine,
        MessageBody='{"type":"call.graded"}',
        MessageAttributes={"reason": {"DataType": "String", "StringValue": "not storable"}},
    )
    clients.sqs.send_message(QueueUrl=os.environ["OUTCOME_QUEUE_URL"], MessageBody='{"type":"web.complete"}')
    clients.cognito.admin_create_user(
        UserPoolId=resources.user_pool_id,
        Username="ann@acme.example",
        UserAttributes=[{"Name": "email", "Value": "ann@acme.example"}, {"Name": "custom:tenant_id", "Value": "demo"}],
        MessageAction="SUPPRESS",
    )
    clients.cognito.admin_add_user_to_group(
        UserPoolId=resources.user_pool_id, Username="ann@acme.example", GroupName="tenant-admin"
    )
    return clients, resources


def test_a_dump_restored_into_a_fresh_emulator_holds_the_same(fresh_environment: None) -> None:
    with mock_aws():
        clients, resources = a_deployment_in_use()
        before = dump_aws(clients, resources, queues=resources.queue_urls)
        text = to_json({"format": FORMAT, "aws": before})
    assert before["queues"] and before["users"] and any(demo.TENANT_ID in name for name in before["secrets"])

    with mock_aws():
        fresh = emulator.create_resources(signing_secret="whsec_other", thunderphone_api_key="sk_live_other")
        restore_aws(from_json(json.loads(text))["aws"], Clients.default(), fresh)
        after = dump_aws(Clients.default(), fresh, queues=fresh.queue_urls)

    assert sorted_dump(after) == sorted_dump(before)


def test_a_state_of_another_format_is_refused() -> None:
    with pytest.raises(StateUnreadable, match="format"):
        from_json({"format": FORMAT + 1, "aws": {}})


def test_the_keeper_writes_only_changes_and_leaves_no_partial_file(tmp_path: Path) -> None:
    folder = LocalFolder(tmp_path)
    state = {"tokens": {"key": "a"}, "aws": {"secrets": {"s": {"binary": b"\x00\xff"}}}}
    keeper = StateKeeper(folder, lambda final: state)
    assert keeper.save() is True
    assert keeper.save() is False  # nothing changed: nothing written
    state["tokens"] = {"key": "b"}
    assert keeper.save(final=True) is True
    saved = from_json(json.loads(folder.state_file.read_text()))
    assert saved["tokens"] == {"key": "b"} and saved["aws"]["secrets"]["s"]["binary"] == b"\x00\xff"
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]
    assert folder.state_file.stat().st_mode & 0o077 == 0  # the run's secrets: readable by its owner only
