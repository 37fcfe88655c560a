"""Shared pieces for the calls-area integration tests: moto tables (root `aws` fixture), the fake
ThunderPhone API on 127.0.0.1, and a helper to read a call item back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common import dynamo, table
from tests.fixtures.aws import CALLS_TABLE_NAME

API_KEY = "sk_live_test_calls_0123456789"
NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)


def get_call(client: Any, tenant_id: str, call_id: int) -> dict[str, Any] | None:
    return dynamo.get(client, CALLS_TABLE_NAME, table.tenant_pk(tenant_id), table.call_sk(call_id), consistent=True)


def wait_for_decision(client: Any, tenant_id: str, call_id: int) -> None:
    """The decision log write is time-boxed off the answer and may still be finishing on its worker;
    a call's outcomes arrive minutes later in real life, when its decision is long stored."""
    for _ in range(100):
        item = get_call(client, tenant_id, call_id)
        if item is not None and "decided_at" in item:
            return
        time.sleep(0.02)
    raise AssertionError(f"no decision was stored for call {call_id}")


@pytest.fixture
def fake_thunderphone() -> Iterator[Any]:
    from tests.fixtures.thunderphone import start_fake_thunderphone

    fake = start_fake_thunderphone(API_KEY)
    yield fake
    fake.stop()
