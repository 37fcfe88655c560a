"""Contested calls, set aside for the operator: outcome events of a call that several tenants' decisions fit
and that ThunderPhone's own record does not settle (attribution.py). They are never stored under any tenant
and never dropped: each event is kept whole in the calls table's operator-only partition (table.CONTESTED_PK),
one item per event and the URL it arrived on, until the operator assigns the call to one of its claimants
(`sbctl --operator calls assign`), a choice kept beside them that the call's later events and the backfill follow.

Why the calls table and not a queue: the operator looks a call up by its id, lists what waits, and assigns it
whenever they get to it; a queue's messages can only be received in turn, and SQS keeps them 14 days at most.
The partition carries no index attribute, so reports, replays and attribution never see it, and the tenant API
never reads outside `TENANT#` partitions.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import iso, utc_now
from functions.common.errors import ConditionFailed
from functions.outcomes.attribution import may_assign, parse_outcome, store_outcome
from functions.outcomes.message import QueuedOutcome
from functions.outcomes.ports import OutcomeLog, TenantDirectory
from functions.thunderphone.events import WebhookEnvelope

_EVENT = "#EVENT#"


@dataclass(frozen=True)
class ContestedEvent:
    """One outcome event of a contested call, as it was queued, with the tenants that could claim it."""

    call_id: int
    message: QueuedOutcome
    named: str | None  # the tenant the route named (attribution.named_tenant), if any
    claimants: tuple[str, ...]
    set_aside_at: datetime
    sort_key: str


@dataclass(frozen=True)
class Assignment:
    tenant_id: str
    assigned_at: datetime
    assigned_by: str


class ContestedCalls:
    """`ContestedLog` over the calls table, and what the operator's commands read and write."""

    def __init__(self, client: Any, table_name: str, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def set_aside(self, message: QueuedOutcome, call_id: int, named: str | None, claimants: Sequence[str]) -> bool:
        # One item per event and route: a redelivery is the same item, the same body on another URL another.
        arrival = f"{message.route_kind}\n{message.tenant_id or ''}\n{message.body}"
        digest = hashlib.sha256(arrival.encode()).hexdigest()[:32]
        item: dict[str, Any] = {
            "call_id": call_id,
            "event_type": message.event_type,
            "route_kind": message.route_kind,
            "route_tenant": message.tenant_id,
            "widget_id": message.widget_id,
            "received_at": iso(message.received_at),
            "named": named,
            "claimants": sorted(claimants),
            "set_aside_at": iso(self._clock()),
            "body_gz": gzip.compress(message.body.encode(), mtime=0),  # up to 240 KiB of JSON: a fraction of that
        }
        values = {name: value for name, value in item.items() if value is not None}
        # An UpdateItem that creates the item: the outcome recorder may update and query the calls table, no more.
        request = {
            "TableName": self._table,
            "Key": dynamo.key(table.CONTESTED_PK, table.contested_event_sk(call_id, digest)),
            "UpdateExpression": "SET " + ", ".join(f"#a{index} = :v{index}" for index in range(len(values))),
            "ConditionExpression": "attribute_not_exists(#a0)",
            "ExpressionAttributeNames": {f"#a{index}": name for index, name in enumerate(values)},
            "ExpressionAttributeValues": {
                f":v{index}": dynamo.attribute(value) for index, value in enumerate(values.values())
            },
        }
        try:
            with store_errors("set aside contested outcome"):
                self._client.update_item(**request)
        except ConditionFailed:
            return False  # a redelivery of an event already set aside
        return True

    def assignment(self, call_id: int) -> Assignment | None:
        items = self._query(table.contested_assignment_sk(call_id), exact=True)
        item = next(items, None)
        if item is None:
            return None
        return Assignment(
            tenant_id=str(item["tenant_id"]),
            assigned_at=datetime.fromisoformat(str(item["assigned_at"])),
            assigned_by=str(item.get("assigned_by", "")),
        )

    def assigned_tenant(self, call_id: int) -> str | None:
        found = self.assignment(call_id)
        return found.tenant_id if found else None

    def events(self, call_id: int | None = None) -> list[ContestedEvent]:
        """The events set aside, for one call or all (oldest call id first)."""
        prefix = table.contested_prefix(call_id) if call_id is not None else table.CALL_PREFIX
        return [_event(item) for item in self._query(prefix) if _EVENT in str(item[table.SORT_KEY])]

    def assign(self, call_id: int, tenant_id: str, *, actor: str) -> None:
        """Record the operator's choice (which later events of the call and the backfill follow)."""
        item = {
            table.PARTITION_KEY: table.CONTESTED_PK,
            table.SORT_KEY: table.contested_assignment_sk(call_id),
            "call_id": call_id,
            "tenant_id": tenant_id,
            "assigned_at": iso(self._clock()),
            "assigned_by": actor,
        }
        with store_errors("record contested call assignment"):
            self._client.put_item(TableName=self._table, Item=dynamo.to_attributes(item))

    def remove(self, event: ContestedEvent) -> None:
        """An event is removed once it is stored under the assigned tenant, or refused."""
        with store_errors("remove contested outcome"):
            self._client.delete_item(TableName=self._table, Key=dynamo.key(table.CONTESTED_PK, event.sort_key))

    def _query(self, sort_key: str, *, exact: bool = False) -> Iterator[dict[str, Any]]:
        condition = "#sk = :sk" if exact else "begins_with(#sk, :sk)"
        request = {
            "TableName": self._table,
            "KeyConditionExpression": f"#pk = :pk AND {condition}",
            "ExpressionAttributeNames": {"#pk": table.PARTITION_KEY, "#sk": table.SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": table.CONTESTED_PK}, ":sk": {"S": sort_key}},
            "ConsistentRead": True,
        }
        return dynamo.pages(self._client, request, operation="read contested calls")


def _event(item: dict[str, Any]) -> ContestedEvent:
    message = QueuedOutcome(
        route_kind=str(item["route_kind"]),
        tenant_id=item.get("route_tenant"),
        widget_id=item.get("widget_id"),
        event_type=str(item["event_type"]),
        received_at=datetime.fromisoformat(str(item["received_at"])),
        body=gzip.decompress(bytes(item["body_gz"])).decode(),
    )
    return ContestedEvent(
        call_id=int(item["call_id"]),
        message=message,
        named=item.get("named"),
        claimants=tuple(item.get("claimants", ())),
        set_aside_at=datetime.fromisoformat(str(item["set_aside_at"])),
        sort_key=str(item[table.SORT_KEY]),
    )


class NotAClaimant(ValueError):
    """The operator named a tenant whose decision does not fit the call (or no event of it is set aside)."""


@dataclass(frozen=True)
class Assigned:
    """What assigning a contested call did with each of its events."""

    stored: tuple[ContestedEvent, ...]  # stored under the tenant (or already there)
    refused: tuple[ContestedEvent, ...]  # arrived on a route that is not that tenant's: dropped, as the recorder would


def assign_call(
    contested: ContestedCalls,
    log: OutcomeLog,
    directory: TenantDirectory,
    call_id: int,
    tenant_id: str,
    *,
    actor: str,
) -> Assigned:
    """The operator's decision on a contested call: `tenant_id` must be one of its claimants (the tenants whose
    decisions fit it, as its events set aside say; with none set aside, as the backfill found it: any tenant that
    decided it). Each event set aside is stored under it when its route agrees, refused otherwise, and removed; the
    choice is kept for the call's later events and the backfill. Raises NotAClaimant, and StoreUnavailable when
    DynamoDB fails (what was done stays done; running it again finishes the rest)."""
    events = contested.events(call_id)
    claimants = sorted({claimant for event in events for claimant in event.claimants} or log.decisions_of(call_id))
    if not claimants:
        raise NotAClaimant(f"no tenant decided call {call_id}: there is nothing to assign")
    if tenant_id not in claimants:
        raise NotAClaimant(
            f"{tenant_id}'s decision does not fit call {call_id}: only {', '.join(claimants)} can be assigned it"
        )
    contested.assign(call_id, tenant_id, actor=actor)
    keep = directory.keeps_transcripts(tenant_id)
    stored: list[ContestedEvent] = []
    refused: list[ContestedEvent] = []
    for event in events:
        if may_assign(event.named, event.claimants, tenant_id):
            envelope = WebhookEnvelope.model_validate_json(event.message.body)
            store_outcome(log, tenant_id, parse_outcome(envelope.type, envelope.data), keep_transcripts=keep)
            stored.append(event)
        else:
            refused.append(event)
        contested.remove(event)
    return Assigned(tuple(stored), tuple(refused))
