"""The operator's assignment of a contested call as the outcome recorder follows it: an event whose own claimants
do not include the assigned tenant is kept for the operator, never dropped; only an event whose route names
another tenant is refused."""

from __future__ import annotations

from typing import Any

import pytest

from functions.outcomes.attribution import CONTESTED, REFUSED, follow_assignment, whose_call
from functions.thunderphone.objects import ApiCall
from tests.fixtures.outcomes import queued_outcome
from tests.unit.outcomes.test_attribution_and_recording import (
    LONG_BEFORE,
    NUMBER,
    START,
    FakeCalls,
    FakeDirectory,
    Parts,
    at,
    completion,
)


@pytest.mark.parametrize(
    ("named", "claimants", "expected"),
    [
        (None, {"a", "b"}, "a"),
        ("a", {"a", "b"}, "a"),
        ("b", {"a", "b"}, REFUSED),  # on b's key URL: never a's
        (None, {"b", "c"}, CONTESTED),  # a's decision does not fit this event's start: it waits
        ("b", {"b", "c"}, REFUSED),
    ],
)
def test_an_assignment_is_followed_only_where_the_assigned_tenant_claims_the_event(
    named: str | None, claimants: set[str], expected: str
) -> None:
    assert follow_assignment(named, claimants, "a") == expected


def test_whose_call_asks_thunderphone_and_the_operator_only_for_a_contested_call() -> None:
    asked: list[str] = []

    def ask(what: str, answer: Any) -> Any:
        def answered(*_: str) -> Any:
            asked.append(what)
            return answer

        return answered

    alone = whose_call("org", None, {"a"}, call=ask("call", None), owner_of=ask("owner", None), assigned=ask("op", "a"))
    both = whose_call(
        "org", None, {"a", "b"}, call=ask("call", None), owner_of=ask("owner", None), assigned=ask("op", "b")
    )

    assert alone.tenant == "a"
    assert (both.tenant, both.confirmed, asked) == ("b", True, ["call", "op"])  # only the contested call asked


def test_an_org_level_event_the_assigned_tenant_does_not_claim_is_set_aside_not_dropped() -> None:
    # The operator assigned call 5 to the victim; a later completion names a start only Mallory's and Bob's
    # decisions fit. It cannot be the victim's as it stands, and it is ThunderPhone's body: it waits.
    parts = Parts(FakeCalls({"victim": LONG_BEFORE, "mallory": at(-20), "bob": at(1)}))
    parts.contested.assigned[5] = "victim"
    event = queued_outcome("web.complete", completion(billable_minutes=3))

    result = parts.record(event)

    assert result.result == "contested" and parts.calls.written == []
    assert parts.contested.aside == {event.body: (5, None, ("bob", "mallory"))}


def test_an_org_level_phone_call_only_a_predictor_claims_goes_to_the_number_thunderphone_says_it_reached() -> None:
    # The victim's decision for its phone call 5 was lost; Mallory predicted the id 20 seconds before it started.
    parts = Parts(FakeCalls({"mallory": at(-20)}), FakeDirectory({NUMBER: "victim"}))
    event = queued_outcome("telephony.complete", completion(to_number=NUMBER, direction="inbound"))
    unknown = parts.record(event)  # ThunderPhone has no record of it (yet): refused, as before
    parts.thunderphone.calls[5] = ApiCall(call_id=5, direction="inbound", to_number=NUMBER, start_time=START)

    result = parts.record(event)

    assert unknown.result == "refused"
    assert (result.result, result.tenant_id) == ("stored", "victim")
    assert parts.stored_under == ["victim"]
