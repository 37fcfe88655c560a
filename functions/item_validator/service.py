"""Which stream records are configuration items, and whether their new image validates.

Pure: takes a record's keys and new image (plain Python values), returns a Finding or None.
Uses the very functions the router and publishing read items with: `live.version_of` for the published
configuration, `items.from_item` for draft items and customers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from functions.common import table
from functions.common.errors import InvalidItem
from functions.item_validator.models import Finding
from functions.tenant_config.items import from_item
from functions.tenant_config.live import version_of

# What the router reads (LIVE, customers), what it did serve (PUBLISHED#) and what a publish will read (CONFIG#).
CHECKED_PREFIXES = (table.LIVE_SK, table.PUBLISHED_PREFIX, table.CONFIG_PREFIX, table.CUSTOMER_PREFIX)
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
    sort_key = str(keys[table.SORT_KEY])
    try:
        if sort_key == table.LIVE_SK or sort_key.startswith(table.PUBLISHED_PREFIX):
            version_of(tenant_id, {**new_image, table.SORT_KEY: sort_key})
        else:
            from_item(tenant_id, new_image)
    except InvalidItem as exc:
        return Finding(tenant_id, exc.sort_key, tuple(redact(problem) for problem in exc.problems))
    return None
