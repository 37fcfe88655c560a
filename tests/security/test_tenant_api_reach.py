"""A tenant admin uses every part of the tenant API (settings, drafts, publish, rollback, customers, imports,
previews, reports, the calls list and one call's story) while every DynamoDB request the tenant API makes for it
is recorded: none may reach beyond the tenant's own partition. Number claims (`NUMBER#`) are the operator's: a
claim written or read for a tenant would let a flaw in that code route another tenant's number; the calls table's
call-id index spans every tenant.

What the code never does, IAM denies too (tests/infra/test_service_stack.py); this test is the proof that the
deny costs the tenant API nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from functions.common import table
from tests.fixtures import tenants as demo
from tests.fixtures.tenant_api import TenantClient
from tests.security.conftest import VICTIM, Invoke, body

TENANT = VICTIM
PARTITION_NAMES = frozenset({table.PARTITION_KEY, ":pk"})


def partitions(value: Any) -> Iterator[str]:
    """Every partition key value a request names: keys, items, query values, at any depth."""
    if isinstance(value, dict):
        for name, inner in value.items():
            if name in PARTITION_NAMES and isinstance(inner, dict) and isinstance(inner.get("S"), str):
                yield inner["S"]
            else:
                yield from partitions(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from partitions(inner)


def test_nothing_a_tenant_does_through_the_tenant_api_reaches_claims_or_other_tenants(
    demo_tenant: str, tenant_api_env: dict[str, Any], invoke: Invoke
) -> None:
    from functions.tenant_api.dependencies import deps

    # Given a phone call to the tenant's number, so reports and replays have a call to read
    call = body("telephony.incoming", call_id=8_001, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER)
    assert invoke(f"/webhooks/{demo.ORG_TOKEN}", call)[0] == 200
    requests: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        requests.append((model.name, params))

    deps.dynamodb.meta.events.register("before-parameter-build.dynamodb", record)
    admin = TenantClient(TENANT, "admin")

    def ok(answer: tuple[int, Any, dict[str, str]], *expected: int) -> tuple[Any, dict[str, str]]:
        assert answer[0] in (expected or (200,)), answer
        return answer[1], answer[2]

    # When the tenant's admin changes its settings, drafts and customers, publishes, rolls back and previews
    _, headers = ok(admin.get("/settings"))
    ok(admin.patch("/settings", {"timezone": "America/Chicago"}, etag=headers["ETag"]))
    profile, headers = ok(admin.get("/profiles/after-hours"))
    edited = {key: value for key, value in profile.items() if key not in ("version", "updated_at", "updated_by")}
    ok(admin.put("/profiles/after-hours", edited | {"prompt": "Closed: leave a message."}, etag=headers["ETag"]))
    ok(
        admin.put(
            "/rules/weekend", {"priority": 50, "when": {"channel": "web"}, "profile_id": "web-pricing"}, create=True
        ),
        201,
    )
    ok(admin.get("/draft"))
    ok(admin.post("/draft/publish"), 201)
    ok(admin.get("/versions"))
    ok(admin.get("/versions/2/changes"))
    ok(admin.post("/versions/1/rollback"), 201)
    ok(
        admin.put(
            "/rules/spare", {"priority": 60, "when": {"channel": "web"}, "profile_id": "web-pricing"}, create=True
        ),
        201,
    )
    ok(admin.request("DELETE", "/draft"))
    customer = {"name": "Ana", "segment": "vip"}
    _, headers = ok(admin.put("/customers/%2B14155550177", customer, create=True), 201)
    ok(admin.post("/customers/import", {"csv": "phone,name\n+14155550178,Bo\n"}))
    ok(admin.get("/customers"))
    ok(admin.delete("/customers/%2B14155550177", etag=headers["ETag"]))
    ok(admin.post("/simulate", {"channel": "phone", "caller": demo.VIP_CALLER, "to_number": demo.DEMO_NUMBER}))
    ok(admin.get("/draft/impact?days=7"))
    ok(admin.get("/calls/report?days=7"))
    ok(admin.get("/calls?channel=phone&fallback=no&limit=5"))
    ok(admin.get("/calls?day=2026-12-01"))
    ok(admin.get("/calls/8001"))
    ok(admin.get("/calls/8002"), 404)

    # Then every request the tenant API made stays in the tenant's own partition: no number claim, no other
    # tenant, no call-id index, no scan
    operations = {operation for operation, _ in requests}
    assert {"TransactWriteItems", "Query", "GetItem"} <= operations
    assert "Scan" not in operations
    assert {name for _, params in requests for name in partitions(params)} == {table.tenant_pk(TENANT)}
    assert not [params for _, params in requests if params.get("IndexName") not in (None, table.CALL_TIME_INDEX)]
    assert not [params for _, params in requests if table.NUMBER_PREFIX in str(params)]
