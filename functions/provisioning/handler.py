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
    POST   /admin/webhook-endpoint                          register the org-level webhook endpoint (its own URL)

Routes live in routes/, one router per resource; errors are mapped to HTTP once, in errors.py.
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

from functions.common.apigw import MalformedRequest, header, raw_body
from functions.common.observability import logger, metrics, tracer
from functions.common.validation import NOT_UTF8, BodyProblem, json_body_problem
from functions.provisioning import errors
from functions.provisioning.dependencies import deps
from functions.provisioning.routes import keys, tenants, webhook_endpoint

app = APIGatewayHttpResolver(enable_validation=True)
for resource in (tenants, keys, webhook_endpoint):
    app.include_router(resource.router)


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
    return errors.validation_error(list(exc.errors()))


@app.exception_handler(ValidationError)  # type: ignore[untyped-decorator]
def _invalid_model(exc: ValidationError) -> Response[dict[str, Any]]:
    return errors.validation_error(list(exc.errors()))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _domain_error(exc: Exception) -> Response[dict[str, Any]]:
    return errors.response_for(exc, {"api_key_secret": _api_key_secret()})


def _api_key_secret() -> str:
    try:
        return deps.settings.THUNDERPHONE_API_KEY_SECRET_NAME
    except ValidationError:  # the settings themselves are what failed
        return "THUNDERPHONE_API_KEY_SECRET_NAME"


@app.not_found
def _no_route(exc: Exception) -> Response[dict[str, Any]]:
    return errors.error(404, "not_found", "no such admin route")


# The body is checked here, before Powertools sees the event, rather than in a middleware: Powertools runs its
# validation (which decodes and parses the body) before any middleware, and a body that is not UTF-8, not
# base64, or nested past Python's recursion limit escapes it as an exception, i.e. a 500.
def body_problem(event: dict[str, Any]) -> BodyProblem | None:
    """Why the request's body cannot be an admin request body (any route), or None; empty bodies are fine."""
    try:
        raw = raw_body(event)
    except (MalformedRequest, UnicodeError):
        return NOT_UTF8  # not valid base64, or (never from API Gateway) a string that is not Unicode
    if raw and not _is_json(header(event, "content-type")):
        return BodyProblem(415, "unsupported_media_type", "body must be JSON, sent as Content-Type: application/json")
    return json_body_problem(raw)


def _is_json(content_type: str | None) -> bool:
    return not content_type or content_type.partition(";")[0].strip().lower() == "application/json"


def _as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The event without its Content-Type: the body is JSON or empty now, and Powertools parses a body without one
    as JSON (with one, it would try form or multipart parsing even on an empty body, and fail on some)."""
    headers = {name: value for name, value in (event.get("headers") or {}).items() if name.lower() != "content-type"}
    return {**event, "headers": headers}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    problem = body_problem(event)
    if problem is not None:
        refusal = errors.invalid_request(problem.status, problem.code, {"body": [problem.sentence]})
        return ResponseBuilder[APIGatewayProxyEventV2](refusal).build(APIGatewayProxyEventV2(event))
    return app.resolve(_as_json(event), context)
