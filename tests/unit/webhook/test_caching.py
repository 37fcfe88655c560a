"""The store's caches and loader: last-known-good values, refresh ahead, single-flight loads, fairness
between tenants, and validated templates remembered."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common.errors import StoreUnavailable
from functions.tenant_config import models
from functions.tenant_config.models import AgentProfile
from functions.webhook import inline
from functions.webhook.caching import RefreshingCache
from functions.webhook.decision_log import decision_record
from functions.webhook.loading import FairLoader
from functions.webhook.models import CallFacts
from functions.webhook.routing import decide
from tests.fixtures import tenants as demo
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually

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
        assert self.gate.wait(SAFETY_NET_S)
        if self.error is not None:
            raise self.error
        return self.value

    def hold(self) -> None:
        """The next reads wait until `release()`."""
        self.started.clear()
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loader(clock: FakeClock) -> FairLoader:
    return FairLoader(workers=4, per_tenant=2, clock=clock)


@pytest.fixture
def cache(clock: FakeClock, loader: FairLoader) -> RefreshingCache[str, str]:
    return RefreshingCache(
        "test", loader, maxsize=3, ttl_seconds=TTL, stale_max_seconds=STALE_MAX, stale_wait_seconds=0.1, clock=clock
    )


def get(cache: RefreshingCache[str, Any], key: str, source: Callable[[], Any]) -> tuple[Any, bool]:
    """A read that waits for its load as long as it takes (the clock is not moved)."""
    return cache.get(key, "t", source, deadline=None)


def settle(loader: FairLoader) -> None:
    """Waits until the loader has finished every load, the ones in the background too (a load's done-callbacks
    run on its thread before the load counts as finished)."""
    eventually(lambda: loader.outstanding() == 0, "the loader's loads finish")


def test_cache_miss_loads_once_then_hits(cache: RefreshingCache[str, str]) -> None:
    source = Source()
    assert get(cache, "k", source) == ("v1", False)
    assert get(cache, "k", source) == ("v1", False)
    assert source.calls == 1


def test_cache_concurrent_misses_share_one_load(cache: RefreshingCache[str, str]) -> None:
    # Given a held read and 20 readers of one key, each having looked it up before it is released
    source = Source()
    source.hold()
    looked_up = threading.Barrier(21)
    results: list[tuple[str, bool]] = []

    def read() -> None:
        lookup = cache.lookup("k", "t", source)
        looked_up.wait(SAFETY_NET_S)
        results.append(lookup.result(None))

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    looked_up.wait(SAFETY_NET_S)
    # When the read is released
    source.release()
    for thread in threads:
        thread.join(SAFETY_NET_S)
    # Then they all got the value from one read
    assert results == [("v1", False)] * 20
    assert source.calls == 1


def test_cache_refreshes_ahead_of_expiry_without_waiting(
    cache: RefreshingCache[str, str], clock: FakeClock, loader: FairLoader
) -> None:
    source = Source()
    get(cache, "k", source)
    # Given the entry in the last fifth of its TTL and a store that does not answer
    clock.advance(TTL * 0.85)
    source.value = "v2"
    source.hold()
    # When it is read, twice, by answers that may not wait (inline.py)
    with inline.no_waiting():
        first = get(cache, "k", source)
        second = get(cache, "k", source)
    # Then both reads get the current value at once, and one refresh runs in the background
    assert (first, second) == (("v1", False), ("v1", False))
    assert source.started.wait(SAFETY_NET_S)
    source.release()
    settle(loader)
    assert source.calls == 2
    assert get(cache, "k", source) == ("v2", False)
    # and the refreshed entry lives a whole TTL from its refresh
    clock.advance(TTL * 0.5)
    assert get(cache, "k", source) == ("v2", False)
    assert source.calls == 2


def test_cache_expired_entry_is_refreshed_on_read(cache: RefreshingCache[str, str], clock: FakeClock) -> None:
    source = Source()
    get(cache, "k", source)
    clock.advance(TTL + 1)
    source.value = "v2"
    assert get(cache, "k", source) == ("v2", False)


def test_cache_serves_last_known_good_when_refresh_fails_then_gives_up(
    cache: RefreshingCache[str, str], clock: FakeClock, loader: FairLoader
) -> None:
    source = Source()
    get(cache, "k", source)
    # Given the store down after the entry expired
    clock.advance(TTL + 1)
    source.error = StoreUnavailable("read failed: ThrottlingException")
    # Then the previous value is served, marked stale
    assert get(cache, "k", source) == ("v1", True)
    assert source.calls == 2
    # and once a refresh is known to fail, answers never wait for one: the stale value is served at once,
    with inline.no_waiting():
        assert get(cache, "k", source) == ("v1", True)
    assert source.calls == 2  # and the store is not asked again for a second,
    clock.advance(1.5)
    with inline.no_waiting():
        assert get(cache, "k", source) == ("v1", True)
    settle(loader)
    assert source.calls == 3  # then once more, in the background
    # Past the bound the old value is as good as absent: the read fails
    clock.advance(STALE_MAX)
    with pytest.raises(StoreUnavailable):
        get(cache, "k", source)
    # and once the store is back, the entry is fresh again
    source.error = None
    assert get(cache, "k", source) == ("v1", False)


def test_cache_serves_stale_when_refresh_is_slower_than_stale_wait(
    cache: RefreshingCache[str, str], clock: FakeClock, loader: FairLoader
) -> None:
    source = Source()
    get(cache, "k", source)
    clock.advance(TTL + 1)
    source.value = "v2"
    source.hold()
    with ThreadPoolExecutor(max_workers=1) as reader:
        read = reader.submit(get, cache, "k", source)
        # When the refresh is still running as the stale wait (0.1 s) runs out
        clock.advance_when_waiting(0.2)
        # Then the previous value is served, marked stale
        assert read.result(SAFETY_NET_S) == ("v1", True)
    source.release()
    settle(loader)
    assert get(cache, "k", source) == ("v2", False)


def test_cache_never_caches_errors(cache: RefreshingCache[str, str]) -> None:
    source = Source()
    source.error = StoreUnavailable("down")
    with pytest.raises(StoreUnavailable):
        get(cache, "k", source)
    source.error = None
    assert get(cache, "k", source) == ("v1", False)
    assert source.calls == 2


def test_cache_caches_errors_returned_as_values(cache: RefreshingCache[str, Any]) -> None:
    calls: list[int] = []

    def invalid() -> Exception:
        calls.append(1)
        return ValueError("an invalid item, on purpose")

    first, _ = get(cache, "k", invalid)
    second, _ = get(cache, "k", invalid)
    assert first is second and len(calls) == 1


def test_cache_miss_waits_until_its_deadline_at_most(cache: RefreshingCache[str, str], clock: FakeClock) -> None:
    source = Source()
    source.hold()
    with ThreadPoolExecutor(max_workers=1) as reader:
        read = reader.submit(cache.get, "k", "t", source, deadline=clock() + 0.5)
        clock.advance_when_waiting(0.5)
        with pytest.raises(StoreUnavailable, match="did not finish"):
            read.result(SAFETY_NET_S)
    source.release()


def test_cache_reload_reads_a_fresh_entry_again_and_fails_without_a_fallback(
    cache: RefreshingCache[str, str], loader: FairLoader
) -> None:
    source = Source()
    get(cache, "k", source)
    source.value = "v2"
    assert cache.reload("k", "t", source).result(None) == ("v2", False)
    assert get(cache, "k", source) == ("v2", False)
    source.error = StoreUnavailable("down")
    with pytest.raises(StoreUnavailable):
        cache.reload("k", "t", source).result(None)
    assert source.calls == 3


def test_cache_is_bounded_and_clear_drops_loads_in_flight(cache: RefreshingCache[str, str], loader: FairLoader) -> None:
    for key in "abcde":
        get(cache, key, Source())
    assert len(cache) == 3
    # A load that started before clear() stores nothing
    source = Source()
    source.hold()
    cache.lookup("late", "t", source)
    assert source.started.wait(SAFETY_NET_S)
    cache.clear()
    source.release()
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
        assert get(cache, key, lambda key=key: read(key)) == (tenant, False)
    # When made-up tokens, far more than the cache holds, are each looked up (and found to be nothing)
    for n in range(50):
        assert get(cache, f"made-up-{n}", lambda n=n: read(f"made-up-{n}")) == (None, False)
    # Then the real routes are still answered from the cache, without a read
    reads.clear()
    for key, tenant in known.items():
        assert get(cache, key, lambda key=key: read(key)) == (tenant, False)
    assert reads == []
    # and the absent ones are bounded too: the oldest made-up token is read again, the newest is not
    assert get(cache, "made-up-0", lambda: read("made-up-0")) == (None, False)
    assert get(cache, "made-up-49", lambda: read("made-up-49")) == (None, False)
    assert reads == ["made-up-0"]
    # A key that comes to name something (a route created) moves over, and back when it is gone
    known["made-up-49"] = "initech"
    clock.advance(TTL + 1)
    assert get(cache, "made-up-49", lambda: read("made-up-49")) == ("initech", False)
    del known["route-a"]
    clock.advance(TTL + 1)
    assert get(cache, "route-a", lambda: read("route-a")) == (None, False)
    assert len(cache) == 2  # route-b and made-up-49 hold values; route-a is absent now


# The loader


class Held:
    """Loads that wait until released, counting how many run at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.running = 0
        self.peak = 0
        self.started: list[str] = []
        self._lock = threading.Lock()

    def load(self, name: str = "") -> Callable[[], str]:
        def run() -> str:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
                self.started.append(name)
            try:
                assert self.release.wait(SAFETY_NET_S)
            finally:
                with self._lock:
                    self.running -= 1
            return name

        return run


