"""/tenant/v1/profiles, /rules (the draft) and /customers (live): list, read, create or replace, delete; and
/customers/import, a CSV file of customers created or overwritten together; /customers/export, all of them as one."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from functions.common.observability import logger
from functions.tenant_api.dependencies import deps
from functions.tenant_api.models import CustomerBody, CustomerImport, ProfileBody, RuleBody
from functions.tenant_api.preconditions import expected_version
from functions.tenant_api.routes.request import (
    CustomerIdPath,
    IfMatch,
    IfNoneMatch,
    ItemIdPath,
    as_json,
    caller,
    json_response,
)
from functions.tenant_api.service.editing import NOW, Kind

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _list(kind: Kind) -> Response[Any]:
    items = deps.editor(caller(router)).items(kind)
    return json_response({"items": [as_json(item) for item in items]})


def _get(kind: Kind, item_id: str) -> Response[Any]:
    item = deps.editor(caller(router)).get(kind, item_id)
    return json_response(as_json(item), version=item.version)


def _put(kind: Kind, item_id: str, body: BaseModel, if_match: str | None, if_none_match: str | None) -> Response[Any]:
    principal = caller(router)
    expected = expected_version(if_match, if_none_match, allow_create=True)
    saved = deps.editor(principal).put(kind, item_id, body, expected)
    logger.info("item saved", extra={"tenant_id": principal.tenant_id, "kind": kind, "item_created": saved.created})
    body_out = {"item": as_json(saved.item), "warnings": saved.warnings, "effective": saved.effective}
    return json_response(body_out, status=201 if saved.created else 200, version=saved.item.version)


def _delete(kind: Kind, item_id: str, if_match: str | None) -> Response[Any]:
    principal = caller(router)
    expected = expected_version(if_match, None, allow_create=False)
    assert expected is not None
    effective = deps.editor(principal).delete(kind, item_id, expected)
    logger.info("item deleted", extra={"tenant_id": principal.tenant_id, "kind": kind})
    return Response(200, "application/json", {"deleted": item_id, "effective": effective})


# ---------------------------------------------------------------- profiles


@router.get("/tenant/v1/profiles", summary="The draft's agent profiles")
def list_profiles() -> Response[Any]:
    return _list("profile")


@router.get("/tenant/v1/profiles/<profile_id>", summary="One profile of the draft")
def get_profile(profile_id: ItemIdPath) -> Response[Any]:
    return _get("profile", profile_id)


@router.put("/tenant/v1/profiles/<profile_id>", summary="Create (If-None-Match: *) or replace (If-Match) a profile")
def put_profile(
    profile_id: ItemIdPath, body: ProfileBody, if_match: IfMatch = None, if_none_match: IfNoneMatch = None
) -> Response[Any]:
    return _put("profile", profile_id, body, if_match, if_none_match)


@router.delete("/tenant/v1/profiles/<profile_id>", summary="Delete a profile no rule or setting uses")
def delete_profile(profile_id: ItemIdPath, if_match: IfMatch = None) -> Response[Any]:
    return _delete("profile", profile_id, if_match)


# ------------------------------------------------------------------- rules


@router.get("/tenant/v1/rules", summary="The draft's routing rules")
def list_rules() -> Response[Any]:
    return _list("rule")


@router.get("/tenant/v1/rules/<rule_id>", summary="One rule of the draft")
def get_rule(rule_id: ItemIdPath) -> Response[Any]:
    return _get("rule", rule_id)


@router.put("/tenant/v1/rules/<rule_id>", summary="Create (If-None-Match: *) or replace (If-Match) a rule")
def put_rule(
    rule_id: ItemIdPath, body: RuleBody, if_match: IfMatch = None, if_none_match: IfNoneMatch = None
) -> Response[Any]:
    return _put("rule", rule_id, body, if_match, if_none_match)


@router.delete("/tenant/v1/rules/<rule_id>", summary="Delete a rule")
def delete_rule(rule_id: ItemIdPath, if_match: IfMatch = None) -> Response[Any]:
    return _delete("rule", rule_id, if_match)


# --------------------------------------------------------------- customers


@router.get("/tenant/v1/customers", summary="Customers, a page at a time (live records)")
def list_customers(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=210)] = None,
) -> Response[Any]:
    items, next_cursor = deps.editor(caller(router)).page("customer", limit=limit, after=cursor)
    return json_response({"items": [as_json(item) for item in items], "next_cursor": next_cursor})


@router.get("/tenant/v1/customers/export", summary="Every customer as a CSV file (the columns an import reads)")
def export_customers() -> Response[Any]:
    """Viewers may export too: they can already read every customer page by page, so refusing them the same data
    as one file would protect nothing. Formula-looking cells are written as text (common/csv_cells.py)."""
    principal = caller(router)
    text = deps.editor(principal).export_customers()
    logger.info("customers exported", extra={"tenant_id": principal.tenant_id})
    tag = f'W/"{hashlib.sha256(text.encode()).hexdigest()[:16]}"'
    headers = {
        "ETag": tag,
        "Content-Disposition": f'attachment; filename="customers-{principal.tenant_id}.csv"',
        "Cache-Control": "no-store",
    }
    return Response(200, "text/csv; charset=utf-8", text, headers=headers)


@router.get("/tenant/v1/customers/<customer_id>", summary="One customer")
def get_customer(customer_id: CustomerIdPath) -> Response[Any]:
    return _get("customer", unquote(customer_id))


@router.put("/tenant/v1/customers/<customer_id>", summary="Create (If-None-Match: *) or replace (If-Match) a customer")
def put_customer(
    customer_id: CustomerIdPath, body: CustomerBody, if_match: IfMatch = None, if_none_match: IfNoneMatch = None
) -> Response[Any]:
    return _put("customer", unquote(customer_id), body, if_match, if_none_match)


@router.delete("/tenant/v1/customers/<customer_id>", summary="Delete a customer")
def delete_customer(customer_id: CustomerIdPath, if_match: IfMatch = None) -> Response[Any]:
    return _delete("customer", unquote(customer_id), if_match)


@router.post("/tenant/v1/customers/import", summary="Create or overwrite customers from a CSV file (all rows or none)")
def import_customers(body: CustomerImport) -> Response[Any]:
    principal = caller(router)
    imported = deps.editor(principal).import_customers(body.csv, concurrency=deps.settings.IMPORT_CONCURRENCY)
    logger.info(
        "customers imported",
        extra={
            "tenant_id": principal.tenant_id,
            "customers_created": imported.created,  # `created` is a LogRecord attribute: logging refuses it
            "customers_updated": imported.updated,
            "customers_unchanged": imported.unchanged,
        },
    )
    answer = {"created": imported.created, "updated": imported.updated, "unchanged": imported.unchanged}
    return Response(200, "application/json", answer | {"effective": NOW})
