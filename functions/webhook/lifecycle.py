"""When a container's answers start counting, and what SnapStart runs around its snapshot.

ThunderPhone's 2 s include the cold start: on a container's first request the answer's budget counts from
the start of the process (INIT), so that INIT plus the answer stays within BUDGET_MS. That holds only when
the request was waiting for INIT (an on-demand cold start); a container initialised ahead of its first
request (provisioned concurrency, Lambda's proactive initialisation) counts from the request itself, and
a SnapStart container from its restore.

SnapStart (`snapshot_restore_py`, only present in Lambda's Python runtime): before the snapshot, the
webhook primes its pipeline (priming.py: clients built, a synthetic answer run in memory, no AWS call,
no secret read); after each restore, the clock is reset here and nothing cached needs refreshing, because
nothing was read before the snapshot.
"""

from __future__ import annotations

import os
from collections.abc import Callable

# A first request arriving later than this after INIT ended was not waiting for INIT.
INIT_GAP_S = 0.25


def process_age_s() -> float:
    """In Lambda, seconds since this process started (Linux /proc), so INIT counts from the runtime's own
    start-up, not from when the handler module began importing. 0 outside Lambda (where the process does other
    things first: the local run starts moto) or where /proc cannot tell."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return 0.0
    try:
        with open("/proc/self/stat", "rb") as stat, open("/proc/uptime", "rb") as uptime:
            start_ticks = int(stat.read().rsplit(b")", 1)[1].split()[19])  # field 22: starttime
            up_s = float(uptime.read().split()[0])
        return max(0.0, up_s - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


class Lifecycle:
    """One per container: INIT's start and end, and whether the first request has come."""

    """Instants are the webhook's monotonic clock's (deps.monotonic), read by the handler and passed in."""

    def __init__(self, init_started: float) -> None:
        self._init_started = init_started
        self._init_ended: float | None = None
        self._first_request = True

    def init_done(self, now: float) -> None:
        self._init_ended = now

    def restored(self, now: float) -> None:
        """After a SnapStart restore: INIT is long past; the restore is this container's start."""
        self._init_started = now
        self._init_ended = now
        self._first_request = True

    def request_started(self, now: float) -> float:
        """The instant this request's budget counts from."""
        if not self._first_request:
            return now
        self._first_request = False
        on_demand = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand") == "on-demand"
        waited_for_init = on_demand and self._init_ended is not None and now - self._init_ended <= INIT_GAP_S
        return self._init_started if waited_for_init else now


def register_snapstart_hooks(before_snapshot: Callable[[], None], after_restore: Callable[[], None]) -> bool:
    """Register with Lambda's SnapStart runtime hooks; False (nothing registered) anywhere else."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
