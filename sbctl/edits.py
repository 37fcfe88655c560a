"""Item files read as edits: each validated with the router's model and paired with the version it is based on.

`put` writes these edits and `diff` compares them with what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from functions.common.validation import problems_of
from functions.tenant_config.items import MODELS, ItemKind, item_id_of
from functions.tenant_config.models import StoredItem, Tenant
from sbctl.context import Context
from sbctl.files import load_documents


@dataclass
class Plan:
    """One item from a file: where it came from, what it says and the stored version it expects."""

    source: str
    model: StoredItem
    expected: int | None  # None: the file has no `version`, so the item must not exist yet
    write: bool = True


def parse_documents(ctx: Context, kind: ItemKind, paths: list[str]) -> list[Plan] | None:
    """Every file validated with the router's model first; None (and every problem printed) if any is bad."""
    plans: list[Plan] = []
    bad = False
    for doc in load_documents(paths):
        try:
            model = MODELS[kind].model_validate(doc.data)
        except ValidationError as exc:
            ctx.warn_problems(f"{doc.source}: not a valid {kind}", problems_of(exc))
            bad = True
            continue
        if isinstance(model, Tenant) and model.tenant_id != ctx.args.tenant:
            ctx.warn_problems(f"{doc.source}: not a valid {kind}", [f"tenant_id is not '{ctx.args.tenant}'"])
            bad = True
            continue
        plans.append(Plan(doc.source, model, model.version if "version" in doc.data else None))
    ids = [item_id_of(plan.model) for plan in plans]
    duplicated = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicated:
        ctx.warn(f"the same {kind} appears more than once: {', '.join(duplicated)}")
        bad = True
    return None if bad else plans
