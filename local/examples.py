"""The webhook calls the local run prints and signs: bodies serialised as ThunderPhone serialises them, and
copy-paste curl commands carrying a valid signature.

Standard library only (signing.py is too), so that `python3 -m local.sign` runs with any Python 3.11."""

from __future__ import annotations

import json
import os
import shlex
from datetime import UTC, datetime
from typing import Any

from functions.thunderphone.signing import sign

DEFAULT_PORT = 8787
DEFAULT_SIGNING_SECRET = "whsec_local_demo_secret"
SIGNING_SECRET_ENV = "THUNDERPHONE_WEBHOOK_SECRET"
# Demo prices per billable minute by product, for the completions the demo prints and replays (ThunderPhone's
# own prices are unconfirmed; a completion carries the call's real total).
CENTS_PER_MINUTE = {"spark": 9, "bolt": 12, "storm-base": 18, "storm-base-with-ack": 20}


def signing_secret() -> str:
    return os.environ.get(SIGNING_SECRET_ENV) or DEFAULT_SIGNING_SECRET


def base_url(port: int | str) -> str:
    return f"http://127.0.0.1:{port}"


def event_body(event_type: str, data: dict[str, Any]) -> bytes:
    """Compact, sorted keys: how ThunderPhone serialises its bodies."""
    return json.dumps({"data": data, "type": event_type}, separators=(",", ":"), sort_keys=True).encode()


def sample_body(*, event_type: str, call_id: int, from_number: str, to_number: str) -> bytes:
    """An incoming call's body."""
    return event_body(event_type, {"call_id": call_id, "from_number": from_number, "to_number": to_number})


def iso_z(at: datetime) -> str:
    """ThunderPhone's ISO-8601 UTC form, to the second."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def completion_data(
    *,
    call_id: int,
    web: bool,
    from_number: str,
    to_number: str,
    start: datetime,
    end: datetime,
    product: str,
    voice: str,
    status: str = "completed",
    end_reason: str = "caller_hangup",
) -> dict[str, Any]:
    """`data` of a completion event (`duration_seconds`, `billable_minutes` rounded up, `billing_total_cents`)."""
    seconds = max(int((end - start).total_seconds()), 0)
    minutes = -(-seconds // 60)
    return {
        "billable_minutes": minutes,
        "billing_total_cents": minutes * CENTS_PER_MINUTE.get(product, 10),
        "call_id": call_id,
        "direction": "widget" if web else "inbound",
        "duration_seconds": seconds,
        "end_reason": end_reason,
        "end_time": iso_z(end),
        "from_number": from_number,
        "product": product,
        "start_time": iso_z(start),
        "status": status,
        "to_number": to_number,
        "voice": voice,
    }


def curl_command(base_url: str, path: str, body: bytes, secret: str) -> str:
    return (
        f"curl -sS {base_url}{path} -H 'Content-Type: application/json' "
        f"-H 'X-ThunderPhone-Signature: {sign(body, secret)}' --data-raw {shlex.quote(body.decode())}"
    )
