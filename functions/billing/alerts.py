"""Usage alerts for the operator: a tenant reached the plan's alert level, or a cap, in a month.

Published to an SNS topic (BILLING_ALERTS_TOPIC_ARN; subscribe e-mail, a chat hook or a queue to it) and always
logged as a warning line, which is what the local run shows in its terminal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from functions.common.aws import is_aws_error
from functions.common.errors import StoreUnavailable
from functions.common.observability import logger

ALERT_EVENT_TYPE = "switchboard.usage_alert"


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


class SnsAlerts:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def send(self, alert: UsageAlert) -> None:
        LoggedAlerts().send(alert)
        try:
            self._client.publish(
                TopicArn=self._topic,
                Subject=f"Switchboard usage alert: {alert.tenant_id} {alert.month}"[:100],
                Message=json.dumps(alert.message()),
                MessageAttributes={"type": {"DataType": "String", "StringValue": ALERT_EVENT_TYPE}},
            )
        except Exception as exc:
            if is_aws_error(exc):
                raise StoreUnavailable(f"publish usage alert failed: {type(exc).__name__}") from exc
            raise
