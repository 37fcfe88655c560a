"""get / list / put / delete / diff / history / restore for one kind of configuration item.

Shared by the tenants, profiles, rules and customers groups. Every write goes through ConfigStore:
validated with the router's own models, conditional on the version the file was based on, and the
replaced version kept in history.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import ValidationError

from functions.common.config_store import ItemNotFound, VersionConflict, content, item_id_of
from functions.common.items import KEY_ATTRIBUTES, MODELS, InvalidItem, ItemKind, problems_of
from functions.common.tenant_model import AgentProfile, Customer, RoutingRule, StoredItem, Tenant
from sbctl.context import Context
from sbctl.errors import UsageError
from sbctl.files import load_documents
from sbctl.render import diff, document, dump
from sbctl.render import table as render_table

if TYPE_CHECKING:
    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    SubParsers = argparse._SubParsersAction
EXIT_OK, EXIT_FAILED = 0, 1


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a version number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a version is 0 or more")
    return value


def add_tenant(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--tenant",
        required=required,
        help="tenant id; a tenant admin's credentials only reach this tenant's items",
    )


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("yaml", "json")) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0], help=f"output format (default {choices[0]})")


def register_group(subparsers: SubParsers, *, group: str, kind: ItemKind, help_text: str) -> SubParsers:
    """Add `sbctl <group> get|list|put|delete|diff|history|restore`; returns the group's subparsers."""
    parser = subparsers.add_parser(group, help=help_text, description=help_text)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    needs_id = kind != "tenant"

    def with_id(command: argparse.ArgumentParser) -> None:
        add_tenant(command)
        if needs_id:
            command.add_argument("id", help=f"{kind} id")

    get = commands.add_parser("get", help=f"print one {kind}")
    with_id(get)
    add_format(get)
    get.set_defaults(handler=partial(cmd_get, kind=kind))

    listing = commands.add_parser(
        "list", help=f"list the {group}" + (" (without --tenant: every tenant)" if not needs_id else "")
    )
    add_tenant(listing, required=needs_id)
    add_format(listing, ("table", "yaml", "json"))
    listing.set_defaults(handler=partial(cmd_list, kind=kind))

    put = commands.add_parser(
        "put",
        help=f"create or update {group} from YAML/JSON files",
        description="Shows the diff, then writes each item if the stored version is still the one the file is "
        "based on (its `version`, or --expect-version); no `version` means create. A stale file is refused "
        "with a diff and nothing is written.",
    )
    add_tenant(put)
    put.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON: one item, or a list of items")
    put.add_argument("--expect-version", type=non_negative, help="the stored version this edit is based on")
    put.add_argument("--dry-run", action="store_true", help="validate and show the diff; write nothing")
    put.set_defaults(handler=partial(cmd_put, kind=kind))

    delete = commands.add_parser("delete", help=f"delete a {kind} (kept in history)")
    with_id(delete)
    delete.add_argument("--expect-version", type=non_negative, required=True, help="the stored version to delete")
    delete.add_argument("--dry-run", action="store_true")
    delete.set_defaults(handler=partial(cmd_delete, kind=kind))

    compare = commands.add_parser("diff", help="show how files differ from what is stored")
    add_tenant(compare)
    compare.add_argument("files", nargs="+", metavar="FILE")
    compare.set_defaults(handler=partial(cmd_diff, kind=kind))

    history = commands.add_parser("history", help=f"every version of a {kind}: who, when, what")
    with_id(history)
    history.add_argument("--version", type=non_negative, help="print this version")
    history.add_argument("--diff", action="store_true", help="show what each version changed")
    add_format(history)
    history.set_defaults(handler=partial(cmd_history, kind=kind))

    restore = commands.add_parser("restore", help="store an earlier version again, as a new version")
    with_id(restore)
    restore.add_argument("version", type=non_negative, help="the version to bring back")
    restore.add_argument(
        "--expect-version", type=non_negative, help="the current stored version (omit when the item is deleted)"
    )
    restore.add_argument("--dry-run", action="store_true")
    restore.set_defaults(handler=partial(cmd_restore, kind=kind))
    return commands


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Stored:
    """What is stored under a key: a valid model, or only the raw attributes and their problems."""

    model: StoredItem | None
    raw: dict[str, Any] | None
    problems: tuple[str, ...] = ()

    @property
    def exists(self) -> bool:
        return self.model is not None or self.raw is not None

    @property
    def label(self) -> str:
        return f"stored (version {self.version})" if self.exists else "stored (none)"

    @property
    def version(self) -> int | None:
        if self.model is not None:
            return self.model.version
        if self.raw is None:
            return None
        value = self.raw.get("version", 0)
        return value if isinstance(value, int) else 0

    @property
    def document(self) -> dict[str, Any] | None:
        if self.model is not None:
            return document(self.model)
        if self.raw is None:
            return None
        return {key: value for key, value in self.raw.items() if key not in KEY_ATTRIBUTES}


def read_stored(ctx: Context, tenant_id: str, kind: ItemKind, item_id: str) -> Stored:
    try:
        model = ctx.store.get(tenant_id, kind, item_id)
    except InvalidItem as exc:
        return Stored(None, ctx.store.get_raw(tenant_id, kind, item_id), tuple(exc.problems))
    return Stored(model, None)


