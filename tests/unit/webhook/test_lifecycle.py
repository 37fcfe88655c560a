"""A cold start's first answer counts its budget from INIT, and only when it waited for INIT; SnapStart's
priming answers in memory without AWS or a real secret."""

from __future__ import annotations

import pytest

from functions.webhook import priming
from functions.webhook.lifecycle import INIT_GAP_S, Lifecycle


def test_the_first_request_right_after_init_counts_from_init_start() -> None:
    lifecycle = Lifecycle(init_started=9.2)  # 800 ms of INIT
    lifecycle.init_done(10.0)

    assert lifecycle.request_started(10.01) == 9.2
    assert lifecycle.request_started(10.5) == 10.5  # the second request counts from itself


def test_a_container_initialised_ahead_of_its_first_request_counts_from_the_request() -> None:
    lifecycle = Lifecycle(init_started=9.2)
    lifecycle.init_done(10.0)

    assert lifecycle.request_started(10.0 + INIT_GAP_S + 5) == 10.0 + INIT_GAP_S + 5


@pytest.mark.parametrize("initialization", ["provisioned-concurrency", "snap-start"])
def test_only_an_on_demand_init_is_on_the_first_requests_path(
    initialization: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", initialization)
    lifecycle = Lifecycle(init_started=9.2)
    lifecycle.init_done(10.0)

    assert lifecycle.request_started(10.01) == 10.01


def test_after_a_snapstart_restore_the_restore_is_the_containers_start() -> None:
    lifecycle = Lifecycle(init_started=1.0)  # INIT ran long ago, before the snapshot
    lifecycle.request_started(2.0)  # the snapshot's own priming is long past too
    lifecycle.restored(500.0)

    assert lifecycle.request_started(500.02) == 500.0


def test_priming_answers_a_signed_call_in_memory() -> None:
    # pytest-socket refuses any connection: nothing here may reach AWS
    reply = priming.prime(max_body_bytes=64 * 1024, max_prompt_chars=32_000)

    assert reply.status == 200 and reply.outcome == "config"
    assert reply.decision is not None and reply.decision.rule_id == "known"
    assert "Priming" in str(reply.body["prompt"])
