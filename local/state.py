"""What the local run keeps between runs, and how: the emulated AWS (both tables' items, every secret, the
messages on the outcome queues, the tenant users), the fake ThunderPhone's keys and endpoints, the demo's webhook
tokens and the local sign-in key, dumped through the same boto3 APIs the functions use into one JSON file
(.local/state.json, written whole or not at all), restored into a fresh moto before the run serves.

The dump runs every few seconds on a thread (`StateKeeper`, only when something was written since the last one,
never beside a DynamoDB write: local/writes.py) and once more when the run stops, so a crash loses at most that
interval. An outcome event still on its queue is kept at the
stop only: reading the queue while the recorder drains it would count as a receive towards its dead-letter
redrive, and an event lives there about a second locally.

Why a dump rather than moto's recorder and replay: the recorder logs every request, polls included (the outcome
drainer long-polls its queue every second), so the file only grows and each start replays all of it; and a
replayed request cannot reproduce what moto drew the first time (receipt handles, user pool ids), so replayed
deletes and pool calls miss. The dump is the state itself, as large as the data."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local.folder import LocalFolder, write_atomically

if TYPE_CHECKING:
    from local.writes import Writes

FORMAT = 1
SAVE_SECONDS = 5.0
_BYTES = "$b64"  # how a binary value (the compiled LIVE item, a binary secret) is written in JSON
_BATCH = 25  # BatchWriteItem's limit
_UNSET_ATTRIBUTES = frozenset({"sub"})  # Cognito draws these itself


class StateUnreadable(Exception):
    """The saved state cannot be restored (damaged, or written by an incompatible version)."""


@dataclass(frozen=True)
class Resources:
    """What one local run's emulated AWS holds, by name (and moto's URLs and ids for this run)."""

    tables: tuple[str, ...]
    queue_urls: tuple[str, ...]
    user_pool_id: str


@dataclass(frozen=True)
class Clients:
    dynamodb: Any
    secretsmanager: Any
    sqs: Any
    cognito: Any

    @classmethod
    def default(cls) -> Clients:
        import boto3

        return cls(
            boto3.client("dynamodb"), boto3.client("secretsmanager"), boto3.client("sqs"), boto3.client("cognito-idp")
        )


# ---------------------------------------------------------------- dump


def dump_aws(clients: Clients, resources: Resources, *, queues: tuple[str, ...]) -> dict[str, Any]:
    """Everything `resources` hold; the messages of `queues` only (their URLs)."""
    return {
        "tables": {name: list(_items(clients.dynamodb, name)) for name in resources.tables},
        "secrets": dict(_secrets(clients.secretsmanager)),
        "queues": {_queue_name(url): _messages(clients.sqs, url) for url in queues},
        "users": list(_users(clients.cognito, resources.user_pool_id)),
    }


def _items(dynamodb: Any, table_name: str) -> Iterator[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        yield from page.get("Items", [])


def _secrets(secretsmanager: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for page in secretsmanager.get_paginator("list_secrets").paginate():
        for entry in page.get("SecretList", []):
            value = secretsmanager.get_secret_value(SecretId=entry["Name"])
            kept = {"string": value["SecretString"]} if "SecretString" in value else {"binary": value["SecretBinary"]}
            yield entry["Name"], kept


def _messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    from tests.fixtures.outcomes import queued

    return [
        {"body": message["Body"], "attributes": _sendable(message.get("MessageAttributes", {}))}
        for message in queued(sqs, queue_url)
    ]


def _sendable(attributes: dict[str, Any]) -> dict[str, Any]:
    """Message attributes as SendMessage takes them back."""
    keep = ("DataType", "StringValue", "BinaryValue")
    return {name: {key: value[key] for key in keep if key in value} for name, value in attributes.items()}


def _users(cognito: Any, pool_id: str) -> Iterator[dict[str, Any]]:
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page.get("Users", []):
            attributes = {attribute["Name"]: attribute["Value"] for attribute in user.get("Attributes", [])}
            groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=user["Username"])["Groups"]
            yield {
                "username": attributes.get("email", user["Username"]),
                "attributes": {name: value for name, value in attributes.items() if name not in _UNSET_ATTRIBUTES},
                "groups": sorted(group["GroupName"] for group in groups),
                "enabled": bool(user.get("Enabled", True)),
            }


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------- restore


def restore_aws(saved: dict[str, Any], clients: Clients, resources: Resources) -> None:
    """Put what `dump_aws` returned into resources just created (tables and queues exist, empty)."""
    try:
        for table_name, items in saved["tables"].items():
            if table_name in resources.tables:
                _put_items(clients.dynamodb, table_name, items)
        for name, value in saved["secrets"].items():
            _put_secret(clients.secretsmanager, name, value)
        urls = {_queue_name(url): url for url in resources.queue_urls}
        for queue_name, messages in saved["queues"].items():
            for message in messages:
                clients.sqs.send_message(
                    QueueUrl=urls[queue_name], MessageBody=message["body"], MessageAttributes=message["attributes"]
                )
        for user in saved["users"]:
            _put_user(clients.cognito, resources.user_pool_id, user)
    except (KeyError, TypeError, AttributeError) as exc:
        raise StateUnreadable(f"it lacks {exc}") from None


def _put_items(dynamodb: Any, table_name: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), _BATCH):
        requests = {table_name: [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH]]}
        while requests:
            requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}


def _put_secret(secretsmanager: Any, name: str, value: dict[str, Any]) -> None:
    payload = {"SecretString": value["string"]} if "string" in value else {"SecretBinary": value["binary"]}
    try:
        secretsmanager.create_secret(Name=name, **payload)
    except secretsmanager.exceptions.ResourceExistsException:
        secretsmanager.put_secret_value(SecretId=name, **payload)


def _put_user(cognito: Any, pool_id: str, user: dict[str, Any]) -> None:
    attributes = [{"Name": name, "Value": value} for name, value in user["attributes"].items()]
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=user["username"], UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    for group in user["groups"]:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user["username"], GroupName=group)
    if not user["enabled"]:
        cognito.admin_disable_user(UserPoolId=pool_id, Username=user["username"])


# ---------------------------------------------------------------- the file


def to_json(state: dict[str, Any]) -> str:
    return json.dumps(_encoded(state), sort_keys=True, separators=(",", ":"))


def from_json(state: dict[str, Any]) -> dict[str, Any]:
    """A state read from the file, binary values decoded; StateUnreadable when it is not this version's."""
    if state.get("format") != FORMAT:
        raise StateUnreadable(f"it was written in format {state.get('format')!r}, and this version reads {FORMAT}")
    decoded: dict[str, Any] = _decoded(state)
    return decoded


