"""The store's caches and loader: last-known-good values, refresh ahead, single-flight loads, fairness
between tenants, and validated templates remembered."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common.errors import StoreUnavailable
from functions.tenant_config import models
from functions.tenant_config.models import AgentProfile
from functions.webhook.caching import RefreshingCache
from functions.webhook.decision_log import decision_record
from functions.webhook.loading import FairLoader
from functions.webhook.models import CallFacts
from functions.webhook.routing import decide
from tests.fixtures import tenants as demo
from tests.fixtures.clock import FakeClock

TTL = 60.0
STALE_MAX = 600.0


class Source:
    """A loader's reads: counts them, can fail, and can be held until released."""

    def __init__(self) -> None:
        self.value = "v1"
        self.error: Exception | None = None
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
        self.started.set()
        self.gate.wait(5)
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loader() -> FairLoader:
    return FairLoader(workers=4, per_tenant=2)


@pytest.fixture
def cache(clock: FakeClock, loader: FairLoader) -> RefreshingCache[str, str]:
    return RefreshingCache(
        "test", loader, maxsize=3, ttl_seconds=TTL, stale_max_seconds=STALE_MAX, stale_wait_seconds=0.1, clock=clock
    )


def settle(loader: FairLoader, group: str = "t") -> None:
    """Waits until the loader has no load of `group` running (background refreshes are off the read path)."""
    deadline = time.monotonic() + 5
    while loader.in_flight(group) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.01)  # the done-callbacks run right after


def test_cache_miss_loads_once_then_hits(cache: RefreshingCache[str, str]) -> None:
    source = Source()
    assert cache.get("k", "t", source, timeout=1) == ("v1", False)
    assert cache.get("k", "t", source, timeout=1) == ("v1", False)
    assert source.calls == 1


def test_cache_concurrent_misses_share_one_load(cache: RefreshingCache[str, str]) -> None:
    # Given a slow read and 20 readers of one key at once
    source = Source()
    source.gate.clear()
    results: list[tuple[str, bool]] = []
    barrier = threading.Barrier(20)

    def read() -> None:
        barrier.wait()
        results.append(cache.get("k", "t", source, timeout=5))

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    source.started.wait(5)
    time.sleep(0.05)
    source.gate.set()
    for thread in threads:
        thread.join(5)
    # Then they all got the value from one read
    assert results == [("v1", False)] * 20
    assert source.calls == 1


def test_cache_refreshes_ahead_of_expiry_without_waiting(
    cache: RefreshingCache[str, str], clock: FakeClock, loader: FairLoader
) -> None:
    source = Source()
    cache.get("k", "t", source, timeout=1)
    # Given the entry in the last fifth of its TTL and a slow store
    clock.advance(TTL * 0.85)
    source.value, source.gate = "v2", threading.Event()
    # When it is read, twice
    started = time.perf_counter()
    first = cache.get("k", "t", source, timeout=1)
    second = cache.get("k", "t", source, timeout=1)
    # Then both reads get the current value at once, and one refresh runs in the background
    assert (first, second) == (("v1", False), ("v1", False))
    assert time.perf_counter() - started < 0.05
    source.gate.set()
    settle(loader)
    assert source.calls == 2
    assert cache.get("k", "t", source, timeout=1) == ("v2", False)
    # and the refreshed entry lives a whole TTL from its refresh
    clock.advance(TTL * 0.5)
    assert cache.get("k", "t", source, timeout=1) == ("v2", False)
    assert source.calls == 2


def test_cache_expired_entry_is_refreshed_on_read(cache: RefreshingCache[str, str], clock: FakeClock) -> None:
    source = Source()
    cache.get("k", "t", source, timeout=1)
    clock.advance(TTL + 1)
    source.value = "v2"
    assert cache.get("k", "t", source, timeout=1) == ("v2", False)


def test_cache_serves_last_known_good_when_refresh_fails_then_gives_up(
    cache: RefreshingCache[str, str], clock: FakeClock
) -> None:
    source = Source()
    cache.get("k", "t", source, timeout=1)
    # Given the store down after the entry expired
    clock.advance(TTL + 1)
    source.error = StoreUnavailable("read failed: ThrottlingException")
    # Then the previous value is served, marked stale
    assert cache.get("k", "t", source, timeout=1) == ("v1", True)
    assert source.calls == 2
    # and the store is not asked again for a second: the stale value is served at once
    assert cache.get("k", "t", source, timeout=1) == ("v1", True)
    assert source.calls == 2
    clock.advance(1.5)
    assert cache.get("k", "t", source, timeout=1) == ("v1", True)
    assert source.calls == 3
    # Past the bound the old value is as good as absent: the read fails
    clock.advance(STALE_MAX)
    with pytest.raises(StoreUnavailable):
        cache.get("k", "t", source, timeout=1)
    # and once the store is back, the entry is fresh again
    source.error = None
    assert cache.get("k", "t", source, timeout=1) == ("v1", False)


