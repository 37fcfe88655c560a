"""An outcome event as it waits in the outcome queue: the exact body ThunderPhone signed, plus what the
webhook learnt from the URL (the route's kind, tenant and widget) and when it arrived.

The body travels as the SQS message body, unchanged but for the two characters SQS refuses (U+FFFE and
U+FFFF, which JSON can only carry inside a string and which are escaped there); the rest travels as
message attributes. So a message is never larger than the body plus a few hundred bytes, and the recorder
parses the very bytes the webhook verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.common.clock import iso
from functions.common.types import is_call_id

MESSAGE_FORMAT = "1"
# SQS's message size limit (body and attributes), which the queues are also created with.
MAX_MESSAGE_BYTES = 262_144
# Characters SQS does not accept in a message; valid JSON can only hold them inside strings.
_SQS_REFUSED = {"\ufffe": "\\ufffe", "\uffff": "\\uffff"}
_DATA_TYPE = "String"
QUARANTINE_REASON = "quarantine_reason"


class MalformedMessage(ValueError):
    """A queued message this code did not write (attributes missing or wrong)."""


def message_text(body: bytes) -> str:
    """The body as SQS message text: UTF-8 (the webhook parsed it as JSON, so it is), SQS-safe."""
    text = body.decode("utf-8", errors="replace")
    for char, escaped in _SQS_REFUSED.items():
        if char in text:
            text = text.replace(char, escaped)
    return text


@dataclass(frozen=True)
class QueuedOutcome:
    route_kind: str  # "key" or "org" (webhook_routes.model.RouteKind)
    tenant_id: str | None  # the key route's tenant; None on the org-level route
    widget_id: str | None
    event_type: str  # as the body says; the recorder reads it from the body again
    received_at: datetime
    body: str

    def attributes(self, **extra: str) -> dict[str, dict[str, str]]:
        """SQS MessageAttributes (absent values are left out: SQS refuses empty ones)."""
        values = {
            "format": MESSAGE_FORMAT,
            "route_kind": self.route_kind,
            "tenant_id": self.tenant_id,
            "widget_id": self.widget_id,
            "event_type": self.event_type,
            "received_at": iso(self.received_at),
            **extra,
        }
        return {name: {"DataType": _DATA_TYPE, "StringValue": value} for name, value in values.items() if value}

    def size(self, **extra: str) -> int:
        """Bytes SQS counts against MAX_MESSAGE_BYTES: the body and every attribute's name, type and value."""
        attributes = sum(
            len(name.encode()) + len(_DATA_TYPE) + len(value["StringValue"].encode())
            for name, value in self.attributes(**extra).items()
        )
        return len(self.body.encode()) + attributes

    def send_request(self, queue_url: str, **extra: str) -> dict[str, Any]:
        return {"QueueUrl": queue_url, "MessageBody": self.body, "MessageAttributes": self.attributes(**extra)}

    @classmethod
    def of(cls, body: str, attributes: Mapping[str, str | None]) -> QueuedOutcome:
        """A message read back (from a Lambda SQS record's body and string attributes)."""
        if attributes.get("format") != MESSAGE_FORMAT:
            raise MalformedMessage(f"unknown message format {attributes.get('format')!r}")
        kind, event_type, received = (attributes.get(n) for n in ("route_kind", "event_type", "received_at"))
        if kind not in ("key", "org") or not event_type or not received:
            raise MalformedMessage("route_kind, event_type and received_at are required")
        if kind == "key" and not attributes.get("tenant_id"):
            raise MalformedMessage("a key route's message names its tenant")
        try:
            received_at = datetime.fromisoformat(received)
        except ValueError:
            raise MalformedMessage("received_at is not an ISO time") from None
        return cls(
            route_kind=kind,
            tenant_id=attributes.get("tenant_id") or None,
            widget_id=attributes.get("widget_id") or None,
            event_type=event_type,
            received_at=received_at,
            body=body,
        )


def call_id_of(data: Mapping[str, Any]) -> int | None:
    """The call an event's data names when it is one ThunderPhone can send (`CallId`), else None."""
    value = data.get("call_id")
    return value if is_call_id(value) else None
