"""An outcome event the recorder deferred (its decision had not landed) is invisible on the queue until its
visibility timeout: when the local run stops then, the last dump still keeps it, and the next run restores it to
the queue, so the recorder gets it again (ThunderPhone got a 200 for it)."""

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
from local.run import finish
from local.state import Clients, StateKeeper, dump_aws, from_json, restore_aws
from tests.fixtures.clock import eventually
from tests.fixtures.outcomes import queued, start_outcome_drainer

EVENT = '{"data":{"call_id":4242,"status":"completed"},"type":"telephony.complete"}'


@pytest.fixture
def fresh_environment() -> Iterator[None]:
    with mock.patch.dict(os.environ):  # create_resources names the queues and the pool in the environment
        yield


def deferring_everything(event: dict[str, Any], _: Any) -> dict[str, Any]:
    """The recorder's answer while no record's decision has landed: every record is a batch item failure."""
    return {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in event["Records"]]}


class Subscription:
    def stop(self) -> None:
        pass


def test_an_outcome_deferred_when_the_run_stops_is_on_the_queue_after_a_restart(
    fresh_environment: None, tmp_path: Path
) -> None:
    folder = LocalFolder(tmp_path)
    with mock_aws():
        resources = emulator.create_resources(signing_secret="whsec_kept", thunderphone_api_key="sk_live_kept")
        clients = Clients.default()
        outcome_queue = os.environ["OUTCOME_QUEUE_URL"]
        keeper = StateKeeper(
            folder,
            lambda final: {"aws": dump_aws(clients, resources, queues=resources.queue_urls if final else ())},
            interval_s=3600,  # only the last save, at the stop
        ).start()
        # Given an outcome event the recorder deferred: received, failed, invisible for its visibility timeout
        clients.sqs.send_message(QueueUrl=outcome_queue, MessageBody=EVENT)
        drainer = start_outcome_drainer(clients.sqs, outcome_queue, handler=deferring_everything)
        eventually(lambda: drainer.deferred() == 1, "the drainer defers the event")
        # When the run stops
        finish(Subscription(), drainer, keeper)
    assert not drainer.thread.is_alive()
    saved = from_json(json.loads(folder.state_file.read_text()))

    # Then the next run's queue holds it again
    with mock_aws():
        fresh = emulator.create_resources(signing_secret="whsec_kept", thunderphone_api_key="sk_live_kept")
        restore_aws(saved["aws"], Clients.default(), fresh)
        restored = queued(Clients.default().sqs, os.environ["OUTCOME_QUEUE_URL"])
    assert [message["Body"] for message in restored] == [EVENT]
