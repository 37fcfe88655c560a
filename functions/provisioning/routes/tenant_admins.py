"""/admin/tenants/{tenant_id}/admins: the tenant's admins and viewers (Cognito users who sign in to the tenant API).

Emails are personal data: they are answered to the operator but never logged (only tenant, role and actor are).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import TypeAdapter, ValidationError

from functions.common.observability import logger
from functions.provisioning.dependencies import deps
from functions.provisioning.errors import InvalidRequest
from functions.provisioning.models import (
    NOT_AN_EMAIL,
    CreateTenantAdminRequest,
    DeletedTenantAdmin,
    Email,
    TenantAdminList,
    TenantAdminView,
)
from functions.provisioning.routes.request import TenantIdPath, actor
from functions.provisioning.service import tenant_admins

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# Percent-encoded in the path (`ana%40acme.example`, or `@` as it is); decoded and checked by the route.
EmailPath = Annotated[str, Path(min_length=3, max_length=3 * 254)]
_EMAIL = TypeAdapter(Email)


def _actor() -> str:
    return actor(router.current_event.raw_event)


def _email(raw: str) -> str:
    try:
        return _EMAIL.validate_python(unquote(raw))
    except ValidationError:
        raise InvalidRequest(
            f"the request is invalid: the path's {NOT_AN_EMAIL}", fields={"email": [NOT_AN_EMAIL]}
        ) from None


@router.post("/admin/tenants/<tenant_id>/admins")
def create_admin(tenant_id: TenantIdPath, body: CreateTenantAdminRequest) -> Response[TenantAdminView]:
    directory = deps.tenant_directory  # first: an unconfigured deployment answers 503 whatever the request
    view = tenant_admins.create_admin(tenant_id, body, config=deps.config_store(_actor()), directory=directory)
    logger.info("tenant user created", extra={"tenant_id": tenant_id, "role": body.role, "actor": _actor()})
    return Response(status_code=201, content_type="application/json", body=view)


@router.get("/admin/tenants/<tenant_id>/admins")
def list_admins(tenant_id: TenantIdPath) -> TenantAdminList:
    directory = deps.tenant_directory
    return tenant_admins.list_admins(tenant_id, config=deps.config_store(_actor()), directory=directory)


@router.delete("/admin/tenants/<tenant_id>/admins/<email>")
def delete_admin(tenant_id: TenantIdPath, email: EmailPath) -> DeletedTenantAdmin:
    directory = deps.tenant_directory
    deleted = tenant_admins.delete_admin(
        tenant_id, _email(email), config=deps.config_store(_actor()), directory=directory
    )
    logger.info("tenant user deleted", extra={"tenant_id": tenant_id, "actor": _actor()})
    return deleted
