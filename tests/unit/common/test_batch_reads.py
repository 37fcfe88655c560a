"""dynamo.get_many: several items in one BatchGetItem, in the keys' order, with keys DynamoDB leaves unprocessed
asked for again (a bounded number of rounds)."""

from __future__ import annotations

from typing import Any

import pytest

from functions.common import dynamo
from functions.common.errors import StoreUnavailable

KEYS = [("TENANT#a", "LIVE"), ("BILLING#a", "BILLING"), ("TENANT#a", "CUSTOMER#1")]


def item(pk: str, sk: str) -> dict[str, Any]:
    return {**dynamo.key(pk, sk), "n": {"N": "1"}}


class Batches:
    """A table holding `stored` whose every BatchGetItem leaves the next of `unprocessed` unprocessed (none once
    they run out); the rest of the keys asked for are answered, found or not."""

    def __init__(self, stored: list[tuple[str, str]], *unprocessed: list[tuple[str, str]]) -> None:
        self.stored = stored
        self.unprocessed = list(unprocessed)
        self.asked: list[list[tuple[str, str]]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        asked = [(key["pk"]["S"], key["sk"]["S"]) for key in RequestItems["t"]["Keys"]]
        self.asked.append(asked)
        left = [key for key in (self.unprocessed.pop(0) if self.unprocessed else []) if key in asked]
        answered = [key for key in asked if key not in left and key in self.stored]
        return {
            "Responses": {"t": [item(pk, sk) for pk, sk in answered]},
            "UnprocessedKeys": {"t": {"Keys": [dynamo.key(pk, sk) for pk, sk in left]}} if left else {},
        }


def test_one_request_brings_the_items_in_the_keys_order_and_a_missing_one_as_none() -> None:
    client = Batches([KEYS[2], KEYS[0]])
    assert dynamo.get_many(client, "t", KEYS) == [
        {"pk": "TENANT#a", "sk": "LIVE", "n": 1},
        None,
        {"pk": "TENANT#a", "sk": "CUSTOMER#1", "n": 1},
    ]
    assert client.asked == [KEYS]


def test_unprocessed_keys_are_asked_for_again_and_only_they() -> None:
    client = Batches(KEYS, KEYS[1:], [KEYS[2]])
    found = dynamo.get_many(client, "t", KEYS)
    assert client.asked == [KEYS, KEYS[1:], [KEYS[2]]]
    assert [entry and entry["sk"] for entry in found] == ["LIVE", "BILLING", "CUSTOMER#1"]


def test_keys_left_unprocessed_every_round_are_a_store_failure() -> None:
    client = Batches(KEYS, *[KEYS] * dynamo.MAX_BATCH_ROUNDS)
    with pytest.raises(StoreUnavailable):
        dynamo.get_many(client, "t", KEYS)
    assert len(client.asked) == dynamo.MAX_BATCH_ROUNDS
