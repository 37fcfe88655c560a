"""Lambda entry point for the admin API: `functions.provisioning.handler.lambda_handler`.

Routes (API Gateway HTTP API, payload v2; IAM-authorised in AWS, so this function trusts API Gateway):
    POST   /admin/tenants                                   create a tenant and its default profile
    GET    /admin/tenants                                   list tenants
    GET    /admin/tenants/{tenant_id}                       a tenant and its default profile
    PATCH  /admin/tenants/{tenant_id}                       update / suspend / activate (optimistic `version`)
    POST   /admin/tenants/{tenant_id}/keys                  create a publishable key (Idempotency-Key header)
    GET    /admin/tenants/{tenant_id}/keys                  list the tenant's keys
    GET    /admin/tenants/{tenant_id}/keys/{key_id}         one key with its embed snippets
    PATCH  /admin/tenants/{tenant_id}/keys/{key_id}         name, allowed_domains, is_enabled
    DELETE /admin/tenants/{tenant_id}/keys/{key_id}         deactivate (permanent)
    POST   /admin/tenants/{tenant_id}/keys/{key_id}/rotate  new key first, then the old one is deactivated
    POST   /admin/webhook-endpoint                          register the org-level webhook endpoint

Errors are `{"error": code, "message": text, "fields": {...}}`, mapped from domain errors in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common.aws import client_config, make_client
from functions.common.config_store import ConfigStore, ItemNotFound, NumberTaken, VersionConflict, utc_now
from functions.common.errors import SecretsUnavailable, StoreUnavailable
from functions.common.items import InvalidItem
from functions.common.observability import logger, metrics, tracer
from functions.common.settings import load_settings
from functions.common.thunderphone_api import (
    ThunderPhoneApi,
    ThunderPhoneAuthError,
    ThunderPhoneBadRequest,
    ThunderPhoneError,
    ThunderPhoneNotFound,
    ThunderPhonePaymentRequired,
    ThunderPhoneUnavailable,
)
from functions.provisioning import service
from functions.provisioning.adapters import (
    DynamoKeyStore,
    SecretsManagerApiKey,
    SecretsManagerSigningSecrets,
    ThunderPhoneKeys,
)
from functions.provisioning.domains import InvalidDomains
from functions.provisioning.errors import AlreadyExists, Conflict, NotFound, ProvisioningError, RequestInProgress
from functions.provisioning.models import (
    CreateKeyRequest,
    CreateTenantRequest,
    KeyList,
    KeyView,
    ProvisioningSettings,
    RotateKeyRequest,
    TenantList,
    TenantView,
    UpdateKeyRequest,
    UpdateTenantRequest,
    WebhookEndpointRequest,
    WebhookEndpointView,
)

app = APIGatewayHttpResolver(enable_validation=True)

TenantIdPath = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
KeyIdPath = Annotated[int, Path(ge=1)]
IdempotencyKey = Annotated[
    str | None, Header(alias="idempotency-key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]
_WITHOUT_SECRETS = re.compile(r"\b(sk_live_|whsec_)\S+")


# ---------------------------------------------------------------- composition root


@cache
def get_settings() -> ProvisioningSettings:
    return load_settings(ProvisioningSettings)


def _aws_config() -> Any:
    return client_config(connect_timeout_s=1.0, read_timeout_s=3.0, max_attempts=3)


@cache
def get_dynamodb() -> Any:
    return make_client("dynamodb", _aws_config())


@cache
def get_secretsmanager() -> Any:
    return make_client("secretsmanager", _aws_config())


@cache
def get_api_key() -> SecretsManagerApiKey:
    settings = get_settings()
    return SecretsManagerApiKey(
        get_secretsmanager(), settings.THUNDERPHONE_API_KEY_SECRET_NAME, max_age_s=settings.API_KEY_CACHE_SECONDS
    )


@cache
def get_thunderphone() -> ThunderPhoneKeys:
    settings = get_settings()
    api_key = get_api_key()
    api = ThunderPhoneApi(
        settings.THUNDERPHONE_API_BASE,
        api_key,
        timeout_s=settings.THUNDERPHONE_TIMEOUT_MS / 1000,
        max_retries=settings.THUNDERPHONE_MAX_RETRIES,
    )
    return ThunderPhoneKeys(api, refresh_key=api_key.refresh)


@cache
def get_key_store() -> DynamoKeyStore:
    return DynamoKeyStore(get_dynamodb(), get_settings().TABLE_NAME)


@cache
def get_signing_secrets() -> SecretsManagerSigningSecrets:
    return SecretsManagerSigningSecrets(get_secretsmanager(), get_settings().SIGNING_SECRET_NAME)


def config_store() -> ConfigStore:
    """Per request: history items record who made each change."""
    return ConfigStore(get_dynamodb(), get_settings().TABLE_NAME, actor=actor())


def key_deps() -> service.KeyDeps:
    settings = get_settings()
    return service.KeyDeps(
        config=config_store(),
        keys=get_key_store(),
        api=get_thunderphone(),
        clock=utc_now,
        lease_seconds=settings.KEY_CREATE_LEASE_SECONDS,
        remember_seconds=settings.IDEMPOTENCY_TTL_HOURS * 3600,
        cdn_version=settings.WIDGET_CDN_VERSION,
    )


def actor() -> str:
    """Who is calling: the IAM principal API Gateway authorised (SigV4), else this API's name."""
    context = app.current_event.raw_event.get("requestContext") or {}
    iam = (context.get("authorizer") or {}).get("iam") or {}
    return str(iam.get("userArn") or iam.get("callerId") or "provisioning-api")[:256]


