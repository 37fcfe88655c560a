"""Usage alerts for the operator: a tenant reached the plan's alert level, or a cap, in a month.

Put on an EventBridge bus (BILLING_ALERTS_EVENT_BUS; source `switchboard.billing`, detail-type `Usage alert`: a
rule routes them to e-mail, chat or a queue) and always logged as a warning line, which is what the local run
shows in its terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Protocol

from functions.common.aws import is_aws_error
from functions.common.errors import StoreUnavailable
from functions.common.observability import logger

ALERT_EVENT_TYPE = "switchboard.usage_alert"
EVENT_SOURCE = "switchboard.billing"
EVENT_DETAIL_TYPE = "Usage alert"


@dataclass(frozen=True)
class UsageAlert:
    tenant_id: str
    month: str  # YYYY-MM in the billing time zone
    kind: str  # "minutes" or "spend"
    percent: int  # the threshold crossed: the plan's alert_percent, or 100 (the cap)
    used: float  # minutes, or cents
    cap: int
    at_cap: str  # what callers get at the cap: "fallback" or "over_limit_profile"

    @property
    def sentence(self) -> str:
        unit = "billable minutes" if self.kind == "minutes" else "cents of ThunderPhone cost"
        what = "reached its cap" if self.percent >= 100 else f"reached {self.percent}% of its cap"
        return f"tenant {self.tenant_id} {what} for {self.month}: {self.used:g} of {self.cap} {unit}"

    def message(self) -> dict[str, Any]:
        return {"type": ALERT_EVENT_TYPE, **asdict(self), "text": self.sentence}


class AlertSink(Protocol):
    def send(self, alert: UsageAlert) -> None:
        """Raises StoreUnavailable when the alert could not be sent (the caller unmarks it for a retry)."""
        ...


class LoggedAlerts:
    """No topic configured: the warning line is the alert."""

    def send(self, alert: UsageAlert) -> None:
        logger.warning(f"usage alert: {alert.sentence}", extra={"usage_alert": alert.message()})


class EventBridgeAlerts:
    """`events` makes the EventBridge client on the first alert: alerts are rare, cold starts are not."""

    def __init__(self, events: Callable[[], Any], bus: str) -> None:
        self._events = events
        self._bus = bus

    @cached_property
    def _client(self) -> Any:
        return self._events()

    def send(self, alert: UsageAlert) -> None:
        LoggedAlerts().send(alert)
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": EVENT_DETAIL_TYPE,
            "Detail": json.dumps(alert.message()),
            "EventBusName": self._bus,
        }
        try:
            failed = self._client.put_events(Entries=[entry]).get("FailedEntryCount", 0)
        except Exception as exc:
            if is_aws_error(exc):
                raise StoreUnavailable(f"put usage alert event failed: {type(exc).__name__}") from exc
            raise
        if failed:
            raise StoreUnavailable("put usage alert event failed: the bus did not take it")
