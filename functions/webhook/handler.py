"""Lambda entry point for ThunderPhone webhooks: `functions.webhook.handler.lambda_handler`.

One route (API Gateway HTTP API, payload v2): POST /webhooks/{token}. The token is a capability: a
publishable key's webhook URL or the org-level endpoint (webhook_routes/); the route it opens names the
tenant and widget, never the path or the body. An unknown token is a 404.

An incoming (blocking) event never gets a 5xx: a config, `{}` (fallback), 401, 404, 413 or 400, always
inside BUDGET_MS (budget.py). An outcome event gets 200 once it is queued, inside OUTCOME_BUDGET_MS, or a
429/503 with Retry-After so that ThunderPhone delivers it again (outcomes.py).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common.apigw import MalformedRequest, header, raw_body
from functions.common.metric_names import Metric
from functions.common.observability import logger, metrics, tracer
from functions.thunderphone.signing import SIGNATURE_HEADER
from functions.webhook import budget, service, telemetry
from functions.webhook.dependencies import deps
from functions.webhook.models import Reply, WebhookSettings
from functions.webhook.outcomes import RETRY_AFTER_S

app = APIGatewayHttpResolver()


@app.post("/webhooks/<token>")
def webhook(token: str) -> Response[str]:
    return respond(token)


def respond(token: str) -> Response[str]:
    started = time.perf_counter()
    event = app.current_event.raw_event
    try:
        settings: WebhookSettings | None = deps.settings
    except ValidationError:  # a deployment mistake: every answer is `{}` until it is fixed, and says why
        logger.exception("webhook settings are invalid")
        settings = None
    try:
        request = service.WebhookRequest(
            body=raw_body(event),
            signature=header(event, SIGNATURE_HEADER),
            token=token,
            received_at=datetime.now(UTC),
        )
    except MalformedRequest:
        reply = Reply(400, {"error": "malformed_request"}, "rejected", "malformed_request")
    else:
        if settings is None:
            reply = service.failure("internal_error", request.body)
        else:
            reply = budget.answer_within(
                deps.pool,
                lambda: answer(request, settings),
                started=started,
                budget_ms=settings.BUDGET_MS,
                outcome_budget_ms=settings.OUTCOME_BUDGET_MS,
                is_outcome=lambda: service.claims_outcome(request.body),
            )
    latency_ms = (time.perf_counter() - started) * 1000
    if settings is not None:
        budget.log_decision_within(
            deps.pool,
            lambda: deps.call_log,
            reply,
            latency_ms=latency_ms,
            started=started,
            budget_ms=settings.BUDGET_MS,
            timeout_ms=settings.DECISION_LOG_TIMEOUT_MS,
        )
    telemetry.record_answer(reply, latency_ms=latency_ms, metric_tenants=deps.metric_tenants)
    headers: dict[str, str] = {}
    if reply.retry_after_s is not None:  # only outcome events are answered "later"
        headers["Retry-After"] = str(reply.retry_after_s)
        telemetry.count(Metric.OUTCOME_DEFERRED)
    return Response(
        status_code=reply.status, content_type="application/json", body=json.dumps(reply.body), headers=headers
    )


def answer(request: service.WebhookRequest, settings: WebhookSettings) -> Reply:
    return service.answer(
        request,
        store=deps.store,
        secrets=deps.secrets,
        max_body_bytes=settings.MAX_BODY_BYTES,
        max_prompt_chars=settings.MAX_PROMPT_CHARS,
        max_outcome_body_bytes=settings.MAX_OUTCOME_BODY_BYTES,
        queue=lambda: deps.outcome_queue,  # built only for outcome events
    )


@app.not_found
def not_found(error: Exception) -> Response[str]:
    return Response(status_code=404, content_type="application/json", body='{"error":"not_found"}')


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(error: Exception) -> Response[str]:
    logger.exception("unexpected webhook error")
    try:
        outcome = service.claims_outcome(raw_body(app.current_event.raw_event))
    except Exception:
        outcome = False
    if outcome:  # a 200 would drop it: ThunderPhone retries a 503
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return Response(
            status_code=503, content_type="application/json", body='{"error":"unavailable"}', headers=headers
        )
    return Response(status_code=200, content_type="application/json", body="{}")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not isinstance(event, dict) or "requestContext" not in event:
        logger.warning("not an API Gateway event")
        return {"statusCode": 400, "headers": {"Content-Type": "application/json"}, "body": '{"error":"bad_event"}'}
    return app.resolve(event, context)
