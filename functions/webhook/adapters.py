"""DynamoDB and Secrets Manager behind the webhook's ports, with the caches that keep the warm path
free of AWS calls (caching.py) and the loader their reads run on (loading.py). The only module of the
webhook that talks to AWS.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar

from functions.billing.state import state_of
from functions.common import dynamo, table
from functions.common.aws import secret_errors
from functions.common.clock import MONOTONIC, Monotonic
from functions.common.errors import InvalidItem, SecretNotFound, SecretsUnavailable, StoreUnavailable
from functions.common.observability import logger
from functions.tenant_config.items import from_item
from functions.tenant_config.live import TenantConfig, config_of
from functions.tenant_config.models import Customer
from functions.thunderphone.signing import parse_signing_secrets
from functions.webhook import inline
from functions.webhook.caching import CacheFactory, Lookup, RefreshingCache
from functions.webhook.loading import FairLoader
from functions.webhook.origin import accepted_values
from functions.webhook_routes.model import Route
from functions.webhook_routes.repository import RouteRepository

T = TypeVar("T")

DEFAULT_STALE_MAX_SECONDS = 86_400.0

# Loader groups of reads that are no tenant's. A tenant's reads use its id as their group, so these are names no
# tenant id can be (like "number:{n}"): a tenant named "routes" would otherwise share its slots and queue.
ROUTES_GROUP = "#routes"  # every route read (DynamoTenantStore.route says why)
SIGNING_GROUP = "#signing-secrets"  # the one read every tenant's calls share
ORIGIN_GROUP = "#origin-secret"
INTERNAL_GROUPS = (ROUTES_GROUP, SIGNING_GROUP, ORIGIN_GROUP)


class DynamoTenantStore:
    """The tenant data the webhook reads, cached per container (caching.py) and loaded on the store's own
    loader (loading.py): tenant-fair, single-flight, off the answer pool.

    Configuration, customers, number claims and routes are all served last-known-good when a refresh fails
    (for at most `stale_max_seconds` past their TTL); a configuration or customer served that way makes the
    returned configuration `stale`, which the decision, its log and the `StaleConfigServed` metric carry. A
    stale route or number claim is served the same way, unflagged: without it no answer could be found
    during an outage, and retiring a route is a write, which an outage mostly stops too. An answer whose
    reads are all cached never waits on the loader; a miss is waited for at most `max_wait_seconds` (a little
    past the answer's budget) and then raises StoreUnavailable, so an answer thread abandoned by its budget is
    released soon after. Times are the `clock`'s (common/clock.py)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        ttl_seconds: float,
        max_tenants: int,
        max_customers: int,
        stale_max_seconds: float = DEFAULT_STALE_MAX_SECONDS,
        loader_workers: int = 8,
        loads_per_tenant: int = 2,
        max_wait_seconds: float = 10.0,
        clock: Monotonic = MONOTONIC,
    ) -> None:
        self.client = client
        self._table = table_name
        # Loads queued longer than an answer waits are run for nobody: they fail instead of taking a thread.
        self.loader = FairLoader(
            workers=loader_workers,
            per_tenant=loads_per_tenant,
            max_queue_seconds=max_wait_seconds,
            name="store-loader",
            clock=clock,
        )
        # Shared with the secrets source (dependencies.py): its caches read on this loader, by the same rules.
        self.caches = CacheFactory(self.loader, ttl_seconds, stale_max_seconds, max_wait_seconds, clock)
        cache = self.caches.new_cache
        self._configs: RefreshingCache[str, TenantConfig] = cache("configuration", max_tenants)
        self._numbers: RefreshingCache[str, str | None] = cache("number claim", max_tenants * 4)
        self._routes: RefreshingCache[str, Route | None] = cache("route", max_tenants * 8)
        self._customers: RefreshingCache[tuple[str, str], Customer | InvalidItem | None] = cache(
            "customer", max_customers
        )

    def cache_sizes(self) -> dict[str, dict[str, int]]:
        """Entries held against each cache's bound (what the load benchmark reports)."""
        caches: dict[str, RefreshingCache[Any, Any]] = {
            "configurations": self._configs,
            "numbers": self._numbers,
            "routes": self._routes,
            "customers": self._customers,
        }
        return {name: {"entries": len(cache), "bound": cache.maxsize} for name, cache in caches.items()}

    @cached_property
    def _route_repository(self) -> RouteRepository:
        return RouteRepository(self.client, self._table)

    def load(self, tenant_id: str, customer_id: str | None) -> tuple[TenantConfig, Customer | None]:
        # Both reads start before either is waited for: a cold call costs one round trip of latency.
        deadline = self.caches.deadline()
        config_read = self._configs.lookup(tenant_id, tenant_id, lambda: self._read_config(tenant_id))
        customer_read = (
            self._customers.lookup(
                (tenant_id, customer_id), tenant_id, lambda: self._read_customer(tenant_id, customer_id)
            )
            if customer_id is not None
            else None
        )
        config, stale = config_read.result(deadline)
        customer: Customer | None = None
        if customer_read is not None:
            value, customer_stale = customer_read.result(deadline)
            if isinstance(value, InvalidItem):
                raise value
            customer, stale = value, stale or customer_stale
        return (replace(config, stale=True) if stale else config), customer

    def route(self, route_id: str) -> Route | None:
        """Cached like the rest: a retired route stops opening anything within the cache time.

        Every route read is in one loader group, ROUTES_GROUP: the tenant is what a route read finds out, so
        until it is read the only group it can belong to is one for all routes. Made-up tokens (any tenant can have
        ThunderPhone sign bodies and send them anywhere) then take at most `loads_per_tenant` of the loader's
        workers and one turn in each round, like a single tenant, and every known tenant's reads go on beside
        them. (As a group each, a flood took a turn per token for every turn of a real tenant, and every worker.)
        The price is paid by routes not cached yet, which queue behind each other: a container's first calls to
        different URLs read their routes `loads_per_tenant` at a time (one GetItem each; a Lambda container
        answers one request at a time, so only the multi-threaded local front and reads outliving their answer
        ever queue there), and in a flood a URL's first call on a new container waits behind the flood's reads,
        at most its budget (then `{}`), or, once the flood fills the group's queue (the loader's `max_queued`,
        256), is refused at once (`{}` too). More slots for routes would give a flood more of the loader and real
        calls nothing they could count on."""
        value, _ = self._routes.get(
            route_id,
            ROUTES_GROUP,
            lambda: self._route_repository.get(route_id),
            deadline=self.caches.deadline(),
        )
        return value

    def tenant_for_number(self, number: str) -> str | None:
        """A group per number: claims are read only on the org-level route, which only ThunderPhone can call."""
        value, _ = self._numbers.get(
            number,
            f"number:{number}",
            lambda: dynamo.number_owner(self.client, self._table, number),
            deadline=self.caches.deadline(),
        )
        return value

    def _read_customer(self, tenant_id: str, customer_id: str) -> Customer | InvalidItem | None:
        item = _logged_read(
            tenant_id,
            "customer",
            lambda: dynamo.get(
                self.client,
                self._table,
                table.tenant_pk(tenant_id),
                table.customer_sk(customer_id),
                operation="read customer",
            ),
        )
        if not item:
            return None
        try:
            return from_item(tenant_id, item, Customer)
        except InvalidItem as exc:
            return exc  # cached as a value: the caller's calls fall back until the item is fixed

    def _read_config(self, tenant_id: str) -> TenantConfig:
        """One BatchGetItem, one round trip: the LIVE item (publishing compiled the whole configuration into it) and
        the operator's plan and the month's usage (functions/billing), cached together: a cap may lag by at most
        the cache time."""
        live, billing = _logged_read(
            tenant_id,
            "configuration",
            lambda: dynamo.get_many(
                self.client,
                self._table,
                [(table.tenant_pk(tenant_id), table.LIVE_SK), (table.billing_pk(tenant_id), table.BILLING_SK)],
                operation="read configuration",
            ),
        )
        return replace(config_of(tenant_id, live), billing=state_of(billing))


