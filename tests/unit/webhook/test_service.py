"""The webhook pipeline with in-memory fakes of its ports."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from functions.common.errors import SecretsUnavailable, StoreUnavailable
from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import Customer
from functions.thunderphone.signing import sign
from functions.webhook.service import WebhookRequest, answer
from functions.webhook_routes.model import Route, route_id
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import webhook_body

SECRET = "whsec_fake"
GHOST_TOKEN = "route-to-a-tenant-with-no-items1"
DEMO_ROUTES = demo.demo_routes(key_token=demo.KEY_TOKEN, pricing_token=demo.PRICING_TOKEN, org_token=demo.ORG_TOKEN)
GHOST = Route(
    route_id=route_id(GHOST_TOKEN), kind="key", tenant_id="ghost", created_at=datetime(2026, 1, 1, tzinfo=UTC)
)


@dataclass
class FakeStore:
    config: TenantConfig = field(default_factory=lambda: demo.compiled("demo", demo.demo_items()))
    numbers: dict[str, str] = field(default_factory=lambda: {demo.DEMO_NUMBER: "demo"})
    customers: dict[str, Customer] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=lambda: {r.route_id: r for r in [*DEMO_ROUTES, GHOST]})
    error: Exception | None = None
    loads: list[tuple[str, str | None]] = field(default_factory=list)

    def route(self, route_id: str) -> Route | None:
        return self.routes.get(route_id)

    def load(self, tenant_id: str, customer_id: str | None) -> tuple[TenantConfig, Customer | None]:
        self.loads.append((tenant_id, customer_id))
        if self.error:
            raise self.error
        config = self.config if tenant_id == "demo" else TenantConfig(tenant_id=tenant_id, tenant=None)
        return config, self.customers.get(customer_id or "")

    def tenant_for_number(self, number: str) -> str | None:
        if self.error:
            raise self.error
        return self.numbers.get(number)


@dataclass
class FakeSecrets:
    current: tuple[str, ...] = (SECRET,)
    after_refresh: tuple[str, ...] | None = None
    down: bool = False

    def signing_secrets(self, *, refresh: bool = False) -> tuple[tuple[str, ...], bool]:
        if self.down:
            raise SecretsUnavailable("down")
        return (self.after_refresh if refresh and self.after_refresh else self.current), False

    def tool_secrets(self, tenant_id: str) -> tuple[Mapping[str, str], bool]:
        return demo.TOOL_CREDENTIALS, False


def request(body: bytes, *, token: str = demo.KEY_TOKEN, secret: str = SECRET) -> WebhookRequest:
    return WebhookRequest(body, sign(body, secret), token, datetime(2026, 11, 24, 15, tzinfo=UTC))


def call(req: WebhookRequest, store: FakeStore | None = None, secrets: FakeSecrets | None = None):  # type: ignore[no-untyped-def]
    return answer(
        req, store=store or FakeStore(), secrets=secrets or FakeSecrets(), max_body_bytes=4096, max_prompt_chars=20_000
    )


def test_answer_rejects_oversized_body_before_anything_else() -> None:
    store = FakeStore()
    reply = call(request(b"x" * 5000), store)
    assert (reply.status, reply.body) == (413, {"error": "payload_too_large"})
    assert store.loads == []


def test_answer_rejects_bad_signature_with_401_and_reads_nothing() -> None:
    store = FakeStore()
    reply = call(request(webhook_body("web.incoming", 1, "web"), secret="whsec_wrong"), store)
    assert (reply.status, reply.body) == (401, {"error": "unauthorized"})
    assert store.loads == []


def test_answer_refreshes_secrets_once_for_a_just_rotated_secret() -> None:
    body = webhook_body("web.incoming", 1, "web")
    secrets = FakeSecrets(current=("whsec_old",), after_refresh=("whsec_new", "whsec_old"))
    assert call(request(body, secret="whsec_new"), secrets=secrets).outcome == "config"


def test_answer_falls_back_when_secrets_unreadable() -> None:
    reply = call(request(webhook_body("web.incoming", 1, "web")), secrets=FakeSecrets(down=True))
    assert (reply.status, reply.body, reply.reason) == (200, {}, "secrets_unavailable")


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"type":"web.incoming"}', b'{"type":"web.incoming","data":{"call_id":"x"}}']
)
def test_answer_signed_but_malformed_payload_gets_fallback(body: bytes) -> None:
    reply = call(request(body))
    assert (reply.status, reply.body, reply.reason) == (200, {}, "malformed_payload")


@pytest.mark.parametrize("call_id", ["10" + "0" * 40, str(2**63), "0", "-7", "1.0", "1e3", "true", '"1001"', "null"])
def test_answer_refuses_a_call_id_thunderphone_cannot_send_before_reading_anything(call_id: str) -> None:
    # ThunderPhone's call ids are 64-bit integers: 1..2^63-1, as a JSON integer.
    store = FakeStore()
    body = b'{"data":{"call_id":' + call_id.encode() + b',"from_number":"web","to_number":""},"type":"web.incoming"}'
    reply = call(request(body), store)
    assert (reply.status, reply.body, reply.reason, reply.decision) == (200, {}, "malformed_payload", None)
    assert store.loads == []


def test_answer_takes_the_largest_call_id_thunderphone_can_send() -> None:
    reply = call(request(webhook_body("web.incoming", 2**63 - 1, "web")))
    assert (reply.outcome, reply.call_id) == ("config", 2**63 - 1)


def test_answer_acknowledges_other_events_without_reading_tenant() -> None:
    store = FakeStore()
    reply = call(request(b'{"data":{"call_id":5},"type":"telephony.tool"}'), store)  # outcomes: test_outcome_events
    assert (reply.status, reply.body, reply.outcome) == (200, {"received": True}, "acknowledged")
    assert store.loads == []


def test_answer_org_level_endpoint_finds_tenant_by_number_and_customer_by_caller() -> None:
    store = FakeStore(customers={demo.VIP_CALLER: next(m for m in demo.demo_items() if isinstance(m, Customer))})
    body = webhook_body("telephony.incoming", 9, demo.VIP_CALLER, demo.DEMO_NUMBER)
    reply = call(request(body, token=demo.ORG_TOKEN), store)
    assert reply.decision is not None and reply.decision.rule_id == "vip"
    assert store.loads == [("demo", demo.VIP_CALLER)]


def test_answer_web_sessions_never_look_up_a_customer() -> None:
    store = FakeStore()
    call(request(webhook_body("call.incoming", 9, "web", None)), store)
    assert store.loads == [("demo", None)]


def test_answer_unknown_number_and_bad_tenant_ids_fall_back() -> None:
    body = webhook_body("telephony.incoming", 9, "+12125550000", "+19995550000")
    assert call(request(body, token=demo.ORG_TOKEN)).reason == "unknown_number"
    claimed_badly = FakeStore(numbers={"+19995550000": "Bad_Tenant!"})  # a corrupt claim names no tenant
    assert call(request(body, token=demo.ORG_TOKEN), claimed_badly).reason == "unknown_tenant"
    assert call(request(body, token=GHOST_TOKEN)).reason == "unknown_tenant"


def test_answer_unknown_or_malformed_tokens_are_404_after_the_signature() -> None:
    body = webhook_body("web.incoming", 1, "web")
    for token in ("x" * 32, "demo", "", "a/b", demo.KEY_TOKEN.upper()):
        store = FakeStore()
        assert (call(request(body, token=token), store).status, store.loads) == (404, [])
    assert call(request(body, token="x" * 32, secret="whsec_wrong")).status == 401


def test_answer_store_errors_become_fallback() -> None:
    reply = call(request(webhook_body("web.incoming", 1, "web")), FakeStore(error=StoreUnavailable("throttled")))
    assert (reply.status, reply.body, reply.reason) == (200, {}, "store_unavailable")
