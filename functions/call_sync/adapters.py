"""The calls table as the backfill uses it: the call records (CallRepository), the operator's assignments of
contested calls, and the backfill's resumable cursors (pk SYNC#CALLS, sk CURSOR#{name})."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from functions.call_sync.models import Cursor
from functions.calls.repository import CallRepository, UsageCounter
from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import iso, utc_now
from functions.outcomes.contested import ContestedCalls
from functions.thunderphone.objects import ApiCall


class DynamoOutcomeStore(CallRepository):
    """`usage` is required here: the backfill fills a call only once, so a completion it stored uncounted (an
    operator's `sbctl calls sync` without a meter) would never reach its tenant's month."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        usage: UsageCounter,
        ttl_days: int = 90,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(client, table_name, ttl_days=ttl_days, clock=clock, usage=usage)

    @cached_property
    def contested(self) -> ContestedCalls:
        return ContestedCalls(self.client, self.table_name, clock=self.clock, ttl_days=self.ttl_days)

    def assigned_tenant(self, call_id: int) -> str | None:
        return self.contested.assigned_tenant(call_id)

    def set_aside_contested(self, call: ApiCall, claims: Mapping[str, datetime], start: datetime | None) -> bool:
        return self.contested.set_aside_backfilled(call, claims, start)

    def load_cursor(self, name: str) -> Cursor | None:
        item = dynamo.get(
            self.client,
            self.table_name,
            table.SYNC_PK,
            table.sync_cursor_sk(name),
            consistent=True,
            operation="read cursor",
        )
        if not item:
            return None
        return Cursor(
            name=name,
            direction=str(item["direction"]),
            window_start=datetime.fromisoformat(str(item["window_start"])),
            window_end=datetime.fromisoformat(str(item["window_end"])),
            offset=int(item["offset"]),
            done=bool(item["done"]),
            updated_at=datetime.fromisoformat(str(item["updated_at"])) if item.get("updated_at") else None,
        )

    def save_cursor(self, cursor: Cursor) -> None:
        item: dict[str, Any] = {
            table.PARTITION_KEY: table.SYNC_PK,
            table.SORT_KEY: table.sync_cursor_sk(cursor.name),
            "direction": cursor.direction,
            "window_start": iso(cursor.window_start),
            "window_end": iso(cursor.window_end),
            "offset": cursor.offset,
            "done": cursor.done,
        }
        if cursor.updated_at is not None:
            item["updated_at"] = iso(cursor.updated_at)
        with store_errors("save cursor"):
            self.client.put_item(TableName=self.table_name, Item=dynamo.to_attributes(item))
