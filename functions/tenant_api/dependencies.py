"""The tenant API's composition root: settings and clients once per container; per request, the editor,
drafts, previewer and calls reader of the caller's tenant (and only that tenant)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from functions.calls.read_model import CallsReader
from functions.common.aws import client_config, make_client
from functions.common.dependencies import Dependencies
from functions.tenant_api.models import TenantApiSettings
from functions.tenant_api.principal import Principal
from functions.tenant_api.service.editing import Editor
from functions.tenant_api.service.preview import Previewer
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore


class TenantApiDependencies(Dependencies[TenantApiSettings]):
    @cached_property
    def dynamodb(self) -> Any:
        return make_client("dynamodb", client_config(connect_timeout_s=1.0, read_timeout_s=3.0, max_attempts=3))

    def store(self, principal: Principal) -> ConfigStore:
        return ConfigStore(self.dynamodb, self.settings.TABLE_NAME, actor=principal.actor, writer="tenant")

    def drafts(self, principal: Principal) -> Drafts:
        return Drafts(self.store(principal), self.dynamodb, self.settings.TABLE_NAME, principal.actor)

    def editor(self, principal: Principal) -> Editor:
        return Editor(principal.tenant_id, self.store(principal), self.drafts(principal))

    def calls(self) -> CallsReader:
        """The calls table, read one tenant at a time (CallsReader.tenant_calls: a Query on its partition)."""
        return CallsReader(self.dynamodb, self.settings.CALLS_TABLE_NAME)

    def previewer(self, principal: Principal) -> Previewer:
        return Previewer(
            principal.tenant_id,
            self.store(principal),
            self.drafts(principal),
            self.calls(),
            self.settings.MAX_PROMPT_CHARS,
        )


deps = TenantApiDependencies(TenantApiSettings)
