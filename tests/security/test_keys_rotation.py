"""Attacks on the operator's key rotation by a tenant admin, against moto and the provisioning Lambda.

A tenant admin's credentials can write anything in their own partition, `TENANT#acme` (simulated with
raw `put_item` calls, as an admin with the console would). They plant and rewrite key records and create
reservations there, steering `webhook_url` to `https://evil.example/hook` and `agent_id` to another
tenant's agent, then wait for the operator's routine rotation. Key records live in the operator-only
partition and rotation builds the new key from ThunderPhone's own key, so none of it lands in the new key.
A record tampered inside the operator partition itself cannot redirect a rotation either.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from functions.common import dynamo, table
from functions.webhook_routes.model import new_token, route_id, token_in
from functions.webhook_routes.repository import RouteRepository
from tests.fixtures.admin import WEBHOOK_BASE, Call
from tests.fixtures.aws import TABLE_NAME
from tests.fixtures.thunderphone import FakeThunderPhone

EVIL = "https://evil.example/hook"
DOMAINS = ["www.acme.example", "acme.example"]
TOKEN_URL = re.compile(rf"^{re.escape(WEBHOOK_BASE)}/webhooks/[A-Za-z0-9_-]{{32}}$")


@dataclass(frozen=True)
class Scene:
    """The provisioning Lambda (`call`), moto (`aws`), the fake ThunderPhone, and two tenants' genuine keys:
    acme's webhook key for its pricing page, globex's agent-mode key (agent 4242)."""

    call: Call
    aws: dict[str, Any]
    fake: FakeThunderPhone
    acme: dict[str, Any]
    globex: dict[str, Any]


@pytest.fixture
def scene(
    call: Call,
    provisioning_env: dict[str, Any],
    fake_thunderphone: FakeThunderPhone,
) -> Scene:
    for tenant_id, name in (("acme", "Acme Dental"), ("globex", "Globex")):
        status, _ = call("POST", "/admin/tenants", {"tenant_id": tenant_id, "display_name": name})
        assert status == 201
    status, acme = call(
        "POST", "/admin/tenants/acme/keys", {"name": "Pricing", "widget_id": "pricing", "allowed_domains": DOMAINS}
    )
    assert status == 201, acme
    status, globex = call(
        "POST",
        "/admin/tenants/globex/keys",
        {"name": "Globex", "mode": "agent", "agent_id": 4242, "allowed_domains": ["globex.example"]},
    )
    assert status == 201, globex
    return Scene(call, provisioning_env, fake_thunderphone, acme, globex)


def put_raw(aws: dict[str, Any], pk: str, sk: str, **attributes: Any) -> None:
    """A raw write around every tool: what a tenant admin's credentials allow in `TENANT#acme` (and, for the
    defence-in-depth cases, a write into the operator partition no tenant admin can make)."""
    item = {table.PARTITION_KEY: pk, table.SORT_KEY: sk, **attributes}
    aws["dynamodb"].put_item(TableName=TABLE_NAME, Item=dynamo.to_attributes(item))


def forged_record(genuine: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A key record as the attacker would write it: the genuine response's fields, with their changes."""
    record = {name: value for name, value in genuine.items() if name not in ("embed", "warnings")}
    record = {name: value for name, value in record.items() if value is not None}
    return {"kind": "key", **record, **changes}


def rotation_reservation_id(tenant_id: str, key_id: int) -> str:
    """What an attacker reading the source computes for the reservation of a rotation without Idempotency-Key."""
    return hashlib.sha256(f"{tenant_id}\nrotate:{key_id}".encode()).hexdigest()[:32]


def rotation_hash(key_id: int, name: str) -> str:
    return hashlib.sha256(
        json.dumps({"op": "rotate", "key_id": key_id, "name": name}, sort_keys=True).encode()
    ).hexdigest()


def assert_fresh_key_of_acme(scene: Scene, new: dict[str, Any], planted: set[str]) -> None:
    """The new ThunderPhone key: our base and a fresh token, acme's route, the original mode/agent/domains."""
    remote = scene.fake.keys[new["id"]]
    assert (remote["mode"], remote["agent_id"], remote["allowed_domains"]) == ("webhook", None, DOMAINS)
    assert TOKEN_URL.match(remote["webhook_url"]), remote["webhook_url"]
    assert remote["webhook_url"] not in {scene.acme["webhook_url"], EVIL}
    assert token_in(remote["webhook_url"]) not in planted
    route = RouteRepository(scene.aws["dynamodb"], TABLE_NAME).get(route_id(token_in(remote["webhook_url"]) or ""))
    assert route is not None
    assert (route.kind, route.tenant_id, route.widget_id, route.active) == ("key", "acme", "pricing", True)
    assert new["webhook_url"] == remote["webhook_url"]
    assert "evil" not in json.dumps(new) and "globex" not in json.dumps(new)


