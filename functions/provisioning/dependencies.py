"""The provisioning API's composition root: settings, AWS clients, the ThunderPhone API, the stores
(key records, webhook routes, signing secrets) and the tenant user directory, built once per container
(lazily) from the environment."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from functions.common.aws import client_config, make_client
from functions.common.clock import utc_now
from functions.common.dependencies import Dependencies
from functions.provisioning.adapters import CognitoTenantDirectory, DynamoKeyStore, SecretsManagerSigningSecrets
from functions.provisioning.errors import NotConfigured
from functions.provisioning.models import ProvisioningSettings
from functions.provisioning.service.key_creation import KeyDeps
from functions.provisioning.service.webhook_endpoint import EndpointDeps
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore
from functions.thunderphone.credentials import authenticated_api
from functions.thunderphone.resources import ThunderPhoneKeys
from functions.webhook_routes.repository import RouteRepository


class ProvisioningDependencies(Dependencies[ProvisioningSettings]):
    @cached_property
    def dynamodb(self) -> Any:
        return make_client("dynamodb", client_config(connect_timeout_s=1.0, read_timeout_s=3.0, max_attempts=3))

    @cached_property
    def secretsmanager(self) -> Any:
        return make_client("secretsmanager", client_config(connect_timeout_s=1.0, read_timeout_s=3.0, max_attempts=3))

    @cached_property
    def cognito(self) -> Any:
        return make_client("cognito-idp", client_config(connect_timeout_s=1.0, read_timeout_s=5.0, max_attempts=3))

    @cached_property
    def tenant_directory(self) -> CognitoTenantDirectory:
        """The tenant user pool; NotConfigured (503) when this deployment has none configured."""
        pool_id = self.settings.TENANT_USER_POOL_ID
        if not pool_id:
            raise NotConfigured(
                "tenant admins are not configured here: set TENANT_USER_POOL_ID on the provisioning function "
                "to the stack's TenantUserPoolId output"
            )
        return CognitoTenantDirectory(self.cognito, pool_id)

    @cached_property
    def thunderphone(self) -> ThunderPhoneKeys:
        settings = self.settings
        api, key = authenticated_api(
            self.secretsmanager,
            settings.THUNDERPHONE_API_KEY_SECRET_NAME,
            base_url=settings.THUNDERPHONE_API_BASE,
            timeout_s=settings.THUNDERPHONE_TIMEOUT_MS / 1000,
            max_retries=settings.THUNDERPHONE_MAX_RETRIES,
            key_max_age_s=settings.API_KEY_CACHE_SECONDS,
        )
        return ThunderPhoneKeys(api, refresh_key=key.refresh)

    @cached_property
    def key_store(self) -> DynamoKeyStore:
        return DynamoKeyStore(self.dynamodb, self.settings.TABLE_NAME)

    @cached_property
    def routes(self) -> RouteRepository:
        return RouteRepository(self.dynamodb, self.settings.TABLE_NAME)

    @cached_property
    def signing_secrets(self) -> SecretsManagerSigningSecrets:
        return SecretsManagerSigningSecrets(self.secretsmanager, self.settings.SIGNING_SECRET_NAME)

    def config_store(self, actor: str) -> ConfigStore:
        """Per request: history items record who made each change."""
        return ConfigStore(self.dynamodb, self.settings.TABLE_NAME, actor=actor, writer="operator")

    def drafts(self, actor: str) -> Drafts:
        return Drafts(self.config_store(actor), self.dynamodb, self.settings.TABLE_NAME, actor)

    def keys(self, actor: str) -> KeyDeps:
        settings = self.settings
        return KeyDeps(
            config=self.config_store(actor),
            keys=self.key_store,
            api=self.thunderphone,
            routes=self.routes,
            clock=utc_now,
            lease_seconds=settings.KEY_CREATE_LEASE_SECONDS,
            remember_seconds=settings.IDEMPOTENCY_TTL_HOURS * 3600,
            cdn_version=settings.WIDGET_CDN_VERSION,
        )

    def endpoint(self) -> EndpointDeps:
        return EndpointDeps(
            api=self.thunderphone,
            signing=self.signing_secrets,
            routes=self.routes,
            clock=utc_now,
            signing_secret_name=self.settings.SIGNING_SECRET_NAME,
        )


deps = ProvisioningDependencies(ProvisioningSettings)
