"""ConfigStore's pure helpers and error messages (no AWS)."""

from __future__ import annotations

from functions.common.errors import NumberTaken, VersionConflict
from functions.tenant_config.items import content, item_id_of, kind_of_model
from functions.tenant_config.models import AgentProfile, Customer


def test_config_store_content_leaves_out_bookkeeping() -> None:
    profile = AgentProfile(profile_id="p", prompt="Hi", voice="alloy", version=3, updated_by="bob")
    assert "version" not in content(profile)
    assert "updated_by" not in content(profile)
    assert content(profile) == content(profile.model_copy(update={"version": 9}))
    assert (kind_of_model(profile), item_id_of(profile)) == ("profile", "p")


def test_config_store_errors_explain_themselves() -> None:
    stored = Customer(customer_id="+33612345678", version=2)
    conflict = VersionConflict("acme", "customer", "+33612345678", 1, stored)
    assert (
        str(conflict) == "customer '+33612345678' of tenant acme changed: write based on version 1, stored version is 2"
    )
    created = VersionConflict("acme", "rule", "vip", None, None, current_version=0)
    assert "based on a new item, stored version is 0" in str(created)
    assert str(NumberTaken("+33180000001")) == "phone number +33180000001 already belongs to another tenant"
