"""Decisions out of the webhook's answer log lines, into the calls table.

Each line the subscription filter passes is the JSON the webhook's logger wrote; its `decision` field is a
decision-log entry (functions/webhook/decision_log.py). Writes are conditional on the call having no
decision yet (first decision wins), so a redelivered batch, or a redelivered incoming event, changes
nothing. They run side by side, one UpdateItem each: BatchWriteItem cannot be conditional and would
replace a call's item whole, outcome fields and all.

A decision that could never be written (a call id ThunderPhone cannot send, a number DynamoDB has no form
for) is set aside once, never written and never retried: retrying the delivery would fail on it forever,
and every other line of the delivery is recorded all the same. The line itself stays in the webhook's log
group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from functions.calls.decisions import DECISION_FIELD, DecisionRecord, decision_from_log
from functions.calls.records import is_storable_number
from functions.common.types import MAX_CALL_ID, is_call_id


class DecisionLog(Protocol):
    def record_decision(self, record: DecisionRecord) -> bool:
        """False when the call already has a decision; raises StoreUnavailable."""
        ...


@dataclass(frozen=True)
class SetAside:
    """A decision that can never be recorded, and why (field names only, never values)."""

    record: DecisionRecord
    problem: str


@dataclass(frozen=True)
class Batch:
    recorded: int  # written now
    duplicates: int  # already there (a redelivery)
    unreadable: int  # lines that carry no readable decision (logged by the handler, never retried)
    problems: tuple[str, ...]  # why lines were unreadable: field names only
    set_aside: tuple[SetAside, ...] = ()  # decisions that can never be written (logged and counted, never retried)


def decisions_in(messages: Iterable[str]) -> tuple[list[DecisionRecord], list[str]]:
    """The decisions the log lines carry, and the problems of those that carry none."""
    records: list[DecisionRecord] = []
    problems: list[str] = []
    for message in messages:
        try:
            line: Any = json.loads(message)
            entry = line.get(DECISION_FIELD) if isinstance(line, dict) else None
            if not isinstance(entry, dict):
                raise ValueError(f"no {DECISION_FIELD} object in the log line")
            records.append(decision_from_log(entry))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            problems.append(str(exc)[:300])
    return records, problems


def unwritable(record: DecisionRecord) -> str | None:
    """Why a decision can never be written, or None: a call id ThunderPhone cannot send, or a number DynamoDB
    has no form for (the webhook never logs either; a line planted in its log group might)."""
    if not is_call_id(record.call_id):
        return f"call_id is not a ThunderPhone call id (1..{MAX_CALL_ID})"
    numbers = {
        "latency_ms": record.latency_ms,
        "profile_version": record.profile_version,
        "config_version": record.config_version,
    }
    fields = [name for name, value in numbers.items() if value is not None and not is_storable_number(value)]
    return f"not storable in DynamoDB: {', '.join(fields)}" if fields else None


def record_all(log: DecisionLog, records: list[DecisionRecord], *, writers: int) -> tuple[int, int]:
    """(written, duplicates); the first failure is raised once every write has been tried, so the retry of
    the whole delivery only redoes what failed (the rest are duplicates by then)."""
    if not records:
        return 0, 0
    with ThreadPoolExecutor(max_workers=min(writers, len(records))) as pool:
        futures = [pool.submit(log.record_decision, record) for record in records]
    results = [future.exception() or future.result() for future in futures]
    failure = next((result for result in results if isinstance(result, BaseException)), None)
    if failure is not None:
        raise failure
    written = sum(result is True for result in results)
    return written, len(records) - written


def record_lines(log: DecisionLog, messages: Iterable[str], *, writers: int) -> Batch:
    records, problems = decisions_in(messages)
    writable: list[DecisionRecord] = []
    set_aside: list[SetAside] = []
    for record in records:
        problem = unwritable(record)
        if problem is None:
            writable.append(record)
        else:
            set_aside.append(SetAside(record, problem))
    written, duplicates = record_all(log, writable, writers=writers)
    return Batch(written, duplicates, len(problems), tuple(problems), tuple(set_aside))
