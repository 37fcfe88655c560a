"""The operator's assignment of a contested call as the outcome recorder follows it: an event whose own claimants
do not include the assigned tenant is kept for the operator, never dropped; only an event whose route names
another tenant is refused."""

from __future__ import annotations

from typing import Any

import pytest

from functions.outcomes.attribution import CONTESTED, REFUSED, follow_assignment, whose_call
from tests.fixtures.outcomes import queued_outcome
from tests.unit.outcomes.test_attribution_and_recording import LONG_BEFORE, FakeCalls, Parts, at, completion


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
