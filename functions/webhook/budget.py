"""The answer's time budget: an answer that would wait for a read runs on the worker pool and is waited for
only until BUDGET_MS (one that reads only cached values runs inline: inline.py).

An answer past its budget is `{}` (ThunderPhone then uses the static agent); the AWS clients' own
timeouts make sure an abandoned worker finishes soon after. An outcome event is not waited on by
ThunderPhone (30 s), so it gets OUTCOME_BUDGET_MS to be made durable, and past it a 503 (ThunderPhone
delivers it again), never a `{}` that would drop it. Budgets are kept by the clock the handler is given
(common/clock.py): tests end one by moving that clock, never by the machine being slow.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from functions.common.clock import MONOTONIC, Monotonic
from functions.common.observability import logger
from functions.webhook import inline, service
from functions.webhook.models import Reply
from functions.webhook.outcomes import unavailable


def answer_within(
    pool: Executor,
    answer: Callable[[], Reply],
    *,
    started: float,
    budget_ms: int,
    outcome_budget_ms: int | None = None,
    is_outcome: Callable[[], bool] = lambda: False,
    clock: Monotonic = MONOTONIC,
) -> Reply:
    """`answer` runs inline when none of its reads waits (inline.py), else on `pool`, waited for until
    `budget_ms` after `started` (an instant of `clock`). `is_outcome` is asked only when the answer has failed
    or is still running at `budget_ms`: then an outcome event is waited for until `outcome_budget_ms` and fails
    with a 503 rather than `{}`."""
    try:
        with inline.no_waiting():
            return answer()
    except inline.WouldWait:
        pass
    except Exception:
        return _failed(is_outcome)
    future = pool.submit(answer)
    try:
        return clock.result(future, started + budget_ms / 1000)
    except TimeoutError:
        if outcome_budget_ms is None or not is_outcome():
            return service.fallback("budget_exceeded")
    except Exception:
        return _failed(is_outcome)
    try:
        return clock.result(future, started + outcome_budget_ms / 1000)
    except TimeoutError:
        logger.warning("outcome event not made durable within OUTCOME_BUDGET_MS")
        return unavailable("budget_exceeded")
    except Exception:
        logger.exception("webhook answer failed")
        return unavailable("internal_error")


def _failed(is_outcome: Callable[[], bool]) -> Reply:
    logger.exception("webhook answer failed")
    return unavailable("internal_error") if is_outcome() else service.fallback("internal_error")
