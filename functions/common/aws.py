"""boto3 clients built lazily with explicit timeouts and retry limits.

Every client a function uses comes from here, so the time a call can take is decided in one place.
`AWS_ENDPOINT_URL` (read by boto3 itself) points them at the local moto server in `make run`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from functions.common.errors import StoreUnavailable

if TYPE_CHECKING:
    from botocore.config import Config


def client_config(*, connect_timeout_s: float, read_timeout_s: float, max_attempts: int) -> Config:
    from botocore.config import Config

    return Config(
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        tcp_keepalive=True,
    )


def make_client(service: str, config: Config) -> Any:
    """A new client for `service`; callers cache it (a client is thread safe, building one is not cheap)."""
    import boto3

    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


_HINTS = {
    "AccessDeniedException": " (a tenant admin may only touch their own tenant's items)",
    "ResourceNotFoundException": " (check the table name and the region)",
}


def error_code(error: BaseException | None) -> str:
    """The AWS error code of a ClientError ('ThrottlingException', ...), else the exception's type name."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__


@contextmanager
def store_errors(operation: str = "DynamoDB call") -> Iterator[None]:
    """The one translation of AWS errors: throttling, timeouts, connection and permission errors all
    become StoreUnavailable, naming the operation and the error code (never an item's values)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        raise StoreUnavailable(f"{operation} failed: {code}{_HINTS.get(code, '')}") from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(f"{operation} failed: {type(exc).__name__}") from exc
