"""Retrying a key creation after ThunderPhone failed it, through the provisioning Lambda (real adapters,
moto, the fake ThunderPhone over HTTP): once the attempt has ended with an unknown outcome, the
immediate retry reconciles (adopts or creates, one key); a retry while an attempt really runs gets 409."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.common import table
from functions.provisioning.adapters import DynamoKeyStore
from functions.provisioning.key_records import Reservation, has_marker
from functions.thunderphone.resources import ThunderPhoneKeys
from tests.fixtures.admin import Call
from tests.fixtures.apigw import admin_event
from tests.fixtures.aws import TABLE_NAME
from tests.fixtures.thunderphone import FakeThunderPhone

KEY = {"name": "Pricing page", "widget_id": "pricing", "allowed_domains": ["www.acme.example", "acme.example"]}
CREATE = ("POST", "/v1/publishable-key")
HEADERS = {"idempotency-key": "onboard-acme-1"}
WAIT_S = 10


def post_key(call: Call, tenant: str) -> tuple[int, Any]:
    return call("POST", f"/admin/tenants/{tenant}/keys", KEY, HEADERS)


def reservation(aws: dict[str, Any]) -> dict[str, Any]:
    [item] = [
        item
        for item in aws["dynamodb"].scan(TableName=TABLE_NAME)["Items"]
        if item[table.SORT_KEY]["S"].startswith("KEYREQ#")
    ]
    return item  # type: ignore[no-any-return]


def marked(fake: FakeThunderPhone, aws: dict[str, Any]) -> list[int]:
    """ThunderPhone's keys carrying the request's marker."""
    marker = reservation(aws)["marker"]["S"]
    return [key["id"] for key in fake.keys.values() if has_marker(key["name"], marker)]


def ended_unknown(call: Call, tenant: str, aws: dict[str, Any]) -> None:
    status, body = post_key(call, tenant)
    assert (status, body["error"]) == (503, "thunderphone_unavailable")
    assert reservation(aws)["state"]["S"] == "unknown"


def test_create_key_5xx_after_thunderphone_made_it_immediate_retry_gets_it(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    # Given ThunderPhone made the key, then answered 500
    fake_thunderphone.fail_next(500, method="POST", after_work=True)
    ended_unknown(call, tenant, provisioning_env)
    [made] = fake_thunderphone.keys.values()
    # When the operator retries at once with the same Idempotency-Key
    status, body = post_key(call, tenant)
    # Then 201 with that very key; ThunderPhone has exactly one key with the marker
    assert status == 201, body
    assert (body["id"], body["webhook_url"]) == (made["id"], made["webhook_url"])
    assert marked(fake_thunderphone, provisioning_env) == [body["id"]]
    assert fake_thunderphone.count(*CREATE) == 1
    assert reservation(provisioning_env)["state"]["S"] == "done"
    assert post_key(call, tenant)[0] == 200


def test_create_key_5xx_before_thunderphone_made_it_immediate_retry_creates_it(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    # Given ThunderPhone answered 502 without making the key
    fake_thunderphone.fail_next(502, method="POST")
    ended_unknown(call, tenant, provisioning_env)
    assert fake_thunderphone.keys == {}
    # When retried at once; Then the key is created: 201, exactly one key
    status, body = post_key(call, tenant)
    assert status == 201, body
    assert list(fake_thunderphone.keys) == [body["id"]]
    assert marked(fake_thunderphone, provisioning_env) == [body["id"]]
    assert fake_thunderphone.count(*CREATE) == 2


def test_create_key_timeout_immediate_retry_reconciles(
    call: Call, tenant: str, fake_thunderphone: FakeThunderPhone, provisioning_env: dict[str, Any]
) -> None:
    # Given ThunderPhone's answer comes after THUNDERPHONE_TIMEOUT_MS (400 ms here), the key made
    fake_thunderphone.delay_next(0.8)
    ended_unknown(call, tenant, provisioning_env)
    # When retried at once; Then that key is adopted
    status, body = post_key(call, tenant)
    assert status == 201, body
    assert list(fake_thunderphone.keys) == [body["id"]]
    assert marked(fake_thunderphone, provisioning_env) == [body["id"]]
    assert fake_thunderphone.count(*CREATE) == 1


def test_create_key_two_concurrent_retries_after_an_unknown_outcome_make_one_key(
    call: Call,
    tenant: str,
    fake_thunderphone: FakeThunderPhone,
    provisioning_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an attempt that ended unknown, nothing made
    fake_thunderphone.fail_next(503, method="POST")
    ended_unknown(call, tenant, provisioning_env)
    # When two retries run at once, both reading the ended claim before either takes it over
    both_read = threading.Barrier(2, timeout=WAIT_S)
    reserve, take_over = DynamoKeyStore.reserve, DynamoKeyStore.take_over
    one_write_at_a_time = threading.Lock()  # DynamoDB applies conditional writes to an item one at a time; moto
    # running in two threads does not promise that, so the test serialises the write (never the logic around it)

    def read_together(self: DynamoKeyStore, *args: Any, **kwargs: Any) -> Reservation | None:
        existing = reserve(self, *args, **kwargs)
        both_read.wait()
        return existing

    def atomic_take_over(self: DynamoKeyStore, *args: Any, **kwargs: Any) -> bool:
        with one_write_at_a_time:
            return take_over(self, *args, **kwargs)

    monkeypatch.setattr(DynamoKeyStore, "reserve", read_together)
    monkeypatch.setattr(DynamoKeyStore, "take_over", atomic_take_over)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: post_key(call, tenant), range(2)))
    # Then exactly one of them took the claim over and made the key; the other was told to retry
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 409], results
    winner = next(body for status, body in results if status == 201)
    loser = next(body for status, body in results if status == 409)
    assert loser["error"] == "request_in_progress"
    assert list(fake_thunderphone.keys) == [winner["id"]]
    assert marked(fake_thunderphone, provisioning_env) == [winner["id"]]
    monkeypatch.undo()
    assert post_key(call, tenant) == (200, winner)  # and the next retry gets the one key


def test_create_key_retry_while_the_first_attempt_runs_is_409_with_retry_after(
    call: Call,
    tenant: str,
    fake_thunderphone: FakeThunderPhone,
    provisioning_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: Any,
) -> None:
    from functions.provisioning.handler import lambda_handler

    # Given a first attempt held just before its create reaches ThunderPhone
    create_key = ThunderPhoneKeys.create_key
    entered, release = threading.Event(), threading.Event()

    def held(self: ThunderPhoneKeys, body: Any) -> Any:
        entered.set()
        assert release.wait(WAIT_S)
        return create_key(self, body)

    monkeypatch.setattr(ThunderPhoneKeys, "create_key", held)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post_key, call, tenant)
        assert entered.wait(WAIT_S)
        # When the operator retries meanwhile (the same request, so the resolver's shared state is alike)
        try:
            assert reservation(provisioning_env)["state"]["S"] == "pending"
            result = lambda_handler(admin_event("POST", f"/admin/tenants/{tenant}/keys", KEY, HEADERS), lambda_context)
        finally:
            release.set()
        status, body = first.result(timeout=WAIT_S)
    # Then the retry is 409 request_in_progress with Retry-After, and the first attempt makes the one key
    assert result["statusCode"] == 409
    assert json.loads(result["body"])["error"] == "request_in_progress"
    assert int(result["headers"]["Retry-After"]) > 0
    assert status == 201, body
    assert list(fake_thunderphone.keys) == [body["id"]]


def test_key_store_claim_moves_are_conditional(provisioning_env: dict[str, Any]) -> None:
    store = DynamoKeyStore(provisioning_env["dynamodb"], TABLE_NAME)
    claim = Reservation(reservation_id="r1", request_hash="h" * 64, marker="a" * 12, state="pending", lease_until=100)
    assert store.reserve("acme", claim, expires_at=10_000) is None

    def state() -> tuple[str, int]:
        stored = store.reserve("acme", claim, expires_at=10_000)
        assert stored is not None
        return stored.state, stored.lease_until

    # An attempt marks only its own pending claim, once
    assert not store.mark_unknown("acme", "r1", lease=99)
    assert store.mark_unknown("acme", "r1", lease=100)
    assert not store.mark_unknown("acme", "r1", lease=100)
    assert state() == ("unknown", 100)
    # An ended claim is taken over only as ended, and only once
    assert not store.take_over("acme", "r1", stale_state="pending", stale_lease=100, new_lease=160)
    assert store.take_over("acme", "r1", stale_state="unknown", stale_lease=100, new_lease=160)
    assert not store.take_over("acme", "r1", stale_state="unknown", stale_lease=100, new_lease=161)
    assert state() == ("pending", 160)
    # A claim that is gone is neither marked nor taken over
    store.release("acme", "r1")
    assert not store.mark_unknown("acme", "r1", lease=160)
    assert not store.take_over("acme", "r1", stale_state="pending", stale_lease=160, new_lease=220)
