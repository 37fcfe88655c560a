"""One synthetic answer run in memory, so that a SnapStart snapshot holds a pipeline that has answered once:
every lazy import done, pydantic's validators and serializers used, the templates' patterns compiled.

No AWS call and no real secret: the store and the secrets are in-memory stand-ins for a made-up tenant, and
the signing secret is a random value drawn for this one call and dropped with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from functions.tenant_config.live import Snapshot, TenantConfig, compile_snapshot, config_of, published_item
from functions.tenant_config.models import AgentProfile, Customer, RoutingRule, RuleMatch, Tenant
from functions.thunderphone.signing import sign
from functions.webhook import service
from functions.webhook.models import Reply
from functions.webhook_routes.model import Route, new_token, route_id

TENANT = "priming"
CALLER = "+15555550100"
NUMBER = "+15555550199"


class _Store:
    def __init__(self, route: Route, config: TenantConfig, customer: Customer) -> None:
        self._route, self._config, self._customer = route, config, customer

    def load(self, tenant_id: str, customer_id: str | None) -> tuple[TenantConfig, Customer | None]:
        return self._config, self._customer if customer_id == self._customer.customer_id else None

    def tenant_for_number(self, number: str) -> str | None:
        return TENANT if number == NUMBER else None

    def route(self, route_id: str) -> Route | None:
        return self._route if route_id == self._route.route_id else None


class _Secrets:
    def __init__(self, signing_secret: str) -> None:
        self._signing_secret = signing_secret

    def signing_secrets(self, *, refresh: bool = False) -> tuple[tuple[str, ...], bool]:
        return (self._signing_secret,), False

    def tool_secrets(self, tenant_id: str) -> tuple[Mapping[str, str], bool]:
        return {}, False


def _config(now: datetime) -> TenantConfig:
    settings = Tenant(tenant_id=TENANT, display_name="Priming", timezone="America/New_York", default_profile_id="main")
    profile = AgentProfile(
        profile_id="main",
        voice="priming",
        prompt='You answer for {{ company_name | default("us") }}; it is {{ call.weekday }} {{ call.local_time }}. '
        'Greet {{ customer.name | default("the caller") }}.',
    )
    rule = RoutingRule(rule_id="known", priority=1, when=RuleMatch(customer="known"), profile_id="main")
    snapshot = Snapshot(settings=settings, profiles={"main": profile}, rules={"known": rule})
    item = published_item(
        TENANT,
        "LIVE",
        1,
        compile_snapshot(snapshot),
        published_at=now,
        published_by="priming",
        restored_from=None,
        settings=settings,
    )
    return config_of(TENANT, item)


def prime(*, max_body_bytes: int, max_prompt_chars: int) -> Reply:
    """Answer one signed phone call from a known customer, entirely in memory."""
    now = datetime.now(UTC)
    token = new_token()
    route = Route(route_id=route_id(token), kind="key", tenant_id=TENANT, widget_id="main", created_at=now)
    customer = Customer(customer_id=CALLER, name="Priming")
    signing_secret = secrets.token_hex(32)
    body = (
        '{"data":{"call_id":1,"from_number":"' + CALLER + '","to_number":"' + NUMBER + '"},"type":"telephony.incoming"}'
    ).encode()
    request = service.WebhookRequest(body=body, signature=sign(body, signing_secret), token=token, received_at=now)
    return service.answer(
        request,
        store=_Store(route, _config(now), customer),
        secrets=_Secrets(signing_secret),
        max_body_bytes=max_body_bytes,
        max_prompt_chars=max_prompt_chars,
    )
