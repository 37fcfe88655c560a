"""Whose call an outcome event is (the attribution table) and what the recorder does with each queued
event, with in-memory fakes of the calls table, the configuration and the quarantine queue."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from functions.calls.records import Completion, Grade
from functions.common import table
from functions.common.errors import StoreUnavailable
from functions.outcome_recorder.service import record
from functions.outcomes.attribution import REFUSED, attribute
from tests.fixtures.outcomes import KeptAside, queued_outcome

UNASSIGNED = table.UNASSIGNED_TENANT


@pytest.mark.parametrize(
    ("kind", "route_tenant", "owner", "deciders", "expected"),
    [
        ("key", "t", None, {"t"}, "t"),
        ("key", "t", None, {"t", "other"}, "t"),
        ("key", "t", None, {"other"}, REFUSED),
        ("key", "t", None, set(), "t"),
        ("org", None, "n", {"n"}, "n"),
        ("org", None, None, {"d"}, "d"),
        ("org", None, "n", {"other"}, REFUSED),
        ("org", None, None, set(), UNASSIGNED),
        ("org", None, "n", set(), UNASSIGNED),  # a number in a body alone never bills a tenant
        ("org", None, None, {"a", "b"}, UNASSIGNED),
    ],
)
def test_attribute_follows_the_route_and_the_calls_decision(
    kind: str, route_tenant: str | None, owner: str | None, deciders: set[str], expected: str
) -> None:
    assert attribute(kind, route_tenant, owner, deciders) == expected


@dataclass
class FakeCalls:
    deciders: set[str] = field(default_factory=set)
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

    def deciding_tenants(self, call_id: int) -> set[str]:
        return self.deciders


@dataclass
class FakeDirectory:
    owners: dict[str, str] = field(default_factory=dict)
    keepers: set[str] = field(default_factory=set)

    def tenant_for_number(self, number: str) -> str | None:
        return self.owners.get(number)

    def keeps_transcripts(self, tenant_id: str) -> bool:
        return tenant_id in self.keepers


def test_record_stores_under_the_number_owner_with_its_transcript_switch() -> None:
    calls, directory = FakeCalls(deciders={"acme"}), FakeDirectory({"+15550001111": "acme"}, {"acme"})
    data = {"call_id": 5, "to_number": "+15550001111", "transcripts": [{"role": "user", "content": "hi"}]}

    result = record(
        queued_outcome("telephony.complete", data), calls=calls, directory=directory, quarantine=KeptAside()
    )

    assert (result.result, result.tenant_id) == ("stored", "acme")
    assert [(tenant, keep) for tenant, _, keep in calls.written] == [("acme", True)]


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
    calls, quarantine = FakeCalls(deciders={"acme"}), KeptAside()
    message = queued_outcome(event_type, data, tenant_id="acme")

    result = record(message, calls=calls, directory=FakeDirectory(), quarantine=quarantine)

    assert (result.result, result.problem) == ("quarantined", f"not storable in DynamoDB: {fields}")
    assert quarantine.sent == [(message, {"quarantine_reason": f"not storable in DynamoDB: {fields}"})]
    assert calls.written == []


def test_record_refuses_another_tenants_call_and_drops_invalid_data() -> None:
    calls, quarantine = FakeCalls(deciders={"victim"}), KeptAside()

    refused = record(
        queued_outcome("web.complete", {"call_id": 5}, tenant_id="mallory"),
        calls=calls,
        directory=FakeDirectory(),
        quarantine=quarantine,
    )
    invalid = record(
        queued_outcome("web.complete", {"call_id": "five"}, tenant_id="victim"),
        calls=calls,
        directory=FakeDirectory(),
        quarantine=quarantine,
    )

    assert (refused.result, invalid.result) == ("refused", "invalid")
    assert calls.written == [] and quarantine.sent == []


def test_record_raises_when_the_calls_table_fails_so_the_record_is_retried() -> None:
    with pytest.raises(StoreUnavailable):
        record(
            queued_outcome("web.complete", {"call_id": 5}, tenant_id="acme"),
            calls=FakeCalls(down=True),
            directory=FakeDirectory(),
            quarantine=KeptAside(),
        )
