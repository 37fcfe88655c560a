"""Whose call an outcome event is (the attribution rule), and storing it there.

A tenant can shape bodies ThunderPhone signs (tool calls) and may predict call ids, so it can get the
router to decide a call id before (or while) another tenant's session of that id exists. Neither a body
nor a decision alone therefore says whose call it is:

1. A decision *fits* the call when it was taken close to the call's start, `start - before <= decided_at <=
   start + after` (`FitWindow`; ThunderPhone calls the webhook as the session starts). A decision that does
   not fit is no claim at all: it never wins and never contests. The call's *claimants* are the tenants whose
   decision fits. When the start is not known, every decision is a claim: it can then contest, never steal.
2. The route must agree: a key's route names its tenant; the org-level route names the owner of the number
   the event names (the operator's claim), or nobody.

    claimants              the route names T                          the route names nobody
    none                   a key's route: T; the org-level: nobody's  nobody's (the unassigned partition)
    {T}                    T                                          -
    {D}, D other than T    refused                                    D
    several, T among them  contested                                  contested
    several, not T         refused                                    -

A contested call is settled by ThunderPhone's own record of it (`settle`) when it is an inbound phone call
whose number called is claimed by one of the claimants; otherwise by the operator's assignment of it to one of
the claimants (contested.py); otherwise it is set aside for the operator. `whose_call` is that whole sequence,
applied alike by the outcome recorder (to queued events) and the backfill (to ThunderPhone's calls list, as
the org-level route naming the owner of the number ThunderPhone says the call reached).

Pure but for the ports it is handed (ports.py). `store_outcome` is the one place an outcome is finally
written under a tenant (by the recorder, the backfill and the operator's `assign`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field

from functions.calls.records import (
    Completion,
    Grade,
    InvalidCallEvent,
    check_storable,
    completion_from_event,
    grade_from_event,
)
from functions.common import table
from functions.common.settings import FunctionSettings
from functions.common.types import is_e164, is_tenant_id
from functions.outcomes.ports import OutcomeWriter
from functions.thunderphone.events import COMPLETION_EVENTS, GRADED_EVENTS
from functions.thunderphone.objects import ApiCall

REFUSED = "refused"
CONTESTED = "contested"
# ThunderPhone's timing of the incoming webhook against a call's `start_time` is UNCONFIRMED: both sides of the
# window are settings (FitSettings), wide enough for the webhook to come a little before or after the start.
DEFAULT_FIT_BEFORE_SECONDS = 300
DEFAULT_FIT_AFTER_SECONDS = 60


@dataclass(frozen=True)
class FitWindow:
    """How close to a call's start a decision must be taken to claim the call."""

    before: timedelta = timedelta(seconds=DEFAULT_FIT_BEFORE_SECONDS)
    after: timedelta = timedelta(seconds=DEFAULT_FIT_AFTER_SECONDS)

    def fits(self, decided_at: datetime, start: datetime) -> bool:
        return start - self.before <= decided_at <= start + self.after

    def claimants(self, decisions: Mapping[str, datetime], start: datetime | None) -> frozenset[str]:
        """The tenants whose decision fits a call starting at `start` (every decider when it is unknown)."""
        if start is None:
            return frozenset(decisions)
        return frozenset(tenant for tenant, decided_at in decisions.items() if self.fits(decided_at, start))


class FitSettings(FunctionSettings):
    """The attribution rule's window, for every function that applies it (the outcome recorder, the backfill)."""

    DECISION_FIT_BEFORE_SECONDS: Annotated[int, Field(ge=0, le=86_400)] = DEFAULT_FIT_BEFORE_SECONDS
    DECISION_FIT_AFTER_SECONDS: Annotated[int, Field(ge=0, le=86_400)] = DEFAULT_FIT_AFTER_SECONDS

    @property
    def fit_window(self) -> FitWindow:
        return FitWindow(
            timedelta(seconds=self.DECISION_FIT_BEFORE_SECONDS), timedelta(seconds=self.DECISION_FIT_AFTER_SECONDS)
        )


def named_tenant(route_kind: str, route_tenant: str | None, number_owner: str | None) -> str | None:
    """The tenant the route lets an event belong to: a key's route names its own, the org-level route the owner
    of the number the event names (None: the route names nobody)."""
    return route_tenant if route_kind == "key" else number_owner


def attribute(route_kind: str, named: str | None, claimants: Collection[str]) -> str:
    """The tenant an outcome belongs to (the table above), the unassigned partition, REFUSED or CONTESTED."""
    if len(claimants) > 1:
        return CONTESTED if named is None or named in claimants else REFUSED
    if claimants:
        (only,) = claimants
        return only if named in (None, only) else REFUSED
    if route_kind == "key" and named is not None:
        return named  # a key's route can only ever touch its own tenant's calls
    return table.UNASSIGNED_TENANT  # a number in a body alone never bills a tenant


