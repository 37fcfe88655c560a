"""Lambda entry point for ThunderPhone webhooks: `functions.webhook.handler.lambda_handler`.

One route (API Gateway HTTP API, payload v2): POST /webhooks/{token}. The token is a capability: a
publishable key's webhook URL or the org-level endpoint (webhook_routes/); the route it opens names the
tenant and widget, never the path or the body. An unknown token is a 404.

An incoming (blocking) event never gets a 5xx: a config, `{}` (fallback), 401, 404, 413 or 400, always
inside BUDGET_MS (budget.py), counted from INIT on a cold start (lifecycle.py). An outcome event gets 200
once it is queued, inside OUTCOME_BUDGET_MS, or a 429/503 with Retry-After so that ThunderPhone delivers it
again (outcomes.py). A warm answer makes no AWS call and runs on the request's own thread (inline.py); its
decision and metrics travel on its one log line (telemetry.py, answer_log.py; functions/decision_recorder/).

The one route is matched here rather than by Powertools' event handler: the resolver costs about 70 ms of
cold start to import, for a single path.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from functions.common.apigw import MalformedRequest, header, raw_body
from functions.common.clock import Monotonic
from functions.common.observability import logger, tracer
from functions.thunderphone.signing import SIGNATURE_HEADER
from functions.webhook import budget, service, telemetry
from functions.webhook.dependencies import deps
from functions.webhook.lifecycle import Lifecycle, process_age_s, register_snapstart_hooks
from functions.webhook.models import Reply, WebhookSettings
from functions.webhook.origin import ORIGIN_HEADER
from functions.webhook.outcomes import RETRY_AFTER_S

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

ROUTE_PREFIX = "/webhooks/"

# In Lambda INIT counts from the process's start, whenever this line runs (lifecycle.process_age_s); on the
# clock answers are timed by (deps.monotonic), which only this module reads for the lifecycle.
lifecycle = Lifecycle(deps.monotonic() - process_age_s())


def webhook_token(event: dict[str, Any]) -> str | None:
    """The {token} of POST /webhooks/{token}; None for any other method or path."""
    http = (event.get("requestContext") or {}).get("http") or {}
    if http.get("method") != "POST":
        return None
    token = (event.get("pathParameters") or {}).get("token")
    if isinstance(token, str):
        return token or None
    path = event.get("rawPath") or http.get("path") or ""
    rest = path[len(ROUTE_PREFIX) :] if isinstance(path, str) and path.startswith(ROUTE_PREFIX) else ""
    return rest if rest and "/" not in rest else None


def respond(event: dict[str, Any], token: str, started: float, clock: Monotonic) -> dict[str, Any]:
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
            received_at=deps.now(),
            origin_proof=header(event, ORIGIN_HEADER),
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
                clock=clock,
            )
    latency_ms = (clock() - started) * 1000
    telemetry.record_answer(reply, latency_ms=latency_ms, metric_tenants=deps.metric_tenants)
    headers = {"Content-Type": "application/json"}
    if reply.retry_after_s is not None:  # only outcome events are answered "later"
        headers["Retry-After"] = str(reply.retry_after_s)
    return _response(reply.status, json.dumps(reply.body), headers)


def answer(request: service.WebhookRequest, settings: WebhookSettings) -> Reply:
    return service.answer(
        request,
        store=deps.store,
        secrets=deps.secrets,
        max_body_bytes=settings.MAX_BODY_BYTES,
        max_prompt_chars=settings.MAX_PROMPT_CHARS,
        max_outcome_body_bytes=settings.MAX_OUTCOME_BODY_BYTES,
        queue=lambda: deps.outcome_queue,  # built only for outcome events
        origin_values=deps.secrets.origin_values if settings.ORIGIN_SECRET_NAME else None,
        origin_report_only=settings.ORIGIN_REPORT_ONLY,
        billing_zone=settings.billing_zone,
    )


def unexpected(event: dict[str, Any]) -> dict[str, Any]:
    logger.exception("unexpected webhook error")
    try:
        outcome = service.claims_outcome(raw_body(event))
    except Exception:
        outcome = False
    if outcome:  # a 200 would drop it: ThunderPhone retries a 503
        headers = {"Content-Type": "application/json", "Retry-After": str(RETRY_AFTER_S)}
        return _response(503, '{"error":"unavailable"}', headers)
    return _response(200, "{}", {"Content-Type": "application/json"})


def _response(status: int, body: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    clock = deps.monotonic
    started = lifecycle.request_started(clock())
    if not isinstance(event, dict) or "requestContext" not in event:
        logger.warning("not an API Gateway event")
        return _response(400, '{"error":"bad_event"}', {"Content-Type": "application/json"})
    token = webhook_token(event)
    if token is None:
        return _response(404, '{"error":"not_found"}', {"Content-Type": "application/json"})
    try:
        return respond(event, token, started, clock)
    except Exception:
        return unexpected(event)


def _before_snapshot() -> None:
    deps.prime(include_outcome_queue=True)


def _after_restore() -> None:
    lifecycle.restored(deps.monotonic())


deps.build_clients()  # INIT builds what the first answer needs (no AWS call): see dependencies.py
if not register_snapstart_hooks(_before_snapshot, _after_restore):
    lifecycle.init_done(deps.monotonic())