def _logged_read(tenant_id: str, what: str, read: Callable[[], T]) -> T:
    """A failed read is logged once per attempt (not per answer served from the last-known-good copy)."""
    try:
        return read()
    except StoreUnavailable as exc:
        logger.warning("tenant read failed", extra={"tenant_id": tenant_id, "item": what, "error": str(exc)})
        raise


class SecretsManagerSource:
    """Signing secrets, tool credentials and (with edge protection) the origin secret, cached like the store's
    items (caching.py) and read on the store's loader: each is refreshed ahead of expiry by one background read,
    concurrent reads of an expired one share one read, and when Secrets Manager fails the last good value is
    served for up to `stale_max_seconds` past its TTL. Stale signing secrets and tool credentials are marked
    `stale` (the answer's line says so; `StaleSecretsServed` counts it); a stale origin secret is served
    unmarked, like a stale route: it only tells whether a request came through CloudFront. Past that bound a
    read fails (`{}`, or 503 for an outcome event). A signature that fails against the cached secrets forces
    one current read (at most every REFRESH_INTERVAL_S), so a rotated secret works at once.

    Secrets Manager is called directly rather than through Powertools' secrets provider: its cache has no
    refresh ahead and no last-known-good, so it would only be a second cache in front of this one. A tenant
    with no tool-credentials secret is cached as having none (its tools that need one fall back), so a
    missing secret costs no AWS call per answer either."""

    REFRESH_INTERVAL_S = 10.0  # a bad signature may force a re-read at most this often

    def __init__(
        self,
        client: Any,
        caches: CacheFactory,
        *,
        signing_secret_name: str,
        tool_secret_prefix: str,
        max_tenants: int,
        origin_secret_name: str | None,
    ) -> None:
        self.client = client
        self._caches = caches
        self._signing_name = signing_secret_name
        self._origin_name = origin_secret_name
        self._tool_prefix = tool_secret_prefix
        self._last_forced = -self.REFRESH_INTERVAL_S
        self._lock = threading.Lock()

        def cache(name: str, maxsize: int) -> RefreshingCache[Any, Any]:
            # StoreUnavailable: the loader's own refusals
            return caches.new_cache(name, maxsize, unavailable=(SecretsUnavailable, StoreUnavailable))

        self._signing: RefreshingCache[str, tuple[str, ...]] = cache("signing secrets", 1)
        self._tools: RefreshingCache[str, Mapping[str, str]] = cache("tool credentials", max_tenants)
        self._origin: RefreshingCache[str, tuple[str, ...]] = cache("origin secret", 1)

    def signing_secrets(self, *, refresh: bool = False) -> tuple[tuple[str, ...], bool]:
        deadline = self._caches.deadline()
        name = self._signing_name
        if refresh and self._may_force():
            return _secrets_read(self._signing.reload(name, SIGNING_GROUP, self._read_signing), deadline)
        return _secrets_read(self._signing.lookup(name, SIGNING_GROUP, self._read_signing), deadline)

    def tool_secrets(self, tenant_id: str) -> tuple[Mapping[str, str], bool]:
        deadline = self._caches.deadline()
        lookup = self._tools.lookup(tenant_id, tenant_id, lambda: self._read_tool_credentials(tenant_id))
        return _secrets_read(lookup, deadline)

    def _may_force(self) -> bool:
        """Whether a forced re-read may run now (rate-limited: anyone can send a bad signature)."""
        with self._lock:
            now = self._caches.clock()
            if now - self._last_forced < self.REFRESH_INTERVAL_S:
                return False
            inline.before_waiting()  # before the rate limit is spent: the pool's run re-reads
            self._last_forced = now
            return True

    def _read_signing(self) -> tuple[str, ...]:
        try:
            secrets = parse_signing_secrets(self._read(self._signing_name))
        except ValueError as exc:
            raise SecretsUnavailable(str(exc)) from None
        if not secrets:
            raise SecretsUnavailable("no signing secret is configured")
        return secrets

    def _read_tool_credentials(self, tenant_id: str) -> Mapping[str, str]:
        try:
            value = self._read(self._tool_prefix + tenant_id)
        except SecretNotFound:
            return _NO_CREDENTIALS
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            raise SecretsUnavailable("tool credentials secret is not a JSON object")
        return MappingProxyType({key: item for key, item in parsed.items() if isinstance(item, str)})

    def origin_values(self) -> tuple[str, ...]:
        """The values CloudFront's origin header may carry (origin.py), cached and served last-known-good like the
        signing secrets; raises SecretsUnavailable. Asked only when ORIGIN_SECRET_NAME is set (handler.answer)."""
        name = self._origin_name
        assert name is not None
        deadline = self._caches.deadline()
        values, _stale = _secrets_read(
            self._origin.lookup(name, ORIGIN_GROUP, lambda: self._read_origin(name)), deadline
        )
        return values

    def _read_origin(self, name: str) -> tuple[str, ...]:
        try:
            return accepted_values(self._read(name))
        except ValueError as exc:
            raise SecretsUnavailable(str(exc)) from None

    def _read(self, name: str) -> str:
        """One GetSecretValue; a failure is logged once per read (not per answer served the last good value)."""
        try:
            with secret_errors(name):
                response = self.client.get_secret_value(SecretId=name)
        except SecretsUnavailable as exc:
            logger.warning("secret read failed", extra={"error": str(exc)})  # names the secret, never a value
            raise
        value = response.get("SecretString")
        if not isinstance(value, str):
            raise SecretsUnavailable(f"secret {name} has no string value")
        return value


_NO_CREDENTIALS: Mapping[str, str] = MappingProxyType({})


def _secrets_read(lookup: Lookup[T], deadline: float) -> tuple[T, bool]:
    """A secret's (value, stale); the loader's and the cache's refusals are SecretsUnavailable to callers."""
    try:
        return lookup.result(deadline)
    except StoreUnavailable as exc:
        raise SecretsUnavailable(str(exc)) from None
