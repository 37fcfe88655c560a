"""The backfill: page through ThunderPhone's calls for a window and fill the outcomes of calls we
answered whose completion or grade events never arrived.

A call's outcome goes where the attribution rule (functions/outcomes/attribution.py) puts it: under the one
tenant whose decision fits the call's start. A decision taken far from it is no claim (a tenant that
predicted the call id); when several tenants' decisions fit, ThunderPhone's record settles an inbound phone
call by the owner of its number, or the operator's assignment of the contested call does; otherwise the call
is counted as contested and left alone (its events wait for the operator, functions/outcomes/contested.py).

Resumable: each window has a cursor item, saved after every page, so an interrupted run (timeout,
ThunderPhone down) continues at the next page. Safe to re-run: every write goes through the same
merge rule as the webhook's events (call_records.py), ranked below them, so a call's stored outcome
is the same whichever of events and backfill came first or how often either ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from functions.call_sync.models import Cursor, SyncReport, SyncRequest, WindowReport
from functions.call_sync.ports import CallSource, NumberOwners, OutcomeStore
from functions.calls.read_model import CallRecord, decision_times
from functions.calls.records import UnstorableCallEvent, completion_from_api, grade_from_api
from functions.common import table
from functions.common.clock import aware, iso
from functions.common.observability import logger
from functions.outcomes.attribution import (
    CONTESTED,
    REFUSED,
    FitWindow,
    number_called,
    store_outcome,
    whose_call,
)
from functions.thunderphone.client import ThunderPhoneError
from functions.thunderphone.objects import ApiCall

MIN_NEW_SPAN = timedelta(minutes=1)


@dataclass(frozen=True)
class Schedule:
    """How a scheduled run picks its next window (from CallSyncSettings)."""

    directions: tuple[str, ...]
    lookback: timedelta
    settle: timedelta
    overlap: timedelta


def scheduled_name(direction: str) -> str:
    return f"scheduled#{direction}"


def manual_name(direction: str, start: datetime, end: datetime) -> str:
    return f"manual#{direction}#{iso(start)}#{iso(end)}"


def next_scheduled_cursor(previous: Cursor | None, direction: str, now: datetime, schedule: Schedule) -> Cursor | None:
    """Resume an unfinished window; else the window from where the last one ended up to now - settle."""
    end = now - schedule.settle
    if previous is not None and not previous.done:
        return previous
    if previous is None:
        return Cursor(scheduled_name(direction), direction, end - schedule.lookback, end)
    if end - previous.window_end < MIN_NEW_SPAN:
        return None  # ran moments ago: too little has settled since
    return Cursor(scheduled_name(direction), direction, previous.window_end - schedule.overlap, end)


def plan(request: SyncRequest, *, store: OutcomeStore, schedule: Schedule, now: datetime) -> list[Cursor]:
    """The windows this run works through: explicit (CLI) or the next scheduled one per direction."""
    directions = request.directions or schedule.directions
    cursors: list[Cursor] = []
    for direction in directions:
        if request.start is not None and request.end is not None:
            name = manual_name(direction, request.start, request.end)
            saved = None if request.restart else store.load_cursor(name)
            fresh = Cursor(name, direction, request.start, request.end)
            cursors.append(saved if saved is not None and not saved.done else fresh)
        else:
            cursor = next_scheduled_cursor(store.load_cursor(scheduled_name(direction)), direction, now, schedule)
            if cursor is not None:
                cursors.append(cursor)
    return cursors


def sync(
    request: SyncRequest,
    *,
    source: CallSource,
    store: OutcomeStore,
    schedule: Schedule,
    page_limit: int,
    clock: Callable[[], datetime],
    time_left_s: Callable[[], float],
    fit: FitWindow | None = None,
    owners: NumberOwners | None = None,
) -> SyncReport:
    """`owners` (the operator's number claims) settle contested phone calls; without them such calls are left
    to the operator."""
    report = SyncReport()
    attribution = Attribution(fit or FitWindow(), store, owners)
    for cursor in plan(request, store=store, schedule=schedule, now=clock()):
        window = run_window(
            cursor,
            source=source,
            store=store,
            page_limit=page_limit,
            clock=clock,
            time_left_s=time_left_s,
            attribution=attribution,
        )
        report.windows.append(window)
        if not window.finished:
            break  # out of time or ThunderPhone failing: the remaining windows wait for the next run
    return report


def run_window(
    cursor: Cursor,
    *,
    source: CallSource,
    store: OutcomeStore,
    page_limit: int,
    clock: Callable[[], datetime],
    time_left_s: Callable[[], float],
    attribution: Attribution | None = None,
) -> WindowReport:
    window = WindowReport(
        direction=cursor.direction,
        window_start=cursor.window_start,
        window_end=cursor.window_end,
        resumed_from=cursor.offset,
        offset=cursor.offset,
    )
    direction = None if cursor.direction == "all" else cursor.direction
    attribution = attribution or Attribution(FitWindow(), store, None)
    while time_left_s() > 0:
        try:
            page = source.list_calls(
                direction=direction,
                start=cursor.window_start,
                end=cursor.window_end,
                limit=page_limit,
                offset=cursor.offset,
            )
        except ThunderPhoneError as exc:
            window.error = f"{exc.code}: {exc.message}"
            logger.warning(
                "call sync stopped", extra={"cursor": cursor.name, "offset": cursor.offset, "error": str(exc)}
            )
            return window
        for call in page.calls:
            fill(call, store=store, window=window, attribution=attribution)
        window.pages += 1
        window.invalid += page.invalid
        # Advance by what the page held, not by `limit`: the server may cap the page size.
        offset = cursor.offset + page.size
        done = page.size == 0 or (page.total is not None and offset >= page.total)
        cursor = cursor.advanced(offset, done, clock())
        store.save_cursor(cursor)  # after the page's writes: a crash repeats at most this page
        window.offset = offset
        if done:
            window.finished = True
            break
    logger.info("call sync window", extra={"cursor": cursor.name, **_counts(window)})
    return window


@dataclass(frozen=True)
class Placed:
    """Where the backfill puts a call: a tenant, None (nobody's to fill) or CONTESTED, and the claims weighed."""

    tenant: str | None
    claims: dict[str, datetime]
    start: datetime | None


@dataclass(frozen=True)
class Attribution:
    """The attribution rule as the backfill applies it (`whose_call`, as the outcome recorder does): ThunderPhone's
    list is ThunderPhone's own word, so it is read as the org-level route naming the owner of the number
    ThunderPhone says the call reached."""

    fit: FitWindow
    store: OutcomeStore
    owners: NumberOwners | None

    def place(self, call: ApiCall, records: list[CallRecord]) -> Placed:
        """None when the call is nobody's to fill (not answered by us, only claimed from afar, or claimed only by
        a tenant other than the number's owner); CONTESTED when several tenants' decisions fit and neither
        ThunderPhone nor the operator settles it."""
        start = aware(call.start_time) if call.start_time is not None else None
        decisions = decision_times(records)
        claimants = self.fit.claimants(decisions, start)
        if not claimants:  # no decision of ours fits: nobody's, whoever owns the number (so no lookup of its owner)
            return Placed(None, {}, start)
        called = number_called(call)
        verdict = whose_call(
            "org",
            self._owner(called) if called else None,
            claimants,
            call=lambda: call,
            owner_of=self._owner,
            assigned=lambda: self.store.assigned_tenant(call.call_id),
        ).tenant
        tenant = None if verdict in (REFUSED, table.UNASSIGNED_TENANT) else verdict
        return Placed(tenant, {tenant_id: decisions[tenant_id] for tenant_id in claimants}, start)

    def _owner(self, number: str) -> str | None:
        return self.owners.tenant_for_number(number) if self.owners is not None else None


def fill(call: ApiCall, *, store: OutcomeStore, window: WindowReport, attribution: Attribution) -> None:
    window.seen += 1
    records = store.calls_of(call.call_id)
    placed = attribution.place(call, records)
    if placed.tenant == CONTESTED:
        window.contested += 1
        if store.set_aside_contested(call, placed.claims, placed.start):
            window.set_aside += 1
            logger.warning(
                "call contested: several tenants' decisions fit it; set aside for the operator (sbctl calls assign)",
                extra={"call_id": call.call_id, "claimants": sorted(placed.claims)},
            )
        return
    tenant_id = placed.tenant
    record = next((record for record in records if record.tenant_id == tenant_id), None)
    if tenant_id is None or record is None:
        window.unmatched += 1  # not answered by us, its decision log was lost, or only claimed from afar
        return
    window.matched += 1
    completion = completion_from_api(call)
    grade = grade_from_api(call)
    try:
        if completion is None:
            window.still_running += 1
        elif not record.has_completion and store_outcome(store, tenant_id, completion, keep_transcripts=False):
            window.completions_filled += 1
        if grade is not None and record.grade_key is None:
            window.grades_filled += store_outcome(store, tenant_id, grade, keep_transcripts=False)
    except UnstorableCallEvent as exc:  # a figure DynamoDB has no form for: counted, so the window still moves on
        window.invalid += 1
        logger.warning("call not filled", extra={"call_id": call.call_id, "problem": str(exc)})


def _counts(window: WindowReport) -> dict[str, object]:
    return {
        "direction": window.direction,
        "offset": window.offset,
        "pages": window.pages,
        "seen": window.seen,
        "matched": window.matched,
        "completions_filled": window.completions_filled,
        "grades_filled": window.grades_filled,
        "finished": window.finished,
    }
