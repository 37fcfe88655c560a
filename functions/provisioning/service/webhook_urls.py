"""Capability webhook URLs for the provisioning service: open a route for a token before ThunderPhone is
given its URL, and retire it when the URL must stop working (functions/webhook_routes/ holds the model
and the table layout).

Opening is idempotent for a retry that reuses its token: the route is already there, and it must be the
very route this request opened (same kind, tenant and widget, still active), else the request is refused.
Retiring a route that is gone reaches the goal too.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from functions.common.errors import ConditionFailed
from functions.provisioning.errors import Conflict
from functions.provisioning.ports import RouteStore
from functions.webhook_routes.model import Route


def open_route(routes: RouteStore, route: Route) -> None:
    """Store `route`, or accept the same route stored by an earlier attempt of the same request."""
    try:
        routes.add(route)
        return
    except ConditionFailed:
        stored = routes.get(route.route_id, consistent=True)
    same = stored is not None and (stored.kind, stored.tenant_id, stored.widget_id) == (
        route.kind,
        route.tenant_id,
        route.widget_id,
    )
    if stored is None or not same or not stored.active:
        raise Conflict(
            "the webhook URL reserved for this request can no longer be used; retry with a new Idempotency-Key",
            code="webhook_route_unusable",
        )


def retire_route(routes: RouteStore, route_id: str | None, *, at: datetime) -> None:
    """The URL stops opening anything; a route that is not there (or none at all) is already retired."""
    if route_id is None:
        return
    with contextlib.suppress(ConditionFailed):
        routes.retire(route_id, at=at)
