"""The provisioning API's domain errors; the handler maps each to an HTTP status once."""

from __future__ import annotations


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
