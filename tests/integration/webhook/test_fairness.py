"""The store under faults and noisy neighbours, against moto with held, throttled and failing reads:
last-known-good answers, refresh ahead of expiry, single-flight loads, one tenant's slow store never delaying
another tenant's cached answers, and made-up tokens never holding up another tenant's first reads.

Answers run concurrently through the handler's own answer path (`budget.answer_within` on the answer pool
around `handler.answer`), as the local multi-threaded front runs them; the single-threaded tests go
through `lambda_handler` for the log line, the decision log and the metric. Nothing here is timed: a slow
read is one held until the test releases it, and budgets and stale waits run out when the test moves the
webhook's clock (tests/fixtures/clock.py). What "promptly" means is asserted with events and counts (which
reads started, in what order, what was in flight); the figures are bench/fairness.py's.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.common import table
from functions.common.errors import StoreUnavailable
from functions.tenant_config.models import AgentProfile, Tenant
from functions.thunderphone.signing import sign
from functions.webhook import budget, handler, inline, service
from functions.webhook.dependencies import deps
from functions.webhook.models import Reply
from functions.webhook_routes.model import new_token
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import SIGNING_SECRET, TABLE_NAME, add_route, get_call, seed, wait_for_decision
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually
from tests.fixtures.emf import metrics_of

BUDGET_MS = 1500  # the deployed default: room for the stale waits of signing secret, route, items and tool secret
TTL = 60.0
STALE_MAX = 600.0
NOISY = "noisy"


@pytest.fixture(autouse=True)
def store_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGET_MS", str(BUDGET_MS))
    monkeypatch.setenv("CACHE_TTL_SECONDS", str(int(TTL)))
    monkeypatch.setenv("STALE_MAX_SECONDS", str(int(STALE_MAX)))


class Reads:
    """Every key the webhook's store reads (GetItem, BatchGetItem), by partition and sort key, in the order their
    reads started, with the thread that made each; can hold the reads of chosen partitions until released, or fail
    them, and tracks how many reads of each partition run at once."""

    def __init__(self, client: Any) -> None:
        self.made: list[tuple[str, str, str]] = []
        self.failure: Exception | None = None
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self._held: Callable[[str], bool] = lambda _: False
        self._release = threading.Event()
        self._lock = threading.Lock()
        client.meta.events.register("before-parameter-build.dynamodb.GetItem", self._before)
        client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", self._before)

    def hold(self, partitions: Callable[[str], bool] = lambda _: True) -> None:
        """Reads of the partitions `partitions` accepts (default: all) wait until `release()`."""
        self._release.clear()
        self._held = partitions

    def release(self) -> None:
        self._held = lambda _: False
        self._release.set()

    def count(self, sort_key: str | None = None) -> int:
        with self._lock:
            return sum(1 for _, sk, _ in self.made if sort_key is None or sk == sort_key)

    def running(self, partitions: Callable[[str], bool]) -> int:
        with self._lock:
            return sum(count for pk, count in self.in_flight.items() if partitions(pk))

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        # A GetItem's key, or each key of a BatchGetItem (the configuration's read, with the billing item)
        keys = [params["Key"]] if "Key" in params else [k for t in params["RequestItems"].values() for k in t["Keys"]]
        made = [(key[table.PARTITION_KEY]["S"], key[table.SORT_KEY]["S"]) for key in keys]
        with self._lock:
            held = False
            for pk, sk in made:
                self.made.append((pk, sk, threading.current_thread().name))
                self.in_flight[pk] += 1
                self.peak[pk] = max(self.peak[pk], self.in_flight[pk])
                held = held or self._held(pk)
        try:
            if held:
                assert self._release.wait(SAFETY_NET_S), "a held read was never released"
        finally:
            with self._lock:
                for pk, _ in made:
                    self.in_flight[pk] -= 1
        if self.failure is not None:
            raise self.failure


def is_route(partition: str) -> bool:
    return partition.startswith(table.ROUTE_PREFIX)


@pytest.fixture
def reads(demo_tenant: str) -> Iterator[Reads]:
    watcher = Reads(deps.store.client)
    yield watcher
    # Loads still held, queued or running finish on moto, before moto goes away.
    watcher.release()
    eventually(lambda: deps.store.loader.outstanding() == 0, "the store's loads finish")


def phone_call(call_id: int, caller: str = demo.VIP_CALLER) -> bytes:
    return webhook_body("telephony.incoming", call_id, caller, demo.DEMO_NUMBER)


def request(token: str, body: bytes) -> service.WebhookRequest:
    return service.WebhookRequest(
        body=body, signature=sign(body, SIGNING_SECRET), token=token, received_at=datetime.now(UTC)
    )


def answer(token: str, body: bytes) -> Reply:
    """One answer through the handler's answer path, as a request thread of the local front runs it."""
    settings = deps.settings
    call = request(token, body)
    return budget.answer_within(
        deps.pool,
        lambda: handler.answer(call, settings),
        started=deps.monotonic(),
        budget_ms=settings.BUDGET_MS,
        clock=deps.monotonic,
    )


