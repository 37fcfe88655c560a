"""The checked-in OpenAPI document is the one the code generates: a change to the contract is never silent."""

from __future__ import annotations

import json
from pathlib import Path

from functions.tenant_api.openapi import document

CHECKED_IN = Path(__file__).resolve().parents[3] / "docs" / "tenant-api.openapi.json"


def test_the_checked_in_openapi_document_matches_the_code() -> None:
    assert CHECKED_IN.read_text() == document(), "the tenant API changed: run `make openapi` and commit the document"


def test_every_route_of_the_contract_is_documented() -> None:
    paths = json.loads(CHECKED_IN.read_text())["paths"]
    expected = {
        "/tenant/v1/profiles": {"get"},
        "/tenant/v1/profiles/{profile_id}": {"get", "put", "delete"},
        "/tenant/v1/rules": {"get"},
        "/tenant/v1/rules/{rule_id}": {"get", "put", "delete"},
        "/tenant/v1/customers": {"get"},
        "/tenant/v1/customers/{customer_id}": {"get", "put", "delete"},
        "/tenant/v1/settings": {"get", "patch"},
        "/tenant/v1/draft": {"get", "delete"},
        "/tenant/v1/draft/publish": {"post"},
        "/tenant/v1/draft/impact": {"get"},
        "/tenant/v1/versions": {"get"},
        "/tenant/v1/versions/{version}": {"get"},
        "/tenant/v1/versions/{version}/rollback": {"post"},
        "/tenant/v1/versions/{version}/changes": {"get"},
        "/tenant/v1/simulate": {"post"},
        "/tenant/v1/customers/import": {"post"},
        "/tenant/v1/customers/export": {"get"},
        "/tenant/v1/calls/report": {"get"},
        "/tenant/v1/calls": {"get"},
        "/tenant/v1/calls/{call_id}": {"get"},
        "/tenant/v1/plan": {"get", "put", "patch", "delete"},  # read-only: changes are refused (docs/billing.md)
        "/tenant/v1/usage": {"get"},
    }
    assert {path: set(methods) for path, methods in paths.items()} == expected
