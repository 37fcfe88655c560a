"""Lambda entry point for the tenant admin API: `functions.tenant_api.handler.lambda_handler`.

Routes (API Gateway HTTP API, payload v2, behind the Cognito JWT authorizer; base /tenant/v1):
    GET|PUT|DELETE  /profiles/{id}, /rules/{id}, /customers/{id}    GET /profiles, /rules, /customers
    POST            /customers/import       (a CSV file: every row valid, or nothing written)
    GET|PATCH       /settings
    GET|DELETE      /draft          POST /draft/publish            GET /draft/impact?days=7
    GET             /versions, /versions/{n}, /versions/{n}/changes  POST /versions/{n}/rollback
    POST            /simulate               (draft or live; optionally one profile, at a chosen time)
    GET             /calls/report?days=7    (or ?from=YYYY-MM-DD&to=YYYY-MM-DD)

The tenant is always the token's (principal.py). Errors map to HTTP once, in errors.py; docs/tenant-api.md
is the contract; docs/tenant-api.openapi.json is generated from these routes (`make openapi`) and CI
fails when it is stale.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common.api_errors import error_response, invalid_request
from functions.common.apigw import json_request_problem, without_content_type
from functions.common.observability import logger, metrics, tracer
from functions.tenant_api import errors
from functions.tenant_api.principal import Forbidden, Unauthenticated, principal_of
from functions.tenant_api.routes import calls, items, preview, publishing, settings

app = APIGatewayHttpResolver(enable_validation=True)
for resource in (items, settings, publishing, preview, calls):
    app.include_router(resource.router)


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
    return errors.validation_error(list(exc.errors()))


@app.exception_handler(ValidationError)  # type: ignore[untyped-decorator]
def _invalid_model(exc: ValidationError) -> Response[dict[str, Any]]:
    return errors.validation_error(list(exc.errors()))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _domain_error(exc: Exception) -> Response[dict[str, Any]]:
    return errors.response_for(exc)


@app.not_found
def _no_route(exc: Exception) -> Response[dict[str, Any]]:
    return error_response(404, "not_found", "no such tenant API route")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refusal: Response[dict[str, Any]] | None = None
    try:
        principal_of(event)  # who is calling, before anything reads the body
    except (Unauthenticated, Forbidden) as exc:
        refusal = errors.response_for(exc)
    problem = json_request_problem(event) if refusal is None else None
    if problem is not None:
        refusal = invalid_request(problem.status, problem.code, {"body": [problem.sentence]})
    if refusal is not None:
        return ResponseBuilder[APIGatewayProxyEventV2](refusal).build(APIGatewayProxyEventV2(event))
    return app.resolve(without_content_type(event), context)
