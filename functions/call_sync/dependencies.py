"""The backfill's composition root: settings, the calls table, the operator's number claims and
ThunderPhone's calls API, built once per container (lazily) from the environment."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Any

from functions.billing.meter import build_meter
from functions.call_sync import service
from functions.call_sync.adapters import DynamoOutcomeStore
from functions.call_sync.models import CallSyncSettings
from functions.common.aws import client_config, make_client
from functions.common.clock import utc_now
from functions.common.dependencies import Dependencies
from functions.outcomes.directory import ConfigDirectory
from functions.thunderphone.credentials import calls_api
from functions.thunderphone.resources import ThunderPhoneCalls

OWNERS_TTL_S = 300  # a run reads each number's claim once


class CallSyncDependencies(Dependencies[CallSyncSettings]):
    @cached_property
    def dynamodb(self) -> Any:
        return make_client("dynamodb", client_config(connect_timeout_s=2, read_timeout_s=5, max_attempts=4))

    @cached_property
    def owners(self) -> ConfigDirectory:
        return ConfigDirectory(self.dynamodb, self.settings.TABLE_NAME, ttl_seconds=OWNERS_TTL_S, max_entries=1000)

    @cached_property
    def store(self) -> DynamoOutcomeStore:
        settings = self.settings
        return DynamoOutcomeStore(
            self.dynamodb,
            settings.CALLS_TABLE_NAME,
            ttl_days=settings.DECISION_TTL_DAYS,
            clock=utc_now,
            usage=build_meter(
                self.dynamodb,
                lambda: make_client("events", client_config(connect_timeout_s=2, read_timeout_s=5, max_attempts=3)),
                settings,
                config_table=settings.TABLE_NAME,
                calls_table=settings.CALLS_TABLE_NAME,
            ),
        )

    @cached_property
    def source(self) -> ThunderPhoneCalls:
        settings = self.settings
        secretsmanager = make_client(
            "secretsmanager", client_config(connect_timeout_s=2, read_timeout_s=5, max_attempts=3)
        )
        return calls_api(
            secretsmanager,
            settings.THUNDERPHONE_API_KEY_SECRET_NAME,
            base_url=settings.THUNDERPHONE_API_BASE,
            timeout_s=settings.THUNDERPHONE_TIMEOUT_S,
            max_retries=settings.THUNDERPHONE_MAX_RETRIES,
        )

    @cached_property
    def schedule(self) -> service.Schedule:
        settings = self.settings
        return service.Schedule(
            directions=settings.directions,
            lookback=timedelta(hours=settings.SYNC_LOOKBACK_HOURS),
            settle=timedelta(minutes=settings.SYNC_SETTLE_MINUTES),
            overlap=timedelta(minutes=settings.SYNC_OVERLAP_MINUTES),
        )


deps = CallSyncDependencies(CallSyncSettings)
