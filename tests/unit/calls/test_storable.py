"""Which outcome facts DynamoDB can store: numbers it has a form for (finite, at most 38 significant
digits, magnitude 1E-130 .. 9.99E+125, or zero). Anything else is kept aside, never retried."""

from __future__ import annotations

import math

import pytest

from functions.calls.records import (
    UnstorableCallEvent,
    check_storable,
    completion_from_event,
    grade_from_event,
    is_storable_number,
    unstorable_fields,
)
from functions.common import dynamo


@pytest.mark.parametrize(
    "value",
    [0, 0.0, -0.0, 1, -1, 0.1, 36.5, 9.99e125, -9.99e125, 1e-130, -1e-130, 10**37, int("9" * 38), 1.7976931348e125],
)
def test_is_storable_number_accepts_what_dynamodb_can_hold(value: float) -> None:
    assert is_storable_number(value)
    dynamo.attribute(value)  # and boto3's serializer agrees


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 1e200, 1e126, -1e126, 1e-131, 5e-200, int("1" * 39), 10**40]
)
def test_is_storable_number_refuses_what_dynamodb_cannot_hold(value: float) -> None:
    assert not is_storable_number(value)


def test_unstorable_fields_names_only_the_offending_fields() -> None:
    # Given a completion that validates (counts are >= 0) but carries numbers DynamoDB refuses
    completion = completion_from_event(
        "web.complete",
        {"call_id": 1, "duration_seconds": math.inf, "billable_minutes": 1e200, "billing_total_cents": 12},
    )
    grade = grade_from_event("call.graded", {"call_id": 7, "grade": {"score": math.nan}})

    assert unstorable_fields(completion) == ["duration_seconds", "billable_minutes"]
    assert unstorable_fields(grade) == ["grade.score"]
    with pytest.raises(UnstorableCallEvent, match=r"^not storable in DynamoDB: duration_seconds, billable_minutes$"):
        check_storable(completion)


def test_check_storable_passes_ordinary_outcomes() -> None:
    check_storable(
        completion_from_event("web.complete", {"call_id": 1, "billable_minutes": 3, "duration_seconds": 95.5})
    )
    check_storable(grade_from_event("call.graded", {"call_id": 1, "grade": {"score": 0.92}}))
