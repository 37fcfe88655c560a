"""Which stream records are configuration items, and whether their new image validates.

Pure: takes a record's keys and new image (plain Python values), returns a Finding or None.
Uses `items.from_item`, the very function the router reads items with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from functions.common import table
from functions.common.errors import InvalidItem
from functions.item_validator.models import Finding
from functions.tenant_config.items import from_item

CHECKED_PREFIXES = (table.CONFIG_PREFIX, table.CUSTOMER_PREFIX)  # what the router reads
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def redact(problem: str) -> str:
    """Keep where and why, drop quoted text (a snippet of a prompt, a pattern, an input)."""
    return _QUOTED.sub("<redacted>", problem)


def is_checked(keys: Mapping[str, Any]) -> bool:
    pk, sk = str(keys.get(table.PARTITION_KEY, "")), str(keys.get(table.SORT_KEY, ""))
    return pk.startswith(table.TENANT_PREFIX) and sk.startswith(CHECKED_PREFIXES)


def check(keys: Mapping[str, Any], new_image: Mapping[str, Any] | None) -> Finding | None:
    """None when the record is not a configuration item, is a delete, or validates."""
    if not new_image or not is_checked(keys):
        return None
    tenant_id = str(keys[table.PARTITION_KEY])[len(table.TENANT_PREFIX) :]
    try:
        from_item(tenant_id, new_image)
    except InvalidItem as exc:
        return Finding(tenant_id, exc.sort_key, tuple(redact(problem) for problem in exc.problems))
    return None
