"""The webhook's composition root: settings, the worker pool, the clients and the stores, built once per
container from the environment.

INIT builds the clients and adapters the first answer needs (`build_clients`; one shared botocore session,
no AWS call), so a cold answer pays only for its reads. Before a SnapStart snapshot `prime` also runs one
synthetic answer in memory (priming.py). The webhook writes no decision log itself: its answers' log lines
are the log (functions/decision_recorder/)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from functions.common.aws import client_config, make_client
from functions.common.clock import MONOTONIC, Monotonic, utc_now
from functions.common.dependencies import Dependencies
from functions.common.observability import logger
from functions.outcomes.queue import SqsOutcomeQueue
from functions.webhook.adapters import DynamoTenantStore, SecretsManagerSource
from functions.webhook.models import WebhookSettings
from functions.webhook.telemetry import parse_metric_tenants

# Answers only: store reads run on the store's own loader. In Lambda one request
# runs per container at a time; the local multi-threaded front needs room for answers waiting on a slow tenant.
WORKERS = 32

# Reads are waited for a little past the answer's budget: the budget alone ends a slow answer (`budget_exceeded`,
# never a race with the read's own limit), and the thread the read held is freed right after.
READ_WAIT_PAST_BUDGET_S = 0.1

# The outcome queue's client: at most about 3 x (0.5 + 1.5) s, well inside OUTCOME_BUDGET_MS (10 s).
OUTCOME_CONNECT_TIMEOUT_S, OUTCOME_READ_TIMEOUT_S, OUTCOME_MAX_ATTEMPTS = 0.5, 1.5, 3


class WebhookDependencies(Dependencies[WebhookSettings]):
    def __init__(self) -> None:
        super().__init__(WebhookSettings)
        # Outlives reset(): the pool holds no configuration, and tests would otherwise pile up threads.
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="webhook")
        # What budgets, cache ages and waits are measured by; tests put in one they move by hand.
        self.monotonic: Monotonic = MONOTONIC

    def _client(self, service: str) -> Any:
        """A client with the answer's time limits."""
        settings = self.settings
        config = client_config(
            connect_timeout_s=settings.AWS_CONNECT_TIMEOUT_MS / 1000,
            read_timeout_s=settings.AWS_READ_TIMEOUT_MS / 1000,
            max_attempts=settings.AWS_MAX_ATTEMPTS,
        )
        return make_client(service, config)

    @cached_property
    def now(self) -> Callable[[], datetime]:
        """When a request arrived (aware UTC): what business hours and the decision's time are read from. The local
        demo sets it to each past call's start to replay a week of calls (local/history.py); reset() restores it.
        (`monotonic`, beside it, is the clock budgets and cache ages are measured by.)"""
        return utc_now

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def secretsmanager(self) -> Any:
        return self._client("secretsmanager")

    def build_clients(self) -> bool:
        """During INIT: the clients and adapters an answer uses, so the first answer only reads. Never raises
        (broken settings are reported by every answer instead); False when something could not be built."""
        try:
            self.settings  # noqa: B018
        except ValidationError:
            return False  # every answer says why (handler.py)
        try:
            self.store  # noqa: B018 - builds it and its client
            self.secrets  # noqa: B018 - builds it and its client
        except Exception:
            logger.exception("webhook clients could not be built during INIT")
            return False
        return True

    def prime(self, *, include_outcome_queue: bool) -> None:
        """Before a SnapStart snapshot: every client, and one synthetic answer run in memory (no AWS call)."""
        from functions.webhook import priming

        if not self.build_clients():
            return
        if include_outcome_queue and self.outcome_queue is not None:
            self.outcome_queue.client  # noqa: B018 - builds it
        settings = self.settings
        priming.prime(max_body_bytes=settings.MAX_BODY_BYTES, max_prompt_chars=settings.MAX_PROMPT_CHARS)

    @cached_property
    def store(self) -> DynamoTenantStore:
        settings = self.settings
        return DynamoTenantStore(
            self.dynamodb,
            settings.TABLE_NAME,
            ttl_seconds=settings.CACHE_TTL_SECONDS,
            max_tenants=settings.CACHE_MAX_TENANTS,
            max_customers=settings.CACHE_MAX_CUSTOMERS,
            stale_max_seconds=settings.STALE_MAX_SECONDS,
            loader_workers=settings.LOADER_WORKERS,
            loads_per_tenant=settings.LOADS_PER_TENANT,
            max_wait_seconds=self._read_wait_s,
            clock=self.monotonic,
        )

    @property
    def _read_wait_s(self) -> float:
        return self.settings.BUDGET_MS / 1000 + READ_WAIT_PAST_BUDGET_S

    @cached_property
    def secrets(self) -> SecretsManagerSource:
        """Read on the store's loader, cached by the store's rules: a tenant's tool credentials count toward its share
        like its items."""
        settings = self.settings
        return SecretsManagerSource(
            self.secretsmanager,
            self.store.caches,
            signing_secret_name=settings.SIGNING_SECRET_NAME,
            tool_secret_prefix=settings.TOOL_SECRET_PREFIX,
            max_tenants=settings.CACHE_MAX_TENANTS,
            origin_secret_name=settings.ORIGIN_SECRET_NAME,
        )

    @cached_property
    def outcome_queue(self) -> SqsOutcomeQueue | None:
        """Where outcome events are made durable; None when OUTCOME_QUEUE_URL is unset (they get 503)."""
        settings = self.settings
        if not settings.OUTCOME_QUEUE_URL:
            return None
        # ThunderPhone waits 30 s for these: more patient limits than the answer's, still inside OUTCOME_BUDGET_MS.
        config = client_config(
            connect_timeout_s=OUTCOME_CONNECT_TIMEOUT_S,
            read_timeout_s=OUTCOME_READ_TIMEOUT_S,
            max_attempts=OUTCOME_MAX_ATTEMPTS,
        )
        return SqsOutcomeQueue(lambda: make_client("sqs", config), settings.OUTCOME_QUEUE_URL)

    @cached_property
    def metric_tenants(self) -> frozenset[str]:
        try:
            return parse_metric_tenants(self.settings.METRIC_TENANTS)
        except ValidationError:  # broken settings are reported by the answer path; metrics must still flush
            return frozenset()


deps = WebhookDependencies()
