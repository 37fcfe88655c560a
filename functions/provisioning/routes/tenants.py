"""/admin/tenants: create, list, read and update tenants."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.observability import logger
from functions.provisioning.dependencies import deps
from functions.provisioning.models import CreateTenantRequest, TenantList, TenantView, UpdateTenantRequest
from functions.provisioning.routes.request import TenantIdPath, actor
from functions.provisioning.service import tenants

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _actor() -> str:
    return actor(router.current_event.raw_event)


@router.post("/admin/tenants")
def create_tenant(body: CreateTenantRequest) -> Response[TenantView]:
    view = tenants.create_tenant(body, config=deps.config_store(_actor()), publisher=deps.drafts(_actor()))
    logger.info("tenant created", extra={"tenant_id": body.tenant_id, "actor": _actor()})
    return Response(status_code=201, content_type="application/json", body=view)


@router.get("/admin/tenants")
def list_tenants() -> TenantList:
    return tenants.list_tenants(config=deps.config_store(_actor()))


@router.get("/admin/tenants/<tenant_id>")
def get_tenant(tenant_id: TenantIdPath) -> TenantView:
    return tenants.get_tenant(tenant_id, config=deps.config_store(_actor()))


@router.patch("/admin/tenants/<tenant_id>")
def update_tenant(tenant_id: TenantIdPath, body: UpdateTenantRequest) -> TenantView:
    view = tenants.update_tenant(tenant_id, body, config=deps.config_store(_actor()))
    logger.info("tenant updated", extra={"tenant_id": tenant_id, "fields": sorted(body.changes()), "actor": _actor()})
    return view
