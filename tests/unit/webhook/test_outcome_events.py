"""Outcome events through the webhook pipeline with in-memory fakes: queued before they are acknowledged,
and every failure before that a non-2xx (ThunderPhone retries), never a 200 that would lose them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common.errors import StoreUnavailable
from functions.outcomes.message import MAX_MESSAGE_BYTES, MalformedMessage, QueuedOutcome, message_text
from functions.thunderphone.signing import sign
from functions.webhook import budget, inline, service
from functions.webhook.models import Reply
from functions.webhook.service import WebhookRequest
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import webhook_body
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually
from tests.unit.webhook.test_service import SECRET, FakeSecrets, FakeStore

RECEIVED = datetime(2026, 11, 24, 15, tzinfo=UTC)
SMALL_LIMIT, OUTCOME_LIMIT = 4096, 20_000


class FakeQueue:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[QueuedOutcome] = []
        self.error = error

    def send(self, message: QueuedOutcome, **attributes: str) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message)


def outcome_body(call_id: int = 7, **data: Any) -> bytes:
    payload = {"data": {"call_id": call_id, "status": "completed", **data}, "type": "web.complete"}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def answer(
    body: bytes,
    *,
    token: str = demo.PRICING_TOKEN,
    secret: str | None = SECRET,
    store: FakeStore | None = None,
    secrets: FakeSecrets | None = None,
    queue: FakeQueue | None = None,
) -> Reply:
    request = WebhookRequest(body, sign(body, secret) if secret else None, token, RECEIVED)
    return service.answer(
        request,
        store=store or FakeStore(),
        secrets=secrets or FakeSecrets(),
        max_body_bytes=SMALL_LIMIT,
        max_prompt_chars=20_000,
        max_outcome_body_bytes=OUTCOME_LIMIT,
        queue=lambda: queue,
    )


def test_outcome_event_is_queued_with_its_route_then_acknowledged() -> None:
    queue, store = FakeQueue(), FakeStore()
    body = outcome_body()

    reply = answer(body, queue=queue, store=store)

    assert (reply.status, reply.body, reply.reason, reply.call_id) == (200, {"received": True}, "queued", 7)
    [message] = queue.sent
    assert message.body.encode() == body  # the very bytes ThunderPhone signed
    assert (message.route_kind, message.tenant_id, message.widget_id) == ("key", "demo", "pricing")
    assert (message.event_type, message.received_at) == ("web.complete", RECEIVED)
    assert store.loads == []  # the webhook attributes nothing itself: the recorder does


@pytest.mark.parametrize("call_id", [10**40, 2**63, 0, -1, 7.0, True, "7", None])
def test_an_outcome_event_for_a_call_id_thunderphone_cannot_send_is_acknowledged_never_queued(call_id: Any) -> None:
    # Signed bytes never change: a retry by ThunderPhone would bring the same call id, so it gets {} like any
    # malformed payload, and nothing reaches the queue (nor, from there, a table that cannot store it).
    queue = FakeQueue()

    reply = answer(outcome_body(call_id), queue=queue)

    assert (reply.status, reply.body, reply.reason) == (200, {}, "malformed_payload")
    assert queue.sent == []


def test_outcome_event_on_the_org_route_names_no_tenant() -> None:
    queue = FakeQueue()
    answer(outcome_body(), token=demo.ORG_TOKEN, queue=queue)
    assert (queue.sent[0].route_kind, queue.sent[0].tenant_id) == ("org", None)


@pytest.mark.parametrize(
    ("queue", "reason"),
    [
        (None, "queue_not_configured"),
        (FakeQueue(StoreUnavailable("send failed: ThrottlingException")), "queue_unavailable"),
    ],
)
def test_outcome_event_the_queue_does_not_take_is_503_with_retry_after(queue: FakeQueue | None, reason: str) -> None:
    reply = answer(outcome_body(), queue=queue)
    assert (reply.status, reply.body, reply.reason, reply.retry_after_s) == (503, {"error": "unavailable"}, reason, 30)


def test_unreadable_secrets_are_503_for_an_outcome_and_fallback_for_a_call() -> None:
    down = FakeSecrets(down=True)
    queue = FakeQueue()

    outcome = answer(outcome_body(), secrets=down, queue=queue)
    incoming = answer(webhook_body("web.incoming", 1, "web"), secrets=down, queue=queue)

    assert (outcome.status, outcome.reason, outcome.retry_after_s) == (503, "secrets_unavailable", 30)
    assert (incoming.status, incoming.body, incoming.reason) == (200, {}, "secrets_unavailable")
    assert queue.sent == []


def test_route_store_down_is_429_with_retry_after_for_an_outcome() -> None:
    class RoutesDown(FakeStore):
        def route(self, route_id: str) -> None:
            raise StoreUnavailable("read route failed: ThrottlingException")

    queue = FakeQueue()
    reply = answer(outcome_body(), store=RoutesDown(), queue=queue)

    assert (reply.status, reply.body, reply.retry_after_s) == (429, {"error": "store_unavailable"}, 30)
    assert queue.sent == []


def test_bodies_over_the_small_limit_are_only_accepted_as_signed_outcome_events() -> None:
    transcript = [{"role": "user", "content": "x" * 100} for _ in range(100)]  # about 12 KB
    big_outcome = outcome_body(transcripts=transcript)
    big_call = json.dumps({"type": "web.incoming", "data": {"call_id": 1, "from_number": "web", "pad": "x" * 12_000}})
    queue = FakeQueue()

    assert SMALL_LIMIT < len(big_outcome) < OUTCOME_LIMIT
    assert answer(big_outcome, queue=queue).status == 200
    assert answer(big_call.encode(), queue=queue).status == 413
    assert answer(big_outcome, secret="whsec_wrong", queue=queue).status == 401
    assert answer(b"{" + b" " * OUTCOME_LIMIT + b"}", queue=queue).status == 413
    assert len(queue.sent) == 1


def test_a_body_over_the_outcome_limit_is_413_before_any_secret_is_read() -> None:
    class NoSecrets(FakeSecrets):
        def signing_secrets(self, *, refresh: bool = False) -> tuple[tuple[str, ...], bool]:
            raise AssertionError("read a secret for a body that can never be accepted")

    reply = answer(outcome_body(pad="x" * OUTCOME_LIMIT), secrets=NoSecrets(), queue=FakeQueue())
    assert (reply.status, reply.body) == (413, {"error": "payload_too_large"})


def test_queued_message_round_trips_and_stays_within_sqs_limits() -> None:
    # U+FFFE and U+FFFF are valid in JSON strings but refused by SQS: escaped in the message text
    body = json.dumps({"type": "web.complete", "data": {"call_id": 1, "note": "\ufffe\uffff é"}}, ensure_ascii=False)
    message = QueuedOutcome("key", "demo", None, "web.complete", RECEIVED, message_text(body.encode()))
    attributes = {name: value["StringValue"] for name, value in message.attributes().items()}

    assert "\ufffe" not in message.body and json.loads(message.body) == json.loads(body)
    assert QueuedOutcome.of(message.body, attributes) == message
    assert message.size() < MAX_MESSAGE_BYTES
    with pytest.raises(MalformedMessage):
        QueuedOutcome.of(message.body, {**attributes, "format": "2"})
    with pytest.raises(MalformedMessage):
        QueuedOutcome.of(message.body, {**attributes, "tenant_id": None})


def test_budget_waits_longer_for_an_outcome_event_and_then_answers_503() -> None:
    clock = FakeClock()
    answers = ThreadPoolExecutor(max_workers=2)
    released = threading.Event()

    def held() -> Reply:
        inline.before_waiting()  # as every read that waits does: answered on the pool
        assert released.wait(SAFETY_NET_S)
        return Reply(200, {"received": True}, "acknowledged", "queued")

    def within(is_outcome: bool) -> Future[Reply]:
        started = clock()
        return answers.submit(
            budget.answer_within,
            answers,
            held,
            started=started,
            budget_ms=100,
            outcome_budget_ms=600,
            is_outcome=lambda: is_outcome,
            clock=clock,
        )

    # A call still waiting at the blocking budget: `{}`
    call = within(is_outcome=False)
    clock.advance_when_waiting(0.2)
    assert call.result(SAFETY_NET_S).reason == "budget_exceeded"
    released.set()
    # An outcome event still waiting at the blocking budget is waited for, and answered once it is queued
    released.clear()
    outcome = within(is_outcome=True)
    clock.advance_when_waiting(0.2)
    eventually(lambda: clock.waiting() == 1, "the outcome's wait goes on past the blocking budget")
    assert not outcome.done()
    released.set()
    assert outcome.result(SAFETY_NET_S).reason == "queued"
    # and past its own budget it is a 503 (ThunderPhone delivers it again)
    released.clear()
    late = within(is_outcome=True)
    clock.advance_when_waiting(0.2)
    clock.advance_when_waiting(0.5)
    reply = late.result(SAFETY_NET_S)
    assert (reply.status, reply.reason, reply.retry_after_s) == (503, "budget_exceeded", 30)
    released.set()
    answers.shutdown()


def test_budget_turns_an_unexpected_error_into_503_for_an_outcome_only() -> None:
    clock = FakeClock()
    pool = ThreadPoolExecutor(max_workers=1)

    def broken() -> Reply:
        raise RuntimeError("bug")

    def broken_on_the_pool() -> Reply:
        inline.before_waiting()  # as every read that waits does: answered on the pool
        raise RuntimeError("bug")

    def within(answer: Callable[[], Reply], is_outcome: bool) -> Reply:
        return budget.answer_within(
            pool,
            answer,
            started=clock(),  # never moved: a failure on the pool is seen however long it takes
            budget_ms=500,
            outcome_budget_ms=1000,
            is_outcome=lambda: is_outcome,
            clock=clock,
        )

    for answer in (broken, broken_on_the_pool):
        outcome, call = within(answer, is_outcome=True), within(answer, is_outcome=False)
        assert (outcome.status, outcome.reason, outcome.retry_after_s) == (503, "internal_error", 30)
        assert (call.status, call.body, call.reason) == (200, {}, "internal_error")
    pool.shutdown()


def test_claims_outcome_reads_only_the_type() -> None:
    assert service.claims_outcome(outcome_body())
    assert not service.claims_outcome(webhook_body("web.incoming", 1, "web"))
    assert not service.claims_outcome(b"not json")
