"""Shared pieces for the calls-area integration tests: moto tables (root `aws` fixture), a fake
ThunderPhone API on 127.0.0.1, and helpers to read a call item back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common import table
from tests.conftest import CALLS_TABLE_NAME

API_KEY = "sk_live_test_calls_0123456789"
NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)


def get_call(client: Any, tenant_id: str, call_id: int) -> dict[str, Any] | None:
    from boto3.dynamodb.types import TypeDeserializer

    key = {table.PARTITION_KEY: {"S": table.tenant_pk(tenant_id)}, table.SORT_KEY: {"S": table.call_sk(call_id)}}
    item = client.get_item(TableName=CALLS_TABLE_NAME, Key=key, ConsistentRead=True).get("Item")
    if item is None:
        return None
    deserialize = TypeDeserializer().deserialize
    return {name: deserialize(value) for name, value in item.items()}


@pytest.fixture
def fake_thunderphone() -> Iterator[Any]:
    from local.fake_thunderphone import start_fake_thunderphone

    fake = start_fake_thunderphone(API_KEY)
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _fresh_sync_caches() -> Iterator[None]:
    from functions.call_sync import handler

    def clear() -> None:
        for factory in (handler.get_settings, handler.get_store, handler.get_source):
            factory.cache_clear()

    clear()
    yield
    clear()
