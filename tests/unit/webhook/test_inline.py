"""Answers run on the request's own thread when none of their reads waits, and on the pool otherwise."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.webhook import budget, inline
from functions.webhook.caching import RefreshingCache
from functions.webhook.loading import FairLoader
from functions.webhook.models import Reply
from tests.fixtures.clock import SAFETY_NET_S, FakeClock
from tests.unit.webhook.test_caching import Source

OK = Reply(200, {"prompt": "hi"}, "config", None)


def test_an_answer_that_never_waits_is_answered_on_the_requests_thread() -> None:
    threads: list[int] = []

    def answer() -> Reply:
        threads.append(threading.get_ident())
        return OK

    clock = FakeClock()
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert budget.answer_within(pool, answer, started=clock(), budget_ms=100, clock=clock) is OK
    assert threads == [threading.get_ident()]


def test_an_answer_that_would_wait_is_answered_again_on_the_pool_within_its_budget() -> None:
    threads: list[int] = []

    def answer() -> Reply:
        threads.append(threading.get_ident())
        inline.before_waiting()
        return OK

    clock = FakeClock()
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert budget.answer_within(pool, answer, started=clock(), budget_ms=100, clock=clock) is OK
    assert len(threads) == 2 and threads[0] == threading.get_ident() != threads[1]

    released = threading.Event()

    def hangs() -> Reply:
        inline.before_waiting()
        assert released.wait(SAFETY_NET_S)
        return OK

    with ThreadPoolExecutor(max_workers=2) as pool:
        # When the budget runs out while the answer still waits
        within = pool.submit(budget.answer_within, pool, hangs, started=clock(), budget_ms=100, clock=clock)
        clock.advance_when_waiting(0.1)
        reply = within.result(SAFETY_NET_S)
        # Then the answer is `{}` without it: the hung answer has not returned yet
        assert (reply.body, reply.reason) == ({}, "budget_exceeded")
        assert not released.is_set()
        released.set()


def test_an_inline_answer_that_fails_falls_back_like_one_on_the_pool() -> None:
    def broken() -> Reply:
        raise RuntimeError("bug")

    with ThreadPoolExecutor(max_workers=1) as pool:
        reply = budget.answer_within(pool, broken, started=0.0, budget_ms=100, clock=FakeClock())
    assert (reply.status, reply.body, reply.reason) == (200, {}, "internal_error")


def test_outside_no_waiting_anything_may_wait() -> None:
    inline.before_waiting()  # no error
    with inline.no_waiting(), pytest.raises(inline.WouldWait):
        inline.before_waiting()
    inline.before_waiting()


def test_a_cache_miss_inline_starts_the_load_and_the_waiting_read_joins_it() -> None:
    source = Source()
    source.hold()
    clock = FakeClock()
    cache: RefreshingCache[str, str] = RefreshingCache(
        "item", FairLoader(workers=2, per_tenant=2), maxsize=8, ttl_seconds=60, stale_max_seconds=600, clock=clock
    )
    with inline.no_waiting(), pytest.raises(inline.WouldWait):
        cache.get("k", "tenant", source, deadline=None)
    assert source.started.wait(SAFETY_NET_S)  # the load runs on
    source.release()
    assert cache.get("k", "tenant", source, deadline=None) == ("v1", False)
    assert source.calls == 1  # one read, shared
    with inline.no_waiting():  # now cached: served inline
        assert cache.get("k", "tenant", source, deadline=None) == ("v1", False)
