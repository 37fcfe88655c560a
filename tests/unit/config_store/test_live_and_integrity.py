"""The compiled configuration, the draft's diff and the whole-configuration checks, without AWS."""

from __future__ import annotations

import secrets
import zlib

import pytest

from functions.common import table
from functions.tenant_config.integrity import breakages, introduced, users_of, warnings
from functions.tenant_config.live import Snapshot, TooLarge, compile_snapshot, config_of
from functions.tenant_config.models import AgentProfile, RoutingRule, Tenant
from functions.tenant_config.publishing import diff
from tests.fixtures import tenants as demo
from tests.fixtures.tenants import compiled


def snapshot() -> Snapshot:
    config = compiled(demo.TENANT_ID, demo.demo_items())
    assert config.tenant is not None
    return Snapshot(config.tenant, config.profiles, {rule.rule_id: rule for rule in config.rules})


def live_item(**extra: object) -> dict[str, object]:
    return demo.live_item(demo.TENANT_ID, demo.demo_items(), version=4) | extra


def test_a_compiled_configuration_reads_back_as_the_router_serves_it() -> None:
    config = config_of(demo.TENANT_ID, live_item())
    assert config.version == 4 and not config.invalid
    assert [rule.rule_id for rule in config.rules] == ["vip", "after-hours", "pricing-page", "greeting-test"]
    assert config.profiles["vip-concierge"].acknowledgement_prompt_mode == "manual"


def test_the_operators_fields_on_the_live_item_win_over_the_compiled_ones() -> None:
    config = config_of(demo.TENANT_ID, live_item(status="suspended", display_name="Acme"))
    assert config.tenant is not None and (config.tenant.status, config.tenant.display_name) == ("suspended", "Acme")


@pytest.mark.parametrize(
    "damage",
    [
        {"config": b"not zlib"},
        {"config": zlib.compress(b"[1, 2]")},
        {"config": zlib.compress(b'{"settings": {"tenant_id": "demo"}}')},
        {"status": "deleted"},
    ],
)
def test_a_damaged_live_item_is_kept_aside_never_half_read(damage: dict[str, object]) -> None:
    config = config_of(demo.TENANT_ID, live_item(**damage))
    assert config.tenant is None and list(config.invalid) == [table.LIVE_SK]


def test_a_live_item_of_another_partition_is_refused() -> None:
    config = config_of("mallory", live_item())
    assert config.tenant is None and "tenant_id" in config.invalid[table.LIVE_SK].fields


def test_nothing_published_is_no_tenant() -> None:
    config = config_of(demo.TENANT_ID, None)
    assert config.tenant is None and not config.invalid and config.version is None


def test_a_configuration_too_large_for_one_item_is_refused_in_words() -> None:
    noise = secrets.token_urlsafe(600_000)  # compresses to about 3/4
    profiles = {
        f"p{i}": AgentProfile(profile_id=f"p{i}", prompt=noise[i * 19_000 : (i + 1) * 19_000], voice="v")
        for i in range(30)
    }
    with pytest.raises(TooLarge, match="shorten prompts"):
        compile_snapshot(Snapshot(snapshot().settings, profiles, {}))


def test_diff_names_each_changed_item_and_field() -> None:
    live = snapshot()
    assert diff(live, live) == []
    settings = live.settings
    assert settings is not None
    draft = Snapshot(
        Tenant.model_validate(settings.model_dump() | {"timezone": "UTC", "status": "suspended"}),
        {key: value for key, value in live.profiles.items() if key != "web-pricing"}
        | {"new": AgentProfile(profile_id="new", prompt="hi", voice="v")},
        {**live.rules, "vip": live.rules["vip"].model_copy(update={"priority": 1, "version": 9})},
    )
    changes = [(c.kind, c.id, c.change, c.fields) for c in diff(live, draft)]
    # The operator's status is not the tenant's change; a version bump alone is no change either.
    assert changes == [
        ("settings", "settings", "changed", ("timezone",)),
        ("profile", "new", "added", ()),
        ("profile", "web-pricing", "removed", ()),
        ("rule", "vip", "changed", ("priority",)),
    ]


def test_breakages_name_what_would_fall_back_and_only_new_ones_block_an_edit() -> None:
    good = snapshot()
    assert breakages(good) == []
    dangling = RoutingRule(rule_id="x", priority=1, profile_id="ghost")
    broken = Snapshot(good.settings, good.profiles, {**good.rules, "x": dangling})
    assert [b.message for b in introduced(good, broken)] == ["rule 'x' names profile 'ghost', which does not exist"]
    assert introduced(broken, broken) == []  # an old problem never blocks fixing another
    assert users_of(good, "receptionist") == ["the tenant's default profile setting", "rule 'greeting-test'"]


def test_warnings_name_placeholders_no_variable_defines() -> None:
    profile = AgentProfile(
        profile_id="p", prompt="{{ company_name }} {{ nickname }} {{ customer.name }} {{ call.weekday }}", voice="v"
    )
    found = warnings(snapshot(), profile)
    assert len(found) == 1 and "nickname" in found[0]
