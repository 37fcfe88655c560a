"""The admin API's errors: its own domain errors, and the one table that maps every error the API can
meet to an HTTP status and a stable code. The body is common/api_errors.py's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.common.api_errors import error_response, invalid_request
from functions.common.errors import (
    InvalidItem,
    ItemNotFound,
    NumberTaken,
    SecretsUnavailable,
    StoreUnavailable,
    VersionConflict,
)
from functions.common.observability import logger
from functions.common.validation import explain
from functions.provisioning.domains import InvalidDomains
from functions.thunderphone.client import (
    ThunderPhoneAuthError,
    ThunderPhoneBadRequest,
    ThunderPhoneError,
    ThunderPhoneNotFound,
    ThunderPhonePaymentRequired,
    ThunderPhoneUnavailable,
)


class ProvisioningError(Exception):
    """Base: `code` is the stable machine-readable error, the message is for people."""

    code = "provisioning_error"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ProvisioningError):
    code = "not_found"


class AlreadyExists(ProvisioningError):
    code = "already_exists"


class Conflict(ProvisioningError):
    """The request cannot apply to the current state (deactivated key, reused idempotency key, ...)."""

    code = "conflict"

    def __init__(self, message: str, *, code: str = "conflict", fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, fields=fields)
        self.code = code


class RequestInProgress(ProvisioningError):
    """The same create is running right now (or crashed less than a lease ago): retry shortly."""

    code = "request_in_progress"


class InvalidRequest(ProvisioningError):
    """A request value that the route checks itself (one the path carries encoded, say), named in `fields`."""

    code = "validation_error"


class NotConfigured(ProvisioningError):
    """A feature this deployment has not been given the settings for."""

    code = "not_configured"


class DirectoryUnavailable(ProvisioningError):
    """The tenant user directory (Cognito) failed or refused: throttled, down, misconfigured or not permitted."""

    code = "directory_unavailable"


@dataclass(frozen=True)
class HttpError:
    status: int
    code: str | None = None  # None: the exception's own `code`
    retry_after: int | None = None  # seconds, for errors a retry can fix
    hint: str = ""  # what to do, after the error's own message; {names} come from the deployment


# Looked up along the exception's class hierarchy, most specific first.
ERRORS: dict[type[Exception], HttpError] = {
    NotFound: HttpError(404),
    AlreadyExists: HttpError(409),
    Conflict: HttpError(409),
    RequestInProgress: HttpError(409, retry_after=2),
    InvalidRequest: HttpError(400),
    NotConfigured: HttpError(503),
    DirectoryUnavailable: HttpError(
        503, retry_after=2, hint="retry the same request (a create that went through answers 409 already_exists)"
    ),
    ProvisioningError: HttpError(500),
    InvalidDomains: HttpError(400, "invalid_domains"),
    VersionConflict: HttpError(409, "version_conflict"),
    NumberTaken: HttpError(409, "number_taken"),
    ItemNotFound: HttpError(404, "not_found"),
    InvalidItem: HttpError(409, "invalid_stored_item", hint="fix the stored item first"),
    ThunderPhoneBadRequest: HttpError(400, "thunderphone_rejected"),
    ThunderPhoneAuthError: HttpError(502, "thunderphone_auth", hint="check the key in secret {api_key_secret}"),
    ThunderPhonePaymentRequired: HttpError(402, "thunderphone_payment_required"),
    ThunderPhoneNotFound: HttpError(404, "thunderphone_not_found"),
    ThunderPhoneUnavailable: HttpError(
        503, "thunderphone_unavailable", retry_after=5, hint="retry the same request (it never creates a second key)"
    ),
    ThunderPhoneError: HttpError(502),
    StoreUnavailable: HttpError(503, "store_unavailable", retry_after=2, hint="retry the same request"),
    SecretsUnavailable: HttpError(503, "secrets_unavailable", retry_after=2),
}


def fields_of(exc: Exception) -> dict[str, list[str]]:
    """Which request fields an error concerns, in words (inputs are never echoed back)."""
    if isinstance(exc, VersionConflict):
        return {"version": [f"the stored version is {exc.current_version}; read it again and re-apply the change"]}
    if isinstance(exc, NumberTaken):
        return {"phone_numbers": [f"{exc.number} belongs to another tenant"]}
    if isinstance(exc, InvalidItem):
        return {exc.sort_key: exc.problems}
    if isinstance(exc, InvalidDomains):
        return {"allowed_domains": [f"{entry!r}: {reason}" for entry, reason in exc.problems.items()]}
    fields = getattr(exc, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


def response_for(exc: Exception, names: Mapping[str, str]) -> Response[dict[str, Any]]:
    rule = next((ERRORS[cls] for cls in type(exc).__mro__ if cls in ERRORS), None)
    if rule is None:
        logger.exception("unexpected provisioning error")
        return error_response(500, "internal_error", "unexpected error; see the function's logs")
    message = str(getattr(exc, "message", None) or exc)
    if rule.hint:
        message = f"{message}; {rule.hint.format_map(names)}"
    code = rule.code or str(getattr(exc, "code", "error"))
    return error_response(rule.status, code, message, fields_of(exc), retry_after=rule.retry_after)


def validation_error(errors: list[Any]) -> Response[dict[str, Any]]:
    """pydantic errors as {"field.path": [sentences]}, in words (common/validation.py); inputs are never echoed."""
    return invalid_request(400, "validation_error", explain(errors))
