"""DynamoDB, Secrets Manager and Cognito behind the provisioning service's ports: key records, create
reservations, the webhook's signing-secrets secret, and the tenant user directory. (ThunderPhone itself is reached
through functions.thunderphone.resources, webhook routes through functions.webhook_routes.repository.)

Key records and reservations live in `OPERATOR#{tenant_id}`, never in the tenant's own partition: the tenant's
partition holds what tenants edit (through the tenant API), and a record the operator acts on (rotate,
deactivate) must not be one a tenant could have planted. An item whose own id disagrees with its sort key is
invalid, so a record can never act on another key."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from functions.common import dynamo, table
from functions.common.aws import error_code, is_aws_error, secret_errors, store_errors
from functions.common.errors import ConditionFailed, InvalidItem, SecretsUnavailable, StoreUnavailable
from functions.common.identity import TENANT_CLAIM
from functions.provisioning.errors import AlreadyExists, DirectoryUnavailable, NotFound
from functions.provisioning.key_records import KeyRecord, Reservation
from functions.provisioning.ports import DirectoryUser
from functions.thunderphone.signing import parse_signing_secrets

RESERVATION_PREFIX = "KEYREQ#"  # beside KEY#{id}; "KEYREQ#" never matches begins_with("KEY#")
KEY_KIND = "key"
RESERVATION_KIND = "key_request"
_BOOKKEEPING = frozenset({"kind", table.TTL_ATTRIBUTE})


def reservation_sk(reservation_id: str) -> str:
    return f"{RESERVATION_PREFIX}{reservation_id}"


class DynamoKeyStore:
    """Key records (`KEY#{id}`) and create reservations (`KEYREQ#{id}`) in `OPERATOR#{tenant_id}`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get_key(self, tenant_id: str, key_id: int) -> KeyRecord | None:
        raw = self._get(tenant_id, table.key_sk(str(key_id)))
        return None if raw is None else self._record(tenant_id, raw)

    def list_keys(self, tenant_id: str) -> list[KeyRecord]:
        request = dynamo.prefix_query(self._table, table.operator_pk(tenant_id), table.KEY_PREFIX, consistent=True)
        return [self._record(tenant_id, raw) for raw in dynamo.pages(self._client, request, operation="list keys")]

    def put_key(self, tenant_id: str, record: KeyRecord) -> None:
        with store_errors(f"store key {record.id}"):
            self._client.put_item(TableName=self._table, Item=self._key_item(tenant_id, record))

    def reserve(self, tenant_id: str, reservation: Reservation, *, expires_at: int) -> Reservation | None:
        item = {
            table.PARTITION_KEY: table.operator_pk(tenant_id),
            table.SORT_KEY: reservation_sk(reservation.reservation_id),
            "kind": RESERVATION_KIND,
            table.TTL_ATTRIBUTE: expires_at,
            **reservation.model_dump(exclude_none=True),
        }
        try:
            with store_errors("reserve key creation"):
                self._client.put_item(
                    TableName=self._table,
                    Item=dynamo.to_attributes(item),
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": table.PARTITION_KEY},
                )
            return None
        except ConditionFailed:
            pass
        raw = self._get(tenant_id, reservation_sk(reservation.reservation_id))
        if raw is None:  # released between our write and read: the caller retries from the start
            raise StoreUnavailable("key creation reservation changed concurrently; retry")
        stored = dynamo.model_of(raw, Reservation, owner=tenant_id, ignore=_BOOKKEEPING)
        self._own_id(tenant_id, raw, reservation_sk(stored.reservation_id))
        return stored

    def take_over(
        self,
        tenant_id: str,
        reservation_id: str,
        *,
        stale_state: Literal["pending", "unknown"],
        stale_lease: int,
        new_lease: int,
    ) -> bool:
        return self._move_claim(
            tenant_id, reservation_id, (stale_state, stale_lease), ("pending", new_lease), "take over key creation"
        )

    def mark_unknown(self, tenant_id: str, reservation_id: str, *, lease: int) -> bool:
        return self._move_claim(
            tenant_id, reservation_id, ("pending", lease), ("unknown", lease), "end key creation attempt"
        )

    def _move_claim(
        self,
        tenant_id: str,
        reservation_id: str,
        expected: tuple[str, int],
        new: tuple[str, int],
        operation: str,
    ) -> bool:
        """Set the claim's (state, lease) to `new` if it is still `expected` (one conditional write, so of two
        attempts racing for the same claim only one moves it); False when it is not (or is gone)."""
        try:
            with store_errors(operation):
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(tenant_id, reservation_sk(reservation_id)),
                    UpdateExpression="SET #state = :state, #lease = :lease",
                    ConditionExpression="#state = :expected_state AND #lease = :expected_lease",
                    ExpressionAttributeNames={"#lease": "lease_until", "#state": "state"},
                    ExpressionAttributeValues={
                        ":state": {"S": new[0]},
                        ":lease": {"N": str(new[1])},
                        ":expected_state": {"S": expected[0]},
                        ":expected_lease": {"N": str(expected[1])},
                    },
                )
        except ConditionFailed:
            return False
        return True

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

    def _key_item(self, tenant_id: str, record: KeyRecord) -> dict[str, Any]:
        item = {
            table.PARTITION_KEY: table.operator_pk(tenant_id),
            table.SORT_KEY: table.key_sk(str(record.id)),
            "kind": KEY_KIND,
            **record.model_dump(mode="json", exclude_none=True),
        }
        return dynamo.to_attributes(item)

    def _get(self, tenant_id: str, sort_key: str) -> dict[str, Any] | None:
        return dynamo.get(self._client, self._table, table.operator_pk(tenant_id), sort_key, consistent=True)

    def _record(self, tenant_id: str, raw: Mapping[str, Any]) -> KeyRecord:
        record = dynamo.model_of(raw, KeyRecord, owner=tenant_id, ignore=_BOOKKEEPING)
        self._own_id(tenant_id, raw, table.key_sk(str(record.id)))
        return record

    @staticmethod
    def _own_id(tenant_id: str, raw: Mapping[str, Any], expected_sort_key: str) -> None:
        """An item is about the id its sort key names, or it is invalid (never the other item's id)."""
        sort_key = str(raw.get(table.SORT_KEY, ""))
        if sort_key != expected_sort_key:
            raise InvalidItem(tenant_id, sort_key, ["the item's own id does not match its sort key"])

    def _key(self, tenant_id: str, sort_key: str) -> dict[str, Any]:
        return dynamo.key(table.operator_pk(tenant_id), sort_key)


