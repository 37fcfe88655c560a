"""The store's caches: last-known-good values, refreshed ahead of expiry, loaded once per key.

Each entry remembers when the read that produced it started. For `ttl` seconds it is served as it is; in
the last `refresh_ahead` part of that time a read of it also starts one background refresh, so a key in
use is normally reloaded before it expires and its answers never wait for a read. Past its TTL an entry is
refreshed on the next read, which waits for the refresh at most `stale_wait_seconds`: if the refresh fails
with one of the cache's `unavailable` errors (throttled, down, timed out) or is slower, the previous value is
served and marked stale, for at most `stale_max_seconds` past the TTL; later, the entry is as good as absent.
Once a refresh of an expired entry has failed, its stale value is served at once (the next try runs in the
background, at most every `retry_seconds`): a throttled or unreachable service is not hammered, and no
answer waits for a read that is known to fail. A refresh that failed before expiry (ahead of it, or forced)
only spaces out the next tries: the first read after expiry still waits for a fresh one.

Absent values (None: an unknown route, an unclaimed number, a caller who is no customer) are kept in an LRU
of their own, as large as the one for values: keys that name nothing cost an attacker nothing to invent (any
tenant can have ThunderPhone sign a body, then send it to made-up tokens or from made-up callers), so their
entries must never evict the routes, claims and customers that answer real calls.

Errors are never cached as values: a miss that fails raises, and the next read tries again (a loader may
return an error as a value on purpose, like an invalid customer item). Loads run on the store's FairLoader
(loading.py), single-flight: concurrent reads of one key share one load. A Lookup is started without
blocking and waited for later, so one answer's reads run side by side; an answer run inline (inline.py)
is never made to wait for one. Ages, bounds and waits are all measured by the cache's clock
(common/clock.py), so tests move time by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

from functions.common.clock import MONOTONIC, Monotonic
from functions.common.errors import StoreUnavailable
from functions.webhook import inline
from functions.webhook.loading import FairLoader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    value: V
    loaded_at: float  # when the read that produced the value started
    failed_at: float | None = None  # the last failed reload since the value was read

    def known_failing(self, ttl: float) -> bool:
        """Whether a refresh failed after the entry expired (one that failed while it was fresh says nothing of
        the source now)."""
        return self.failed_at is not None and self.failed_at >= self.loaded_at + ttl


@dataclass(frozen=True)
class Lookup(Generic[V]):
    """One read of a key: a value at hand, or a load to wait for (with the last-known-good value, if any)."""

    name: str
    clock: Monotonic
    value: V | None = None
    stale: bool = False
    pending: Future[V] | None = None
    fallback: _Entry[V] | None = None
    stale_after: float = 0.0  # the clock's instant past which the fallback is served instead of waiting
    unavailable: tuple[type[Exception], ...] = (StoreUnavailable,)  # failures the fallback is served for

    def result(self, deadline: float | None) -> tuple[V, bool]:
        """(value, stale); raises StoreUnavailable (also when `deadline` passes) or what the load raised.
        Reads looked up together wait for their refreshes together: the stale deadline is the lookup's."""
        if self.pending is None:
            return self.value, self.stale  # type: ignore[return-value]  # a hit: V itself may be None
        if not self.pending.done():
            inline.before_waiting()
        if self.fallback is not None:
            until = self.stale_after if deadline is None else min(deadline, self.stale_after)
            try:
                return self.clock.result(self.pending, until), False
            except TimeoutError:
                return self.fallback.value, True
            except self.unavailable:
                return self.fallback.value, True
        try:
            return self.clock.result(self.pending, deadline), False
        except TimeoutError:
            raise StoreUnavailable(f"{self.name} read did not finish within the answer's budget") from None


