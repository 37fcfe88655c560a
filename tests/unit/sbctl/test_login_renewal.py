"""A refused token is renewed once per client, never in a loop: the second 401 is the API's answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from sbctl.tenant_mode.http import ApiClient, ApiError


def test_a_401_is_renewed_once_then_stands() -> None:
    sent: list[str] = []
    renewals: list[str] = []

    def transport(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Any:
        sent.append(headers["authorization"])
        return 401, {}, b'{"message": "Unauthorized"}'

    def renew() -> str:
        renewals.append("renewed")
        return "fresh"

    client = ApiClient("https://api.example.com/tenant/v1", "stale", transport, renew=renew)
    with pytest.raises(ApiError) as refused:
        client.request("GET", "/settings")
    assert refused.value.status == 401
    assert sent == ["Bearer stale", "Bearer fresh"] and renewals == ["renewed"]
    with pytest.raises(ApiError):
        client.request("GET", "/rules")
    assert sent[2:] == ["Bearer fresh"] and renewals == ["renewed"]


def test_without_a_renewal_a_401_is_answered_at_once() -> None:
    sent: list[str] = []

    def transport(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Any:
        sent.append(url)
        return 401, {}, b""

    with pytest.raises(ApiError):
        ApiClient("https://api.example.com/tenant/v1", "t", transport).request("GET", "/settings")
    assert len(sent) == 1
