"""The tenant API's errors and the one table mapping each to an HTTP status and a stable code.

Bodies are `{"error": code, "message": sentence, "fields": {field: [sentences]}}`; a stale write adds
`current` (the stored item) so a client can show the other change. Messages never name another tenant.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.common.api_errors import error_response, invalid_request
from functions.common.errors import InvalidItem, ItemNotFound, OperatorOwnedChange, StoreUnavailable, VersionConflict
from functions.common.observability import logger
from functions.common.validation import explain
from functions.tenant_api.principal import Forbidden, Unauthenticated
from functions.tenant_config.items import described
from functions.tenant_config.publishing import (
    DraftNotEmpty,
    NothingToPublish,
    PublishConflict,
    PublishRefused,
    VersionMissing,
)


class ApiError(Exception):
    """A refusal with its own status and code; `fields` names what to fix, `extra` adds body members."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, fields: dict[str, list[str]] | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}


class NotFound(ApiError):
    status, code = 404, "not_found"


class PreconditionRequired(ApiError):
    status, code = 428, "precondition_required"


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"


class AlreadyExists(ApiError):
    status, code = 412, "already_exists"


class IntegrityRefused(ApiError):
    status, code = 409, "integrity"


class InvalidRequest(ApiError):
    status, code = 422, "invalid_request"


class BadRequest(ApiError):
    """What was sent is well-formed but cannot be used as it is (an import's bad rows, a report's bad period)."""

    status, code = 400, "invalid_request"


# (status, code) for errors raised below the API; looked up along the class hierarchy.
ERRORS: dict[type[Exception], tuple[int, str]] = {
    Unauthenticated: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    OperatorOwnedChange: (403, "operator_owned"),
    ItemNotFound: (404, "not_found"),
    VersionMissing: (404, "not_found"),
    VersionConflict: (412, "precondition_failed"),
    PublishRefused: (409, "integrity"),
    NothingToPublish: (409, "nothing_to_publish"),
    DraftNotEmpty: (409, "draft_not_empty"),
    PublishConflict: (409, "publish_conflict"),
    InvalidItem: (409, "invalid_stored_item"),
    StoreUnavailable: (503, "store_unavailable"),
}


def response_for(exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, extra=exc.extra)
    rule = next((ERRORS[cls] for cls in type(exc).__mro__ if cls in ERRORS), None)
    if rule is None:
        logger.exception("unexpected tenant API error")
        return error_response(500, "internal_error", "unexpected error; it has been logged, try again later")
    status, code = rule
    message = str(getattr(exc, "message", None) or exc)
    fields = getattr(exc, "fields", None)
    if isinstance(exc, InvalidItem):
        label = described(exc.sort_key)
        message, fields = (
            f"the stored {label} is invalid; save a valid one to replace it",
            {label: list(exc.problems)},
        )
    if isinstance(exc, OperatorOwnedChange):
        message, fields = (
            f"{', '.join(exc.fields)} can only be changed by the operator; ask the operator to change it",
            {name: ["operator-owned: ask the operator to change it"] for name in exc.fields},
        )
    if isinstance(exc, VersionConflict):
        message = f"it changed since you read it (now version {exc.current_version}); read it again and re-apply"
    if isinstance(exc, StoreUnavailable):
        message = "the configuration store is unavailable; retry in a moment"
    retry_after = 2 if status == 503 else None
    return error_response(status, code, message, fields if isinstance(fields, dict) else {}, retry_after=retry_after)


def validation_error(errors: list[Any]) -> Response[dict[str, Any]]:
    """pydantic errors in words (common/validation.py); inputs are never echoed."""
    return invalid_request(422, "invalid_request", explain(errors))
