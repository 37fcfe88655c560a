"""The outcome queue (and the quarantine queue) behind `OutcomeQueue`: one SendMessage per event."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from functions.common.aws import store_errors
from functions.outcomes.message import QueuedOutcome

# The outcome queue's redrive policy: deliveries before a message moves to the dead-letter queue. With the
# queue's visibility timeout (infra/constructs/outcome_queue.py) this is how long a failing store is retried.
MAX_RECEIVE_COUNT = 10


class SqsOutcomeQueue:
    """SQS errors become StoreUnavailable (the queue is where an event is stored until it is recorded)."""

    def __init__(self, client_factory: Callable[[], Any], queue_url: str) -> None:
        self._client_factory = client_factory
        self.queue_url = queue_url

    @cached_property
    def client(self) -> Any:
        """Built on first use: a request rejected before the queue never pays for a client."""
        return self._client_factory()

    def send(self, message: QueuedOutcome, **attributes: str) -> None:
        with store_errors("send outcome event to its queue"):
            self.client.send_message(**message.send_request(self.queue_url, **attributes))
