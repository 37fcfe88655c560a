"""The provisioning service's unit-test world: a clock, the fake ThunderPhone (in-process) and the key service's
ports in memory, with the tenant `acme` created."""

from __future__ import annotations

import pytest

from functions.provisioning.models import CreateTenantRequest
from functions.provisioning.service.key_creation import KeyDeps
from functions.provisioning.service.tenants import create_tenant
from functions.thunderphone.resources import ThunderPhoneKeys
from tests.fixtures.thunderphone import FakeThunderPhone, in_process_api
from tests.unit.provisioning.fakes import Clock, MemoryConfig, MemoryKeys, MemoryPublisher, MemoryRoutes


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake() -> FakeThunderPhone:
    return FakeThunderPhone(api_key="sk_live_unit_test")


@pytest.fixture
def deps(clock: Clock, fake: FakeThunderPhone) -> KeyDeps:
    config = MemoryConfig()
    create_tenant(
        CreateTenantRequest(tenant_id="acme", display_name="Acme"), config=config, publisher=MemoryPublisher()
    )
    return KeyDeps(
        config=config,
        keys=MemoryKeys(),
        api=ThunderPhoneKeys(in_process_api(fake)),
        routes=MemoryRoutes(),
        clock=clock,
        lease_seconds=60,
    )
