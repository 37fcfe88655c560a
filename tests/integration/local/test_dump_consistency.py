"""The local run's dumps (local/writes.py): an idle run takes none, a DynamoDB write never lands while one runs
(so a dump never holds half of a transaction), and reads, the webhook's included, never wait for one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.folder import LocalFolder
from local.state import StateKeeper
from local.writes import Writes, watched
from tests.fixtures.clock import SAFETY_NET_S, eventually

TABLE = "dump-consistency"


class CountedWrites(Writes):
    """Writes that count the requests its gate let through."""

    def __init__(self) -> None:
        super().__init__()
        self.gated = 0

    @contextmanager
    def writing(self) -> Iterator[None]:
        with super().writing():
            self.gated += 1
            yield


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto3.client("sqs", region_name="us-east-1")
        yield {"dynamodb": dynamodb, "sqs": sqs, "queue": sqs.create_queue(QueueName="outcomes")["QueueUrl"]}


def test_only_writes_mark_the_state_changed_and_only_dynamodb_writes_pass_the_gate(aws: dict[str, Any]) -> None:
    writes = CountedWrites()
    with watched(writes):
        writes.take()
        aws["dynamodb"].scan(TableName=TABLE)
        aws["dynamodb"].get_item(TableName=TABLE, Key={"pk": {"S": "a"}})
        aws["sqs"].receive_message(QueueUrl=aws["queue"])
        assert (writes.take(), writes.gated) == (False, 0)  # the drainer's polls and the webhook's reads
        aws["dynamodb"].put_item(TableName=TABLE, Item={"pk": {"S": "a"}})
        assert (writes.take(), writes.gated) == (True, 1)
        assert writes.take() is False  # forgotten once taken
        aws["sqs"].send_message(QueueUrl=aws["queue"], MessageBody="{}")
        assert (writes.take(), writes.gated) == (True, 1)
    # and moto is itself again once the run stops
    aws["dynamodb"].put_item(TableName=TABLE, Item={"pk": {"S": "b"}})
    assert (writes.take(), writes.gated) == (False, 1)


def test_a_dynamodb_write_waits_for_the_dump_running_and_reads_do_not(aws: dict[str, Any]) -> None:
    writes = Writes()
    written = threading.Event()

    def write() -> None:
        aws["dynamodb"].put_item(TableName=TABLE, Item={"pk": {"S": "late"}})
        written.set()

    with watched(writes):
        with writes.dumping():
            writer = threading.Thread(target=write)
            writer.start()
            # Once the write waits at the gate
            eventually(lambda: len(writes._changed._waiters) == 1, "the write waits for the dump")  # type: ignore[attr-defined]
            # the dump's reads still go through, and see nothing of it
            assert aws["dynamodb"].scan(TableName=TABLE)["Items"] == []
            assert not written.is_set()
        # and once the dump is over, it lands
        assert written.wait(SAFETY_NET_S)
        writer.join(SAFETY_NET_S)
        assert [item["pk"]["S"] for item in aws["dynamodb"].scan(TableName=TABLE)["Items"]] == ["late"]


def test_an_idle_round_takes_no_snapshot(aws: dict[str, Any], tmp_path: Path) -> None:
    writes = Writes()
    snapshots: list[bool] = []

    def snapshot(final: bool) -> dict[str, Any]:
        snapshots.append(final)
        return {"aws": {"items": aws["dynamodb"].scan(TableName=TABLE)["Items"]}}

    keeper = StateKeeper(LocalFolder(tmp_path), snapshot, writes=writes)
    with watched(writes):
        writes.take()
        assert keeper.save_if_written() is False and snapshots == []
        aws["dynamodb"].put_item(TableName=TABLE, Item={"pk": {"S": "a"}})
        assert keeper.save_if_written() is True and snapshots == [False]
        assert keeper.save_if_written() is False and snapshots == [False]
