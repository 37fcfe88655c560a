"""What attributing outcomes reads of the configuration (number claims, each tenant's transcript switch),
cached: one GetItem per number or tenant per `ttl_seconds`, whatever the batch size. The outcome recorder, the
backfill and the operator's `calls assign` read it alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import TTLCache

from functions.common import dynamo, table
from functions.tenant_config.live import config_of

T = TypeVar("T")


class ConfigDirectory:
    """`TenantDirectory` over the configuration table (errors: StoreUnavailable, never cached)."""

    def __init__(self, client: Any, table_name: str, *, ttl_seconds: float, max_entries: int) -> None:
        self._client = client
        self._table = table_name
        self._owners: TTLCache[str, str | None] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)
        self._transcripts: TTLCache[str, bool] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    def tenant_for_number(self, number: str) -> str | None:
        return _cached(self._owners, number, lambda: dynamo.number_owner(self._client, self._table, number))

    def keeps_transcripts(self, tenant_id: str) -> bool:
        def read() -> bool:
            item = dynamo.get(
                self._client, self._table, table.tenant_pk(tenant_id), table.LIVE_SK, operation="read configuration"
            )
            config = config_of(tenant_id, item)  # an unreadable item keeps nothing personal
            return bool(config.tenant and config.tenant.keep_transcripts)

        return _cached(self._transcripts, tenant_id, read)


def _cached(cache: TTLCache[str, T], key: str, read: Callable[[], T]) -> T:
    if key in cache:
        return cache[key]
    value = read()
    cache[key] = value
    return value
