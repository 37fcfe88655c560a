"""`sbctl simulate`: what the router would answer for a call, and why, without ThunderPhone.

Runs the router's own code: `functions.webhook.service.answer_incoming` with the router's
`DynamoTenantStore` (the same Query and validation, `build_config`) and `routing.decide`. Only the
secrets differ: tool credentials are never read, their headers show as `<secret:NAME>`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from functions.common.errors import SecretsUnavailable
from functions.common.types import MAX_CALL_ID, is_call_id
from functions.tenant_config.models import zone
from functions.thunderphone.events import WEB_CALLER, IncomingCall
from functions.webhook import service
from functions.webhook.adapters import DynamoTenantStore
from functions.webhook.models import Reply, WebhookSettings
from functions.webhook.routing import SecretPlaceholders
from functions.webhook_routes.model import Route, route_id
from sbctl.arguments import SubParsers, add_format, add_tenant
from sbctl.context import Context
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.render import dump

ANONYMOUS_CALLER = "anonymous"  # a phone call whose caller id is withheld


class PlaceholderSecrets:
    """The webhook's SecretSource port, without Secrets Manager."""

    def signing_secrets(self, *, refresh: bool = False) -> tuple[tuple[str, ...], bool]:
        raise SecretsUnavailable("sbctl never reads signing secrets")

    def tool_secrets(self, tenant_id: str) -> tuple[Mapping[str, str], bool]:
        return SecretPlaceholders(), False


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="print the configuration the router would answer for a call, and why",
        description="Loads the tenant's configuration exactly like the router and runs its decision.",
    )
    add_tenant(parser)
    parser.add_argument("--channel", choices=("web", "phone"), required=True)
    parser.add_argument("--caller", help="the caller's number, E.164 (phone only; default: withheld)")
    parser.add_argument("--to", help="the ThunderPhone number called, E.164")
    parser.add_argument("--widget", help="widget id, as in /webhooks/{tenant}/{widget}")
    parser.add_argument("--at", help="when the call arrives, ISO 8601 (no offset: the tenant's time zone); default now")
    parser.add_argument("--call-id", type=int, help="ThunderPhone call id (picks the A/B variant); default random")
    parser.add_argument(
        "--max-prompt-chars",
        type=int,
        default=WebhookSettings.model_fields["MAX_PROMPT_CHARS"].default,
        help="the deployment's MAX_PROMPT_CHARS",
    )
    add_format(parser)
    parser.set_defaults(handler=cmd_simulate)


def cmd_simulate(ctx: Context) -> int:
    args = ctx.args
    if args.channel == "web" and args.caller:
        raise UsageError("--caller is for phone calls; web calls come from 'web'")
    if args.call_id is not None and not is_call_id(args.call_id):
        raise UsageError(f"--call-id is a ThunderPhone call id: 1 to {MAX_CALL_ID}")
    store = DynamoTenantStore(ctx.client(), ctx.table, ttl_seconds=300, max_tenants=2, max_customers=2)
    config, _ = store.load(args.tenant, None)  # store errors surface here, not as a silent fallback
    timezone = config.tenant.timezone if config.tenant is not None else "UTC"
    received_at = arrival(args.at, timezone)
    call_id = args.call_id if args.call_id is not None else random.randrange(1, 10**9)
    call = IncomingCall(
        call_id=call_id,
        from_number=WEB_CALLER if args.channel == "web" else (args.caller or ANONYMOUS_CALLER),
        to_number=args.to,
    )
    route = simulated_route(args.tenant, args.widget, received_at)
    event_type = "web.incoming" if args.channel == "web" else "telephony.incoming"
    reply = service.answer_incoming(
        route,
        received_at,
        event_type,
        call,
        store=store,
        secrets=PlaceholderSecrets(),
        max_prompt_chars=args.max_prompt_chars,
    )
    ctx.say(service_report(reply, call, args.channel, args.widget, received_at, args.format))
    return EXIT_OK if reply.outcome == "config" else EXIT_FAILED


def simulated_route(tenant_id: str, widget_id: str | None, at: datetime) -> Route:
    """As if the call came through one of the tenant's keys (for --widget, the key of that widget)."""
    try:
        return Route(
            route_id=route_id("sbctl-simulate"), kind="key", tenant_id=tenant_id, widget_id=widget_id, created_at=at
        )
    except ValidationError:
        raise UsageError(
            "--tenant is 1 to 63 lowercase letters, digits or hyphens, and --widget 1 to 64 letters, digits, '.', '_' "
            "or '-'"
        ) from None


def arrival(text: str | None, timezone: str) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at '{text}' is not an ISO 8601 date-time such as 2026-03-02T09:30") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone(timezone))


def simulation(
    reply: Reply, call: IncomingCall, channel: str, widget: str | None, received_at: datetime
) -> dict[str, Any]:
    decision = reply.decision
    report: dict[str, Any] = {
        "call": {
            "channel": channel,
            "call_id": call.call_id,
            "from_number": call.from_number,
            "to_number": call.to_number,
            "widget_id": widget,
            "received_at": received_at.isoformat(),
        },
        "outcome": reply.outcome,
        "reason": reply.reason,
    }
    if decision is not None:
        report |= {
            "rule": decision.rule_id,
            "variant": decision.variant,
            "profile": decision.profile_id,
            "profile_version": decision.profile_version,
            "customer_known": decision.customer_known,
            "local_time": decision.local_time,
            "missing_variables": list(decision.missing_variables),
            "problems": list(decision.problems),
            "variables": {namespace: dict(values) for namespace, values in decision.variables.items()},
        }
    report["answer"] = dict(reply.body)
    return report


def service_report(
    reply: Reply, call: IncomingCall, channel: str, widget: str | None, received_at: datetime, fmt: str
) -> str:
    return dump(simulation(reply, call, channel, widget, received_at), fmt)
