"""The decision recorder's composition root: settings and the calls table, built once per container."""

from __future__ import annotations

from functools import cached_property

from functions.calls.repository import CallRepository
from functions.common.aws import client_config, make_client
from functions.common.dependencies import Dependencies
from functions.decision_recorder.models import DecisionRecorderSettings

# Off any caller's path: patient clients with retries (Lambda retries a failed delivery twice more).
_CONNECT_TIMEOUT_S, _READ_TIMEOUT_S, _MAX_ATTEMPTS = 2.0, 5.0, 5


class DecisionRecorderDependencies(Dependencies[DecisionRecorderSettings]):
    @cached_property
    def calls(self) -> CallRepository:
        settings = self.settings
        config = client_config(
            connect_timeout_s=_CONNECT_TIMEOUT_S, read_timeout_s=_READ_TIMEOUT_S, max_attempts=_MAX_ATTEMPTS
        )
        client = make_client("dynamodb", config)
        return CallRepository(client, settings.CALLS_TABLE_NAME, ttl_days=settings.DECISION_TTL_DAYS)


deps = DecisionRecorderDependencies(DecisionRecorderSettings)
