"""The org-level webhook endpoint: registered once per deployment at ThunderPhone under a capability URL,
`{base}/webhooks/{token}`, whose route (kind "org") names no tenant (the router then goes by the
operator's phone-number claims), its one-time secret kept beside the other valid signing secrets."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from functions.common.errors import StoreUnavailable
from functions.common.observability import logger
from functions.provisioning.models import WebhookEndpointRequest, WebhookEndpointView
from functions.provisioning.ports import KeyApi, RouteStore, SigningSecrets
from functions.provisioning.service.webhook_urls import retire_route
from functions.thunderphone.client import ThunderPhoneError, ThunderPhoneNotFound
from functions.thunderphone.objects import CreatedEndpoint, RemoteEndpoint
from functions.webhook_routes.model import Route, new_token, route_id, token_in, webhook_url

LEGACY_PATH = "/webhooks"  # the shared, guessable URL endpoints had before URLs were capabilities


@dataclass(frozen=True)
class EndpointDeps:
    api: KeyApi
    signing: SigningSecrets
    routes: RouteStore
    clock: Callable[[], datetime]
    signing_secret_name: str


@dataclass(frozen=True)
class _Registered:
    """An endpoint of this deployment at ThunderPhone, with the org route its URL opens (None: legacy URL)."""

    endpoint: RemoteEndpoint
    route: Route | None

    def current(self, base: str) -> bool:
        """Its URL is an open capability under `base`."""
        token = token_in(self.endpoint.url)
        return (
            token is not None
            and self.route is not None
            and self.route.active
            and self.endpoint.url == webhook_url(base, token)
        )


def register_webhook_endpoint(
    request: WebhookEndpointRequest, *, webhook_base: str, deps: EndpointDeps
) -> WebhookEndpointView:
    """Register ThunderPhone's org-level endpoint for this deployment and keep its one-time secret.

    Idempotent: an endpoint whose URL is ours under this base (its token names an active org route) and
    whose secret we hold (ThunderPhone's `secret_hint` shows the last 6 characters) is kept, only its
    events/label are brought up to date. Otherwise a new token and org route are made and an endpoint is
    registered under the token's URL; its secret is put first in the signing-secrets secret beside every
    current one, and only then are this deployment's old endpoints removed and their routes retired
    (their secrets stay valid).
    """
    base = (request.base_url or webhook_base).rstrip("/")
    registered = _registered(deps.api.list_endpoints(), base, deps.routes)
    stored = tuple(deps.signing.read())
    kept = next((r.endpoint for r in registered if r.current(base) and _secret_known(r.endpoint, stored)), None)
    if kept is not None and not request.rotate_secret:
        if sorted(kept.events) != sorted(request.events) or kept.label != request.label:
            kept = deps.api.update_endpoint(kept.id, {"label": request.label, "events": list(request.events)})
        return WebhookEndpointView(
            endpoint=kept,
            created=False,
            signing_secret_name=deps.signing_secret_name,
            valid_signing_secrets=len(stored),
        )
    created, route = _create(request, base, deps)
    secrets = (created.secret, *(secret for secret in stored if secret != created.secret))
    try:
        deps.signing.write(secrets)
    except Exception:
        # Without its secret the new endpoint is useless: remove it and close its URL so a retry starts clean.
        _undo(created.id, route.route_id, deps)
        raise
    removed: list[str] = []
    for old in registered:
        with contextlib.suppress(ThunderPhoneNotFound):
            deps.api.delete_endpoint(old.endpoint.id)
        if old.route is not None and old.route.active:
            retire_route(deps.routes, old.route.route_id, at=deps.clock())
        removed.append(old.endpoint.id)
    public = RemoteEndpoint.model_validate(created.model_dump(exclude={"secret"}))
    logger.info("webhook endpoint registered", extra={"endpoint_id": created.id, "removed": removed})
    return WebhookEndpointView(
        endpoint=public,
        created=True,
        removed_endpoint_ids=removed,
        signing_secret_name=deps.signing_secret_name,
        valid_signing_secrets=len(secrets),
    )


def _registered(endpoints: Sequence[RemoteEndpoint], base: str, routes: RouteStore) -> list[_Registered]:
    """This deployment's endpoints: those whose token names an org route of ours, and the legacy URL."""
    found: list[_Registered] = []
    for endpoint in endpoints:
        token = token_in(endpoint.url)
        route = routes.get(route_id(token), consistent=True) if token is not None else None
        if route is not None and route.kind == "org":
            found.append(_Registered(endpoint, route))
        elif endpoint.url.rstrip("/") == f"{base}{LEGACY_PATH}":
            found.append(_Registered(endpoint, None))
    return found


def _create(request: WebhookEndpointRequest, base: str, deps: EndpointDeps) -> tuple[CreatedEndpoint, Route]:
    """A new org route, then the endpoint under its URL; the route is retired if the create fails."""
    token = new_token()
    route = Route(route_id=route_id(token), kind="org", created_at=deps.clock())
    deps.routes.add(route)
    body = {"label": request.label, "url": webhook_url(base, token), "events": list(request.events)}
    try:
        return deps.api.create_endpoint(body), route
    except Exception:
        # Made or not (a lost answer), an endpoint whose secret we never saw is useless: close its URL. A
        # left-over endpoint names this retired route, so the next registration removes it.
        retire_route(deps.routes, route.route_id, at=deps.clock())
        raise


def _undo(endpoint_id: str, route_to_retire: str, deps: EndpointDeps) -> None:
    """Best effort, while another error is on its way out: failures are logged, never raised."""
    try:
        deps.api.delete_endpoint(endpoint_id)
    except ThunderPhoneError:
        logger.exception("could not remove the endpoint whose secret was not stored", extra={"id": endpoint_id})
    try:
        retire_route(deps.routes, route_to_retire, at=deps.clock())
    except StoreUnavailable:
        logger.exception("could not retire the route of the endpoint whose secret was not stored")


def _secret_known(endpoint: RemoteEndpoint, stored: tuple[str, ...]) -> bool:
    hint = (endpoint.secret_hint or "").rstrip()
    tail = hint[-6:]
    if len(tail) < 6 or "…" in tail or "." in tail:
        return False
    return any(secret.endswith(tail) for secret in stored)
