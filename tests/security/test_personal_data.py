"""A caller's number never reaches the logs, whatever form ThunderPhone (or an attacker) gives it in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from functions.common.masking import mask_number, mask_sort_key
from tests.fixtures import tenants as demo
from tests.security.conftest import Invoke, body

FORMS = [
    "+14155550123",
    "14155550123",
    "tel:+14155550123",
    "tel:+1-415-555-0123",
    "sip:+14155550123@pbx.example.com",
    " +14155550123",
    "+1 (415) 555-0123",
]


@pytest.mark.parametrize("caller", FORMS)
def test_every_form_of_a_number_is_masked(caller: str) -> None:
    assert mask_number(caller) == "+1415*****23"


def test_short_and_odd_values_are_masked_whole() -> None:
    assert mask_number("12345") == "*****"
    assert mask_number("anonymous") == "*"
    assert mask_number("web") == "web" and mask_number(None) is None


def test_customer_sort_keys_lose_their_number() -> None:
    assert mask_sort_key("CUSTOMER#+14155550123") == "CUSTOMER#+1415*****23"
    assert mask_sort_key("CUSTOMER#email:ana@example.com") == "CUSTOMER#email:***"
    assert mask_sort_key("CONFIG#RULE#vip") == "CONFIG#RULE#vip"


@pytest.mark.parametrize("caller", FORMS)
def test_no_log_line_holds_the_callers_digits(mallory_url: str, invoke: Invoke, json_logs: Any, caller: str) -> None:
    call = body("telephony.incoming", call_id=3, from_number=caller, to_number=demo.DEMO_NUMBER)

    status, _ = invoke(f"/webhooks/{demo.ORG_TOKEN}", call)

    assert status == 200
    values = [str(value) for line in json_logs() for value in line.values()]
    assert not [value for value in values if "4155550123" in re.sub(r"\D", "", value)]
    assert "+1415*****23" in json.dumps(json_logs())


@pytest.mark.parametrize(
    ("path", "event_type", "to_number", "kept"),
    [
        ("mallory", "web.incoming", "jane@example.com", None),
        ("mallory", "web.incoming", "+1 415 555 0100", None),
        ("mallory", "telephony.incoming", "+14155550100", "+1415*****00"),  # any number the route did not vouch for
        ("org", "telephony.incoming", demo.DEMO_NUMBER, demo.DEMO_NUMBER),  # the claim that found the tenant
    ],
)
def test_the_decision_log_keeps_the_number_called_only_as_a_number(
    path: str,
    event_type: str,
    to_number: str,
    kept: str | None,
    mallory_url: str,
    invoke: Invoke,
    json_logs: Any,
) -> None:
    # Mallory puts whatever she likes in `to_number` of a body ThunderPhone signs, and sends it to her own URL.
    url = mallory_url if path == "mallory" else f"/webhooks/{demo.ORG_TOKEN}"
    caller = "web" if event_type == "web.incoming" else "+14155550123"

    status, _ = invoke(url, body(event_type, call_id=3, from_number=caller, to_number=to_number))

    assert status == 200
    [decision] = [line["decision"] for line in json_logs() if "decision" in line]
    assert decision["to_number"] == kept
    values = [json.dumps(value) for line in json_logs() for value in line.values()]
    assert not [value for value in values if "jane" in value or "4155550100" in re.sub(r"\D", "", value)]
