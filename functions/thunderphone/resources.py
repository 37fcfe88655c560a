"""The ThunderPhone resources Switchboard uses, as typed calls: publishable keys, webhook endpoints, calls.

Built on `client.ThunderPhoneApi`. A 401 is retried once after re-reading the API key past its cache, in
case it was just rotated. List answers are accepted as a JSON array or an envelope holding the list
(the envelope's key names are UNCONFIRMED, shared/thunderphone-api.md 5.1); anything else is a
ThunderPhoneBadResponse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from functions.common.clock import iso
from functions.common.observability import logger
from functions.thunderphone.client import (
    ThunderPhoneApi,
    ThunderPhoneAuthError,
    ThunderPhoneBadResponse,
    ThunderPhoneNotFound,
)
from functions.thunderphone.objects import ApiCall, CreatedEndpoint, RemoteEndpoint, RemoteKey

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")

# Envelope keys tried in order, for the list and for its total.
LIST_KEYS = ("results", "data", "calls", "items")
TOTAL_KEYS = ("total", "count", "total_count")


@dataclass(frozen=True)
class CallPage:
    """One page of GET /v1/calls."""

    calls: list[ApiCall]
    total: int | None
    invalid: int = 0  # entries that did not validate (logged, skipped)
    size: int = 0  # entries on the page, valid or not: what the offset advances by


def entries(payload: Any) -> tuple[list[Any], int | None]:
    """A bare list, or an object holding the list under one of LIST_KEYS and maybe a total."""
    if isinstance(payload, list):
        return payload, None
    if isinstance(payload, dict):
        found = next((payload[key] for key in LIST_KEYS if isinstance(payload.get(key), list)), None)
        if found is None:
            raise ThunderPhoneBadResponse(f"list answer has none of {list(LIST_KEYS)}: keys {sorted(payload)[:10]}")
        total = next(
            (payload[key] for key in TOTAL_KEYS if isinstance(payload.get(key), int) and payload[key] >= 0), None
        )
        return list(found), total
    raise ThunderPhoneBadResponse("list answer is neither a list nor an object")


def parse_page(payload: Any) -> CallPage:
    """A calls page; entries that do not validate are skipped and counted, never fatal."""
    found, total = entries(payload)
    calls: list[ApiCall] = []
    invalid = 0
    for entry in found:
        try:
            calls.append(ApiCall.model_validate(entry))
        except ValidationError as exc:
            invalid += 1
            call_id = entry.get("call_id") if isinstance(entry, dict) else None
            logger.warning(
                "calls list entry skipped",
                extra={"call_id": call_id, "problems": [".".join(map(str, e["loc"])) for e in exc.errors()]},
            )
    return CallPage(calls=calls, total=total, invalid=invalid, size=len(found))


def parse(model: type[ModelT], payload: Any) -> ModelT:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()}))
        raise ThunderPhoneBadResponse(f"ThunderPhone answered with an unexpected {model.__name__} ({fields})") from None


class _Resource:
    def __init__(self, api: ThunderPhoneApi, *, refresh_key: Callable[[], bool] | None = None) -> None:
        self._api = api
        self._refresh_key = refresh_key

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return request()
        except ThunderPhoneAuthError:
            if self._refresh_key is None or not self._refresh_key():
                raise
            return request()  # a 401 means nothing was done, so repeating even a POST is safe


class ThunderPhoneKeys(_Resource):
    """Publishable keys and org-level webhook endpoints (shared/thunderphone-api.md sections 1.1 and 3)."""

    def create_key(self, body: Mapping[str, Any]) -> RemoteKey:
        return parse(RemoteKey, self._call(lambda: self._api.post("publishable-key", body)))

    def get_key(self, key_id: int) -> RemoteKey:
        return parse(RemoteKey, self._call(lambda: self._api.get(f"publishable-key/{key_id}")))

    def list_keys(self) -> list[RemoteKey]:
        found, _ = entries(self._call(lambda: self._api.get("publishable-key")))
        return [parse(RemoteKey, item) for item in found]

    def update_key(self, key_id: int, body: Mapping[str, Any]) -> RemoteKey:
        return parse(RemoteKey, self._call(lambda: self._api.patch(f"publishable-key/{key_id}", body)))

    def deactivate_key(self, key_id: int) -> None:
        self._call(lambda: self._api.delete(f"publishable-key/{key_id}"))

    def list_endpoints(self) -> list[RemoteEndpoint]:
        found, _ = entries(self._call(lambda: self._api.get("developer/webhook-endpoints")))
        return [parse(RemoteEndpoint, item) for item in found]

    def create_endpoint(self, body: Mapping[str, Any]) -> CreatedEndpoint:
        return parse(CreatedEndpoint, self._call(lambda: self._api.post("developer/webhook-endpoints", body)))

    def update_endpoint(self, endpoint_id: str, body: Mapping[str, Any]) -> RemoteEndpoint:
        payload = self._call(lambda: self._api.patch(f"developer/webhook-endpoints/{endpoint_id}", body))
        return parse(RemoteEndpoint, payload)

    def delete_endpoint(self, endpoint_id: str) -> None:
        self._call(lambda: self._api.delete(f"developer/webhook-endpoints/{endpoint_id}"))


class ThunderPhoneCalls(_Resource):
    """GET /v1/calls, one page at a time, and GET /v1/calls/{id} (shared/thunderphone-api.md section 5.1)."""

    def list_calls(self, *, direction: str | None, start: datetime, end: datetime, limit: int, offset: int) -> CallPage:
        params: dict[str, str | int] = {
            "start_date": iso(start),
            "end_date": iso(end),
            "limit": limit,
            "offset": offset,
        }
        if direction is not None:
            params["direction"] = direction
        return parse_page(self._call(lambda: self._api.get("calls", params)))

    def get_call(self, call_id: int) -> ApiCall | None:
        """GET /v1/calls/{call_id}; None when ThunderPhone has no such call (404)."""
        try:
            payload = self._call(lambda: self._api.get(f"calls/{call_id}"))
        except ThunderPhoneNotFound:
            return None
        return parse(ApiCall, payload)