def answer_inline(token: str, body: bytes) -> Reply:
    """An answer that may not wait for anything: raises inline.WouldWait if it would."""
    with inline.no_waiting():
        return handler.answer(request(token, body), deps.settings)


def invoke(body: bytes, lambda_context: Any) -> dict[str, Any]:
    response = handler.lambda_handler(signed_event(f"/webhooks/{demo.KEY_TOKEN}", body), lambda_context)
    assert response["statusCode"] == 200
    return json.loads(response["body"])  # type: ignore[no-any-return]


def answered(json_logs: Any) -> dict[str, Any]:
    return [line for line in json_logs() if line["message"].startswith("webhook answered")][-1]  # type: ignore[no-any-return]


FAILURES = {
    "unreachable": EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com"),
    "throttled": ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem"),
}


@pytest.mark.parametrize("fault", ["unreachable", "throttled", "slow"])
def test_store_down_after_expiry_serves_last_known_good_marked_stale_until_the_bound(
    webhook_clock: FakeClock,
    reads: Reads,
    aws: dict[str, Any],
    lambda_context: Any,
    json_logs: Any,
    fault: str,
) -> None:
    # Given the VIP's call answered, everything it needed cached
    fresh = invoke(phone_call(7001), lambda_context)
    assert "Jane Doe" in fresh["prompt"] and "stale" not in answered(json_logs)
    # When the entries expire and DynamoDB fails (or is slower than an answer waits for a refresh)
    webhook_clock.advance(TTL + 1)
    if fault == "slow":
        reads.hold()
        budget_ends = webhook_clock() + BUDGET_MS / 1000
        with ThreadPoolExecutor(max_workers=1) as caller:
            # each refresh is waited for until its stale wait runs out (the route's, then the others')
            call = caller.submit(invoke, phone_call(7002), lambda_context)
            body = webhook_clock.run_out_waits(call, before=budget_ends)
        # answered while the route, configuration (with its billing item: one BatchGetItem) and customer are held
        assert reads.running(lambda _: True) == 4
    else:
        reads.failure = FAILURES[fault]
        body = invoke(phone_call(7002), lambda_context)
    # Then the call still gets the previous configuration and customer, inside its budget
    assert body["prompt"].startswith(fresh["prompt"][:40]) and "Jane Doe" in body["prompt"]
    assert body["voice"] == fresh["voice"]
    # marked stale in the log line, the decision log and the metric
    log = answered(json_logs)
    assert (log["outcome"], log["stale"]) == ("config", True)
    wait_for_decision(aws["dynamodb"], "demo", 7002)
    assert get_call(aws["dynamodb"], "demo", 7002)["stale"] is True  # type: ignore[index]
    assert "stale" not in get_call(aws["dynamodb"], "demo", 7001)  # type: ignore[operator]
    assert metrics_of(log)["StaleConfigServed"][0] == 1
    # Past STALE_MAX_SECONDS the old copy is no longer served: the call falls back
    reads.release()
    eventually(lambda: deps.store.loader.outstanding() == 0, "the held refreshes finish")
    reads.failure = FAILURES["throttled"]
    webhook_clock.advance(TTL + STALE_MAX)
    assert invoke(phone_call(7003), lambda_context) == {}
    assert answered(json_logs)["reason"] == "store_unavailable"
    # and once DynamoDB is back, answers are fresh again
    reads.failure = None
    assert "Jane Doe" in invoke(phone_call(7004), lambda_context)["prompt"]
    assert "stale" not in answered(json_logs)


