"""Printing items: YAML/JSON documents, unified diffs and plain tables."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import yaml

from functions.tenant_config.items import ID_FIELDS, content, kind_of_model
from functions.tenant_config.models import BOOKKEEPING, StoredItem


def document(model: StoredItem) -> dict[str, Any]:
    """An item as an admin edits it: its id, its content, then version / updated_at / updated_by."""
    body = content(model)
    id_field = ID_FIELDS[kind_of_model(model)]
    body = {id_field: body.pop(id_field), **body, **model.model_dump(mode="json", include=set(BOOKKEEPING))}
    return {key: value for key, value in body.items() if value is not None}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (prompts) as literal blocks, so they read and diff line by line."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return text.rstrip("\n")


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, before_label: str, after_label: str) -> str:
    """Unified diff of two items' YAML (bookkeeping left out); empty when their content is equal."""

    def lines(data: Mapping[str, Any] | None) -> list[str]:
        if data is None:
            return []
        shown = {key: value for key, value in data.items() if key not in BOOKKEEPING}
        return (dump(shown, "yaml") + "\n").splitlines(keepends=True)

    return "".join(difflib.unified_diff(lines(before), lines(after), before_label, after_label)).rstrip("\n")


def timestamp(moment: datetime | None) -> str | None:
    """An item's `updated_at` as tables and messages show it: to the second."""
    return moment.isoformat(timespec="seconds") if moment else None


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(header) for header in headers]]
    cells += [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells)
    return "\n".join(lines)
