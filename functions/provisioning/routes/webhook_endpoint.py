"""/admin/webhook-endpoint: register ThunderPhone's org-level webhook endpoint for this deployment."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.provisioning.dependencies import deps
from functions.provisioning.models import WebhookEndpointRequest, WebhookEndpointView
from functions.provisioning.routes.request import webhook_base
from functions.provisioning.service.webhook_endpoint import register_webhook_endpoint

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.post("/admin/webhook-endpoint")
def register(body: WebhookEndpointRequest | None = None) -> Response[WebhookEndpointView]:
    request = body or WebhookEndpointRequest()
    # An explicit base_url needs nothing from the event (nor WEBHOOK_BASE_URL).
    base = request.base_url or webhook_base(router.current_event.raw_event, deps.settings.WEBHOOK_BASE_URL)
    view = register_webhook_endpoint(request, webhook_base=base, deps=deps.endpoint())
    return Response(status_code=201 if view.created else 200, content_type="application/json", body=view)
