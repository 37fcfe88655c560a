"""What both JSON APIs (the admin API and the tenant API) do around their routes, in one place: the exception
handlers every resolver registers, and answering an event with JSON-body checks before Powertools sees it.

Each API still says which status and code an error is (its own errors.py): this module only wires them in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common.api_errors import error_response, invalid_request
from functions.common.apigw import json_request_problem, without_content_type

JsonResponse = Response[dict[str, Any]]


def register_error_handlers(
    app: APIGatewayHttpResolver,
    *,
    validation_error: Callable[[list[Any]], JsonResponse],
    domain_error: Callable[[Exception], JsonResponse],
    no_route: str,
) -> None:
    """Invalid requests and models answer `validation_error(pydantic errors)`; any other exception
    `domain_error(exc)`; a path no route matches a 404 saying `no_route`."""

    def invalid(exc: RequestValidationError | ValidationError) -> JsonResponse:
        return validation_error(list(exc.errors()))

    def not_found(exc: Exception) -> JsonResponse:
        return error_response(404, "not_found", no_route)

    app.exception_handler([RequestValidationError, ValidationError])(invalid)
    app.exception_handler(Exception)(domain_error)
    app.not_found(not_found)


def answer_without_routing(event: dict[str, Any], response: JsonResponse) -> dict[str, Any]:
    """`response` as the Lambda's answer to `event`, without resolving a route (a refusal before any)."""
    return ResponseBuilder[APIGatewayProxyEventV2](response).build(APIGatewayProxyEventV2(event))


def resolve_json(app: APIGatewayHttpResolver, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The route's answer, once the body is known to be JSON (or empty); otherwise the refusal saying why."""
    problem = json_request_problem(event)
    if problem is not None:
        refusal = invalid_request(problem.status, problem.code, {"body": [problem.sentence]})
        return answer_without_routing(event, refusal)
    return app.resolve(without_content_type(event), context)
