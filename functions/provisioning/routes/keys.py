"""/admin/tenants/{tenant_id}/keys: a tenant's publishable keys."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.provisioning.dependencies import deps
from functions.provisioning.models import CreateKeyRequest, KeyList, KeyView, RotateKeyRequest, UpdateKeyRequest
from functions.provisioning.routes.request import IdempotencyKey, KeyIdPath, TenantIdPath, actor, webhook_base
from functions.provisioning.service import keys
from functions.provisioning.service.key_creation import KeyDeps

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _deps() -> KeyDeps:
    return deps.keys(actor(router.current_event.raw_event))


def _webhook_base() -> str:
    return webhook_base(router.current_event.raw_event, deps.settings.WEBHOOK_BASE_URL)


@router.post("/admin/tenants/<tenant_id>/keys")
def create_key(
    tenant_id: TenantIdPath, body: CreateKeyRequest, idempotency_key: IdempotencyKey = None
) -> Response[KeyView]:
    view, made = keys.create_key(
        tenant_id, body, idempotency_key=idempotency_key, webhook_base=_webhook_base(), deps=_deps()
    )
    return Response(status_code=201 if made else 200, content_type="application/json", body=view)


@router.get("/admin/tenants/<tenant_id>/keys")
def list_keys(tenant_id: TenantIdPath) -> KeyList:
    return keys.list_keys(tenant_id, deps=_deps())


@router.get("/admin/tenants/<tenant_id>/keys/<key_id>")
def get_key(tenant_id: TenantIdPath, key_id: KeyIdPath) -> KeyView:
    return keys.get_key(tenant_id, key_id, deps=_deps())


@router.patch("/admin/tenants/<tenant_id>/keys/<key_id>")
def update_key(tenant_id: TenantIdPath, key_id: KeyIdPath, body: UpdateKeyRequest) -> KeyView:
    return keys.update_key(tenant_id, key_id, body, deps=_deps())


@router.delete("/admin/tenants/<tenant_id>/keys/<key_id>")
def deactivate_key(tenant_id: TenantIdPath, key_id: KeyIdPath) -> KeyView:
    return keys.deactivate_key(tenant_id, key_id, deps=_deps())


@router.post("/admin/tenants/<tenant_id>/keys/<key_id>/rotate")
def rotate_key(
    tenant_id: TenantIdPath,
    key_id: KeyIdPath,
    body: RotateKeyRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[KeyView]:
    view, made = keys.rotate_key(
        tenant_id,
        key_id,
        body or RotateKeyRequest(),
        idempotency_key=idempotency_key,
        webhook_base=_webhook_base(),
        deps=_deps(),
    )
    return Response(status_code=201 if made else 200, content_type="application/json", body=view)
