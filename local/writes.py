"""The local moto made safe to dump while it serves: each DynamoDB request atomic, as DynamoDB makes it (moto does
not lock: tests/fixtures/aws.one_request_at_a_time), no DynamoDB write while a dump runs (so a dump never holds
half of a publish, a LIVE item without its PUBLISHED#N), and a flag saying whether anything was written since the
last dump (local/state.StateKeeper dumps only then).

Requests are told apart by their action: reads (Get*, List*, Describe*, Scan, Query, an SQS receive or visibility
change, ...) change nothing; everything else is a write. The webhook's answers only read, so they never wait."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.fixtures.aws import one_request_at_a_time

_READS = (
    "Get",
    "List",
    "Describe",
    "Scan",
    "Query",
    "BatchGet",
    "TransactGet",
    "Receive",  # SQS: the drainer's long polls, the last dump's look at the queue
    "ChangeMessageVisibility",
    "AdminGet",
    "AdminList",
)


def is_write(action: str) -> bool:
    return not action.startswith(_READS)


class Writes:
    """Whether the emulated AWS was written since the last dump, and the gate that keeps DynamoDB writes out of a
    dump: a write waits while a dump runs, and a dump waits for the writes already running."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._writing = 0
        self._dumping = False
        self._written = False

    def mark(self) -> None:
        """Something was written (called once the write is done: a dump that began before it is dumped again)."""
        with self._changed:
            self._written = True

    def take(self) -> bool:
        """Whether anything was written since the last `take`, and forget it."""
        with self._changed:
            written, self._written = self._written, False
            return written

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._dumping)
            self._writing += 1
        try:
            yield
        finally:
            with self._changed:
                self._writing -= 1
                self._changed.notify_all()

    @contextmanager
    def dumping(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._dumping)
            self._dumping = True
            self._changed.wait_for(lambda: self._writing == 0)
        try:
            yield
        finally:
            with self._changed:
                self._dumping = False
                self._changed.notify_all()


@contextmanager
def watched(writes: Writes) -> Iterator[None]:
    """moto, in this process, answering as above for as long as the context lasts."""
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler

    with one_request_at_a_time():
        atomic: Callable[[Any], Any] = DynamoHandler.call_action  # one request at a time
        answer: Callable[[Any], Any] = BaseResponse.call_action  # every service's

        def dynamodb(self: DynamoHandler) -> Any:
            if not is_write(self._get_action()):
                return atomic(self)
            with writes.writing():  # before the request's own lock, which the dump's scans take
                return atomic(self)

        def any_service(self: BaseResponse) -> Any:
            result = answer(self)
            if is_write(self._get_action()):
                writes.mark()
            return result

        DynamoHandler.call_action = dynamodb  # type: ignore[method-assign]
        BaseResponse.call_action = any_service  # type: ignore[method-assign]
        try:
            yield
        finally:
            BaseResponse.call_action = answer  # type: ignore[method-assign,assignment]
            DynamoHandler.call_action = atomic  # type: ignore[method-assign]
