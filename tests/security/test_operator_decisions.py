"""A tenant admin tries to undo what the operator decided about its tenant (a suspension, a re-activation) by
publishing or rolling back through the tenant API while the operator's change lands: the operator's fields must
end as the operator left them, in LIVE and in what the webhook serves.

The race is run two ways: once deterministically (the operator's change is made between the publish's reads and
its write, through a hook on the tenant API's own DynamoDB client) and many times with real threads against moto,
which is made to handle one request at a time as DynamoDB makes each request atomic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from functions.common import dynamo, table
from functions.provisioning.models import UpdateTenantRequest
from functions.provisioning.service.tenants import update_tenant
from functions.tenant_config.store import ConfigStore
from tests.fixtures import tenants as demo
from tests.fixtures.admin import Call
from tests.fixtures.aws import TABLE_NAME, one_request_at_a_time
from tests.fixtures.tenant_api import TenantClient
from tests.security.conftest import VICTIM, Invoke, body

TENANT = VICTIM  # here the tenant is the attacker: it wants its own calls answered while suspended
PROFILE = "after-hours"
TRIALS = 24
REQUESTS_PER_ROUND = 12  # about how many DynamoDB requests one edit and publish make


def live_status(aws: dict[str, Any]) -> str:
    item = dynamo.get(aws["dynamodb"], TABLE_NAME, table.tenant_pk(TENANT), table.LIVE_SK, consistent=True)
    assert item is not None
    return str(item["status"])


def operator_and_live_status(aws: dict[str, Any]) -> tuple[str, str]:
    """The status the operator's tenant item holds and the one LIVE serves, read together (one transaction)."""
    keys = (table.TENANT_SK, table.LIVE_SK)
    answer = aws["dynamodb"].transact_get_items(
        TransactItems=[
            {"Get": {"TableName": TABLE_NAME, "Key": dynamo.key(table.tenant_pk(TENANT), key)}} for key in keys
        ]
    )
    operator_item, live = (dynamo.from_attributes(response["Item"]) for response in answer["Responses"])
    return str(operator_item.get("status", "active")), str(live["status"])


def edit_profile(admin: TenantClient, prompt: str) -> None:
    status, profile, headers = admin.get(f"/profiles/{PROFILE}")
    assert status == 200
    edited = {key: value for key, value in profile.items() if key not in ("version", "updated_at", "updated_by")}
    status, answer, _ = admin.put(f"/profiles/{PROFILE}", edited | {"prompt": prompt}, etag=headers["ETag"])
    assert status == 200, answer


def operator_sets(call: Call, status: str) -> None:
    code, view = call("GET", f"/admin/tenants/{TENANT}")
    assert code == 200
    code, view = call("PATCH", f"/admin/tenants/{TENANT}", {"version": view["tenant"]["version"], "status": status})
    assert code == 200, view


@contextmanager
def once_on(client: Any, event: str, action: Callable[[], None]) -> Iterator[None]:
    """`action` runs once, at the first botocore `event` of `client` (such as just before its first transaction,
    or just after its first read), inside the request the test makes."""
    fired: list[bool] = []

    def hook(**_: Any) -> None:
        if not fired:
            fired.append(True)
            action()

    client.meta.events.register(event, hook)
    try:
        yield
    finally:
        client.meta.events.unregister(event, hook)
    assert fired, f"the request never reached {event}"


def webhook_answer(invoke: Invoke, call_id: int) -> dict[str, Any]:
    status, answer = invoke(f"/webhooks/{demo.KEY_TOKEN}", body("web.incoming", call_id=call_id, from_number="web"))
    assert status == 200
    return answer


@pytest.mark.parametrize("how", ["publish", "rollback"])
@pytest.mark.parametrize(("before", "operator_decides"), [("active", "suspended"), ("suspended", "active")])
def test_a_publish_racing_the_operators_change_never_undoes_it(
    how: str,
    before: str,
    operator_decides: str,
    demo_tenant: str,
    tenant_api_env: dict[str, Any],
    call: Call,
    invoke: Invoke,
) -> None:
    from functions.tenant_api.dependencies import deps

    aws = tenant_api_env
    admin = TenantClient(TENANT, "admin")
    if before == "suspended":
        operator_sets(call, "suspended")
    # Given a draft with a change to publish (or, for a rollback, an earlier version to go back to)
    edit_profile(admin, "Version two of the after-hours greeting.")
    if how == "rollback":
        assert admin.post("/draft/publish")[0] == 201
        request: tuple[str, str] = ("POST", "/versions/1/rollback")
    else:
        request = ("POST", "/draft/publish")

    # When the operator changes the tenant's status after the tenant's publish has read the draft and before
    # its write
    with once_on(
        deps.dynamodb, "before-call.dynamodb.TransactWriteItems", lambda: operator_sets(call, operator_decides)
    ):
        status, answer, _ = admin.request(*request)

    # Then the publish went through, and the operator's decision stands: in LIVE, in what the operator reads
    # back, and in what the webhook serves
    assert status == 201, answer
    assert live_status(aws) == operator_decides
    assert call("GET", f"/admin/tenants/{TENANT}")[1]["tenant"]["status"] == operator_decides
    assert (webhook_answer(invoke, 4_001) == {}) == (operator_decides == "suspended")


