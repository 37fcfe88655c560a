"""sbctl get/list/put/delete/diff/history/restore against moto, as an admin would run them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fixtures.aws import TABLE_NAME, put_by_hand
from tests.integration.config_store import samples
from tests.integration.sbctl.conftest import Sbctl

Write = Callable[[str, Any], str]
T = ("--tenant", "acme")


def test_sbctl_put_then_get_round_trips_a_profile(sbctl: Sbctl, write: Write) -> None:
    # (this test lets sbctl build its AWS client from flags and environment, like a real run)
    created = sbctl("profiles", "put", *T, write("reception.yaml", samples.profile()), clients={})
    assert created.code == 0, created.err
    assert "profile 'reception': create" in created.out
    assert "+prompt: You are the receptionist" in created.out
    got = sbctl("profiles", "get", *T, "reception", clients={})
    assert got.code == 0
    document = got.yaml()
    assert document["profile_id"] == "reception"
    assert (document["version"], document["updated_by"]) == (1, "alice")
    # The document from `get` goes straight back: no changes, nothing written
    again = sbctl("profiles", "put", *T, write("again.yaml", got.out))
    assert again.code == 0
    assert "no changes (version 1)" in again.out
    assert sbctl("profiles", "get", *T, "reception").yaml()["version"] == 1


def test_sbctl_put_json_file_with_a_list_of_rules(sbctl: Sbctl, write: Write) -> None:
    rules = [samples.rule("vip"), samples.rule("uk", priority=20, when={"caller_prefixes": ["+44"]})]
    result = sbctl("rules", "put", *T, write("rules.json", rules))
    assert result.code == 0, result.err
    listed = sbctl("rules", "list", *T)
    assert listed.code == 0
    assert [line.split()[0] for line in listed.out.splitlines()] == ["ID", "uk", "vip"]
    assert "priority 20 -> reception" in listed.out
    assert [item["rule_id"] for item in sbctl("rules", "list", *T, "--format", "yaml").yaml()] == ["uk", "vip"]


def test_sbctl_stale_put_is_refused_with_a_diff(sbctl: Sbctl, write: Write) -> None:
    # Given Alice and Bob both fetched version 1
    sbctl("profiles", "put", *T, write("p.yaml", samples.profile()))
    fetched = sbctl("profiles", "get", *T, "reception").yaml()
    bob = sbctl("profiles", "put", *T, write("bob.yaml", {**fetched, "prompt": "Bob's prompt."}), actor="bob")
    assert bob.code == 0
    # When Alice puts her edit based on version 1
    alice = sbctl("profiles", "put", *T, write("alice.yaml", {**fetched, "prompt": "Alice's prompt."}))
    # Then it is refused, she sees Bob's change against hers, and Bob's edit stands
    assert alice.code == 1
    assert "CONFLICT profile 'reception': your edit is based on version 1" in alice.err
    assert "last changed by bob" in alice.err
    assert "-prompt: Bob's prompt." in alice.err
    assert "+prompt: Alice's prompt." in alice.err
    assert "nothing written" in alice.err
    assert sbctl("profiles", "get", *T, "reception").yaml()["prompt"] == "Bob's prompt."
    # --expect-version overrides the file's version
    forced = sbctl(
        "profiles", "put", *T, write("alice.yaml", {**fetched, "prompt": "Merged."}), "--expect-version", "2"
    )
    assert forced.code == 0
    assert sbctl("profiles", "get", *T, "reception").yaml()["version"] == 3


def test_sbctl_create_over_an_existing_item_is_a_conflict(sbctl: Sbctl, write: Write) -> None:
    sbctl("customers", "put", *T, write("c.yaml", samples.customer()))
    again = sbctl("customers", "put", *T, write("c2.yaml", samples.customer(name="Other")))
    assert again.code == 1
    assert "your edit is based on a new item" in again.err
    assert sbctl("customers", "get", *T, "+33612345678").yaml()["name"] == "Marie Curie"


def test_sbctl_dry_run_and_diff_write_nothing(sbctl: Sbctl, write: Write) -> None:
    dry = sbctl("customers", "put", *T, write("c.yaml", samples.customer()), "--dry-run")
    assert dry.code == 0
    assert "dry run: nothing written" in dry.out
    assert sbctl("customers", "get", *T, "+33612345678").code == 1
    sbctl("customers", "put", *T, write("c.yaml", samples.customer()))
    diff = sbctl("customers", "diff", *T, write("c3.yaml", {**samples.customer(segment="regular"), "version": 1}))
    assert diff.code == 0
    assert "-segment: vip" in diff.out
    assert "+segment: regular" in diff.out
    assert sbctl("customers", "get", *T, "+33612345678").yaml()["segment"] == "vip"


def test_sbctl_invalid_files_are_reported_and_nothing_is_written(sbctl: Sbctl, write: Write) -> None:
    good = samples.profile("good")
    bad = samples.profile("bad", prompt="Hello {{ caller.name }}", voice="")
    result = sbctl("profiles", "put", *T, write("profiles.yaml", [good, bad]))
    assert result.code == 1
    assert "profiles.yaml[1]: not a valid profile" in result.err
    assert "unknown namespace 'caller'" in result.err
    assert "voice:" in result.err
    assert sbctl("profiles", "list", *T, "--format", "json").out.strip() == "[]"
    # A typo'd attribute is refused too (the models forbid unknown attributes)
    typo = sbctl("profiles", "put", *T, write("typo.yaml", {**good, "promt": "x"}))
    assert typo.code == 1
    assert "promt: Extra inputs are not permitted" in typo.err
    broken = sbctl("profiles", "put", *T, write("broken.yaml", "prompt: [unclosed"))
    assert broken.code == 1
    assert "not valid YAML" in broken.err


def test_sbctl_history_and_restore(sbctl: Sbctl, write: Write) -> None:
    sbctl("profiles", "put", *T, write("p.yaml", samples.profile(prompt="First.")))
    sbctl("profiles", "put", *T, write("p.yaml", {**samples.profile(prompt="Second."), "version": 1}), actor="bob")
    history = sbctl("profiles", "history", *T, "reception", "--diff")
    assert history.code == 0
    rows = [line.split() for line in history.out.splitlines()[1:3]]
    assert [(row[0], row[2]) for row in rows] == [("1", "alice"), ("2", "bob")]
    assert "+prompt: Second." in history.out
    assert sbctl("profiles", "history", *T, "reception", "--version", "1").yaml()["prompt"] == "First."
    # Restoring with a stale expected version is refused
    stale = sbctl("profiles", "restore", *T, "reception", "1", "--expect-version", "1")
    assert stale.code == 1
    assert "CONFLICT" in stale.err
    restored = sbctl("profiles", "restore", *T, "reception", "1", "--expect-version", "2")
    assert restored.code == 0, restored.err
    assert "restored version 1 of profile 'reception' as version 3" in restored.out
    current = sbctl("profiles", "get", *T, "reception").yaml()
    assert (current["prompt"], current["version"]) == ("First.", 3)


def test_sbctl_delete_then_restore_from_history(sbctl: Sbctl, write: Write) -> None:
    sbctl("rules", "put", *T, write("r.yaml", samples.rule()))
    stale = sbctl("rules", "delete", *T, "vip", "--expect-version", "4")
    assert stale.code == 1
    assert sbctl("rules", "delete", *T, "vip", "--expect-version", "1").code == 0
    assert sbctl("rules", "get", *T, "vip").code == 1
    history = sbctl("rules", "history", *T, "vip")
    assert "deleted" in history.out
    back = sbctl("rules", "restore", *T, "vip", "1")
    assert back.code == 0, back.err
    assert sbctl("rules", "get", *T, "vip").yaml()["version"] == 3


def test_sbctl_tenant_put_claims_numbers_and_refuses_a_taken_one(sbctl: Sbctl, write: Write) -> None:
    assert sbctl("tenants", "put", *T, write("acme.yaml", samples.tenant())).code == 0
    globex = samples.tenant(tenant_id="globex", display_name="Globex")
    taken = sbctl("tenants", "put", "--tenant", "globex", write("globex.yaml", globex))
    assert taken.code == 1
    assert "+33180000001 already belongs to another tenant" in taken.err
    assert "acme" not in taken.err  # the owner is never named to another tenant's admin
    mismatch = sbctl("tenants", "put", "--tenant", "globex", write("acme.yaml", samples.tenant()))
    assert mismatch.code == 1
    assert "tenant_id is not 'globex'" in mismatch.err
    assert sbctl("tenants", "list").out.splitlines()[1].startswith("acme")


def test_sbctl_get_and_list_report_hand_edited_invalid_items(sbctl: Sbctl, aws: dict[str, Any], write: Write) -> None:
    sbctl("profiles", "put", *T, write("p.yaml", samples.profile()))
    aws["dynamodb"].update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": "TENANT#acme"}, "sk": {"S": "CONFIG#PROFILE#reception"}},
        UpdateExpression="SET voice = :empty",
        ExpressionAttributeValues={":empty": {"S": ""}},
    )
    got = sbctl("profiles", "get", *T, "reception")
    assert got.code == 1
    assert "is invalid (the router falls back)" in got.err
    assert got.yaml()["voice"] == ""
    listed = sbctl("profiles", "list", *T)
    assert listed.code == 1
    assert "CONFIG#PROFILE#reception" in listed.err
    # The fix goes through with the stored version and keeps the broken one in history
    fixed = sbctl("profiles", "put", *T, write("fix.yaml", {**samples.profile(), "version": 1}))
    assert fixed.code == 0, fixed.err
    assert sbctl("profiles", "get", *T, "reception").code == 0


def test_sbctl_validate_reports_invalid_items_and_dangling_references(
    sbctl: Sbctl, aws: dict[str, Any], write: Write
) -> None:
    sbctl("tenants", "put", *T, write("t.yaml", samples.tenant(default_profile_id="missing")))
    sbctl("profiles", "put", *T, write("p.yaml", samples.profile()))
    sbctl("rules", "put", *T, write("r.yaml", samples.rule(profile_id="gone")))
    put_by_hand(aws["dynamodb"], "acme", "CUSTOMER#+33600000000", customer_id="+33600000000", segment="")
    result = sbctl("validate", *T)
    assert result.code == 1
    assert "CONFIG#TENANT: default_profile_id 'missing' does not exist" in result.out
    assert "CONFIG#RULE#vip: profile 'gone' does not exist" in result.out
    assert "CUSTOMER#+33600000000: segment" in result.out
    assert "3 problem(s)" in result.out


def test_sbctl_validate_passes_a_clean_tenant(sbctl: Sbctl, write: Write) -> None:
    sbctl("tenants", "put", *T, write("t.yaml", samples.tenant()))
    sbctl("profiles", "put", *T, write("p.yaml", samples.profile()))
    result = sbctl("validate", *T)
    assert result.code == 0, result.out
    assert "tenant acme: OK" in result.out
    assert sbctl("validate", "--tenant", "ghost").code == 1


def test_sbctl_usage_errors_exit_2(sbctl: Sbctl, write: Write, monkeypatch: Any) -> None:
    assert sbctl("profiles", "get", "reception").code == 2  # --tenant is required
    assert sbctl("profiles", "delete", *T, "reception").code == 2  # --expect-version is required
    assert sbctl("nonsense").code == 2
    two = write("two.yaml", [samples.profile("a"), samples.profile("b")])
    assert sbctl("profiles", "put", *T, two, "--expect-version", "1").code == 2
    from sbctl.cli import main

    assert main(["--operator", "profiles", "list", "--tenant", "acme"]) == 2  # no table anywhere


def test_sbctl_operator_publish_makes_the_draft_live(sbctl: Sbctl, write: Write) -> None:
    # Given a tenant whose items were written in operator mode (its draft)
    sbctl("tenants", "put", *T, write("t.yaml", samples.tenant()))
    sbctl("profiles", "put", *T, write("p.yaml", samples.profile()))
    # When the operator looks, then publishes
    dry = sbctl("publish", *T, "--dry-run")
    assert dry.code == 0, dry.err
    assert "live version: none yet" in dry.out
    assert "profile   reception  added" in dry.out
    published = sbctl("publish", *T)
    # Then version 1 is live, and publishing again has nothing to do
    assert published.code == 0, published.err
    assert "published version 1 of tenant acme" in published.out
    again = sbctl("publish", *T)
    assert again.code == 1
    assert "nothing to publish" in again.err


def test_sbctl_operator_whoami_says_operator_mode(sbctl: Sbctl) -> None:
    result = sbctl("whoami")
    assert result.code == 0
    assert result.out.startswith("mode: operator")
    assert f"table: {TABLE_NAME} (from the flag)" in result.out