def item_id_arg(ctx: Context, kind: ItemKind) -> str:
    return str(ctx.args.tenant if kind == "tenant" else ctx.args.id)


def label(kind: ItemKind, item_id: str) -> str:
    return f"{kind} '{item_id}'"


def summary(model: StoredItem) -> str:
    if isinstance(model, Tenant):
        return f"{model.display_name} ({model.status})"
    if isinstance(model, AgentProfile):
        return model.description or ""
    if isinstance(model, RoutingRule):
        target = model.profile_id or "variants " + ",".join(variant.name for variant in model.variants)
        return f"priority {model.priority}{'' if model.enabled else ' (disabled)'} -> {target}"
    if isinstance(model, Customer):
        return " ".join(part for part in (model.name, f"[{model.segment}]" if model.segment else None) if part)
    return ""


def print_problems(ctx: Context, where: str, problems: list[str] | tuple[str, ...]) -> None:
    ctx.warn(f"{where}:")
    for problem in problems:
        ctx.warn(f"  - {problem}")


# ----------------------------------------------------------------- commands


def cmd_get(ctx: Context, kind: ItemKind) -> int:
    item_id = item_id_arg(ctx, kind)
    stored = read_stored(ctx, ctx.args.tenant, kind, item_id)
    if not stored.exists:
        raise ItemNotFound(ctx.args.tenant, kind, item_id)
    ctx.say(dump(stored.document, ctx.args.format))
    if stored.problems:
        print_problems(ctx, f"stored {label(kind, item_id)} is invalid (the router falls back)", stored.problems)
        return EXIT_FAILED
    return EXIT_OK


def cmd_list(ctx: Context, kind: ItemKind) -> int:
    if kind == "tenant" and not ctx.args.tenant:
        items: list[StoredItem] = list(ctx.store.list_tenants())
        invalid: list[InvalidItem] = []
    else:
        listing = ctx.store.list_checked(ctx.args.tenant, kind)
        items, invalid = listing.items, listing.invalid
    if ctx.args.format == "table":
        rows = [
            (
                item_id_of(item),
                item.version,
                item.updated_at.isoformat(timespec="seconds") if item.updated_at else None,
                item.updated_by,
                summary(item),
            )
            for item in items
        ]
        ctx.say(render_table(("ID", "VERSION", "UPDATED_AT", "UPDATED_BY", "SUMMARY"), rows))
    else:
        ctx.say(dump([document(item) for item in items], ctx.args.format))
    for error in invalid:
        print_problems(ctx, f"invalid item {error.sort_key} (the router falls back)", error.problems)
    return EXIT_FAILED if invalid else EXIT_OK


@dataclass
class Plan:
    source: str
    model: StoredItem
    expected: int | None
    write: bool = True


def parse_documents(ctx: Context, kind: ItemKind, paths: list[str]) -> list[Plan] | None:
    """Every file validated with the router's model first; None (and every problem printed) if any is bad."""
    plans: list[Plan] = []
    bad = False
    for doc in load_documents(paths):
        try:
            model = MODELS[kind].model_validate(doc.data)
        except ValidationError as exc:
            print_problems(ctx, f"{doc.source}: not a valid {kind}", problems_of(exc))
            bad = True
            continue
        if isinstance(model, Tenant) and model.tenant_id != ctx.args.tenant:
            print_problems(ctx, f"{doc.source}: not a valid {kind}", [f"tenant_id is not '{ctx.args.tenant}'"])
            bad = True
            continue
        plans.append(Plan(doc.source, model, model.version if "version" in doc.data else None))
    ids = [item_id_of(plan.model) for plan in plans]
    duplicated = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicated:
        ctx.warn(f"the same {kind} appears more than once: {', '.join(duplicated)}")
        bad = True
    return None if bad else plans


def explain_conflict(
    ctx: Context, kind: ItemKind, item_id: str, expected: int | None, stored: Stored, ours: StoredItem
) -> None:
    based = "a new item (no `version`)" if expected is None else f"version {expected}"
    if not stored.exists:
        now = "it does not exist (deleted or never created): remove `version` from the file to create it"
    else:
        who = ""
        if stored.model is not None and stored.model.updated_by:
            when = stored.model.updated_at.isoformat(timespec="seconds") if stored.model.updated_at else "?"
            who = f", last changed by {stored.model.updated_by} at {when}"
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
    item_id = item_id_arg(ctx, kind)
    stored = read_stored(ctx, ctx.args.tenant, kind, item_id)
    if not stored.exists:
        raise ItemNotFound(ctx.args.tenant, kind, item_id)
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
            entry.updated_at.isoformat(timespec="seconds") if entry.updated_at else None,
            entry.updated_by,
            "deleted" if entry.item is None else ("current" if index == len(entries) - 1 else ""),
        )
        for index, entry in enumerate(entries)
    ]
    ctx.say(render_table(("VERSION", "UPDATED_AT", "UPDATED_BY", "NOTE"), rows))
    if ctx.args.diff:
        previous: dict[str, Any] | None = None
        for entry in entries:
            now = content(entry.item) if entry.item is not None else None
            changes = diff(previous, now, "before", f"version {entry.version}")
            ctx.say(f"\n--- version {entry.version} ({entry.updated_by}):")
            ctx.say(changes or "(no content change)")
            previous = now
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
