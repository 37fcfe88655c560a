"""The item commands that write nothing: get, list, diff and history.

Used by the tenants, profiles, rules and customers groups (wired in sbctl.commands.items). A stored
item that does not validate is still shown, with its problems, and the command exits 1.
"""

from __future__ import annotations

from typing import Any

from functions.common.errors import ItemNotFound
from functions.tenant_config.items import ItemKind, content, item_id_of
from sbctl.context import Context
from sbctl.edits import parse_documents
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.render import diff, document, dump, table, timestamp
from sbctl.stored import item_id_arg, label, read_named, read_stored, summary


def cmd_get(ctx: Context, kind: ItemKind) -> int:
    item_id, stored = read_named(ctx, kind)
    ctx.say(dump(stored.document, ctx.args.format))
    if stored.problems:
        ctx.warn_problems(f"stored {label(kind, item_id)} is invalid (the router falls back)", stored.problems)
        return EXIT_FAILED
    return EXIT_OK


def cmd_list(ctx: Context, kind: ItemKind) -> int:
    every_tenant = kind == "tenant" and not ctx.args.tenant
    listing = ctx.store.list_tenants() if every_tenant else ctx.store.list_checked(ctx.args.tenant, kind)
    items, invalid = listing.items, listing.invalid
    if ctx.args.format == "table":
        rows = [
            (item_id_of(item), item.version, timestamp(item.updated_at), item.updated_by, summary(item))
            for item in items
        ]
        ctx.say(table(("ID", "VERSION", "UPDATED_AT", "UPDATED_BY", "SUMMARY"), rows))
    else:
        ctx.say(dump([document(item) for item in items], ctx.args.format))
    for error in invalid:
        ctx.warn_problems(f"invalid item {error.sort_key} (the router falls back)", error.problems)
    return EXIT_FAILED if invalid else EXIT_OK


def cmd_diff(ctx: Context, kind: ItemKind) -> int:
    plans = parse_documents(ctx, kind, ctx.args.files)
    if plans is None:
        return EXIT_FAILED
    for plan in plans:
        item_id = item_id_of(plan.model)
        stored = read_stored(ctx, ctx.args.tenant, kind, item_id)
        changes = diff(stored.document, document(plan.model), stored.label, plan.source)
        ctx.say(f"{label(kind, item_id)}: " + ("no changes" if not changes else "differs"))
        if changes:
            ctx.say(changes)
        if stored.version != plan.expected:
            based = "a new item" if plan.expected is None else f"version {plan.expected}"
            ctx.warn(f"note: {plan.source} is based on {based}; stored version is {stored.version} (put would refuse)")
    return EXIT_OK


def cmd_history(ctx: Context, kind: ItemKind) -> int:
    item_id = item_id_arg(ctx, kind)
    entries = ctx.store.history(ctx.args.tenant, kind, item_id)
    if not entries:
        raise ItemNotFound(ctx.args.tenant, kind, item_id, f"{label(kind, item_id)} has no history")
    if ctx.args.version is not None:
        entry = next((entry for entry in entries if entry.version == ctx.args.version), None)
        if entry is None:
            raise ItemNotFound(
                ctx.args.tenant, kind, item_id, f"{label(kind, item_id)} has no version {ctx.args.version}"
            )
        if entry.item is None:
            ctx.say(f"version {entry.version}: deleted by {entry.updated_by} at {entry.updated_at}")
        else:
            ctx.say(dump(document(entry.item), ctx.args.format))
        return EXIT_OK
    rows = [
        (
            entry.version,
            timestamp(entry.updated_at),
            entry.updated_by,
            "deleted" if entry.item is None else ("current" if index == len(entries) - 1 else ""),
        )
        for index, entry in enumerate(entries)
    ]
    ctx.say(table(("VERSION", "UPDATED_AT", "UPDATED_BY", "NOTE"), rows))
    if ctx.args.diff:
        previous: dict[str, Any] | None = None
        for entry in entries:
            now = content(entry.item) if entry.item is not None else None
            changes = diff(previous, now, "before", f"version {entry.version}")
            ctx.say(f"\n--- version {entry.version} ({entry.updated_by}):")
            ctx.say(changes or "(no content change)")
            previous = now
    return EXIT_OK
