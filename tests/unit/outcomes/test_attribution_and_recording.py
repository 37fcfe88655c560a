"""Whose call an outcome event is (the attribution rule) and what the recorder does with each queued event, with
in-memory fakes of the calls table, the configuration, ThunderPhone's calls API, the contested calls and the
quarantine queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.calls.records import Completion, Grade
from functions.common import table
from functions.common.errors import StoreUnavailable
from functions.outcome_recorder.service import DecisionPending, record
from functions.outcomes.attribution import (
    CONTESTED,
    REFUSED,
    FitWindow,
    attribute,
    number_called,
    settle,
)
from functions.outcomes.message import QueuedOutcome
from functions.thunderphone.objects import ApiCall
from tests.fixtures.outcomes import KeptAside, queued_outcome

UNASSIGNED = table.UNASSIGNED_TENANT
START = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
LONG_BEFORE = START - timedelta(hours=2)
NUMBER = "+15550001111"


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("offset", "fits"), [(-301, False), (-300, True), (-5, True), (0, True), (60, True), (61, False), (-7200, False)]
)
def test_a_decision_fits_a_call_only_close_to_its_start(offset: float, fits: bool) -> None:
    assert FitWindow().fits(at(offset), START) is fits


def test_a_call_whose_start_is_unknown_counts_every_decision_as_a_claim() -> None:
    decisions = {"early": LONG_BEFORE, "onTime": at(1)}
    assert FitWindow().claimants(decisions, START) == {"onTime"}
    assert FitWindow().claimants(decisions, None) == {"early", "onTime"}


@pytest.mark.parametrize(
    ("kind", "named", "claimants", "expected"),
    [
        ("key", "t", {"t"}, "t"),
        ("key", "t", {"t", "other"}, CONTESTED),  # no longer "t among others": nobody wins a contest alone
        ("key", "t", {"other"}, REFUSED),
        ("key", "t", {"a", "b"}, REFUSED),
        ("key", "t", set(), "t"),
        ("org", "n", {"n"}, "n"),
        ("org", None, {"d"}, "d"),
        ("org", "n", {"other"}, REFUSED),
        ("org", "n", {"n", "other"}, CONTESTED),
        ("org", None, set(), UNASSIGNED),
        ("org", "n", set(), UNASSIGNED),  # a number in a body alone never bills a tenant
        ("org", None, {"a", "b"}, CONTESTED),  # no longer the unassigned partition: set aside for the operator
    ],
)
def test_attribute_follows_the_route_and_the_claimants(
    kind: str, named: str | None, claimants: set[str], expected: str
) -> None:
    assert attribute(kind, named, claimants) == expected


@pytest.mark.parametrize(
    ("named", "owner", "expected"),
    [(None, "b", "b"), ("b", "b", "b"), ("a", "b", REFUSED), (None, "c", CONTESTED), (None, None, CONTESTED)],
)
def test_thunderphones_record_settles_a_contest_only_for_a_claimant(
    named: str | None, owner: str | None, expected: str
) -> None:
    assert settle(named, {"a", "b"}, owner) == expected


@pytest.mark.parametrize(
    ("direction", "to_number", "called"),
    [("inbound", NUMBER, NUMBER), ("outbound", NUMBER, None), ("widget", NUMBER, None), ("inbound", "", None)],
)
def test_only_an_inbound_phone_calls_number_settles_anything(
    direction: str, to_number: str, called: str | None
) -> None:
    assert number_called(ApiCall(call_id=5, direction=direction, to_number=to_number)) == called


@dataclass
class FakeCalls:
    decisions: dict[str, datetime] = field(default_factory=dict)
    written: list[tuple[str, Completion | Grade, bool]] = field(default_factory=list)
    down: bool = False

    def record_completion(self, tenant_id: str, completion: Completion, *, keep_transcripts: bool) -> bool:
        if self.down:
            raise StoreUnavailable("record completion failed: ProvisionedThroughputExceededException")
        self.written.append((tenant_id, completion, keep_transcripts))
        return True

    def record_grade(self, tenant_id: str, grade: Grade) -> bool:
        self.written.append((tenant_id, grade, False))
        return True

    def decisions_of(self, call_id: int) -> dict[str, datetime]:
        return self.decisions


@dataclass
class FakeDirectory:
    owners: dict[str, str] = field(default_factory=dict)
    keepers: set[str] = field(default_factory=set)

    def tenant_for_number(self, number: str) -> str | None:
        return self.owners.get(number)

    def keeps_transcripts(self, tenant_id: str) -> bool:
        return tenant_id in self.keepers


@dataclass
class FakeContested:
    aside: dict[str, tuple[int, str | None, tuple[str, ...]]] = field(default_factory=dict)
    assigned: dict[int, str] = field(default_factory=dict)

    def set_aside(
        self,
        message: QueuedOutcome,
        call_id: int,
        named: str | None,
        claims: Mapping[str, datetime],
        start: datetime | None,
        rank: str,
    ) -> bool:
        new = message.body not in self.aside
        self.aside[message.body] = (call_id, named, tuple(sorted(claims)))
        return new

    def assigned_tenant(self, call_id: int) -> str | None:
        return self.assigned.get(call_id)


@dataclass
class FakeThunderPhone:
    calls: dict[int, ApiCall] = field(default_factory=dict)
    asked: int = 0

    def get_call(self, call_id: int) -> ApiCall | None:
        self.asked += 1
        return self.calls.get(call_id)


@dataclass
class Parts:
    calls: FakeCalls = field(default_factory=FakeCalls)
    directory: FakeDirectory = field(default_factory=FakeDirectory)
    quarantine: KeptAside = field(default_factory=KeptAside)
    contested: FakeContested = field(default_factory=FakeContested)
    thunderphone: FakeThunderPhone = field(default_factory=FakeThunderPhone)

    def record(self, message: QueuedOutcome, *, settle_seconds: float = 0, now: datetime | None = None) -> Any:
        return record(
            message,
            calls=self.calls,
            directory=self.directory,
            quarantine=self.quarantine,
            contested=self.contested,
            thunderphone=self.thunderphone,
            settle_seconds=settle_seconds,
            now=now or at(3600),
        )

    @property
    def stored_under(self) -> list[str]:
        return [tenant for tenant, _, _ in self.calls.written]


def completion(call_id: int = 5, **data: Any) -> dict[str, Any]:
    return {"call_id": call_id, "start_time": START.isoformat(), "status": "completed", **data}


def test_record_stores_under_the_number_owner_with_its_transcript_switch() -> None:
    parts = Parts(FakeCalls({"acme": at(1)}), FakeDirectory({NUMBER: "acme"}, {"acme"}))
    data = completion(to_number=NUMBER, transcripts=[{"role": "user", "content": "hi"}])

    result = parts.record(queued_outcome("telephony.complete", data))

    assert (result.result, result.tenant_id) == ("stored", "acme")
    assert [(tenant, keep) for tenant, _, keep in parts.calls.written] == [("acme", True)]


def test_a_decision_taken_long_before_the_call_is_no_claim() -> None:
    # Mallory decided call 5 hours before the victim's session 5 started; the victim decided it at the start.
    parts = Parts(FakeCalls({"mallory": LONG_BEFORE, "victim": at(2)}))

    on_org = parts.record(queued_outcome("web.complete", completion()))
    on_victims_key = parts.record(queued_outcome("web.complete", completion(duration_seconds=9), tenant_id="victim"))
    on_mallorys_key = parts.record(queued_outcome("web.complete", completion(), tenant_id="mallory"))

    assert (on_org.result, on_org.tenant_id) == ("stored", "victim")  # not mallory's, not the unassigned partition
    assert (on_victims_key.result, on_victims_key.tenant_id) == ("stored", "victim")
    assert on_mallorys_key.result == "refused"
    assert parts.stored_under == ["victim", "victim"]


def test_a_claim_within_the_window_contests_the_call_which_is_set_aside_once() -> None:
    parts = Parts(FakeCalls({"mallory": at(-20), "victim": at(1)}))
    event = queued_outcome("web.complete", completion(billable_minutes=3))

    first = parts.record(event)
    again = parts.record(event)  # ThunderPhone delivers at least once

    assert (first.result, first.tenant_id, first.problem) == ("contested", None, "claimed by mallory, victim")
    assert again.result == "duplicate"
    assert parts.calls.written == [] and parts.quarantine.sent == []
    assert parts.contested.aside == {event.body: (5, None, ("mallory", "victim"))}


def test_thunderphones_record_settles_a_contested_phone_call_by_the_owner_of_its_number() -> None:
    parts = Parts(FakeCalls({"mallory": at(-20), "victim": at(1)}), FakeDirectory({NUMBER: "victim"}))
    parts.thunderphone.calls[5] = ApiCall(call_id=5, direction="inbound", to_number=NUMBER, start_time=START)

    on_org = parts.record(queued_outcome("telephony.complete", completion(direction="inbound")))
    on_mallorys_key = parts.record(queued_outcome("telephony.complete", completion(), tenant_id="mallory"))

    assert (on_org.result, on_org.tenant_id) == ("stored", "victim")
    assert on_mallorys_key.result == "refused"
    assert parts.stored_under == ["victim"] and parts.contested.aside == {}


def test_a_grade_takes_its_calls_start_from_thunderphone_and_asks_only_when_someone_decided() -> None:
    grade = {"call_id": 5, "grade": {"score": 90}}
    parts = Parts(FakeCalls({"mallory": LONG_BEFORE, "victim": at(1)}))
    parts.thunderphone.calls[5] = ApiCall(call_id=5, direction="widget", start_time=START)

    result = parts.record(queued_outcome("call.graded", grade))
    nobody = Parts()
    unassigned = nobody.record(queued_outcome("call.graded", grade))

    assert (result.result, result.tenant_id, parts.thunderphone.asked) == ("stored", "victim", 1)
    assert (unassigned.tenant_id, nobody.thunderphone.asked) == (UNASSIGNED, 0)


def test_a_grade_whose_call_thunderphone_does_not_know_counts_every_decision() -> None:
    parts = Parts(FakeCalls({"mallory": LONG_BEFORE, "victim": at(1)}))

    result = parts.record(queued_outcome("call.graded", {"call_id": 5, "grade": {"score": 90}}))

    assert result.result == "contested" and parts.calls.written == []  # never mallory's


def test_the_operators_assignment_decides_the_calls_later_events() -> None:
    parts = Parts(FakeCalls({"mallory": at(-20), "victim": at(1)}))
    parts.contested.assigned[5] = "victim"

    on_org = parts.record(queued_outcome("web.complete", completion()))
    on_mallorys_key = parts.record(queued_outcome("web.complete", completion(), tenant_id="mallory"))

    assert (on_org.result, on_org.tenant_id) == ("stored", "victim")
    assert on_mallorys_key.result == "refused"


def test_an_outcome_the_route_does_not_place_waits_for_decisions_still_on_their_way() -> None:
    parts = Parts(FakeCalls({"victim": at(1)}))
    web = queued_outcome("web.complete", completion(), received_at=at(30))

    with pytest.raises(DecisionPending):
        parts.record(web, settle_seconds=120, now=at(31))  # a claim taken at the start may still be recorded
    later = parts.record(web, settle_seconds=120, now=at(121))
    confirmed = parts.record(
        queued_outcome("web.complete", completion(), tenant_id="victim", received_at=at(30)),
        settle_seconds=120,
        now=at(31),
    )

    assert (later.tenant_id, confirmed.tenant_id) == ("victim", "victim")


def test_a_forged_start_in_the_future_waits_no_longer_than_from_its_arrival() -> None:
    parts = Parts()
    forged = queued_outcome(
        "web.complete", completion(start_time="2099-01-01T00:00:00Z"), tenant_id="mallory", received_at=at(0)
    )

    result = parts.record(forged, settle_seconds=120, now=at(121))

    assert (result.result, result.tenant_id) == ("stored", "mallory")  # its own URL: its own partition, nobody else's


@pytest.mark.parametrize(
    ("event_type", "data", "fields"),
    [
        ("web.complete", {"call_id": 5, "billable_minutes": float("inf")}, "billable_minutes"),
        ("web.complete", {"call_id": 5, "billing_total_cents": 1e200}, "billing_total_cents"),
        ("call.graded", {"call_id": 5, "grade": {"score": float("nan")}}, "grade.score"),
    ],
)
def test_record_keeps_aside_what_dynamodb_can_never_store(
    event_type: str, data: dict[str, object], fields: str
) -> None:
    parts = Parts(FakeCalls({"acme": at(1)}))
    message = queued_outcome(event_type, data, tenant_id="acme")

    result = parts.record(message)

    assert (result.result, result.problem) == ("quarantined", f"not storable in DynamoDB: {fields}")
    assert parts.quarantine.sent == [(message, {"quarantine_reason": f"not storable in DynamoDB: {fields}"})]
    assert parts.calls.written == []


@pytest.mark.parametrize("call_id", [10**39, 2**63, 0, -1, 5.0, True, "5"])
def test_record_drops_a_call_id_thunderphone_cannot_send(call_id: object) -> None:
    parts = Parts()

    result = parts.record(queued_outcome("call.graded", {"call_id": call_id, "grade": {"score": 80}}, tenant_id="a"))

    assert (result.result, result.call_id) == ("invalid", None)
    assert parts.calls.written == [] and parts.quarantine.sent == []


def test_record_refuses_another_tenants_call_and_drops_invalid_data() -> None:
    parts = Parts(FakeCalls({"victim": at(1)}))

    refused = parts.record(queued_outcome("web.complete", completion(), tenant_id="mallory"))
    invalid = parts.record(queued_outcome("web.complete", {"call_id": "five"}, tenant_id="victim"))

    assert (refused.result, invalid.result) == ("refused", "invalid")
    assert parts.calls.written == [] and parts.quarantine.sent == []


def test_record_raises_when_the_calls_table_fails_so_the_record_is_retried() -> None:
    with pytest.raises(StoreUnavailable):
        Parts(FakeCalls(down=True)).record(queued_outcome("web.complete", {"call_id": 5}, tenant_id="acme"))
