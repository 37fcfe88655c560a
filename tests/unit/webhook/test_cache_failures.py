"""When a cache knows a refresh fails: as soon as the failed load's waiter does (never a second load started by
the read right after it), and only for a failure after the entry expired (a failed refresh ahead of expiry
does not make the first read after it stale while the source is healthy again)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from functions.common.errors import StoreUnavailable
from functions.webhook import inline
from functions.webhook.caching import RefreshingCache
from functions.webhook.loading import FairLoader
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually
from tests.unit.webhook.test_caching import STALE_MAX, TTL, Source

T = TypeVar("T")


class WokenByTheFuture(FakeClock):
    """Waits end as the real clock's do: when the future is done, not when its callbacks have run (this test's
    waits never need the clock to run out)."""

    def result(self, future: Future[T], deadline: float | None) -> T:
        return future.result(SAFETY_NET_S)


class LateCallbacks(FairLoader):
    """A loader whose loads' done-callbacks, while `late` is set, run only once `go` is set: what a loader thread
    descheduled between waking a load's waiters and running its callbacks does."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(workers=2, per_tenant=2, clock=clock)
        self.late = False
        self.go = threading.Event()

    def submit(self, group: str, run: Callable[[], Any]) -> Future[Any]:
        future = super().submit(group, run)
        if self.late:
            future.add_done_callback(lambda _: self.go.wait(SAFETY_NET_S))
        return future


def test_a_failed_refresh_is_known_to_fail_before_its_waiter_returns() -> None:
    clock = WokenByTheFuture()
    loader = LateCallbacks(clock)
    cache: RefreshingCache[str, str] = RefreshingCache(
        "test", loader, maxsize=3, ttl_seconds=TTL, stale_max_seconds=STALE_MAX, stale_wait_seconds=0.1, clock=clock
    )
    source = Source()
    assert cache.get("k", "t", source, deadline=None) == ("v1", False)
    # Given the entry expired and its refresh failing, on a loader thread slow to run the load's callbacks
    clock.advance(TTL + 1)
    source.error = StoreUnavailable("read failed: ThrottlingException")
    source.hold()
    loader.late = True
    lookup = cache.lookup("k", "t", source)
    source.release()
    # When the refresh's waiter is served the previous value
    assert lookup.result(None) == ("v1", True)
    # Then the next read, by an answer that may not wait, gets it at once too, and starts no second read
    try:
        with inline.no_waiting():
            assert cache.get("k", "t", source, deadline=None) == ("v1", True)
        assert source.calls == 2
    finally:
        loader.go.set()
        eventually(lambda: loader.outstanding() == 0, "the loader's loads finish")


def test_a_refresh_that_failed_ahead_of_expiry_does_not_make_the_read_after_expiry_stale() -> None:
    clock = FakeClock()
    loader = FairLoader(workers=2, per_tenant=2, clock=clock)
    cache: RefreshingCache[str, str] = RefreshingCache(
        "test", loader, maxsize=3, ttl_seconds=TTL, stale_max_seconds=STALE_MAX, stale_wait_seconds=0.1, clock=clock
    )
    source = Source()
    assert cache.get("k", "t", source, deadline=None) == ("v1", False)
    # Given a refresh ahead of expiry that failed
    clock.advance(TTL * 0.85)
    source.error = StoreUnavailable("read failed: ThrottlingException")
    assert cache.get("k", "t", source, deadline=None) == ("v1", False)
    eventually(lambda: loader.outstanding() == 0, "the refresh ahead finishes")
    assert source.calls == 2
    # When the store is healthy again by the time the entry expires
    source.error = None
    source.value = "v2"
    clock.advance(TTL * 0.2)
    # Then the first read after expiry waits for the fresh value instead of serving the old one as stale
    assert cache.get("k", "t", source, deadline=None) == ("v2", False)
    assert source.calls == 3