def test_a_settings_change_sent_for_the_operators_next_version_never_undoes_a_suspension(
    demo_tenant: str, tenant_api_env: dict[str, Any], call: Call, invoke: Invoke
) -> None:
    from functions.tenant_api.dependencies import deps

    aws = tenant_api_env
    admin = TenantClient(TENANT, "admin")
    status, settings, _ = admin.get("/settings")
    assert status == 200 and settings["status"] == "active"
    # The tenant predicts the version the operator's suspension will make and sends its change for that version,
    # so that the change, built from what it read before the suspension, is written over the suspension.
    predicted = f'"{settings["version"] + 1}"'

    # When the suspension lands just after the settings change has read the tenant item (its first read)
    with once_on(deps.dynamodb, "after-call.dynamodb.GetItem", lambda: operator_sets(call, "suspended")):
        status, answer, _ = admin.patch("/settings", {"keep_transcripts": True}, etag=predicted)

    # Then the change is refused as stale, and the suspension stands
    assert status == 412, answer
    assert live_status(aws) == "suspended"
    assert call("GET", f"/admin/tenants/{TENANT}")[1]["tenant"]["status"] == "suspended"
    assert webhook_answer(invoke, 4_003) == {}


def test_publishing_in_a_loop_while_the_operator_suspends_and_reactivates_never_undoes_either(
    demo_tenant: str, tenant_api_env: dict[str, Any], invoke: Invoke
) -> None:
    from functions.tenant_api.dependencies import deps

    aws = tenant_api_env
    operator = ConfigStore(aws["dynamodb"], TABLE_NAME, actor="operator", writer="operator")
    admin = TenantClient(TENANT, "admin")
    progress = threading.Condition()
    counts = {"requests": 0, "publishes": 0}
    stop = threading.Event()
    failures: list[BaseException] = []

    def counted(name: str) -> None:
        with progress:
            counts[name] += 1
            progress.notify_all()

    def wait_for(name: str, more: int) -> None:
        with progress:
            target = counts[name] + more
            assert progress.wait_for(lambda: counts[name] >= target or bool(failures), timeout=60)
        assert not failures, failures

    def tenant_publishes_in_a_loop() -> None:
        # The attacker: edit, publish, as fast as it can, for as long as the operator is at work.
        try:
            while not stop.is_set():
                edit_profile(admin, f"Greeting number {counts['publishes']}.")
                status, answer, _ = admin.post("/draft/publish")
                assert status in (201, 409), answer  # 409: a publish conflict, which the tenant may retry
                # Had this publish undone the operator, the tenant would stop here, served again.
                operator_says, live_says = operator_and_live_status(aws)
                if live_says != operator_says:
                    undone.append((operator_says, live_says))
                counted("publishes")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            with progress:
                progress.notify_all()

    def operator_sets_status(status: str) -> None:
        current = operator.get(TENANT, "tenant", TENANT)
        assert current is not None
        update_tenant(TENANT, UpdateTenantRequest(version=current.version, status=status), config=operator)

    # Every DynamoDB request of the tenant API is counted, so the operator can act at any point of the tenant's
    # edit-and-publish, not always at the same one.
    deps.dynamodb.meta.events.register("after-call.dynamodb", lambda **_: counted("requests"))
    undone: list[tuple[str, str]] = []
    decided = "active"
    with one_request_at_a_time():
        attacker = threading.Thread(target=tenant_publishes_in_a_loop, name="tenant-publishing")
        attacker.start()
        try:
            for trial in range(TRIALS):
                decided = "suspended" if trial % 2 == 0 else "active"
                wait_for("requests", trial % REQUESTS_PER_ROUND)
                operator_sets_status(decided)
                # Two more publishes: the one under way when the operator wrote, and one begun after it.
                wait_for("publishes", 2)
        finally:
            stop.set()
            attacker.join()
    assert not failures, failures

    # Then no publish ever undid the operator's decision, even for a moment, and the last one is what the
    # webhook serves
    assert undone == []
    assert live_status(aws) == decided
    assert (webhook_answer(invoke, 4_002) == {}) == (decided == "suspended")