def webhook_base() -> str:
    """WEBHOOK_BASE_URL, else this API's own URL (domain + stage path unless the stage is `$default`).
    With a custom domain and API mapping, set WEBHOOK_BASE_URL: the mapping path is not in the event."""
    configured = get_settings().WEBHOOK_BASE_URL
    if configured:
        return configured.rstrip("/")
    event = app.current_event.raw_event
    context = event.get("requestContext") or {}
    domain = context.get("domainName")
    if not domain:
        raise ProvisioningError("cannot tell this API's public URL; set WEBHOOK_BASE_URL")
    headers = {str(key).lower(): value for key, value in (event.get("headers") or {}).items()}
    scheme = str(headers.get("x-forwarded-proto") or "https").split(",")[0].strip()
    stage = context.get("stage")
    return f"{scheme}://{domain}" + (f"/{stage}" if stage and stage != "$default" else "")


# ---------------------------------------------------------------- tenants


@app.post("/admin/tenants")
def create_tenant(body: CreateTenantRequest) -> Response[TenantView]:
    view = service.create_tenant(body, config=config_store())
    logger.info("tenant created", extra={"tenant_id": body.tenant_id, "actor": actor()})
    return Response(status_code=201, content_type="application/json", body=view)


@app.get("/admin/tenants")
def list_tenants() -> TenantList:
    return service.list_tenants(config=config_store())


@app.get("/admin/tenants/<tenant_id>")
def get_tenant(tenant_id: TenantIdPath) -> TenantView:
    return service.get_tenant(tenant_id, config=config_store())


@app.patch("/admin/tenants/<tenant_id>")
def update_tenant(tenant_id: TenantIdPath, body: UpdateTenantRequest) -> TenantView:
    view = service.update_tenant(tenant_id, body, config=config_store())
    logger.info("tenant updated", extra={"tenant_id": tenant_id, "fields": sorted(body.changes()), "actor": actor()})
    return view


# ---------------------------------------------------------------- keys


