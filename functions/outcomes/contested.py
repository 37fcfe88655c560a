"""Contested calls, set aside for the operator: outcome events of a call that several tenants' decisions fit
and that ThunderPhone's own record does not settle (attribution.py), and calls the backfill found so. They are
never stored under any tenant and never dropped: they are kept in the calls table's operator-only partition
(table.CONTESTED_PK) until the operator assigns the call to one of its claimants (`sbctl --operator calls assign`),
a choice kept beside them, which cannot be changed, and which the call's later events and the backfill follow.

One item per org-level event (ThunderPhone's own body, kept whole; a redelivery is the same item), one per key URL
and event type (the latest replaces the one before: events from a tenant's own key URL can only ever be stored
under that tenant, so a tenant sending many bodies for a call keeps one item per event type and raises one alarm),
and one per call the backfill found contested (ThunderPhone's record of it, refreshed by each run). Each keeps the
claimants' decision times and the call's start they were weighed against, so the operator can judge. Items expire
with the calls table's retention (`ttl_days`), as the call's decisions do.

Why the calls table and not a queue: the operator looks a call up by its id, lists what waits, and assigns it
whenever they get to it; a queue's messages can only be received in turn, and SQS keeps them 14 days at most.
The partition carries no index attribute, so reports, replays and attribution never see it, and the tenant API
never reads outside `TENANT#` partitions.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from functions.calls.records import completion_from_api, grade_from_api
from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import iso, utc_now
from functions.common.errors import ConditionFailed
from functions.outcomes.attribution import CONTESTED, follow_assignment, parse_outcome, store_outcome
from functions.outcomes.message import QueuedOutcome
from functions.outcomes.ports import OutcomeLog, TenantDirectory
from functions.thunderphone.events import WebhookEnvelope
from functions.thunderphone.objects import ApiCall

_EVENT = "#EVENT#"
_BACKFILL = "#BACKFILL"
# Attributes an event's item may lack: removed when a key URL's later event replaces one that had them.
_OPTIONAL = ("route_tenant", "widget_id", "named", "call_start", table.TTL_ATTRIBUTE)


@dataclass(frozen=True)
class ContestedEvent:
    """One outcome event of a contested call, as it was queued, with the tenants that could claim it."""

    call_id: int
    message: QueuedOutcome
    named: str | None  # the tenant the route named (attribution.named_tenant), if any
    claimants: tuple[str, ...]
    set_aside_at: datetime
    sort_key: str
    claims: Mapping[str, datetime] = field(default_factory=dict)  # each claimant's decision time
    call_start: datetime | None = None  # the start the decisions were weighed against (None: unknown)


@dataclass(frozen=True)
class BackfilledCall:
    """A call the backfill found contested: ThunderPhone's record of it, waiting for the operator's choice."""

    call: ApiCall
    claimants: tuple[str, ...]
    claims: Mapping[str, datetime]
    call_start: datetime | None
    set_aside_at: datetime
    sort_key: str

    @property
    def call_id(self) -> int:
        return self.call.call_id


@dataclass(frozen=True)
class Assignment:
    tenant_id: str
    assigned_at: datetime
    assigned_by: str


@dataclass(frozen=True)
class Waiting:
    """What the operator's partition holds, for one call or all."""

    events: list[ContestedEvent]
    backfilled: list[BackfilledCall]
    assignments: dict[int, Assignment]


class AlreadyAssigned(ValueError):
    """The call was assigned to another tenant: an assignment is never changed (it would split the call)."""