def test_refresh_ahead_reads_in_the_background_once_and_never_on_the_answer_path(
    webhook_clock: FakeClock, reads: Reads
) -> None:
    # Given the VIP's call answered (route, configuration, customer cached) and 85% of the TTL gone
    assert answer(demo.KEY_TOKEN, phone_call(7101)).outcome == "config"
    webhook_clock.advance(TTL * 0.85)
    reads.made.clear()
    # and a store that does not answer
    reads.hold()
    # When calls arrive, answered by code that may not wait for anything
    replies = [answer_inline(demo.KEY_TOKEN, phone_call(7102 + n)) for n in range(3)]
    # Then they are answered from the cache, not stale, while each entry is refreshed once
    assert [(reply.outcome, reply.decision and reply.decision.stale) for reply in replies] == [("config", False)] * 3
    # (four keys: the configuration's refresh reads its billing item in the same BatchGetItem)
    eventually(lambda: reads.count() == 4, "the three refreshes start")
    reads.release()
    eventually(lambda: deps.store.loader.outstanding() == 0, "the refreshes finish")
    live = table.LIVE_SK
    assert Counter(sk for _, sk, _ in reads.made) == Counter(
        {table.ROUTE_SK: 1, live: 1, table.BILLING_SK: 1, table.customer_sk(demo.VIP_CALLER): 1}
    )
    # on the store's loader, never on an answer's thread
    assert all(thread.startswith("store-loader") for _, _, thread in reads.made)


def test_concurrent_misses_for_one_tenant_make_one_read(webhook_clock: FakeClock, reads: Reads) -> None:
    # Given a cold container and a store that does not answer yet
    reads.hold()
    # When 20 calls of one tenant arrive at once, and every one of them waits for the route
    with ThreadPoolExecutor(max_workers=20) as callers:
        calls = [callers.submit(answer, demo.KEY_TOKEN, phone_call(7200 + n)) for n in range(20)]
        eventually(lambda: webhook_clock.waiting() == 40, "20 calls wait on their budget, 20 answers on the route")
        reads.release()
        results = [call.result(SAFETY_NET_S) for call in calls]
    # Then they all get the configuration from one read of each item
    assert [reply.outcome for reply in results] == ["config"] * 20
    assert reads.count(table.LIVE_SK) == 1
    assert reads.count(table.ROUTE_SK) == 1
    assert reads.count(table.customer_sk(demo.VIP_CALLER)) == 1


@pytest.fixture
def noisy_token(aws: dict[str, Any]) -> str:
    tenant = Tenant(tenant_id=NOISY, display_name="Noisy", default_profile_id="main")
    profile = AgentProfile(profile_id="main", prompt="Hello {{ customer.name }}", voice="en-US-James1")
    seed(aws["dynamodb"], TABLE_NAME, NOISY, [tenant, profile])
    return add_route(aws["dynamodb"], NOISY).rsplit("/", 1)[1]


