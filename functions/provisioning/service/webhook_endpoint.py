"""The org-level webhook endpoint: registered once per deployment at ThunderPhone, its one-time secret
kept beside the other valid signing secrets."""

from __future__ import annotations

import contextlib

from functions.common.observability import logger
from functions.provisioning.models import WebhookEndpointRequest, WebhookEndpointView
from functions.provisioning.ports import KeyApi, SigningSecrets
from functions.thunderphone.client import ThunderPhoneError, ThunderPhoneNotFound
from functions.thunderphone.objects import RemoteEndpoint


def register_webhook_endpoint(
    request: WebhookEndpointRequest,
    *,
    webhook_base: str,
    api: KeyApi,
    signing: SigningSecrets,
    signing_secret_name: str,
) -> WebhookEndpointView:
    """Register ThunderPhone's org-level endpoint for this deployment and keep its one-time secret.

    Idempotent: an endpoint for the URL whose secret we hold (ThunderPhone's `secret_hint` shows the
    last 6 characters) is kept, only its events/label are brought up to date. Otherwise a new endpoint
    is made, its secret is put first in the signing-secrets secret beside every current one, and only
    then are the old endpoints for the URL removed (their secrets stay valid).
    """
    url = request.url or f"{webhook_base.rstrip('/')}/webhooks"
    current = [endpoint for endpoint in api.list_endpoints() if endpoint.url == url]
    stored = tuple(signing.read())
    known = [endpoint for endpoint in current if _secret_known(endpoint, stored)]
    if known and not request.rotate_secret:
        endpoint = known[0]
        if sorted(endpoint.events) != sorted(request.events) or endpoint.label != request.label:
            endpoint = api.update_endpoint(endpoint.id, {"label": request.label, "events": list(request.events)})
        return WebhookEndpointView(
            endpoint=endpoint, created=False, signing_secret_name=signing_secret_name, valid_signing_secrets=len(stored)
        )
    created = api.create_endpoint({"label": request.label, "url": url, "events": list(request.events)})
    secrets = (created.secret, *(secret for secret in stored if secret != created.secret))
    try:
        signing.write(secrets)
    except Exception:
        # Without its secret the new endpoint is useless: remove it so a retry starts clean.
        try:
            api.delete_endpoint(created.id)
        except ThunderPhoneError:
            logger.exception("could not remove the endpoint whose secret was not stored", extra={"id": created.id})
        raise
    removed: list[str] = []
    for old in current:
        with contextlib.suppress(ThunderPhoneNotFound):
            api.delete_endpoint(old.id)
        removed.append(old.id)
    public = RemoteEndpoint.model_validate(created.model_dump(exclude={"secret"}))
    logger.info("webhook endpoint registered", extra={"endpoint_id": created.id, "removed": removed})
    return WebhookEndpointView(
        endpoint=public,
        created=True,
        removed_endpoint_ids=removed,
        signing_secret_name=signing_secret_name,
        valid_signing_secrets=len(secrets),
    )


def _secret_known(endpoint: RemoteEndpoint, stored: tuple[str, ...]) -> bool:
    hint = (endpoint.secret_hint or "").rstrip()
    tail = hint[-6:]
    if len(tail) < 6 or "…" in tail or "." in tail:
        return False
    return any(secret.endswith(tail) for secret in stored)
