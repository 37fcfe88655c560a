"""The live migration's composition root: the configuration table's store and drafts, built once per container."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from functions.common.aws import client_config, make_client
from functions.common.dependencies import Dependencies
from functions.live_migration.models import LiveMigrationSettings
from functions.live_migration.service import ACTOR
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore

# Off any caller's path, during a deploy: patient clients with retries.
_CONNECT_TIMEOUT_S, _READ_TIMEOUT_S, _MAX_ATTEMPTS = 2.0, 5.0, 5


class LiveMigrationDependencies(Dependencies[LiveMigrationSettings]):
    @cached_property
    def dynamodb(self) -> Any:
        config = client_config(
            connect_timeout_s=_CONNECT_TIMEOUT_S, read_timeout_s=_READ_TIMEOUT_S, max_attempts=_MAX_ATTEMPTS
        )
        return make_client("dynamodb", config)

    @cached_property
    def store(self) -> ConfigStore:
        return ConfigStore(self.dynamodb, self.settings.TABLE_NAME, actor=ACTOR, writer="operator")

    @cached_property
    def drafts(self) -> Drafts:
        return Drafts(self.store, self.dynamodb, self.settings.TABLE_NAME, ACTOR)


deps = LiveMigrationDependencies(LiveMigrationSettings)