class ContestedCalls:
    """`ContestedLog` over the calls table, and what the operator's commands read and write."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        ttl_days: int | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._ttl_days = ttl_days

    def set_aside(
        self,
        message: QueuedOutcome,
        call_id: int,
        named: str | None,
        claims: Mapping[str, datetime],
        start: datetime | None,
        rank: str,
    ) -> bool:
        """Keep the event for the operator; False when it (or, from a key URL, one of its type that `rank`, its
        precedence key, does not outrank) already is."""
        key_url = message.route_kind == "key"
        if key_url:
            # A key URL's events can only ever be its tenant's: one item per event type, replaced only by an event
            # that outranks it (as a stored outcome is), so a late, lower-ranked delivery never displaces a better one.
            slot = f"KEY#{message.tenant_id}#{message.event_type}"
        else:  # ThunderPhone's own body: each kept whole, a redelivery the same item
            arrival = f"{message.route_kind}\n{message.tenant_id or ''}\n{message.body}"
            slot = hashlib.sha256(arrival.encode()).hexdigest()[:32]
        item: dict[str, Any] = {
            "call_id": call_id,
            "event_type": message.event_type,
            "route_kind": message.route_kind,
            "route_tenant": message.tenant_id,
            "widget_id": message.widget_id,
            "received_at": iso(message.received_at),
            "named": named,
            "rank": rank,
            **self._claims_attributes(claims, start),
            "body_gz": gzip.compress(message.body.encode(), mtime=0),  # up to 240 KiB of JSON: a fraction of that
        }
        sort_key = table.contested_event_sk(call_id, slot)
        return self._write(sort_key, item, when="outranked" if key_url else "absent")

    def set_aside_backfilled(self, call: ApiCall, claims: Mapping[str, datetime], start: datetime | None) -> bool:
        """Keep ThunderPhone's record of a call the backfill found contested (refreshed by each run); False when
        it already waited."""
        item: dict[str, Any] = {
            "call_id": call.call_id,
            **self._claims_attributes(claims, start),
            "call_gz": gzip.compress(call.model_dump_json().encode(), mtime=0),
        }
        return self._write(table.contested_backfill_sk(call.call_id), item, when="always")

    def _claims_attributes(self, claims: Mapping[str, datetime], start: datetime | None) -> dict[str, Any]:
        now = self._clock()
        expires = int((now + timedelta(days=self._ttl_days)).timestamp()) if self._ttl_days else None
        return {
            "claimants": sorted(claims),
            "claims": {tenant: iso(decided_at) for tenant, decided_at in claims.items()},
            "call_start": iso(start) if start is not None else None,
            "set_aside_at": iso(now),
            table.TTL_ATTRIBUTE: expires,
        }

    def _write(self, sort_key: str, item: dict[str, Any], *, when: Literal["absent", "outranked", "always"]) -> bool:
        """Writes `item` when nothing is there ("absent"), when the stored one's rank is lower ("outranked"), or
        in any case ("always"); True when nothing was there before."""
        values = {name: value for name, value in item.items() if value is not None}
        absent = [name for name in _OPTIONAL if name in item and item[name] is None]
        names = list(values) + absent
        update = "SET " + ", ".join(f"#a{index} = :v{index}" for index in range(len(values)))
        if absent:
            update += " REMOVE " + ", ".join(f"#a{len(values) + index}" for index in range(len(absent)))
        # An UpdateItem that creates the item: the outcome recorder may update and query the calls table, no more.
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": dynamo.key(table.CONTESTED_PK, sort_key),
            "UpdateExpression": update,
            "ExpressionAttributeNames": {f"#a{index}": name for index, name in enumerate(names)},
            "ExpressionAttributeValues": {
                f":v{index}": dynamo.attribute(value) for index, value in enumerate(values.values())
            },
            "ReturnValues": "ALL_OLD",
        }
        if when == "absent":
            request["ConditionExpression"] = "attribute_not_exists(#a0)"
        elif when == "outranked":
            rank = f"{list(values).index('rank')}"
            request["ConditionExpression"] = f"attribute_not_exists(#a{rank}) OR #a{rank} < :v{rank}"
        try:
            with store_errors("set aside contested outcome"):
                response = self._client.update_item(**request)
        except ConditionFailed:
            return False  # a redelivery of an event already set aside, or one it outranks
        return "call_id" not in response.get("Attributes", {})  # nothing was there before

    def assignment(self, call_id: int) -> Assignment | None:
        item = next(self._query(table.contested_assignment_sk(call_id), exact=True), None)
        return _assignment(item) if item is not None else None

    def assigned_tenant(self, call_id: int) -> str | None:
        found = self.assignment(call_id)
        return found.tenant_id if found else None

    def waiting(self, call_id: int | None = None) -> Waiting:
        """Everything in the partition, for one call or all, in sort-key order (call ids as text: 1000 before 99)."""
        prefix = table.contested_prefix(call_id) if call_id is not None else table.CALL_PREFIX
        found = Waiting([], [], {})
        for item in self._query(prefix):
            sort_key = str(item[table.SORT_KEY])
            if _EVENT in sort_key:
                found.events.append(_event(item))
            elif sort_key.endswith(_BACKFILL):
                found.backfilled.append(_backfilled(item))
            elif sort_key.endswith("#ASSIGNED"):
                found.assignments[int(item["call_id"])] = _assignment(item)
        return found

    def assign(self, call_id: int, tenant_id: str, *, actor: str) -> None:
        """Record the operator's choice (which later events of the call and the backfill follow). Once made it
        stays: AlreadyAssigned for another tenant; the same tenant again changes nothing."""
        now = self._clock()
        values: dict[str, Any] = {":c": call_id, ":t": tenant_id, ":at": iso(now), ":by": actor}
        update = "SET call_id = :c, tenant_id = :t, assigned_at = if_not_exists(assigned_at, :at), "
        update += "assigned_by = if_not_exists(assigned_by, :by)"
        if self._ttl_days:
            values[":x"] = int((now + timedelta(days=self._ttl_days)).timestamp())
            update += f", {table.TTL_ATTRIBUTE} = :x"
        request = {
            "TableName": self._table,
            "Key": dynamo.key(table.CONTESTED_PK, table.contested_assignment_sk(call_id)),
            "UpdateExpression": update,
            "ConditionExpression": "attribute_not_exists(tenant_id) OR tenant_id = :t",
            "ExpressionAttributeValues": {name: dynamo.attribute(value) for name, value in values.items()},
        }
        try:
            with store_errors("record contested call assignment"):
                self._client.update_item(**request)
        except ConditionFailed:
            current = self.assignment(call_id)
            holder = current.tenant_id if current else "another tenant"
            raise AlreadyAssigned(
                f"call {call_id} is already assigned to {holder}: an assignment cannot be changed"
            ) from None

    def remove(self, sort_key: str) -> None:
        """An item is removed once what it kept is stored under the assigned tenant, or refused."""
        with store_errors("remove contested outcome"):
            self._client.delete_item(TableName=self._table, Key=dynamo.key(table.CONTESTED_PK, sort_key))

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


def _claims(item: Mapping[str, Any]) -> dict[str, datetime]:
    return {str(tenant): datetime.fromisoformat(str(at)) for tenant, at in dict(item.get("claims") or {}).items()}


def _start(item: Mapping[str, Any]) -> datetime | None:
    return datetime.fromisoformat(str(item["call_start"])) if item.get("call_start") else None


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
        claims=_claims(item),
        call_start=_start(item),
    )


def _backfilled(item: dict[str, Any]) -> BackfilledCall:
    return BackfilledCall(
        call=ApiCall.model_validate_json(gzip.decompress(bytes(item["call_gz"]))),
        claimants=tuple(item.get("claimants", ())),
        claims=_claims(item),
        call_start=_start(item),
        set_aside_at=datetime.fromisoformat(str(item["set_aside_at"])),
        sort_key=str(item[table.SORT_KEY]),
    )


def _assignment(item: Mapping[str, Any]) -> Assignment:
    return Assignment(
        tenant_id=str(item["tenant_id"]),
        assigned_at=datetime.fromisoformat(str(item["assigned_at"])),
        assigned_by=str(item.get("assigned_by", "")),
    )


class NotAClaimant(ValueError):
    """The operator named a tenant whose decision does not fit the call (or nothing of it waits)."""


@dataclass(frozen=True)
class Assigned:
    """What assigning a contested call did with each thing that waited for it."""

    stored: tuple[ContestedEvent, ...]  # stored under the tenant (or already there)
    refused: tuple[ContestedEvent, ...]  # arrived on a route naming another tenant: dropped, as the recorder would
    waiting: tuple[ContestedEvent, ...]  # the tenant's decision does not fit this event's start: still set aside
    backfilled: bool = False  # ThunderPhone's record, found contested by the backfill, stored under the tenant


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
    decisions fit it, as its events set aside and the backfill's record of it say). Each event set aside is
    stored under it as the recorder would now (`follow_assignment`): stored and removed where its decision fits,
    refused and removed where the route names another tenant, left waiting otherwise; the backfill's record of
    the call is stored under it. The choice is kept for the call's later events and the backfill. Raises
    NotAClaimant, AlreadyAssigned (another tenant was chosen), and StoreUnavailable when DynamoDB fails (what was
    done stays done; running it again for the same tenant finishes the rest and is otherwise harmless)."""
    found = contested.waiting(call_id)
    backfilled = next(iter(found.backfilled), None)
    earlier = found.assignments.get(call_id)
    if earlier is not None and earlier.tenant_id != tenant_id:
        raise AlreadyAssigned(
            f"call {call_id} is already assigned to {earlier.tenant_id}: an assignment cannot be changed"
        )
    claimants = sorted(
        {claimant for event in found.events for claimant in event.claimants}
        | set(backfilled.claimants if backfilled else ())
    )
    if earlier is None and not claimants:
        raise NotAClaimant(f"nothing of call {call_id} waits for the operator: there is nothing to assign")
    if earlier is None and tenant_id not in claimants:
        raise NotAClaimant(
            f"{tenant_id}'s decision does not fit call {call_id}: only {', '.join(claimants)} can be assigned it"
        )
    contested.assign(call_id, tenant_id, actor=actor)
    keep = directory.keeps_transcripts(tenant_id)
    stored: list[ContestedEvent] = []
    refused: list[ContestedEvent] = []
    waiting: list[ContestedEvent] = []
    for event in found.events:
        verdict = follow_assignment(event.named, event.claimants, tenant_id)
        if verdict == CONTESTED:
            waiting.append(event)
            continue
        if verdict == tenant_id:
            envelope = WebhookEnvelope.model_validate_json(event.message.body)
            store_outcome(log, tenant_id, parse_outcome(envelope.type, envelope.data), keep_transcripts=keep)
            stored.append(event)
        else:
            refused.append(event)
        contested.remove(event.sort_key)
    filled = backfilled is not None and tenant_id in backfilled.claimants
    if backfilled is not None and filled:
        for outcome in (completion_from_api(backfilled.call), grade_from_api(backfilled.call)):
            if outcome is not None:  # ranked below any event, as the backfill's own writes are
                store_outcome(log, tenant_id, outcome, keep_transcripts=False)
        contested.remove(backfilled.sort_key)
    return Assigned(tuple(stored), tuple(refused), tuple(waiting), filled)