def _encoded(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: _encoded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encoded(item) for item in value]
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES} and isinstance(value[_BYTES], str):
            return base64.b64decode(value[_BYTES])
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


class StateKeeper:
    """Writes the run's state to its folder every `interval_s` when it changed, and once more at `stop()`.
    `snapshot(final)` returns the state; `final` is True for the last one (the run has stopped serving). Given
    `writes` (local/writes.py), a round takes no snapshot at all unless something was written since the last one:
    an idle run reads nothing."""

    def __init__(
        self,
        folder: LocalFolder,
        snapshot: Callable[[bool], dict[str, Any]],
        *,
        interval_s: float = SAVE_SECONDS,
        writes: Writes | None = None,
    ) -> None:
        self._folder = folder
        self._snapshot = snapshot
        self._interval_s = interval_s
        self._writes = writes
        self._written = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-keeper", daemon=True)

    def start(self) -> StateKeeper:
        self._thread.start()
        return self

    def save(self, *, final: bool = False) -> bool:
        """Write the state if it changed since the last write; True when it wrote."""
        with self._lock:
            text = to_json({"format": FORMAT, **self._snapshot(final)})
            if text == self._written:
                return False
            write_atomically(self._folder.state_file, text)
            self._written = text
            return True

    def save_if_written(self) -> bool:
        """One round: no snapshot unless something was written since the last round (or no `writes` to ask)."""
        if self._writes is not None and not self._writes.take():
            return False
        try:
            return self.save()
        except Exception:
            if self._writes is not None:
                self._writes.mark()  # not saved: the next round tries again
            raise

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.save(final=True)

    def _run(self) -> None:
        from functions.common.observability import logger

        while not self._stop.wait(self._interval_s):
            try:
                self.save_if_written()
            except Exception:  # kept for the next round; the log says why
                with contextlib.suppress(Exception):
                    logger.exception("the local run's state could not be saved; trying again")