class SecretsManagerSigningSecrets:
    """The webhook's signing-secrets secret, read and written directly (no cache: writes must see the latest)."""

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self._name = name

    def read(self) -> Sequence[str]:
        with secret_errors(self._name):
            value = self._client.get_secret_value(SecretId=self._name).get("SecretString") or ""
        try:
            return parse_signing_secrets(value)
        except ValueError:
            raise SecretsUnavailable(
                f"secret {self._name} is not a secret, a JSON list or {{'secrets': [...]}}"
            ) from None

    def write(self, secrets: Sequence[str]) -> None:
        value = json.dumps({"secrets": list(secrets)})
        with secret_errors(self._name, "write"):  # the secret itself is created by the deployment, never here
            self._client.put_secret_value(SecretId=self._name, SecretString=value)


_TAKEN = frozenset({"UsernameExistsException", "AliasExistsException"})
_HINTS = {
    "ResourceNotFoundException": " (check TENANT_USER_POOL_ID and that the pool has the tenant-admin and "
    "tenant-viewer groups)",
    "AccessDeniedException": " (the provisioning function's role lacks a cognito-idp permission)",
}


@contextmanager
def directory_errors(operation: str) -> Iterator[None]:
    """Cognito's errors as our own: a taken email AlreadyExists, a missing user NotFound, anything else AWS raises
    DirectoryUnavailable naming the operation and the error code, never the email. Exceptions that are not AWS's
    pass through."""
    try:
        yield
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        code = error_code(exc)
        if code in _TAKEN:
            raise AlreadyExists(
                "a tenant user with this email already exists (an email belongs to one tenant only); "
                "delete that user first to give the email to another tenant"
            ) from None
        if code == "UserNotFoundException":
            raise NotFound("no tenant user has this email") from None
        raise DirectoryUnavailable(f"{operation} failed: {code}{_HINTS.get(code, '')}") from exc


class CognitoTenantDirectory:
    """Tenant users in the Cognito user pool: username = email (the pool signs in by email), the tenant in the
    immutable custom attribute, the role as group membership."""

    PAGE_SIZE = 60  # ListUsersInGroup's maximum

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def create_user(self, email: str, tenant_id: str) -> DirectoryUser:
        with directory_errors("create tenant user"):
            response = self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},  # the operator vouches for it; the invite proves it
                    {"Name": TENANT_CLAIM, "Value": tenant_id},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
        return self._user(response["User"], attributes_key="Attributes")

    def add_to_group(self, email: str, group: str) -> None:
        with directory_errors("add tenant user to its group"):
            self._client.admin_add_user_to_group(UserPoolId=self._pool, Username=email, GroupName=group)

    def get_user(self, email: str) -> DirectoryUser | None:
        try:
            with directory_errors("read tenant user"):
                response = self._client.admin_get_user(UserPoolId=self._pool, Username=email)
        except NotFound:
            return None
        return self._user(response, attributes_key="UserAttributes")

    def group_members(self, group: str) -> Iterator[DirectoryUser]:
        request: dict[str, Any] = {"UserPoolId": self._pool, "GroupName": group, "Limit": self.PAGE_SIZE}
        while True:
            with directory_errors("list tenant users"):
                page = self._client.list_users_in_group(**request)
            for raw in page.get("Users") or []:
                yield self._user(raw, attributes_key="Attributes")
            token = page.get("NextToken")
            if not token:
                return
            request["NextToken"] = token

    def delete_user(self, email: str) -> None:
        with directory_errors("delete tenant user"):
            self._client.admin_delete_user(UserPoolId=self._pool, Username=email)

    @staticmethod
    def _user(raw: Mapping[str, Any], *, attributes_key: str) -> DirectoryUser:
        attributes = {str(a.get("Name")): str(a.get("Value", "")) for a in raw.get(attributes_key) or []}
        status = "DISABLED" if raw.get("Enabled") is False else str(raw.get("UserStatus") or "UNKNOWN")
        return DirectoryUser(
            email=attributes.get("email", "").lower(),
            tenant_id=attributes.get(TENANT_CLAIM) or None,
            status=status,
        )
