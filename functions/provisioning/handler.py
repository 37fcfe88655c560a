"""Lambda entry point for the admin API: `functions.provisioning.handler.lambda_handler`.

Routes (API Gateway HTTP API, payload v2; IAM-authorised in AWS, so this function trusts API Gateway):
    POST   /admin/tenants                                   create a tenant and its default profile
    GET    /admin/tenants                                   list tenants
    GET    /admin/tenants/{tenant_id}                       a tenant and its default profile
    PATCH  /admin/tenants/{tenant_id}                       update / suspend / activate (optimistic `version`)
    POST   /admin/tenants/{tenant_id}/keys                  create a publishable key (Idempotency-Key header)
    GET    /admin/tenants/{tenant_id}/keys                  list the tenant's keys
    GET    /admin/tenants/{tenant_id}/keys/{key_id}         one key with its embed snippets
    PATCH  /admin/tenants/{tenant_id}/keys/{key_id}         name, allowed_domains, is_enabled
    DELETE /admin/tenants/{tenant_id}/keys/{key_id}         deactivate (permanent; its webhook URL is retired)
    POST   /admin/tenants/{tenant_id}/keys/{key_id}/rotate  new key and URL first, then the old one is deactivated
    POST   /admin/tenants/{tenant_id}/admins                create a tenant admin or viewer (a Cognito user)
    GET    /admin/tenants/{tenant_id}/admins                list the tenant's admins and viewers
    DELETE /admin/tenants/{tenant_id}/admins/{email}        delete one of them (only from its own tenant)
    POST   /admin/webhook-endpoint                          register the org-level webhook endpoint (its own URL)
    GET    /admin/tenants/{tenant_id}/plan                  the tenant's plan (caps) and this month's usage against it
    PUT    /admin/tenants/{tenant_id}/plan                  set the plan (operator only; docs/billing.md)
    DELETE /admin/tenants/{tenant_id}/plan                  remove it: no caps (usage is still counted)
    GET    /admin/tenants/{tenant_id}/usage?month=YYYY-MM   the tenant's usage statement for a billing month
    GET    /admin/usage?month=YYYY-MM                       every tenant's statement for a billing month

Routes live in routes/, one router per resource; errors are mapped to HTTP once, in errors.py.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common.api_handlers import register_error_handlers, resolve_json
from functions.common.observability import logger, metrics, tracer
from functions.provisioning import errors
from functions.provisioning.dependencies import deps
from functions.provisioning.routes import billing, keys, tenant_admins, tenants, webhook_endpoint

app = APIGatewayHttpResolver(enable_validation=True)
for resource in (tenants, keys, tenant_admins, webhook_endpoint, billing):
    app.include_router(resource.router)


def _domain_error(exc: Exception) -> Response[dict[str, Any]]:
    return errors.response_for(exc, {"api_key_secret": _api_key_secret()})


def _api_key_secret() -> str:
    try:
        return deps.settings.THUNDERPHONE_API_KEY_SECRET_NAME
    except ValidationError:  # the settings themselves are what failed
        return "THUNDERPHONE_API_KEY_SECRET_NAME"


register_error_handlers(
    app, validation_error=errors.validation_error, domain_error=_domain_error, no_route="no such admin route"
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve_json(app, event, context)
