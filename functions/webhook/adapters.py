"""DynamoDB and Secrets Manager behind the webhook's ports, with the caches that keep the warm path
free of AWS calls. The only module of the webhook that talks to AWS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any, TypeVar

from cachetools import TTLCache

from functions.common import dynamo, table
from functions.common.aws import error_code
from functions.common.errors import InvalidItem, SecretsUnavailable
from functions.tenant_config.items import from_item
from functions.tenant_config.live import TenantConfig, config_of
from functions.tenant_config.models import Customer
from functions.thunderphone.signing import parse_signing_secrets
from functions.webhook_routes.model import Route
from functions.webhook_routes.repository import RouteRepository

T = TypeVar("T")
_MISSING = object()


class TTLMemo:
    """A bounded, thread-safe TTL cache of loader results (None and InvalidItem included; errors never)."""

    def __init__(self, maxsize: int, ttl_seconds: float) -> None:
        self._cache: TTLCache[Any, Any] = TTLCache(maxsize=maxsize, ttl=ttl_seconds)
        self._lock = threading.Lock()

    def get(self, key: Any, loader: Callable[[], T]) -> T:
        with self._lock:
            value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            value = loader()  # outside the lock: a slow read must not stall other keys
            with self._lock:
                self._cache[key] = value
        return value  # type: ignore[no-any-return]

    def peek(self, key: Any) -> bool:
        with self._lock:
            return key in self._cache

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


class DynamoTenantStore:
    def __init__(
        self,
        client_factory: Callable[[], Any],
        table_name: str,
        *,
        ttl_seconds: float,
        max_tenants: int,
        max_customers: int,
        pool: ThreadPoolExecutor,
    ) -> None:
        self._client_factory = client_factory
        self._table = table_name
        self._pool = pool
        self._configs = TTLMemo(max_tenants, ttl_seconds)
        self._numbers = TTLMemo(max_tenants * 4, ttl_seconds)
        self._routes = TTLMemo(max_tenants * 8, ttl_seconds)
        self._customers = TTLMemo(max_customers, ttl_seconds)

    @cached_property
    def _client(self) -> Any:
        """Built on first use: a rejected request (413, 401) never pays for a client."""
        return self._client_factory()

    @cached_property
    def _route_repository(self) -> RouteRepository:
        return RouteRepository(self._client, self._table)

    def load(self, tenant_id: str, customer_id: str | None) -> tuple[TenantConfig, Customer | None]:
        if customer_id is None:
            return self._config(tenant_id), None
        if self._configs.peek(tenant_id) or self._customers.peek((tenant_id, customer_id)):
            return self._config(tenant_id), self._customer(tenant_id, customer_id)
        # Both cold: read them side by side so a miss costs one round trip of latency.
        pending = self._pool.submit(self._customer, tenant_id, customer_id)
        config = self._config(tenant_id)
        return config, pending.result()

    def route(self, route_id: str) -> Route | None:
        """Cached like the rest: a retired route stops opening anything within the cache time."""
        return self._routes.get(route_id, lambda: self._route_repository.get(route_id))

    def tenant_for_number(self, number: str) -> str | None:
        def fetch() -> str | None:
            item = dynamo.get(
                self._client, self._table, table.number_pk(number), table.NUMBER_SK, operation="read number owner"
            )
            tenant = item.get("tenant_id") if item else None
            return tenant if isinstance(tenant, str) else None

        return self._numbers.get(number, fetch)

    def _config(self, tenant_id: str) -> TenantConfig:
        return self._configs.get(tenant_id, lambda: self._read_config(tenant_id))

    def _customer(self, tenant_id: str, customer_id: str) -> Customer | None:
        value = self._customers.get((tenant_id, customer_id), lambda: self._read_customer(tenant_id, customer_id))
        if isinstance(value, InvalidItem):
            raise value
        return value

    def _read_customer(self, tenant_id: str, customer_id: str) -> Customer | InvalidItem | None:
        item = dynamo.get(
            self._client,
            self._table,
            table.tenant_pk(tenant_id),
            table.customer_sk(customer_id),
            operation="read customer",
        )
        if not item:
            return None
        try:
            return from_item(tenant_id, item, Customer)
        except InvalidItem as exc:
            return exc

    def _read_config(self, tenant_id: str) -> TenantConfig:
        """One GetItem: publishing compiled the whole configuration into the LIVE item."""
        item = dynamo.get(
            self._client, self._table, table.tenant_pk(tenant_id), table.LIVE_SK, operation="read configuration"
        )
        return config_of(tenant_id, item)


class SecretsManagerSource:
    """Signing secrets and tool credentials through Powertools' cached secrets provider."""

    REFRESH_INTERVAL_S = 10.0  # a bad signature may force a re-read at most this often

    def __init__(
        self, client_factory: Callable[[], Any], *, signing_secret_name: str, tool_secret_prefix: str, ttl_seconds: int
    ) -> None:
        self._client_factory = client_factory
        self._signing_name = signing_secret_name
        self._tool_prefix = tool_secret_prefix
        self._ttl = ttl_seconds
        self._last_refresh = 0.0
        self._lock = threading.Lock()

    @cached_property
    def _provider(self) -> Any:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=self._client_factory())

    def signing_secrets(self, *, refresh: bool = False) -> tuple[str, ...]:
        if refresh:
            with self._lock:
                now = time.monotonic()
                refresh = now - self._last_refresh >= self.REFRESH_INTERVAL_S
                if refresh:
                    self._last_refresh = now
        value = self._read(self._signing_name, refresh=refresh)
        try:
            secrets = parse_signing_secrets(value)
        except ValueError as exc:
            raise SecretsUnavailable(str(exc)) from None
        if not secrets:
            raise SecretsUnavailable("no signing secret is configured")
        return secrets

    def tool_secrets(self, tenant_id: str) -> Mapping[str, str]:
        import json

        value = self._read(self._tool_prefix + tenant_id)
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise SecretsUnavailable("tool credentials secret is not a JSON object") from None
        if not isinstance(parsed, dict):
            raise SecretsUnavailable("tool credentials secret is not a JSON object")
        return {key: item for key, item in parsed.items() if isinstance(item, str)}

    def _read(self, name: str, *, refresh: bool = False) -> str:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._provider.get(name, max_age=self._ttl, force_fetch=refresh)
        except GetParameterError as exc:
            # The message names the secret and the AWS error code only, never a value.
            raise SecretsUnavailable(f"cannot read secret {name}: {error_code(exc.__context__)}") from None
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if not isinstance(value, str):
            raise SecretsUnavailable(f"secret {name} has no string value")
        return value
