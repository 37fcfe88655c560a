"""The ThunderPhone client against the fake API: auth, retries only where safe, timeouts, error mapping."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import urllib3.util.retry

from functions.thunderphone.client import (
    ThunderPhoneApi,
    ThunderPhoneAuthError,
    ThunderPhoneBadRequest,
    ThunderPhoneNotFound,
    ThunderPhonePaymentRequired,
    ThunderPhoneUnavailable,
)
from tests.fixtures.admin import API_KEY
from tests.fixtures.thunderphone import FakeThunderPhone, in_process_api

KEY_BODY = {
    "name": "Site",
    "mode": "webhook",
    "webhook_url": "https://h.example/webhooks/t",
    "allowed_domains": ["a.com"],
}
LIST = ("GET", "/v1/publishable-key")
CREATE = ("POST", "/v1/publishable-key")


# Generous: no test here depends on how fast the loopback fake answers (timeouts are in_process_api's).
TIMEOUT_S = 10.0


def client(fake: FakeThunderPhone, *, key: str = API_KEY, retries: int = 2) -> ThunderPhoneApi:
    return ThunderPhoneApi(fake.base_url, lambda: key, timeout_s=TIMEOUT_S, max_retries=retries, backoff_factor=0.01)


def test_api_sends_the_bearer_key_and_parses_json(fake_thunderphone: FakeThunderPhone) -> None:
    created = client(fake_thunderphone).post("publishable-key", KEY_BODY)
    assert created["key"].startswith("pk_live_")
    assert client(fake_thunderphone).get("healthz") == {"ok": True}


def test_api_bad_key_is_an_auth_error_without_the_key(
    fake_thunderphone: FakeThunderPhone, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "sk_live_wrong_secret_value"
    with pytest.raises(ThunderPhoneAuthError) as caught:
        client(fake_thunderphone, key=wrong).get("publishable-key")
    assert caught.value.status == 401
    assert wrong not in caught.value.message
    assert wrong not in capsys.readouterr().out
    assert fake_thunderphone.count(*LIST) == 1  # a 401 is never retried


def test_api_payment_required(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(402)
    with pytest.raises(ThunderPhonePaymentRequired) as caught:
        client(fake_thunderphone).post("publishable-key", KEY_BODY)
    assert caught.value.code == "thunderphone_payment_required"
    assert fake_thunderphone.keys == {}


def test_api_429_is_retried_then_succeeds(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(429, times=2, retry_after=0)
    assert client(fake_thunderphone).get("publishable-key") == []
    assert fake_thunderphone.count(*LIST) == 3


def test_api_429_exhausted_is_unavailable(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(429, times=5, retry_after=0)
    with pytest.raises(ThunderPhoneUnavailable) as caught:
        client(fake_thunderphone, retries=2).get("publishable-key")
    assert caught.value.status == 429
    assert fake_thunderphone.count(*LIST) == 3


def test_api_retry_after_is_respected(fake_thunderphone: FakeThunderPhone, monkeypatch: pytest.MonkeyPatch) -> None:
    # How long the client sleeps is asked of urllib3's retry, not measured on a clock
    slept: list[float] = []
    monkeypatch.setattr(urllib3.util.retry, "time", SimpleNamespace(sleep=slept.append, time=time.time))
    fake_thunderphone.fail_next(429, retry_after=1)
    assert client(fake_thunderphone).get("publishable-key") == []
    assert slept == [1]  # ThunderPhone's Retry-After, not the client's own backoff
    assert fake_thunderphone.count(*LIST) == 2


def test_api_5xx_on_get_is_retried(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(503)
    assert client(fake_thunderphone).get("publishable-key") == []
    assert fake_thunderphone.count(*LIST) == 2


def test_api_5xx_on_a_plain_post_is_not_retried(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(500)
    with pytest.raises(ThunderPhoneUnavailable):
        client(fake_thunderphone).post("publishable-key", KEY_BODY)
    assert fake_thunderphone.count(*CREATE) == 1


def test_api_5xx_on_an_idempotent_post_is_retried(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.fail_next(500)
    client(fake_thunderphone).post("publishable-key", KEY_BODY, idempotent=True)
    assert fake_thunderphone.count(*CREATE) == 2


def test_api_timeout_on_post_is_not_repeated(fake_thunderphone: FakeThunderPhone) -> None:
    # ThunderPhone makes the key but answers too late: one key, and the caller learns it is unknown
    fake_thunderphone.delay_next(0.6)  # in process: a read timeout without waiting
    with pytest.raises(ThunderPhoneUnavailable):
        in_process_api(fake_thunderphone, max_retries=2, timeout_s=0.2).post("publishable-key", KEY_BODY)
    assert fake_thunderphone.count(*CREATE) == 1
    assert len(fake_thunderphone.keys) == 1


def test_api_timeout_on_get_is_retried(fake_thunderphone: FakeThunderPhone) -> None:
    fake_thunderphone.delay_next(0.6)  # in process: a read timeout without waiting
    assert in_process_api(fake_thunderphone, max_retries=2, timeout_s=0.2).get("publishable-key") == []
    assert fake_thunderphone.count(*LIST) == 2


def test_api_connection_refused_is_unavailable() -> None:
    api = ThunderPhoneApi(
        "http://127.0.0.1:9/v1", lambda: API_KEY, timeout_s=TIMEOUT_S, max_retries=1, backoff_factor=0.01
    )
    with pytest.raises(ThunderPhoneUnavailable) as caught:
        api.get("publishable-key")
    assert caught.value.status is None


def test_api_400_carries_field_errors(fake_thunderphone: FakeThunderPhone) -> None:
    with pytest.raises(ThunderPhoneBadRequest) as caught:
        client(fake_thunderphone).post("publishable-key", {"name": "x", "mode": "agent", "allowed_domains": ["*"]})
    assert set(caught.value.fields) == {"agent_id", "allowed_domains"}


def test_api_400_for_unknown_fields(fake_thunderphone: FakeThunderPhone) -> None:
    with pytest.raises(ThunderPhoneBadRequest, match="Unknown field"):
        client(fake_thunderphone).post("publishable-key", {**KEY_BODY, "color": "red"})


def test_api_404(fake_thunderphone: FakeThunderPhone) -> None:
    with pytest.raises(ThunderPhoneNotFound):
        client(fake_thunderphone).patch("publishable-key/424242", {"name": "x"})


def test_api_calls_are_paginated_and_filtered(fake_thunderphone: FakeThunderPhone) -> None:
    for minute in range(5):
        fake_thunderphone.add_call(direction="widget", start_time=f"2026-05-01T10:0{minute}:00Z")
    fake_thunderphone.add_call(direction="inbound", start_time="2026-05-01T10:03:30Z")
    api = client(fake_thunderphone)
    page = api.get("calls", {"direction": "widget", "limit": 2, "offset": 2})
    assert page["total"] == 5
    assert [call["start_time"] for call in page["results"]] == ["2026-05-01T10:02:00Z", "2026-05-01T10:01:00Z"]
    window = api.get("calls", {"start_date": "2026-05-01T10:03:00Z", "end_date": "2026-05-01T10:04:00Z"})
    assert window["total"] == 3
