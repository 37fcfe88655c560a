"""Signing secrets and tool credentials when Secrets Manager fails or is slow, against moto with botocore event
hooks and the tests' clock: served last-known-good past their cache time (marked, counted, bounded), refreshed
ahead of expiry by one background read, read once for any number of calls at expiry, and a rotated secret still
working at once, during an outage too.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from functions.thunderphone.signing import sign
from functions.webhook import handler, inline, service
from functions.webhook.dependencies import deps
from functions.webhook.models import Reply
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import OUTCOME_QUEUE_URL, SIGNING_SECRET, SIGNING_SECRET_NAME
from tests.fixtures.clock import SAFETY_NET_S, FakeClock, eventually
from tests.fixtures.emf import metrics_of
from tests.fixtures.outcomes import waiting

TTL = 60.0
STALE_MAX = 86_400.0  # STALE_MAX_SECONDS' default: a day
KEY = f"/webhooks/{demo.KEY_TOKEN}"
ROTATED = "whsec_rotated_during_the_outage_42"


class SecretReads:
    """Every GetSecretValue of the webhook, by secret name; can refuse them all (Secrets Manager down) or hold
    them until released (Secrets Manager slow)."""

    def __init__(self, client: Any) -> None:
        self.made: Counter[str] = Counter()
        self.down = False
        self._release = threading.Event()
        self._release.set()
        self._lock = threading.Lock()
        client.meta.events.register("before-parameter-build.secretsmanager.GetSecretValue", self._before)

    def hold(self) -> None:
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def count(self, name: str = SIGNING_SECRET_NAME) -> int:
        with self._lock:
            return self.made[name]

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.made[params["SecretId"]] += 1
        assert self._release.wait(SAFETY_NET_S), "a held secret read was never released"
        if self.down:
            raise EndpointConnectionError(endpoint_url="https://secretsmanager.eu-west-1.amazonaws.com")


@pytest.fixture
def secret_reads(demo_tenant: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretReads]:
    monkeypatch.setenv("CACHE_TTL_SECONDS", str(int(TTL)))
    watcher = SecretReads(deps.secrets.client)
    yield watcher
    watcher.release()
    eventually(lambda: deps.store.loader.outstanding() == 0, "the secret reads finish")


def post(body: bytes, lambda_context: Any, *, secret: str = SIGNING_SECRET) -> tuple[int, Any]:
    response = handler.lambda_handler(signed_event(KEY, body, secret=secret), lambda_context)
    return response["statusCode"], json.loads(response["body"])


def answer_inline(body: bytes) -> Reply:
    """An answer that may not wait for anything: raises inline.WouldWait if it would."""
    request = service.WebhookRequest(body, sign(body, SIGNING_SECRET), demo.KEY_TOKEN, datetime.now(UTC))
    with inline.no_waiting():
        return handler.answer(request, deps.settings)


def vip_call(call_id: int) -> bytes:
    return webhook_body("telephony.incoming", call_id, demo.VIP_CALLER, demo.DEMO_NUMBER)


def completion(call_id: int) -> bytes:
    payload = {"type": "telephony.complete", "data": {"call_id": call_id, "status": "completed"}}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def answered(json_logs: Any) -> dict[str, Any]:
    return [line for line in json_logs() if line["message"].startswith("webhook answered")][-1]  # type: ignore[no-any-return]


def crm_key(answer: dict[str, Any]) -> str:
    """The tool credential the answer hands ThunderPhone (the demo's booking tool's X-Api-Key header)."""
    return str(answer["tools"][0]["endpoint"]["headers"]["X-Api-Key"])


def rotate(aws: dict[str, Any], *secrets: str) -> None:
    aws["secretsmanager"].put_secret_value(SecretId=SIGNING_SECRET_NAME, SecretString=json.dumps({"secrets": secrets}))


def test_secrets_manager_down_after_expiry_serves_last_known_good_until_the_bound(
    secret_reads: SecretReads, webhook_clock: FakeClock, aws: dict[str, Any], lambda_context: Any, json_logs: Any
) -> None:
    # Given the VIP's call answered: the signing secrets and the tenant's tool credentials cached
    status, fresh = post(vip_call(8001), lambda_context)
    assert status == 200 and crm_key(fresh) == demo.TOOL_CREDENTIALS["crm_api_key"]
    assert "stale_secrets" not in answered(json_logs)
    before = secret_reads.count()
    # When their cache time has passed and Secrets Manager is down
    webhook_clock.advance(TTL + 1)
    secret_reads.down = True
    # Then a valid call still gets the tenant's configuration, with its tool credential
    status, answer = post(vip_call(8002), lambda_context)
    assert status == 200 and "Jane Doe" in answer["prompt"] and crm_key(answer) == crm_key(fresh)
    # marked in its log line and counted
    line = answered(json_logs)
    assert (line["outcome"], line["stale_secrets"]) == ("config", True)
    assert metrics_of(line)["StaleSecretsServed"][0] == 1
    # and an outcome event is still queued and acknowledged, never answered 503 for a day
    assert post(completion(8002), lambda_context) == (200, {"received": True})
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 1
    assert answered(json_logs)["stale_secrets"] is True
    # Secrets Manager was asked once more, not by every answer
    assert secret_reads.count() == before + 1
    # Past STALE_MAX_SECONDS the old secrets are no longer used: calls fall back, outcomes are deferred
    webhook_clock.advance(STALE_MAX)
    assert post(vip_call(8003), lambda_context) == (200, {})
    assert answered(json_logs)["reason"] == "secrets_unavailable"
    assert post(completion(8003), lambda_context)[0] == 503
    # and once Secrets Manager is back, answers are fresh again
    secret_reads.down = False
    status, answer = post(vip_call(8004), lambda_context)
    assert status == 200 and crm_key(answer) == crm_key(fresh)
    assert "stale_secrets" not in answered(json_logs)


def test_signing_secrets_are_refreshed_ahead_of_expiry_by_one_background_read(
    secret_reads: SecretReads, webhook_clock: FakeClock, lambda_context: Any
) -> None:
    # Given everything cached, 85% of the cache time gone, and a Secrets Manager that does not answer yet
    assert post(vip_call(8101), lambda_context)[0] == 200
    before = secret_reads.count()
    webhook_clock.advance(TTL * 0.85)
    secret_reads.hold()
    # When 10 calls come, none of which may wait (answered on the request's thread: inline.py)
    for call_id in range(8102, 8112):
        assert "Jane Doe" in answer_inline(vip_call(call_id)).body["prompt"]
    # Then the signing secrets are read once, in the background, while the calls are answered
    eventually(lambda: secret_reads.count() == before + 1, "the refresh starts")
    secret_reads.release()
    eventually(lambda: deps.store.loader.outstanding() == 0, "the refresh ends")
    assert secret_reads.count() == before + 1
    # and the refreshed copy lives a whole cache time from then: no read at the old expiry
    webhook_clock.advance(TTL * 0.5)
    assert post(vip_call(8113), lambda_context)[0] == 200
    assert secret_reads.count() == before + 1


def test_concurrent_calls_at_expiry_read_the_signing_secrets_once(
    secret_reads: SecretReads, webhook_clock: FakeClock, lambda_context: Any
) -> None:
    # Given the signing secrets cached, then expired, and a slow Secrets Manager
    assert post(vip_call(8201), lambda_context)[0] == 200
    before = secret_reads.count()
    webhook_clock.advance(TTL + 1)
    secret_reads.hold()
    # When 20 calls arrive at once, all of them waiting for the secrets
    with ThreadPoolExecutor(max_workers=20) as callers:
        calls = [callers.submit(post, vip_call(8202 + n), lambda_context) for n in range(20)]
        eventually(lambda: webhook_clock.waiting() >= 40, "20 calls wait on their budget, 20 answers on the secrets")
        # Then one read of the signing secrets is under way for all of them
        assert secret_reads.count() == before + 1
        secret_reads.release()
        assert [status for status, _ in (call.result(SAFETY_NET_S) for call in calls)] == [200] * 20
    assert secret_reads.count() == before + 1


def test_a_rotated_secret_works_at_once_and_is_not_refused_during_an_outage(
    secret_reads: SecretReads, webhook_clock: FakeClock, aws: dict[str, Any], lambda_context: Any, json_logs: Any
) -> None:
    # Given the signing secrets cached
    assert post(vip_call(8301), lambda_context)[0] == 200
    # When the secret is rotated while Secrets Manager is down, after the cache time
    webhook_clock.advance(TTL + 1)
    secret_reads.down = True
    rotate(aws, ROTATED, SIGNING_SECRET)
    # Then calls signed with the old secret are still answered
    assert "Jane Doe" in post(vip_call(8302), lambda_context)[1]["prompt"]
    # and calls signed with the new one, which cannot be checked yet, fall back, and outcomes come again later:
    # neither is refused as unsigned (401), however often they come
    for call_id in (8303, 8304):
        assert post(vip_call(call_id), lambda_context, secret=ROTATED) == (200, {})
        assert answered(json_logs)["reason"] == "secrets_unavailable"
        assert post(completion(call_id), lambda_context, secret=ROTATED)[0] == 503
    assert waiting(aws["sqs"], OUTCOME_QUEUE_URL) == 0
    # When Secrets Manager is back, the new secret works at once (within the forced re-read's 10 s)
    secret_reads.down = False
    webhook_clock.advance(10)
    assert "Jane Doe" in post(vip_call(8305), lambda_context, secret=ROTATED)[1]["prompt"]
    assert post(completion(8305), lambda_context, secret=ROTATED) == (200, {"received": True})
    assert "stale_secrets" not in answered(json_logs)  # checked against the secrets just read


def test_a_secret_rotated_while_cached_works_at_once(
    secret_reads: SecretReads, aws: dict[str, Any], lambda_context: Any
) -> None:
    assert post(vip_call(8401), lambda_context)[0] == 200
    before = secret_reads.count()
    rotate(aws, ROTATED, SIGNING_SECRET)
    # Long before the cache time has passed, the first call signed with the new secret re-reads it
    assert "Jane Doe" in post(vip_call(8402), lambda_context, secret=ROTATED)[1]["prompt"]
    assert secret_reads.count() == before + 1
    # and a bad signature right after is refused without another read (the re-read is rate-limited)
    assert post(vip_call(8403), lambda_context, secret="whsec_wrong")[0] == 401
    assert secret_reads.count() == before + 1
