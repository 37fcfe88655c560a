"""The item commands that write: put, delete and restore, each shown as a diff first.

Used by the tenants, profiles, rules and customers groups (wired in sbctl.commands.items). Every
write goes through ConfigStore: validated with the router's own models, conditional on the version
the edit was based on (the store raises VersionConflict), and the replaced version kept in history.
"""

from __future__ import annotations

from functions.common.errors import ItemNotFound, VersionConflict
from functions.tenant_config.items import ItemKind, item_id_of
from functions.tenant_config.models import StoredItem
from sbctl.context import Context
from sbctl.edits import parse_documents
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.render import diff, document, timestamp
from sbctl.stored import Stored, item_id_arg, label, read_named, read_stored


def explain_conflict(
    ctx: Context, kind: ItemKind, item_id: str, expected: int | None, stored: Stored, ours: StoredItem
) -> None:
    based = "a new item (no `version`)" if expected is None else f"version {expected}"
    if not stored.exists:
        now = "it does not exist (deleted or never created): remove `version` from the file to create it"
    else:
        who = ""
        if stored.model is not None and stored.model.updated_by:
            who = f", last changed by {stored.model.updated_by} at {timestamp(stored.model.updated_at) or '?'}"
        now = f"the stored version is {stored.version}{who}"
    ctx.warn(f"CONFLICT {label(kind, item_id)}: your edit is based on {based}, but {now}. Nothing was written.")
    changes = diff(stored.document, document(ours), stored.label, "yours")
    if changes:
        ctx.warn("Stored item vs yours:")
        ctx.warn(changes)
    if stored.exists:
        ctx.warn(f"Merge your change into the stored item (`get`), then put it with version {stored.version}.")


def cmd_put(ctx: Context, kind: ItemKind) -> int:
    plans = parse_documents(ctx, kind, ctx.args.files)
    if plans is None:
        ctx.warn("nothing written")
        return EXIT_FAILED
    if ctx.args.expect_version is not None:
        if len(plans) != 1:
            raise UsageError("--expect-version applies to a single item; put a `version` in each file instead")
        plans[0].expected = ctx.args.expect_version
    tenant_id = ctx.args.tenant
    conflicts = 0
    for plan in plans:
        item_id = item_id_of(plan.model)
        stored = read_stored(ctx, tenant_id, kind, item_id)
        if stored.version != plan.expected:
            explain_conflict(ctx, kind, item_id, plan.expected, stored, plan.model)
            conflicts += 1
            continue
        changes = diff(stored.document, document(plan.model), stored.label, plan.source)
        if not changes and stored.model is not None:
            ctx.say(f"{label(kind, item_id)}: no changes (version {stored.version})")
            plan.write = False
            continue
        action = f"update version {stored.version}" if stored.exists else "create"
        ctx.say(f"{label(kind, item_id)}: {action}")
        ctx.say(changes)
    if conflicts:
        ctx.warn(f"{conflicts} stale or conflicting item(s): nothing written")
        return EXIT_FAILED
    if ctx.args.dry_run:
        ctx.say("dry run: nothing written")
        return EXIT_OK
    written: list[str] = []
    for plan in (plan for plan in plans if plan.write):
        item_id = item_id_of(plan.model)
        try:
            result = ctx.store.put(tenant_id, plan.model, expected_version=plan.expected)
        except VersionConflict:
            # Someone wrote between our check and our write: show their version.
            explain_conflict(ctx, kind, item_id, plan.expected, read_stored(ctx, tenant_id, kind, item_id), plan.model)
            if written:
                ctx.warn(f"already written before the conflict: {', '.join(written)}")
            return EXIT_FAILED
        written.append(item_id)
        ctx.say(f"wrote {label(kind, item_id)} version {result.version}")
    return EXIT_OK


def cmd_delete(ctx: Context, kind: ItemKind) -> int:
    item_id, stored = read_named(ctx, kind)
    if stored.version != ctx.args.expect_version:
        ctx.warn(
            f"CONFLICT {label(kind, item_id)}: stored version is {stored.version}, not {ctx.args.expect_version}. "
            "Nothing was deleted."
        )
        return EXIT_FAILED
    ctx.say(diff(stored.document, None, stored.label, "deleted"))
    if ctx.args.dry_run:
        ctx.say("dry run: nothing deleted")
        return EXIT_OK
    try:
        ctx.store.delete(ctx.args.tenant, kind, item_id, expected_version=ctx.args.expect_version)
    except VersionConflict as exc:
        ctx.warn(f"CONFLICT: {exc}. Nothing was deleted.")
        return EXIT_FAILED
    ctx.say(f"deleted {label(kind, item_id)} (version {stored.version} kept in history)")
    return EXIT_OK


def cmd_restore(ctx: Context, kind: ItemKind) -> int:
    tenant_id, item_id = ctx.args.tenant, item_id_arg(ctx, kind)
    entries = {entry.version: entry for entry in ctx.store.history(tenant_id, kind, item_id)}
    entry = entries.get(ctx.args.version)
    if entry is None or entry.item is None:
        what = "is a deletion" if entry is not None else "does not exist"
        raise ItemNotFound(tenant_id, kind, item_id, f"version {ctx.args.version} of {label(kind, item_id)} {what}")
    stored = read_stored(ctx, tenant_id, kind, item_id)
    if stored.version != ctx.args.expect_version:
        explain_conflict(ctx, kind, item_id, ctx.args.expect_version, stored, entry.item)
        return EXIT_FAILED
    changes = diff(stored.document, document(entry.item), stored.label, f"version {entry.version}")
    ctx.say(f"restore {label(kind, item_id)} version {entry.version}:")
    ctx.say(changes or "(same content as stored)")
    if ctx.args.dry_run:
        ctx.say("dry run: nothing written")
        return EXIT_OK
    try:
        result = ctx.store.restore(tenant_id, kind, item_id, entry.version, expected_version=ctx.args.expect_version)
    except VersionConflict:
        explain_conflict(
            ctx, kind, item_id, ctx.args.expect_version, read_stored(ctx, tenant_id, kind, item_id), entry.item
        )
        return EXIT_FAILED
    ctx.say(f"restored version {entry.version} of {label(kind, item_id)} as version {result.version}")
    return EXIT_OK