def settle(named: str | None, claimants: Collection[str], call_owner: str | None) -> str:
    """A contested call with ThunderPhone's word on it (`call_owner`, see `number_called`): stored under that
    claimant when the route agrees, refused when it does not, still CONTESTED when ThunderPhone cannot say."""
    if call_owner is None or call_owner not in claimants:
        return CONTESTED
    return call_owner if named in (None, call_owner) else REFUSED


def follow_assignment(named: str | None, claimants: Collection[str], assigned: str) -> str:
    """A contested event of a call the operator assigned: refused when its route names another tenant (no key
    URL reports another tenant's call), stored under the assigned tenant when its decision fits this event,
    otherwise still CONTESTED (set aside: the operator sees it beside the choice)."""
    if named not in (None, assigned):
        return REFUSED
    return assigned if assigned in claimants else CONTESTED


@dataclass(frozen=True)
class Verdict:
    """Where an outcome goes: a tenant id, the unassigned partition, REFUSED or CONTESTED; `confirmed` when no
    decision still on its way could change it (the route named a claimant, ThunderPhone or the operator said)."""

    tenant: str
    confirmed: bool


def whose_call(
    route_kind: str,
    named: str | None,
    claimants: Collection[str],
    *,
    call: Callable[[], ApiCall | None],
    owner_of: Callable[[str], str | None],
    assigned: Callable[[], str | None],
) -> Verdict:
    """The attribution rule, settled: `attribute`, then for a contested call ThunderPhone's record (`call`, read
    only then; `owner_of` a number's owner), then the operator's assignment (`assigned`, read only then). An
    org-level event refused because another tenant's decision alone fits the call of the number it names is
    settled by ThunderPhone's record too: it is that number's owner's when the record says the call reached it."""
    verdict = attribute(route_kind, named, claimants)
    if verdict == REFUSED and route_kind == "org" and named is not None:
        # ThunderPhone's own body names T's number, but only other tenants' decisions fit (T's decision lost, the
        # id predicted): T's call if ThunderPhone's record says the call reached T's number, refused otherwise.
        called = number_called(call())
        return Verdict(named, True) if called and owner_of(called) == named else Verdict(REFUSED, False)
    if verdict != CONTESTED:
        return Verdict(verdict, verdict == named and verdict in claimants)
    called = number_called(call())
    verdict = settle(named, claimants, owner_of(called) if called else None)
    if verdict != CONTESTED:
        return Verdict(verdict, True)
    chosen = assigned()
    if chosen is None:
        return Verdict(CONTESTED, False)
    verdict = follow_assignment(named, claimants, chosen)
    return Verdict(verdict, verdict != CONTESTED)


def number_called(call: ApiCall | None) -> str | None:
    """The number ThunderPhone says an inbound phone call reached (its owner settles a contested call); None
    for anything else: a widget or mic session's `to_number` is undocumented, an outbound call's is the callee."""
    if call is None or call.direction != "inbound" or not call.to_number or not is_e164(call.to_number):
        return None
    return call.to_number


def claimed_number(data: Mapping[str, Any]) -> str | None:
    """The ThunderPhone number an event names (org-level route only: it selects the number's owner)."""
    to_number = data.get("to_number")
    return to_number if isinstance(to_number, str) and to_number.startswith("+") else None


def parse_outcome(event_type: str, data: Mapping[str, Any]) -> Completion | Grade:
    """The facts of an outcome event; InvalidCallEvent for a payload that does not validate or an event
    type that is not an outcome."""
    if event_type in COMPLETION_EVENTS:
        return completion_from_event(event_type, data)
    if event_type in GRADED_EVENTS:
        return grade_from_event(event_type, data)
    raise InvalidCallEvent(f"{event_type}: not an outcome event")


def store_outcome(log: OutcomeWriter, tenant_id: str, outcome: Completion | Grade, *, keep_transcripts: bool) -> bool:
    """The one place an outcome is finally written under a tenant (the recorder, the backfill and the operator's
    `assign` all come here). True when the item changed, False for a duplicate or an older/lower-ranked delivery. Raises
    InvalidCallEvent for a tenant id no tenant can have, UnstorableCallEvent for facts DynamoDB cannot
    store, and StoreUnavailable when DynamoDB fails."""
    if tenant_id != table.UNASSIGNED_TENANT and not is_tenant_id(tenant_id):
        raise InvalidCallEvent("tenant id is not valid")
    check_storable(outcome)
    if isinstance(outcome, Completion):
        return log.record_completion(tenant_id, outcome, keep_transcripts=keep_transcripts)
    return log.record_grade(tenant_id, outcome)
