"""Attacks on the webhook's URLs: replaying a signed body across tenants and routes, guessing URLs.

Every body below carries ThunderPhone's valid signature: every tenant's webhooks are signed with the
same secret, and Mallory can have ThunderPhone sign a body of her choosing as a tool call."""

from __future__ import annotations

from typing import Any

import pytest

from functions.webhook.dependencies import deps
from tests.fixtures import tenants as demo
from tests.fixtures.aws import TABLE_NAME, count_webhook_aws_calls
from tests.security.conftest import VICTIM, Invoke, body

GUESSES = [
    f"/webhooks/{VICTIM}",  # the routes there used to be
    f"/webhooks/{VICTIM}/pricing",
    "/webhooks",
    "/webhooks/demo-key-token-for-tests-000000",  # one character short of a real token
    f"/webhooks/{demo.KEY_TOKEN.upper()}",
    f"/webhooks/{demo.KEY_TOKEN}/pricing",
    "/webhooks/" + "A" * 32,  # a well-formed token nobody was given
]


@pytest.mark.parametrize("path", GUESSES)
def test_a_guessed_url_opens_nothing_and_reads_no_tenant(
    mallory_url: str, invoke: Invoke, path: str, json_logs: Any
) -> None:
    incoming = body("web.incoming", call_id=1, from_number="web", to_number="")
    calls = count_webhook_aws_calls()

    status, answer = invoke(path, incoming)

    assert status == 404 and answer == {"error": "not_found"}
    assert calls["dynamodb.Query"] == 0  # no tenant's configuration was read
    assert all(line.get("tenant_id") is None for line in json_logs())  # nothing logged names a tenant


def test_a_body_signed_for_mallory_replayed_at_the_victim_gets_nothing_of_the_victim(
    mallory_url: str, invoke: Invoke
) -> None:
    # Mallory shapes a tool call's arguments like an incoming phone call to the victim's number,
    # ThunderPhone signs it, and she replays it everywhere she can think of.
    forged = body("telephony.incoming", call_id=42, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER)

    for path in GUESSES:
        status, answer = invoke(path, forged)
        assert status == 404 and "prompt" not in answer
    # At her own URL she gets her own agent only, whatever number the body names.
    status, answer = invoke(mallory_url, forged)
    assert status == 200
    assert answer["prompt"] == "You are Mallory's agent."
    assert demo.TOOL_CREDENTIALS["crm_api_key"] not in str(answer)


def test_the_victims_own_urls_still_answer_the_victim(mallory_url: str, invoke: Invoke) -> None:
    call = body("web.incoming", call_id=7, from_number="web", to_number="")
    status, answer = invoke(f"/webhooks/{demo.PRICING_TOKEN}", call)
    assert status == 200 and "Acme Dental" in answer["prompt"]


def test_an_unsigned_request_to_a_real_url_is_401_before_any_read(mallory_url: str, lambda_context: Any) -> None:
    from functions.webhook import handler
    from tests.fixtures.apigw import to_event

    calls = count_webhook_aws_calls()
    event = to_event(
        "POST", f"/webhooks/{demo.KEY_TOKEN}", {}, body("web.incoming", call_id=1, from_number="web"), "1.2.3.4"
    )

    response = handler.lambda_handler(event, lambda_context)

    assert response["statusCode"] == 401
    assert not [call for call in calls if call.startswith("dynamodb.")]  # no route, no tenant read


def test_retired_url_stops_answering(mallory_url: str, invoke: Invoke, aws: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from functions.webhook_routes.model import route_id
    from functions.webhook_routes.repository import RouteRepository

    call = body("web.incoming", call_id=8, from_number="web", to_number="")
    assert invoke(mallory_url, call)[0] == 200
    RouteRepository(aws["dynamodb"], TABLE_NAME).retire(route_id(mallory_url.rsplit("/", 1)[1]), at=datetime.now(UTC))
    deps.reset()  # a container started after the retirement (warm ones follow within CACHE_TTL_SECONDS)

    assert invoke(mallory_url, call) == (404, {"error": "not_found"})