def test_loader_runs_at_most_per_tenant_loads_of_one_tenant() -> None:
    # Given a loader with room for 8 loads at once, and 10 loads of one tenant that wait until released
    loader = FairLoader(workers=8, per_tenant=2)
    held = Held()
    futures = [loader.submit("noisy", held.load()) for _ in range(10)]
    # Then 2 of them run, and the others wait their turn while those 2 are held
    eventually(lambda: held.running == 2, "two loads run")
    assert loader.in_flight("noisy") == 2
    assert held.running == 2 and loader.outstanding() == 10
    held.release.set()
    for future in futures:
        future.result(SAFETY_NET_S)
    assert held.peak == 2


def test_loader_serves_another_tenant_while_one_is_saturated() -> None:
    # Given a loader with 2 workers, each tenant at most 1 in flight, and a tenant with 10 held loads queued
    loader = FairLoader(workers=2, per_tenant=1)
    held = Held()
    slow = [loader.submit("noisy", held.load()) for _ in range(10)]
    # When another tenant's load arrives
    quick = loader.submit("quiet", lambda: "done")
    # Then it runs while the noisy tenant's are still held, on the worker the noisy tenant may not take
    assert quick.result(SAFETY_NET_S) == "done"
    assert loader.in_flight("noisy") == 1 and not held.release.is_set()
    held.release.set()
    for future in slow:
        future.result(SAFETY_NET_S)


