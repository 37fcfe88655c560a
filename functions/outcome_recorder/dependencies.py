"""The outcome recorder's composition root: settings, the calls table (and its contested calls), the
configuration it reads, the quarantine queue and ThunderPhone's calls API, built once per container (lazily)
from the environment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

from functions.billing.meter import UsageMeter, build_meter
from functions.calls.repository import CallRepository
from functions.common.aws import client_config, make_client
from functions.common.clock import utc_now
from functions.common.dependencies import Dependencies
from functions.outcome_recorder.models import OutcomeRecorderSettings
from functions.outcomes.call_lookup import CachedCallLookup
from functions.outcomes.contested import ContestedCalls
from functions.outcomes.directory import ConfigDirectory
from functions.outcomes.queue import SqsOutcomeQueue
from functions.thunderphone.credentials import calls_api

# Off any caller's path: patient clients with retries (SQS redelivers whatever still fails).
_CONNECT_TIMEOUT_S, _READ_TIMEOUT_S, _MAX_ATTEMPTS = 2.0, 5.0, 5


class OutcomeRecorderDependencies(Dependencies[OutcomeRecorderSettings]):
    @cached_property
    def clock(self) -> Callable[[], datetime]:
        """What time it is: how old a call is decides whether its decisions have all arrived (tests move it)."""
        return utc_now

    @staticmethod
    def _client(service: str) -> Any:
        config = client_config(
            connect_timeout_s=_CONNECT_TIMEOUT_S, read_timeout_s=_READ_TIMEOUT_S, max_attempts=_MAX_ATTEMPTS
        )
        return make_client(service, config)

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def calls(self) -> CallRepository:
        settings = self.settings
        return CallRepository(
            self.dynamodb, settings.CALLS_TABLE_NAME, ttl_days=settings.DECISION_TTL_DAYS, usage=self.meter
        )

    @cached_property
    def meter(self) -> UsageMeter:
        """Counts each stored completion into its tenant's month (functions/billing/meter.py)."""
        settings = self.settings
        return build_meter(
            self.dynamodb,
            lambda: self._client("events"),
            settings,
            config_table=settings.TABLE_NAME,
            calls_table=settings.CALLS_TABLE_NAME,
            clock=self.clock,
        )

    @cached_property
    def directory(self) -> ConfigDirectory:
        settings = self.settings
        return ConfigDirectory(
            self.dynamodb,
            settings.TABLE_NAME,
            ttl_seconds=settings.CACHE_TTL_SECONDS,
            max_entries=settings.CACHE_MAX_ENTRIES,
        )

    @cached_property
    def contested(self) -> ContestedCalls:
        settings = self.settings
        return ContestedCalls(self.dynamodb, settings.CALLS_TABLE_NAME, ttl_days=settings.DECISION_TTL_DAYS)

    @cached_property
    def thunderphone(self) -> CachedCallLookup | None:
        """None when no API key secret is configured (models.py says what that costs); cached per call id."""
        settings = self.settings
        if not settings.THUNDERPHONE_API_KEY_SECRET_NAME:
            return None
        api = calls_api(
            self._client("secretsmanager"),
            settings.THUNDERPHONE_API_KEY_SECRET_NAME,
            base_url=settings.THUNDERPHONE_API_BASE,
            timeout_s=settings.THUNDERPHONE_TIMEOUT_S,
            max_retries=settings.THUNDERPHONE_MAX_RETRIES,
        )
        return CachedCallLookup(api, ttl_seconds=settings.CACHE_TTL_SECONDS, max_entries=settings.CACHE_MAX_ENTRIES)

    @cached_property
    def quarantine(self) -> SqsOutcomeQueue:
        return SqsOutcomeQueue(lambda: self._client("sqs"), self.settings.OUTCOME_QUARANTINE_QUEUE_URL)


deps = OutcomeRecorderDependencies(OutcomeRecorderSettings)