@app.post("/admin/tenants/<tenant_id>/keys")
def create_key(
    tenant_id: TenantIdPath, body: CreateKeyRequest, idempotency_key: IdempotencyKey = None
) -> Response[KeyView]:
    view, made = service.create_key(
        tenant_id, body, idempotency_key=idempotency_key, webhook_base=webhook_base(), deps=key_deps()
    )
    return Response(status_code=201 if made else 200, content_type="application/json", body=view)


@app.get("/admin/tenants/<tenant_id>/keys")
def list_keys(tenant_id: TenantIdPath) -> KeyList:
    return service.list_keys(tenant_id, deps=key_deps())


@app.get("/admin/tenants/<tenant_id>/keys/<key_id>")
def get_key(tenant_id: TenantIdPath, key_id: KeyIdPath) -> KeyView:
    return service.get_key(tenant_id, key_id, deps=key_deps())


@app.patch("/admin/tenants/<tenant_id>/keys/<key_id>")
def update_key(tenant_id: TenantIdPath, key_id: KeyIdPath, body: UpdateKeyRequest) -> KeyView:
    return service.update_key(tenant_id, key_id, body, deps=key_deps())


@app.delete("/admin/tenants/<tenant_id>/keys/<key_id>")
def deactivate_key(tenant_id: TenantIdPath, key_id: KeyIdPath) -> KeyView:
    return service.deactivate_key(tenant_id, key_id, deps=key_deps())