def test_cache_serves_stale_when_refresh_is_slower_than_stale_wait(
    cache: RefreshingCache[str, str], clock: FakeClock, loader: FairLoader
) -> None:
    source = Source()
    cache.get("k", "t", source, timeout=1)
    clock.advance(TTL + 1)
    source.value, source.gate = "v2", threading.Event()
    started = time.perf_counter()
    assert cache.get("k", "t", source, timeout=1) == ("v1", True)
    assert time.perf_counter() - started < 0.5  # stale_wait_seconds is 0.1
    source.gate.set()
    settle(loader)
    assert cache.get("k", "t", source, timeout=1) == ("v2", False)


def test_cache_never_caches_errors(cache: RefreshingCache[str, str]) -> None:
    source = Source()
    source.error = StoreUnavailable("down")
    with pytest.raises(StoreUnavailable):
        cache.get("k", "t", source, timeout=1)
    source.error = None
    assert cache.get("k", "t", source, timeout=1) == ("v1", False)
    assert source.calls == 2


def test_cache_caches_errors_returned_as_values(cache: RefreshingCache[str, Any]) -> None:
    calls: list[int] = []

    def invalid() -> Exception:
        calls.append(1)
        return ValueError("an invalid item, on purpose")

    first, _ = cache.get("k", "t", invalid, timeout=1)
    second, _ = cache.get("k", "t", invalid, timeout=1)
    assert first is second and len(calls) == 1


def test_cache_miss_waits_at_most_its_timeout(cache: RefreshingCache[str, str]) -> None:
    source = Source()
    source.gate.clear()
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable, match="longer than"):
        cache.get("k", "t", source, timeout=0.1)
    assert time.perf_counter() - started < 1
    source.gate.set()


def test_cache_is_bounded_and_clear_drops_loads_in_flight(cache: RefreshingCache[str, str], loader: FairLoader) -> None:
    for key in "abcde":
        cache.get(key, "t", Source(), timeout=1)
    assert len(cache) == 3
    # A load that started before clear() stores nothing
    source = Source()
    source.gate.clear()
    cache.lookup("late", "t", source)
    source.started.wait(5)
    cache.clear()
    source.gate.set()
    settle(loader)
    assert len(cache) == 0


def test_keys_that_name_nothing_never_evict_values(clock: FakeClock, loader: FairLoader) -> None:
    # Given a cache of routes (None: no such route) holding the routes real calls use
    cache: RefreshingCache[str, str | None] = RefreshingCache(
        "route", loader, maxsize=3, ttl_seconds=TTL, stale_max_seconds=STALE_MAX, clock=clock
    )
    known = {"route-a": "acme", "route-b": "globex"}
    reads: list[str] = []

    def read(key: str) -> str | None:
        reads.append(key)
        return known.get(key)

    for key, tenant in known.items():
        assert cache.get(key, "t", lambda key=key: read(key), timeout=1) == (tenant, False)
    # When made-up tokens, far more than the cache holds, are each looked up (and found to be nothing)
    for n in range(50):
        assert cache.get(f"made-up-{n}", "t", lambda n=n: read(f"made-up-{n}"), timeout=1) == (None, False)
    # Then the real routes are still answered from the cache, without a read
    reads.clear()
    for key, tenant in known.items():
        assert cache.get(key, "t", lambda key=key: read(key), timeout=1) == (tenant, False)
    assert reads == []
    # and the absent ones are bounded too: the oldest made-up token is read again, the newest is not
    assert cache.get("made-up-0", "t", lambda: read("made-up-0"), timeout=1) == (None, False)
    assert cache.get("made-up-49", "t", lambda: read("made-up-49"), timeout=1) == (None, False)
    assert reads == ["made-up-0"]
    # A key that comes to name something (a route created) moves over, and back when it is gone
    known["made-up-49"] = "initech"
    clock.advance(TTL + 1)
    assert cache.get("made-up-49", "t", lambda: read("made-up-49"), timeout=1) == ("initech", False)
    del known["route-a"]
    clock.advance(TTL + 1)
    assert cache.get("route-a", "t", lambda: read("route-a"), timeout=1) == (None, False)
    assert len(cache) == 2  # route-b and made-up-49 hold values; route-a is absent now


# The loader


def test_loader_runs_at_most_per_tenant_loads_of_one_tenant() -> None:
    loader = FairLoader(workers=8, per_tenant=2)
    running, peak, lock = [0], [0], threading.Lock()

    def load() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.03)
        with lock:
            running[0] -= 1

    futures = [loader.submit("noisy", load) for _ in range(10)]
    for future in futures:
        future.result(5)
    assert peak[0] == 2