class RefreshingCache(Generic[K, V]):
    """A bounded LRU of last-known-good values; see the module docstring."""

    def __init__(
        self,
        name: str,
        loader: FairLoader,
        *,
        maxsize: int,
        ttl_seconds: float,
        stale_max_seconds: float,
        refresh_ahead: float = 0.2,
        stale_wait_seconds: float = 0.25,
        retry_seconds: float = 1.0,
        unavailable: tuple[type[Exception], ...] = (StoreUnavailable,),
        clock: Monotonic = MONOTONIC,
    ) -> None:
        self.name = name
        self._loader = loader
        self._entries: LRUCache[K, _Entry[V]] = LRUCache(maxsize=maxsize)
        self._absent: LRUCache[K, _Entry[V]] = LRUCache(maxsize=maxsize)  # entries whose value is None
        self._pending: dict[K, Future[V]] = {}
        self._ttl = ttl_seconds
        self._refresh_after = ttl_seconds * (1 - refresh_ahead)
        self._stale_max = stale_max_seconds
        self._stale_wait = stale_wait_seconds
        self._retry = retry_seconds
        self._unavailable = unavailable
        self._clock = clock
        self._generation = 0  # clear() makes loads already started store nothing
        self._lock = threading.RLock()  # a load's done-callback may run inside lookup (a refused submit)

    def lookup(self, key: K, group: str, load: Callable[[], V]) -> Lookup[V]:
        """Never blocks: a fresh value, or the load to wait for (started, or joined if one is running)."""
        with self._lock:
            now = self._clock()
            entry = self._entry(key)
            if entry is not None:
                age = now - entry.loaded_at
                retrying = entry.failed_at is not None and now - entry.failed_at < self._retry
                if age < self._ttl:
                    if age >= self._refresh_after and not retrying:
                        self._load(key, group, load)  # ahead of expiry, in the background
                    return self._hit(entry.value)
                if age < self._ttl + self._stale_max:
                    if entry.known_failing(self._ttl):  # its refresh is known to fail: no answer waits for it
                        if not retrying:
                            self._load(key, group, load)
                        return self._hit(entry.value, stale=True)
                    pending = self._load(key, group, load)
                    return self._waiting(pending, fallback=entry, stale_after=now + self._stale_wait)
            return self._waiting(self._load(key, group, load))

    def reload(self, key: K, group: str, load: Callable[[], V]) -> Lookup[V]:
        """A read of `key` from its source whatever its age (or the one running), with no fallback: for a
        value that has to be current (a signing secret that might have been rotated)."""
        with self._lock:
            return self._waiting(self._load(key, group, load))

    def get(self, key: K, group: str, load: Callable[[], V], *, deadline: float | None) -> tuple[V, bool]:
        return self.lookup(key, group, load).result(deadline)

    def peek(self, key: K) -> bool:
        """Whether a value for `key` is held and within its TTL."""
        with self._lock:
            entry = self._entry(key)
            return entry is not None and self._clock() - entry.loaded_at < self._ttl

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._absent.clear()
            self._pending.clear()
            self._generation += 1

    def __len__(self) -> int:
        """Entries holding a value (absent ones are bounded apart, by the same size)."""
        with self._lock:
            return len(self._entries)

    @property
    def maxsize(self) -> int:
        return int(self._entries.maxsize)

    def _hit(self, value: V, *, stale: bool = False) -> Lookup[V]:
        return Lookup(self.name, self._clock, value, stale=stale)

    def _waiting(self, pending: Future[V], *, fallback: _Entry[V] | None = None, stale_after: float = 0.0) -> Lookup[V]:
        return Lookup(
            self.name,
            self._clock,
            pending=pending,
            fallback=fallback,
            stale_after=stale_after,
            unavailable=self._unavailable,
        )

    def _entry(self, key: K) -> _Entry[V] | None:
        """The entry held for `key`, present or absent (called with the lock held)."""
        entry = self._entries.get(key)
        return entry if entry is not None else self._absent.get(key)

    def _store(self, key: K, entry: _Entry[V]) -> None:
        """Keeps `entry` in the LRU for its kind and drops any older one of the other kind (lock held)."""
        keep, drop = (self._absent, self._entries) if entry.value is None else (self._entries, self._absent)
        drop.pop(key, None)
        keep[key] = entry

    def _load(self, key: K, group: str, load: Callable[[], V]) -> Future[V]:
        """The running load of `key`, or a new one (called with the lock held)."""
        running = self._pending.get(key)
        if running is not None and not running.done():
            return running
        generation = self._generation
        ran = threading.Event()

        def run() -> V:
            ran.set()
            started = self._clock()
            try:
                value = load()
            except BaseException:
                # Recorded before the future fails, as a value is stored before it succeeds: a waiter woken by the
                # failure, and the read after it, already find the refresh known to fail.
                self._failed(key, generation)
                raise
            with self._lock:
                if generation == self._generation:
                    self._store(key, _Entry(value, started))
            return value

        future = self._loader.submit(group, run)
        self._pending[key] = future
        future.add_done_callback(lambda done: self._settled(key, done, generation, ran))
        return future

    def _failed(self, key: K, generation: int) -> None:
        with self._lock:
            entry = self._entry(key)
            if entry is not None and generation == self._generation:
                entry.failed_at = self._clock()

    def _settled(self, key: K, future: Future[V], generation: int, ran: threading.Event) -> None:
        with self._lock:
            if self._pending.get(key) is future:
                del self._pending[key]
        if not ran.is_set() and not future.cancelled() and future.exception() is not None:
            self._failed(key, generation)  # the loader refused the load (run() recorded its own failures)


@dataclass(frozen=True)
class CacheFactory:
    """What every cache of one container shares: the loader its reads run on, how long values live and are served
    stale, how long an answer waits for a read, and the clock all of that is measured by."""

    loader: FairLoader
    ttl_seconds: float
    stale_max_seconds: float
    max_wait_seconds: float
    clock: Monotonic = MONOTONIC

    def new_cache(
        self, name: str, maxsize: int, *, unavailable: tuple[type[Exception], ...] = (StoreUnavailable,)
    ) -> RefreshingCache[Any, Any]:
        return RefreshingCache(
            name,
            self.loader,
            maxsize=maxsize,
            ttl_seconds=self.ttl_seconds,
            stale_max_seconds=self.stale_max_seconds,
            unavailable=unavailable,
            clock=self.clock,
        )

    def deadline(self) -> float:
        """The clock's instant until which a read started now is waited for."""
        return self.clock() + self.max_wait_seconds