@app.post("/admin/tenants/<tenant_id>/keys/<key_id>/rotate")
def rotate_key(
    tenant_id: TenantIdPath,
    key_id: KeyIdPath,
    body: RotateKeyRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[KeyView]:
    view, made = service.rotate_key(
        tenant_id, key_id, body or RotateKeyRequest(), idempotency_key=idempotency_key, deps=key_deps()
    )
    return Response(status_code=201 if made else 200, content_type="application/json", body=view)


# ---------------------------------------------------------------- org-level webhook endpoint


@app.post("/admin/webhook-endpoint")
def register_webhook_endpoint(body: WebhookEndpointRequest | None = None) -> Response[WebhookEndpointView]:
    view = service.register_webhook_endpoint(
        body or WebhookEndpointRequest(),
        webhook_base=webhook_base(),
        api=get_thunderphone(),
        signing=get_signing_secrets(),
        signing_secret_name=get_settings().SIGNING_SECRET_NAME,
    )
    return Response(status_code=201 if view.created else 200, content_type="application/json", body=view)


# ---------------------------------------------------------------- errors, mapped once

ErrorMapper = TypeVar("ErrorMapper", bound=Callable[..., Response[dict[str, Any]]])


def maps(exc_class: type[Exception]) -> Callable[[ErrorMapper], ErrorMapper]:
    """`app.exception_handler`, typed (Powertools' decorator is not annotated)."""

    def register(func: ErrorMapper) -> ErrorMapper:
        app.exception_handler(exc_class)(func)
        return func

    return register


def error(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    *,
    retry_after: int | None = None,
) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = {"error": code, "message": _WITHOUT_SECRETS.sub("[redacted]", message), "fields": fields or {}}
    if status >= 500:
        logger.warning("admin request failed", extra={"status": status, "error": code})
    return Response(status_code=status, content_type="application/json", body=body, headers=headers)


def _fields_of(errors: list[Any]) -> dict[str, list[str]]:
    """pydantic errors as {"field.path": [messages]}; inputs are never echoed back."""
    fields: dict[str, list[str]] = {}
    for entry in errors:
        location = [str(part) for part in entry.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:] or location
        fields.setdefault(".".join(location) or "(request)", []).append(str(entry.get("msg", "invalid")))
    return fields


@maps(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
    return _validation_error(_fields_of(list(exc.errors())))


@maps(ValidationError)
def _invalid_model(exc: ValidationError) -> Response[dict[str, Any]]:
    return _validation_error(_fields_of(list(exc.errors())))


def _validation_error(fields: dict[str, list[str]]) -> Response[dict[str, Any]]:
    problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
    return error(400, "validation_error", f"the request is invalid: {problems}", fields)


@maps(InvalidDomains)
def _invalid_domains(exc: InvalidDomains) -> Response[dict[str, Any]]:
    fields = {"allowed_domains": [f"{entry!r}: {reason}" for entry, reason in exc.problems.items()]}
    return error(400, "invalid_domains", str(exc), fields)


@maps(ProvisioningError)
def _domain_error(exc: ProvisioningError) -> Response[dict[str, Any]]:
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, AlreadyExists | Conflict) else 500
    if isinstance(exc, RequestInProgress):
        return error(409, exc.code, exc.message, exc.fields, retry_after=2)
    return error(status, exc.code, exc.message, exc.fields)


@maps(VersionConflict)
def _version_conflict(exc: VersionConflict) -> Response[dict[str, Any]]:
    fields = {"version": [f"the stored version is {exc.current_version}; read it again and re-apply the change"]}
    return error(409, "version_conflict", str(exc), fields)


@maps(NumberTaken)
def _number_taken(exc: NumberTaken) -> Response[dict[str, Any]]:
    return error(409, "number_taken", str(exc), {"phone_numbers": [f"{exc.number} belongs to another tenant"]})


@maps(ItemNotFound)
def _item_not_found(exc: ItemNotFound) -> Response[dict[str, Any]]:
    return error(404, "not_found", str(exc))


@maps(InvalidItem)
def _invalid_item(exc: InvalidItem) -> Response[dict[str, Any]]:
    return error(409, "invalid_stored_item", f"{exc}; fix the stored item first", {exc.sort_key: exc.problems})


@maps(ThunderPhoneBadRequest)
def _thunderphone_rejected(exc: ThunderPhoneBadRequest) -> Response[dict[str, Any]]:
    return error(400, "thunderphone_rejected", exc.message, exc.fields)


@maps(ThunderPhoneAuthError)
def _thunderphone_auth(exc: ThunderPhoneAuthError) -> Response[dict[str, Any]]:
    message = f"{exc.message}; check the key in secret {get_settings().THUNDERPHONE_API_KEY_SECRET_NAME}"
    return error(502, "thunderphone_auth", message)


@maps(ThunderPhonePaymentRequired)
def _thunderphone_payment(exc: ThunderPhonePaymentRequired) -> Response[dict[str, Any]]:
    return error(402, "thunderphone_payment_required", exc.message)


@maps(ThunderPhoneNotFound)
def _thunderphone_not_found(exc: ThunderPhoneNotFound) -> Response[dict[str, Any]]:
    return error(404, "thunderphone_not_found", exc.message)


@maps(ThunderPhoneUnavailable)
def _thunderphone_unavailable(exc: ThunderPhoneUnavailable) -> Response[dict[str, Any]]:
    message = f"{exc.message}; retry the same request (it never creates a second key)"
    return error(503, "thunderphone_unavailable", message, retry_after=5)


@maps(ThunderPhoneError)
def _thunderphone_error(exc: ThunderPhoneError) -> Response[dict[str, Any]]:
    return error(502, exc.code, exc.message)


@maps(StoreUnavailable)
def _store_unavailable(exc: StoreUnavailable) -> Response[dict[str, Any]]:
    return error(503, "store_unavailable", f"{exc}; retry the same request", retry_after=2)


@maps(SecretsUnavailable)
def _secrets_unavailable(exc: SecretsUnavailable) -> Response[dict[str, Any]]:
    return error(503, "secrets_unavailable", str(exc), retry_after=2)


@app.not_found
def _no_route(exc: Exception) -> Response[dict[str, Any]]:
    return error(404, "not_found", "no such admin route")


@maps(Exception)
def _unexpected(exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unexpected provisioning error")
    return error(500, "internal_error", "unexpected error; see the function's logs")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
