"""The local run's terminal lines: what a person reads for each request."""

from __future__ import annotations

import io
import json
from typing import Any

from local.terminal import Served, Terminal, api_line, webhook_line

AT = 0.0


def served(route: str, path: str, status: int = 200, body: bytes = b"", event: Any = None) -> Served:
    return Served(route, "POST" if route == "webhook" else "GET", path, status, 3.4, event or {}, body)


def answer(**fields: Any) -> str:
    return json.dumps({"tenant_id": "demo", "status": 200, **fields})


def test_a_served_call_names_tenant_channel_rule_variant_and_profile() -> None:
    line = answer(
        outcome="config",
        reason="rule",
        rule_id="greeting-test",
        variant="B",
        profile_id="receptionist-warm",
        decision={"channel": "phone"},
    )
    text = webhook_line(AT, served("webhook", "/webhooks/secret-token"), line)
    words = ["webhook", "demo", "phone", "greeting-test", "B", "->", "receptionist-warm", "200", "3", "ms"]
    assert text.split()[1:] == words
    assert "secret-token" not in text  # a webhook URL is a capability: never printed


def test_a_fallback_says_why_in_words() -> None:
    line = answer(outcome="fallback", reason="tool_secret_unavailable", decision={"channel": "web"}, stale=True)
    text = webhook_line(AT, served("webhook", "/webhooks/t"), line)
    assert "fallback: tool secret unavailable (stale configuration)" in text


def test_outcome_events_and_refusals() -> None:
    completion = json.dumps({"type": "telephony.complete", "data": {"call_id": 1}}).encode()
    queued = webhook_line(
        AT, served("webhook", "/webhooks/t", body=completion), answer(outcome="acknowledged", reason="queued")
    )
    assert "phone" in queued and "telephony.complete queued" in queued
    refused = webhook_line(
        AT, served("webhook", "/webhooks/t", 401), json.dumps({"outcome": "rejected", "reason": "bad_signature"})
    )
    assert "refused: bad signature" in refused and " - " in refused
    later = webhook_line(
        AT, served("webhook", "/webhooks/t", 503), answer(outcome="rejected", reason="queue_unavailable")
    )
    assert "not accepted: queue unavailable, to be delivered again" in later


def test_tenant_api_lines_name_the_signed_in_tenant_and_mask_phone_numbers() -> None:
    claims = {"custom:tenant_id": "demo", "cognito:groups": ["tenant-viewer"]}
    event = {"requestContext": {"authorizer": {"jwt": {"claims": claims}}}}
    text = api_line(AT, served("tenant-api", "/tenant/v1/customers/%2B14155550100", event=event))
    assert "tenant API" in text and "demo" in text and "viewer" in text
    assert "+1415*****00" in text and "4155550100" not in text
    admin = api_line(AT, served("provisioning", "/admin/tenants", 201))
    assert "admin API" in admin and "operator" in admin and "201" in admin


def test_a_terminal_that_went_away_stops_nothing() -> None:
    # Given the terminal's stream closed under the run (`make run | tee` stopped by the same Ctrl-C)
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    terminal = Terminal(Closed())
    # When the run says what it does while stopping, Then nothing is raised: the state is still saved after it
    terminal.say("Stopping: saving the state ...")
    terminal.say("Stopped.")