def test_loader_takes_turns_between_tenants() -> None:
    loader = FairLoader(workers=1, per_tenant=1)
    release = threading.Event()
    order: list[str] = []
    first = loader.submit("a", lambda: release.wait(SAFETY_NET_S))
    futures = [loader.submit(group, lambda group=group: order.append(group)) for group in "aaabbb"]
    release.set()
    first.result(SAFETY_NET_S)
    for future in futures:
        future.result(SAFETY_NET_S)
    # b had no turn yet when a's first load ended, so b goes first
    assert order == ["b", "a", "b", "a", "b", "a"]


def test_loader_drops_loads_queued_past_their_wait_and_refuses_beyond_its_queue() -> None:
    clock = FakeClock()
    loader = FairLoader(workers=1, per_tenant=1, max_queued=2, max_queue_seconds=1.5, clock=clock)
    release = threading.Event()
    ran: list[int] = []
    blocker = loader.submit("a", lambda: release.wait(SAFETY_NET_S))
    queued = [loader.submit("a", lambda: ran.append(1)) for _ in range(2)]
    refused = loader.submit("a", lambda: ran.append(1))
    with pytest.raises(StoreUnavailable, match="too many"):
        refused.result(SAFETY_NET_S)
    clock.advance(2)  # nobody waits this long for a read: it is not run
    release.set()
    blocker.result(SAFETY_NET_S)
    for future in queued:
        with pytest.raises(StoreUnavailable, match="waited"):
            future.result(SAFETY_NET_S)
    assert ran == []


def test_loader_threads_end_when_idle() -> None:
    loader = FairLoader(workers=4, per_tenant=4, name="idle-check")
    held = Held()
    futures = [loader.submit(str(n), held.load()) for n in range(8)]
    eventually(lambda: held.running == 4, "four loads run")
    assert len(threads_named("idle-check")) == 4
    held.release.set()
    for future in futures:
        future.result(SAFETY_NET_S)
    eventually(lambda: not threads_named("idle-check"), "the loader's threads end")


def threads_named(prefix: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(prefix)]


def test_loader_hands_a_failed_load_to_its_waiter_and_goes_on() -> None:
    loader = FairLoader(workers=1, per_tenant=1)

    def fail() -> None:
        raise StoreUnavailable("throttled")

    failed = loader.submit("a", fail)
    after = loader.submit("a", lambda: "next")
    with pytest.raises(StoreUnavailable):
        failed.result(SAFETY_NET_S)
    assert after.result(SAFETY_NET_S) == "next"


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
