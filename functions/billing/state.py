"""A tenant's billing item as read back: the operator's plan and what each month has used so far.

One item per tenant (store.py) holds both, so the webhook reads them in the same BatchGetItem as the tenant's
configuration and caches them with it. Pure: parsing and the cap arithmetic, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from functions.billing.plan import CapKind, Plan

MINUTES_PREFIX, CENTS_PREFIX, CALLS_PREFIX, ALERTED_PREFIX = "minutes#", "cents#", "calls#", "alerted#"
PLAN_ATTRIBUTE = "plan"


@dataclass(frozen=True)
class Usage:
    """One month's counted usage: the completions the outcome recorder and the backfill stored."""

    minutes: float = 0.0
    cents: float = 0.0
    calls: int = 0


@dataclass(frozen=True)
class Threshold:
    """A level of a cap the operator is told about once: `percent` (the plan's alert_percent, or 100) of `kind`."""

    kind: CapKind
    percent: int

    @property
    def name(self) -> str:
        return f"{self.kind}#{self.percent}"


@dataclass(frozen=True)
class BillingState:
    plan: Plan | None = None
    usage: Mapping[str, Usage] = field(default_factory=dict)
    alerted: Mapping[str, str] = field(default_factory=dict)  # "{month}#{kind}#{percent}" -> when it was sent
    plan_problem: str | None = None  # the stored plan does not validate (field names only): nothing is capped

    def used(self, month: str) -> Usage:
        return self.usage.get(month, Usage())

    def reached(self, month: str) -> CapKind | None:
        """The cap this month has reached (minutes first), else None."""
        return next((threshold.kind for threshold in self.crossed(month) if threshold.percent == 100), None)

    def crossed(self, month: str) -> list[Threshold]:
        """Every threshold the month's usage is at or past, alert level first."""
        plan, used = self.plan, self.used(month)
        if plan is None:
            return []
        crossed = []
        for percent in (plan.alert_percent, 100):
            for kind, cap, value in (
                ("minutes", plan.monthly_minutes, used.minutes),
                ("spend", plan.monthly_spend_cents, used.cents),
            ):
                if cap is not None and value * 100 >= cap * percent:
                    crossed.append(Threshold(kind, percent))  # type: ignore[arg-type]  # kind is a CapKind
        return crossed

    def percent_used(self, month: str) -> dict[str, float]:
        """How much of each cap the month has used, in percent (only the caps the plan has)."""
        plan, used = self.plan, self.used(month)
        shares: dict[str, float] = {}
        if plan is not None and plan.monthly_minutes is not None:
            shares["minutes"] = round(used.minutes * 100 / plan.monthly_minutes, 1)
        if plan is not None and plan.monthly_spend_cents is not None:
            shares["spend"] = round(used.cents * 100 / plan.monthly_spend_cents, 1)
        return shares


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def state_of(item: Mapping[str, Any] | None) -> BillingState:
    """The billing item (Python values, as dynamo.get returns it) parsed; no item: no plan, nothing used."""
    if not item:
        return BillingState()
    plan: Plan | None = None
    problem: str | None = None
    raw = item.get(PLAN_ATTRIBUTE)
    if isinstance(raw, str):
        try:
            plan = Plan.model_validate(json.loads(raw))
        except (ValidationError, ValueError) as exc:
            problem = "plan: " + (
                ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
                if isinstance(exc, ValidationError)
                else "not JSON"
            )
    months: dict[str, dict[str, float]] = {}
    alerted: dict[str, str] = {}
    for name, value in item.items():
        for prefix in (MINUTES_PREFIX, CENTS_PREFIX, CALLS_PREFIX):
            if name.startswith(prefix):
                months.setdefault(name[len(prefix) :], {})[prefix] = _number(value)
        if name.startswith(ALERTED_PREFIX) and isinstance(value, str):
            alerted[name[len(ALERTED_PREFIX) :]] = value
    usage = {
        month: Usage(
            minutes=values.get(MINUTES_PREFIX, 0.0),
            cents=values.get(CENTS_PREFIX, 0.0),
            calls=int(values.get(CALLS_PREFIX, 0)),
        )
        for month, values in months.items()
    }
    return BillingState(plan=plan, usage=usage, alerted=alerted, plan_problem=problem)


def plan_text(plan: Plan) -> str:
    """The plan as stored: JSON text, so DynamoDB never turns its numbers into Decimals."""
    return json.dumps(plan.model_dump(mode="json", exclude_none=True), separators=(",", ":"), sort_keys=True)
