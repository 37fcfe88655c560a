"""Lambda entry point for the tenant admin API: `functions.tenant_api.handler.lambda_handler`.

Routes (API Gateway HTTP API, payload v2, behind the Cognito JWT authorizer; base /tenant/v1):
    GET|PUT|DELETE  /profiles/{id}, /rules/{id}, /customers/{id}    GET /profiles, /rules, /customers
    POST            /customers/import       (a CSV file: every row valid, or nothing written)
    GET             /customers/export       (every customer as one formula-safe CSV file)
    GET|PATCH       /settings
    GET|DELETE      /draft          POST /draft/publish            GET /draft/impact?days=7
    GET             /versions, /versions/{n}, /versions/{n}/changes  POST /versions/{n}/rollback
    POST            /simulate               (draft or live; optionally one profile, at a chosen time)
    GET             /calls/report?days=7    (or ?from=YYYY-MM-DD&to=YYYY-MM-DD)
    GET             /calls?day=&channel=&widget=&rule=&fallback=&cursor=   /calls/{call_id} (one call's story)
    GET             /plan, /usage?month=YYYY-MM   (the operator's plan and the month's statement; changes refused)

The tenant is always the token's (principal.py). Errors map to HTTP once, in errors.py; docs/tenant-api.md
is the contract; docs/tenant-api.openapi.json is generated from these routes (`make openapi`) and CI
fails when it is stale.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.api_handlers import answer_without_routing, register_error_handlers, resolve_json
from functions.common.observability import logger, metrics, tracer
from functions.tenant_api import errors
from functions.tenant_api.principal import Forbidden, Unauthenticated, principal_for
from functions.tenant_api.routes import calls, items, preview, publishing, settings
from functions.tenant_api.routes import usage as billing_usage

app = APIGatewayHttpResolver(enable_validation=True)
for resource in (items, settings, publishing, preview, calls):
    app.include_router(resource.router)
app.include_router(billing_usage.router)  # the plan and month, read-only (functions/billing)
register_error_handlers(
    app,
    validation_error=errors.validation_error,
    domain_error=errors.response_for,
    no_route="no such tenant API route",
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        principal_for(event)  # who is calling, and whether its role may do this, before anything reads the body
    except (Unauthenticated, Forbidden) as exc:
        return answer_without_routing(event, errors.response_for(exc))
    return resolve_json(app, event, context)
