"""boto3 clients built lazily with explicit timeouts and retry limits.

Every client a function uses comes from here, so the time a call can take is decided in one place.
`AWS_ENDPOINT_URL` (read by boto3 itself) points them at the local moto server in `make run`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from functions.common.errors import (
    ConditionFailed,
    SecretNotFound,
    SecretsUnavailable,
    StoreUnavailable,
    TransactionCancelled,
)

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


_session_lock = threading.Lock()
_session: Any = None


def shared_session() -> Any:
    """One boto3 session per process: each new session loads the service models again (about 100 ms a client
    on a cold start); one session shares what it has loaded."""
    global _session
    with _session_lock:
        if _session is None:
            import boto3

            _session = boto3.session.Session()
        return _session


def make_client(service: str, config: Config) -> Any:
    """A new client for `service`; callers cache it (a client is thread safe, building one is not cheap)."""
    session = shared_session()
    with _session_lock:  # a session is not thread safe: clients are built one at a time
        return session.client(service, config=config)


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


def is_aws_error(error: BaseException) -> bool:
    """Whether botocore raised `error` (a ClientError from AWS, or a BotoCoreError on the way there)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(error, ClientError | BotoCoreError)


@contextmanager
def store_errors(operation: str = "DynamoDB call") -> Iterator[None]:
    """The one place botocore exceptions are caught. Throttling, timeouts, connection and permission
    errors become StoreUnavailable naming the operation and the error code (never an item's values); a
    failed condition becomes ConditionFailed and a cancelled transaction TransactionCancelled (with its
    reasons), so adapters can tell "someone else wrote first" from "DynamoDB failed"."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        message = f"{operation} failed: {code}{_HINTS.get(code, '')}"
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(message) from exc
        if code == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons") or []
            raise TransactionCancelled(message, [str(reason.get("Code", "None")) for reason in reasons]) from exc
        raise StoreUnavailable(message) from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(f"{operation} failed: {type(exc).__name__}") from exc


@contextmanager
def secret_errors(name: str, action: str = "read") -> Iterator[None]:
    """Secrets Manager's errors as SecretsUnavailable (SecretNotFound when there is no such secret), naming the
    secret and the error code, never a value."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        unavailable = SecretNotFound if code == "ResourceNotFoundException" else SecretsUnavailable
        raise unavailable(f"cannot {action} secret {name}: {code}") from None