def test_loader_serves_another_tenant_while_one_is_saturated() -> None:
    # Given a loader with 2 workers, each tenant at most 1 in flight, and a tenant with 10 slow loads queued
    loader = FairLoader(workers=2, per_tenant=1)
    release = threading.Event()
    slow = [loader.submit("noisy", lambda: release.wait(5)) for _ in range(10)]
    # When another tenant's load arrives
    quick = loader.submit("quiet", lambda: "done")
    # Then it runs at once, on the worker the noisy tenant may not take
    assert quick.result(timeout=1) == "done"
    assert loader.in_flight("noisy") == 1
    release.set()
    for future in slow:
        future.result(5)


def test_loader_takes_turns_between_tenants() -> None:
    loader = FairLoader(workers=1, per_tenant=1)
    release = threading.Event()
    order: list[str] = []
    first = loader.submit("a", lambda: release.wait(5))
    futures = [loader.submit(group, lambda group=group: order.append(group)) for group in "aaabbb"]
    release.set()
    first.result(5)
    for future in futures:
        future.result(5)
    # b had no turn yet when a's first load ended, so b goes first
    assert order == ["b", "a", "b", "a", "b", "a"]


def test_loader_drops_loads_queued_past_their_wait_and_refuses_beyond_its_queue() -> None:
    clock = FakeClock()
    loader = FairLoader(workers=1, per_tenant=1, max_queued=2, max_queue_seconds=1.5, clock=clock)
    release = threading.Event()
    ran: list[int] = []
    blocker = loader.submit("a", lambda: release.wait(5))
    queued = [loader.submit("a", lambda: ran.append(1)) for _ in range(2)]
    refused = loader.submit("a", lambda: ran.append(1))
    with pytest.raises(StoreUnavailable, match="too many"):
        refused.result(1)
    clock.advance(2)  # nobody waits this long for a read: it is not run
    release.set()
    blocker.result(5)
    for future in queued:
        with pytest.raises(StoreUnavailable, match="waited"):
            future.result(5)
    assert ran == []


def test_loader_threads_end_when_idle() -> None:
    before = threading.active_count()
    loader = FairLoader(workers=4, per_tenant=4)
    for future in [loader.submit(str(n), lambda: time.sleep(0.01)) for n in range(8)]:
        future.result(5)
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before


def test_loader_hands_a_failed_load_to_its_waiter_and_goes_on() -> None:
    loader = FairLoader(workers=1, per_tenant=1)

    def fail() -> None:
        raise StoreUnavailable("throttled")

    failed = loader.submit("a", fail)
    after = loader.submit("a", lambda: "next")
    with pytest.raises(StoreUnavailable):
        failed.result(5)
    assert after.result(5) == "next"


# Validated templates


@pytest.fixture
def template_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    checked: list[str] = []
    real: Callable[[str], list[str]] = models.template_errors

    def spy(template: str) -> list[str]:
        checked.append(template)
        return real(template)

    monkeypatch.setattr(models, "template_errors", spy)
    yield checked


def test_template_validation_is_remembered_for_a_large_prompt(template_checks: list[str]) -> None:
    # Given a large prompt never validated before
    prompt = f"Hello {{{{ customer.name }}}} {uuid.uuid4()} " + "{{ a }} and some more words to say " * 150
    # When two profiles with it are validated (two loads of a published configuration)
    for _ in range(2):
        AgentProfile(profile_id="main", prompt=prompt, voice="en-US-James1")
    # Then the template was checked once
    assert template_checks.count(prompt) == 1


def test_template_problems_are_remembered_too(template_checks: list[str]) -> None:
    prompt = f"{uuid.uuid4()} {{{{ broken"
    for _ in range(2):
        with pytest.raises(ValueError, match="prompt"):
            AgentProfile(profile_id="main", prompt=prompt, voice="en-US-James1")
    assert template_checks.count(prompt) == 1


# What a stale configuration becomes


def test_a_stale_configuration_makes_a_stale_decision_and_record() -> None:
    # Given the demo tenant's configuration served from its last good read
    config = replace(demo.compiled(demo.TENANT_ID, demo.demo_items()), stale=True)
    call = CallFacts(7, "web.incoming", "web", "web", "", None, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    # When the router decides
    decision = decide(config, None, call, tool_secrets=lambda: demo.TOOL_CREDENTIALS, max_prompt_chars=20_000)
    # Then the answer is the configuration's, marked stale, and so is the decision log's record
    assert (decision.outcome, decision.stale) == ("config", True)
    assert decision_record(call, decision, 1.0).stale is True
    fresh = decide(
        replace(config, stale=False), None, call, tool_secrets=lambda: demo.TOOL_CREDENTIALS, max_prompt_chars=20_000
    )
    assert fresh.stale is False and fresh.body == decision.body
