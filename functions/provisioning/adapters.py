"""DynamoDB, Secrets Manager and ThunderPhone behind the provisioning service's ports.
The only module of the provisioning function that makes AWS or ThunderPhone calls."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from functions.common import table
from functions.common.aws import error_code, store_errors
from functions.common.errors import SecretsUnavailable, StoreUnavailable
from functions.common.items import InvalidItem, plain, problems_of
from functions.common.thunderphone_api import ThunderPhoneApi, ThunderPhoneAuthError, ThunderPhoneError
from functions.provisioning.keys import CreatedEndpoint, KeyRecord, RemoteEndpoint, RemoteKey, Reservation
from functions.webhook.signature import parse_signing_secrets

RESERVATION_PREFIX = "KEYREQ#"  # beside KEY#{id}; "KEYREQ#" never matches begins_with("KEY#")
KEY_KIND = "key"
RESERVATION_KIND = "key_request"
_NON_MODEL = frozenset({table.PARTITION_KEY, table.SORT_KEY, "kind", table.TTL_ATTRIBUTE})
ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


def reservation_sk(reservation_id: str) -> str:
    return f"{RESERVATION_PREFIX}{reservation_id}"


class DynamoKeyStore:
    """Key records (`KEY#{id}`) and create reservations (`KEYREQ#{id}`) in the tenant's partition."""

    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._client = client
        self._table = table_name
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

    def get_key(self, tenant_id: str, key_id: int) -> KeyRecord | None:
        raw = self._get(tenant_id, table.key_sk(str(key_id)))
        return None if raw is None else self._model(tenant_id, raw, KeyRecord)

    def list_keys(self, tenant_id: str) -> list[KeyRecord]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": table.PARTITION_KEY, "#sk": table.SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": table.tenant_pk(tenant_id)},
                ":prefix": {"S": table.KEY_PREFIX},
            },
            "ConsistentRead": True,
        }
        records: list[KeyRecord] = []
        while True:
            with store_errors("list keys"):
                page = self._client.query(**request)
            records.extend(self._model(tenant_id, self._plain(item), KeyRecord) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return records
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_key(self, tenant_id: str, record: KeyRecord) -> None:
        with store_errors(f"store key {record.id}"):
            self._client.put_item(TableName=self._table, Item=self._key_item(tenant_id, record))

    def reserve(self, tenant_id: str, reservation: Reservation, *, expires_at: int) -> Reservation | None:
        from botocore.exceptions import ClientError

        item = {
            table.PARTITION_KEY: table.tenant_pk(tenant_id),
            table.SORT_KEY: reservation_sk(reservation.reservation_id),
            "kind": RESERVATION_KIND,
            table.TTL_ATTRIBUTE: expires_at,
            **reservation.model_dump(exclude_none=True),
        }
        with store_errors("reserve key creation"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=self._serialize(item),
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": table.PARTITION_KEY},
                )
                return None
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
        raw = self._get(tenant_id, reservation_sk(reservation.reservation_id))
        if raw is None:  # released between our write and read: the caller retries from the start
            raise StoreUnavailable("key creation reservation changed concurrently; retry")
        return self._model(tenant_id, raw, Reservation)

    def take_over(self, tenant_id: str, reservation_id: str, *, stale_lease: int, new_lease: int) -> bool:
        return self._conditional_update(
            tenant_id,
            reservation_id,
            update="SET #lease = :new",
            condition="#state = :pending AND #lease = :stale",
            names={"#lease": "lease_until", "#state": "state"},
            values={":new": {"N": str(new_lease)}, ":stale": {"N": str(stale_lease)}, ":pending": {"S": "pending"}},
        )

    def release(self, tenant_id: str, reservation_id: str) -> None:
        with store_errors("release key creation"):
            self._client.delete_item(TableName=self._table, Key=self._key(tenant_id, reservation_sk(reservation_id)))

    def complete(self, tenant_id: str, record: KeyRecord, reservation_id: str) -> None:
        with store_errors(f"store key {record.id}"):
            self._client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": self._key_item(tenant_id, record)}},
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(tenant_id, reservation_sk(reservation_id)),
                            "UpdateExpression": "SET #state = :done, #key_id = :key_id",
                            "ExpressionAttributeNames": {"#state": "state", "#key_id": "key_id"},
                            "ExpressionAttributeValues": {":done": {"S": "done"}, ":key_id": {"N": str(record.id)}},
                        }
                    },
                ]
            )

    def _conditional_update(
        self,
        tenant_id: str,
        reservation_id: str,
        *,
        update: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> bool:
        from botocore.exceptions import ClientError

        with store_errors("update key creation"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(tenant_id, reservation_sk(reservation_id)),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def _key_item(self, tenant_id: str, record: KeyRecord) -> dict[str, Any]:
        item = {
            table.PARTITION_KEY: table.tenant_pk(tenant_id),
            table.SORT_KEY: table.key_sk(str(record.id)),
            "kind": KEY_KIND,
            **record.model_dump(mode="json", exclude_none=True),
        }
        return self._serialize(item)

    def _get(self, tenant_id: str, sort_key: str) -> dict[str, Any] | None:
        with store_errors("read item"):
            item = self._client.get_item(
                TableName=self._table, Key=self._key(tenant_id, sort_key), ConsistentRead=True
            ).get("Item")
        return self._plain(item) if item else None

    def _model(self, tenant_id: str, raw: Mapping[str, Any], model: type[ModelT]) -> ModelT:
        data = {key: plain(value) for key, value in raw.items() if key not in _NON_MODEL}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise InvalidItem(tenant_id, str(raw.get(table.SORT_KEY, "")), problems_of(exc)) from None

    def _key(self, tenant_id: str, sort_key: str) -> dict[str, Any]:
        return {table.PARTITION_KEY: {"S": table.tenant_pk(tenant_id)}, table.SORT_KEY: {"S": sort_key}}

    def _serialize(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self._serializer.serialize(value) for key, value in item.items()}

    def _plain(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self._deserializer.deserialize(value) for key, value in item.items()}


class SecretsManagerApiKey:
    """ThunderPhone's sk_live_ key from Secrets Manager through Powertools' cache. The secret is the
    key itself or a JSON object with an `api_key` field."""

    def __init__(self, client: Any, name: str, *, max_age_s: int) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._provider = SecretsProvider(boto3_client=client)
        self._name = name
        self._max_age = max_age_s
        self._lock = threading.Lock()

    def __call__(self) -> str:
        return self._read(force=False)

    def refresh(self) -> bool:
        """Re-read past the cache; True when the key changed (it was rotated), so a 401 is worth retrying."""
        with self._lock:
            before = self._read(force=False)
            return self._read(force=True) != before

    def _read(self, *, force: bool) -> str:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._provider.get(self._name, max_age=self._max_age, force_fetch=force)
        except GetParameterError as exc:
            raise SecretsUnavailable(
                f"cannot read the ThunderPhone API key secret {self._name}: {error_code(exc.__context__ or exc)}"
            ) from None
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        text = str(value).strip()
        if text.startswith("{"):
            try:
                text = str(json.loads(text).get("api_key", "")).strip()
            except (json.JSONDecodeError, AttributeError):
                text = ""
        if not text:
            raise SecretsUnavailable(f"the ThunderPhone API key secret {self._name} is empty or malformed")
        return text


class ThunderPhoneKeys:
    """ThunderPhone's publishable-key and webhook-endpoint endpoints as domain models.

    A 401 is retried once after re-reading the API key past the cache, in case it was just rotated.
    List answers are accepted as a JSON array or an envelope with `results` (the shape is UNCONFIRMED).
    """

    def __init__(self, api: ThunderPhoneApi, *, refresh_key: Callable[[], bool] | None = None) -> None:
        self._api = api
        self._refresh_key = refresh_key

    def create_key(self, body: Mapping[str, Any]) -> RemoteKey:
        return _parse(RemoteKey, self._call(lambda: self._api.post("publishable-key", body)))

    def list_keys(self) -> list[RemoteKey]:
        return [_parse(RemoteKey, item) for item in _items(self._call(lambda: self._api.get("publishable-key")))]

    def update_key(self, key_id: int, body: Mapping[str, Any]) -> RemoteKey:
        return _parse(RemoteKey, self._call(lambda: self._api.patch(f"publishable-key/{key_id}", body)))

    def deactivate_key(self, key_id: int) -> None:
        self._call(lambda: self._api.delete(f"publishable-key/{key_id}"))

    def list_endpoints(self) -> list[RemoteEndpoint]:
        payload = self._call(lambda: self._api.get("developer/webhook-endpoints"))
        return [_parse(RemoteEndpoint, item) for item in _items(payload)]

    def create_endpoint(self, body: Mapping[str, Any]) -> CreatedEndpoint:
        return _parse(CreatedEndpoint, self._call(lambda: self._api.post("developer/webhook-endpoints", body)))

    def update_endpoint(self, endpoint_id: str, body: Mapping[str, Any]) -> RemoteEndpoint:
        payload = self._call(lambda: self._api.patch(f"developer/webhook-endpoints/{endpoint_id}", body))
        return _parse(RemoteEndpoint, payload)

    def delete_endpoint(self, endpoint_id: str) -> None:
        self._call(lambda: self._api.delete(f"developer/webhook-endpoints/{endpoint_id}"))

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return request()
        except ThunderPhoneAuthError:
            if self._refresh_key is None or not self._refresh_key():
                raise
            return request()  # a 401 means nothing was done, so repeating even a POST is safe


def _items(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for name in ("results", "data", "items"):
            if isinstance(payload.get(name), list):
                return list(payload[name])
    raise ThunderPhoneError(
        "ThunderPhone answered a list request with an unexpected shape", code="thunderphone_bad_response"
    )


def _parse(model: type[ModelT], payload: Any) -> ModelT:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()}))
        raise ThunderPhoneError(
            f"ThunderPhone answered with an unexpected {model.__name__} ({fields})", code="thunderphone_bad_response"
        ) from None


class SecretsManagerSigningSecrets:
    """The webhook's signing-secrets secret, read and written directly (no cache: writes must see the latest)."""

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self._name = name

    def read(self) -> Sequence[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            value = self._client.get_secret_value(SecretId=self._name).get("SecretString") or ""
        except ClientError as exc:
            raise SecretsUnavailable(f"cannot read secret {self._name}: {error_code(exc)}") from None
        except BotoCoreError as exc:
            raise SecretsUnavailable(f"cannot read secret {self._name}: {type(exc).__name__}") from None
        try:
            return parse_signing_secrets(value)
        except ValueError:
            raise SecretsUnavailable(
                f"secret {self._name} is not a secret, a JSON list or {{'secrets': [...]}}"
            ) from None

    def write(self, secrets: Sequence[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        value = json.dumps({"secrets": list(secrets)})
        try:  # the secret itself is created by the deployment, never here
            self._client.put_secret_value(SecretId=self._name, SecretString=value)
        except (ClientError, BotoCoreError) as exc:
            raise SecretsUnavailable(f"cannot write secret {self._name}: {error_code(exc)}") from None
