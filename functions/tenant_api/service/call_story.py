"""The tenant's calls, newest first, and one call's story: what the router decided for it and why, and how it
went. Reads only the tenant's own partition of the calls table (its time index, or one GetItem by key), so another
tenant's call is not found, in the same words as a call that never happened."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.calls.read_model import CallRecord, CallsReader
from functions.common.masking import mask_number
from functions.common.types import ITEM_ID_PATTERN
from functions.tenant_api.errors import BadRequest, NotFound
from functions.tenant_api.service import call_words
from functions.tenant_api.service.reports import parse_day
from functions.tenant_config.models import RoutingRule

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_READ = 1000  # calls looked at per request; past it the page ends early, with a cursor to go on
MAX_CALL_ID = 2**63 - 1
NOT_FOUND = "there is no such call among your calls; check the call number, or pick the call from your list of calls"
_ITEM_ID = re.compile(ITEM_ID_PATTERN)
_SORT_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#\d{1,19}$")
_CURSOR_WORDS = "the cursor is not one this list gave: start again from the first page (leave out cursor)"
AFTER_ALL = "~"  # sorts after every time-index key


@dataclass(frozen=True)
class CallFilters:
    day: date | None = None
    channel: str | None = None
    widget: str | None = None
    rule: str | None = None
    fallback: bool | None = None

    def keeps(self, record: CallRecord) -> bool:
        return (
            (self.channel is None or record.channel == self.channel)
            and (self.widget is None or record.widget_id == self.widget)
            and (self.rule is None or record.rule_id == self.rule)
            and (self.fallback is None or (record.decision == "fallback") == self.fallback)
        )


def _refuse(name: str, sentence: str) -> BadRequest:
    return BadRequest(sentence, fields={name: [sentence]})


def filters_of(
    day: str | None, channel: str | None, widget: str | None, rule: str | None, fallback: str | None
) -> CallFilters:
    """The list's filters from the query string, or BadRequest saying what to send instead."""
    if channel is not None and channel not in ("phone", "web"):
        raise _refuse("channel", "channel must be phone or web")
    if widget is not None and not _ITEM_ID.match(widget):
        raise _refuse("widget", "widget must be one of your widgets' names, such as pricing")
    if rule is not None and not _ITEM_ID.match(rule):
        raise _refuse("rule", "rule must be one of your rules' names, such as after-hours")
    if fallback is not None and fallback not in ("yes", "no"):
        raise _refuse("fallback", "fallback must be yes (only calls that fell back) or no (only calls answered)")
    return CallFilters(
        day=parse_day("day", day) if day is not None else None,
        channel=channel,
        widget=widget,
        rule=rule,
        fallback=None if fallback is None else fallback == "yes",
    )


def limit_of(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    count = int(text) if text.isdigit() and len(text) <= 4 else 0
    if not 1 <= count <= MAX_LIMIT:
        raise _refuse("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return count


def call_id_of(text: str) -> int:
    if not text.isdigit() or len(text) > 19 or not 1 <= int(text) <= MAX_CALL_ID:
        raise _refuse("call_id", "a call number is a whole number, such as 1001")
    return int(text)


def cursor_text(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def _cursor_key(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _refuse("cursor", _CURSOR_WORDS) from None
    if not _SORT_KEY.match(key):
        raise _refuse("cursor", _CURSOR_WORDS)
    return key


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Midnight to midnight in the tenant's zone (23 or 25 hours on the days clocks change), in UTC."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _when(record: CallRecord, zone: ZoneInfo) -> str | None:
    at = record.at
    if at is None and record.time_index_sk:
        at = datetime.fromisoformat(record.time_index_sk.split("#")[0].replace("Z", "+00:00"))
    return at.astimezone(zone).isoformat() if at is not None else None


def _caller(record: CallRecord) -> str | None:
    """Masked as the decision log masks numbers; a web session has no caller."""
    return None if record.channel == "web" else mask_number(record.caller)


def _outcome(record: CallRecord) -> dict[str, Any] | None:
    if not record.has_completion:
        return None
    return {
        "status": record.status,
        "duration_seconds": record.duration_seconds,
        "end_reason": call_words.end_reason_in_words(record.end_reason),
        "billable_minutes": record.billable_minutes,
        "cost_cents": record.billing_total_cents,
    }


def _grade(record: CallRecord) -> dict[str, Any] | None:
    if record.grade_score is None and record.grade_outcome is None:
        return None
    return {"score": record.grade_score, "outcome": record.grade_outcome, "label": record.grade_outcome_label}


def summary(record: CallRecord, zone: ZoneInfo) -> dict[str, Any]:
    """A call as the list shows it."""
    fell_back = record.decision == "fallback"
    return {
        "call_id": record.call_id,
        "at": _when(record, zone),
        "channel": record.channel,
        "widget_id": record.widget_id,
        "number": record.to_number,
        "caller": _caller(record),
        "customer_known": record.customer_known,
        "answered": record.has_decision,
        "rule_id": record.rule_id,
        "variant": record.variant,
        "profile_id": record.profile_id,
        "fallback": fell_back,
        "fallback_reason": call_words.fallback_in_words(record.reason) if fell_back else None,
        "outcome": _outcome(record),
        "grade": _grade(record),
    }


def list_calls(
    calls: CallsReader, tenant_id: str, zone: ZoneInfo, filters: CallFilters, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Up to `limit` calls that pass the filters, newest first; `next_cursor` continues after the last one read."""
    before = _cursor_key(cursor) if cursor is not None else AFTER_ALL
    start = None
    if filters.day is not None:
        start, end = _day_bounds(filters.day, zone)
        before = min(before, end.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        if before < start.strftime("%Y-%m-%dT%H:%M:%S.000Z"):  # a cursor from before that day: nothing is left
            return {"time_zone": zone.key, "calls": [], "next_cursor": None}
    found: list[CallRecord] = []
    last_read: str | None = None
    read = 0
    more = False
    for record in calls.newest_first(tenant_id, start, before):
        key = record.time_index_sk or ""
        if key >= before or record.tenant_id != tenant_id:  # the cursor's own call; the partition is the tenant's
            continue
        if len(found) == limit or read == MAX_READ:
            more = True
            break
        read += 1
        last_read = key
        if filters.keeps(record):
            found.append(record)
    return {
        "time_zone": zone.key,
        "calls": [summary(record, zone) for record in found],
        "next_cursor": cursor_text(last_read) if more and last_read else None,
    }


def call_story(
    calls: CallsReader,
    tenant_id: str,
    zone: ZoneInfo,
    call_id: int,
    rule_of: Callable[[int, str], RoutingRule | None],
) -> dict[str, Any]:
    """One call's story; `rule_of(config_version, rule_id)` is the rule as it was published then."""
    record = calls.tenant_call(tenant_id, call_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(NOT_FOUND)
    rule = (
        rule_of(record.config_version, record.rule_id)
        if record.rule_id is not None and record.config_version is not None
        else None
    )
    story = summary(record, zone)
    return story | {
        "time_zone": zone.key,
        "why": call_words.rule_in_words(record.rule_id, record.reason, rule) if record.has_decision else [],
        "variant_words": call_words.variant_in_words(record.variant, rule),
        "profile_version": record.profile_version,
        "config_version": record.config_version,
        "stale": record.stale,
        "direction": record.direction,
    }