def test_tenant_admin_planted_key_records_and_reservations_cannot_steer_rotation(scene: Scene) -> None:
    acme, globex = scene.acme, scene.globex
    attacker_token = new_token()
    tenant_pk = table.tenant_pk("acme")
    # Given the tenant admin rewrites "their" key record (today's layout) to point at their server and
    # at globex's agent, plants a record for globex's key, and plants the rotation's reservation: done,
    # pointing at globex's key, and carrying a webhook token they know
    put_raw(
        scene.aws,
        tenant_pk,
        table.key_sk(str(acme["id"])),
        **forged_record(acme, webhook_url=EVIL, agent_id=4242, mode="agent", allowed_domains=["evil.example"]),
    )
    put_raw(
        scene.aws,
        tenant_pk,
        table.key_sk(str(globex["id"])),
        **forged_record(acme, id=globex["id"], webhook_url=EVIL, agent_id=4242),
    )
    reservation_id = rotation_reservation_id("acme", acme["id"])
    put_raw(
        scene.aws,
        tenant_pk,
        f"KEYREQ#{reservation_id}",
        kind="key_request",
        reservation_id=reservation_id,
        request_hash=rotation_hash(acme["id"], acme["name"]),
        marker=acme["marker"],
        state="done",
        key_id=globex["id"],
        lease_until=0,
        webhook_token=attacker_token,
    )

    # When the operator rotates acme's real key
    status, new = scene.call("POST", f"/admin/tenants/acme/keys/{acme['id']}/rotate")

    # Then a new key is made from the genuine key, with a fresh URL of ours, and nothing planted is used
    assert status == 201, new
    assert new["id"] not in (acme["id"], globex["id"])
    assert new["replaces"] == acme["id"]
    assert_fresh_key_of_acme(scene, new, {attacker_token})
    assert scene.fake.keys[globex["id"]]["is_active"] is True  # globex's key was never touched
    assert scene.fake.keys[globex["id"]]["agent_id"] == 4242
    assert scene.fake.keys[acme["id"]]["is_active"] is False
    # And the planted items are not keys of acme at all: not listed, not actionable
    _, listing = scene.call("GET", "/admin/tenants/acme/keys")
    assert [(key["id"], key["status"]) for key in listing["keys"]] == [
        (acme["id"], "deactivated"),
        (new["id"], "active"),
    ]
    status, body = scene.call("POST", f"/admin/tenants/acme/keys/{globex['id']}/rotate")
    assert (status, body["error"]) == (404, "not_found")
    assert "globex" not in body["message"]
    assert len(scene.fake.keys) == 3


def test_tenant_admin_planted_create_reservation_is_ignored(scene: Scene) -> None:
    # Given reservations planted for the Idempotency-Key the operator is about to use: one done, naming
    # globex's key, one pending with a token the attacker knows
    attacker_token = new_token()
    for idempotency_key, state in (("onboard-2", "done"), ("onboard-3", "pending")):
        reservation_id = hashlib.sha256(f"acme\nkey:{idempotency_key}".encode()).hexdigest()[:32]
        put_raw(
            scene.aws,
            table.tenant_pk("acme"),
            f"KEYREQ#{reservation_id}",
            kind="key_request",
            reservation_id=reservation_id,
            request_hash="0" * 64,
            marker="000000000000",
            state=state,
            key_id=scene.globex["id"],
            lease_until=0,
            webhook_token=attacker_token,
        )
    # When the operator creates keys with those Idempotency-Keys; Then each is a new key with a fresh URL
    body = {"name": "Checkout", "widget_id": "pricing", "allowed_domains": DOMAINS}
    for idempotency_key in ("onboard-2", "onboard-3"):
        status, key = scene.call(
            "POST", "/admin/tenants/acme/keys", body | {"name": idempotency_key}, {"idempotency-key": idempotency_key}
        )
        assert status == 201, key
        assert key["id"] != scene.globex["id"]
        assert_fresh_key_of_acme(scene, key, {attacker_token})


def test_tampered_operator_record_cannot_redirect_rotation(scene: Scene) -> None:
    # Given acme's record in the operator partition itself says: agent mode, globex's agent, evil URL
    acme = scene.acme
    put_raw(
        scene.aws,
        table.operator_pk("acme"),
        table.key_sk(str(acme["id"])),
        **forged_record(acme, webhook_url=EVIL, agent_id=4242, mode="agent", allowed_domains=["evil.example"]),
    )
    # When the operator rotates it; Then ThunderPhone's key decides: webhook mode, our URL, acme's domains
    status, new = scene.call("POST", f"/admin/tenants/acme/keys/{acme['id']}/rotate")
    assert status == 201, new
    assert_fresh_key_of_acme(scene, new, set())


def test_operator_record_naming_another_tenants_key_cannot_rotate_it(scene: Scene) -> None:
    # Given a record under acme, in the operator partition, for globex's key id (with acme's marker)
    acme, globex = scene.acme, scene.globex
    put_raw(
        scene.aws,
        table.operator_pk("acme"),
        table.key_sk(str(globex["id"])),
        **forged_record(acme, id=globex["id"], webhook_url=EVIL),
    )
    # When the operator rotates "acme's key" of that id
    status, body = scene.call("POST", f"/admin/tenants/acme/keys/{globex['id']}/rotate")
    # Then rotation is refused, globex's key lives on unchanged, and the message names no other tenant
    assert (status, body["error"]) == (409, "key_record_mismatch")
    assert "globex" not in json.dumps(body)
    assert scene.fake.keys[globex["id"]]["is_active"] is True
    assert len(scene.fake.keys) == 2
