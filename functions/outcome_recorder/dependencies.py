"""The outcome recorder's composition root: settings, the calls table, the configuration it reads and the
quarantine queue, built once per container (lazily) from the environment."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from functions.calls.repository import CallRepository
from functions.common.aws import client_config, make_client
from functions.common.dependencies import Dependencies
from functions.outcome_recorder.adapters import ConfigDirectory
from functions.outcome_recorder.models import OutcomeRecorderSettings
from functions.outcomes.queue import SqsOutcomeQueue

# Off any caller's path: patient clients with retries (SQS redelivers whatever still fails).
_CONNECT_TIMEOUT_S, _READ_TIMEOUT_S, _MAX_ATTEMPTS = 2.0, 5.0, 5


class OutcomeRecorderDependencies(Dependencies[OutcomeRecorderSettings]):
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
        return CallRepository(self.dynamodb, settings.CALLS_TABLE_NAME, ttl_days=settings.DECISION_TTL_DAYS)

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
    def quarantine(self) -> SqsOutcomeQueue:
        return SqsOutcomeQueue(lambda: self._client("sqs"), self.settings.OUTCOME_QUARANTINE_QUEUE_URL)


deps = OutcomeRecorderDependencies(OutcomeRecorderSettings)
