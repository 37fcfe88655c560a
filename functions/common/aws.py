"""boto3 clients built lazily with explicit timeouts and retry limits.

Every client a function uses comes from here, so the time a call can take is decided in one place.
`AWS_ENDPOINT_URL` (read by boto3 itself) points them at the local moto server in `make run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
