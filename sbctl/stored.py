"""The read model of the item commands: what is stored under an item's key (valid or not) and how it is named.

A stored item that no longer validates is still shown, from its raw attributes, with its problems:
that is the item an admin needs to see and fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.common.errors import InvalidItem, ItemNotFound
from functions.tenant_config.items import KEY_ATTRIBUTES, ItemKind
from functions.tenant_config.models import AgentProfile, Customer, RoutingRule, StoredItem, Tenant
from sbctl.context import Context
from sbctl.render import document


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
    """The item the command line names: the tenant item has no id of its own."""
    return str(ctx.args.tenant if kind == "tenant" else ctx.args.id)


def read_named(ctx: Context, kind: ItemKind) -> tuple[str, Stored]:
    """The item the command line names, which must exist (valid or not)."""
    item_id = item_id_arg(ctx, kind)
    stored = read_stored(ctx, ctx.args.tenant, kind, item_id)
    if not stored.exists:
        raise ItemNotFound(ctx.args.tenant, kind, item_id)
    return item_id, stored


def label(kind: ItemKind, item_id: str) -> str:
    return f"{kind} '{item_id}'"


def summary(model: StoredItem) -> str:
    """One line for `list --format table`."""
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