def test_noisy_tenant_never_delays_another_tenants_cached_answers(
    webhook_clock: FakeClock, reads: Reads, noisy_token: str
) -> None:
    # Given the demo tenant's answers cached
    for n in range(3):
        assert answer(demo.KEY_TOKEN, phone_call(7300 + n)).outcome == "config"
    # and a noisy tenant whose partition does not answer, called by 10 new callers at once
    noisy_partition = table.tenant_pk(NOISY)
    reads.hold(lambda partition: partition == noisy_partition)
    per_tenant = deps.settings.LOADS_PER_TENANT
    with ThreadPoolExecutor(max_workers=30) as callers:
        noisy = [callers.submit(answer, noisy_token, phone_call(7400 + n, f"+1415555{n:04d}")) for n in range(10)]
        eventually(lambda: reads.in_flight[noisy_partition] == per_tenant, "the noisy tenant's reads start")
        # When the demo tenant's calls arrive meanwhile
        quiet = [callers.submit(answer, demo.KEY_TOKEN, phone_call(7500 + n)) for n in range(20)]
        # Then every demo call gets its configuration while the noisy tenant's reads are still held
        assert [call.result(SAFETY_NET_S).outcome for call in quiet] == ["config"] * 20
        assert not any(call.done() for call in noisy)
        # and the noisy tenant never had more than its share of the loader's workers
        assert reads.peak[noisy_partition] == per_tenant
        # When the noisy tenant's budget runs out (its 10 calls wait on it, their answers on its reads)
        eventually(lambda: webhook_clock.waiting() == 20, "every noisy call waits")
        webhook_clock.advance(BUDGET_MS / 1000)
        # Then its calls fall back
        assert {call.result(SAFETY_NET_S).outcome for call in noisy} == {"fallback"}
        # and the answers left waiting on its reads give up soon after (no answer thread is left blocked)
        webhook_clock.advance(BUDGET_MS / 1000)
        eventually(lambda: webhook_clock.waiting() == 0, "the abandoned answers give up")
        load = callers.submit(deps.store.load, NOISY, "+14155559999")
        webhook_clock.advance_when_waiting(2 * BUDGET_MS / 1000)
        with pytest.raises(StoreUnavailable):
            load.result(SAFETY_NET_S)
    assert reads.peak[noisy_partition] == per_tenant


def test_made_up_tokens_never_hold_up_another_tenants_cache_misses(webhook_clock: FakeClock, reads: Reads) -> None:
    # Given the demo tenant's URL in use (its route and configuration cached)
    assert answer(demo.KEY_TOKEN, phone_call(7700)).outcome == "config"
    reads.made.clear()
    # and a flood of signed calls to made-up tokens, whose route reads DynamoDB is slow to answer
    reads.hold(is_route)
    per_group = deps.settings.LOADS_PER_TENANT
    workers = deps.settings.LOADER_WORKERS
    flood_size = 3 * workers
    with ThreadPoolExecutor(max_workers=flood_size + 1) as callers:
        flood = [callers.submit(answer, new_token(), phone_call(7800 + n)) for n in range(flood_size)]
        eventually(lambda: deps.store.loader.outstanding() == flood_size, "every made-up token's read is submitted")
        eventually(lambda: reads.running(is_route) == min(per_group, workers), "the flood's first reads start")
        flood_running = reads.running(is_route)
        # When one of the demo tenant's callers the cache does not know yet calls
        caller = "+14155550142"
        real = callers.submit(answer, demo.KEY_TOKEN, phone_call(7900, caller))
        # Then its read starts at once, next to the flood's and ahead of all the flood's queued ones
        reply = real.result(SAFETY_NET_S)
        assert reply.outcome == "config"
        started = [(pk, sk) for pk, sk, _ in reads.made]
        assert started == [*started[:flood_running], (table.tenant_pk(demo.TENANT_ID), table.customer_sk(caller))]
        assert all(is_route(pk) for pk, _ in started[:flood_running])
        # while the flood had at most one tenant's share of the loader in flight, all of it still held
        assert flood_running == per_group < workers
        assert not any(call.done() for call in flood)
        reads.release()
        assert {call.result(SAFETY_NET_S).status for call in flood} == {404}
    assert max(reads.peak[pk] for pk in reads.peak if is_route(pk)) == 1
    assert sum(1 for pk, _, _ in reads.made if is_route(pk)) == flood_size
