"""Identifier and number types every function shares, defined once (pydantic annotated types, plus
plain checks for the hot path where building a model would cost more than the check)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, Strict

TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
ITEM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

# 1-63 lowercase letters, digits or inner hyphens: a DNS label, so it fits keys, URLs and secret names.
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]
ItemId = Annotated[str, Field(pattern=ITEM_ID_PATTERN)]
E164 = Annotated[str, Field(pattern=E164_PATTERN)]
CallerPrefix = Annotated[str, Field(pattern=r"^\+[0-9]{1,14}$")]
VariableName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
# ThunderPhone's call ids are 64-bit integers (shared/thunderphone-api.md 6): 1..2^63-1, a JSON integer only.
# Strict: a float (1.0, 1e3), a bool or a string is not a call id, and nothing larger ever reaches DynamoDB
# (whose numbers stop at 38 digits) or a key.
MAX_CALL_ID = 2**63 - 1
CallId = Annotated[int, Strict(), Field(ge=1, le=MAX_CALL_ID)]
# An item's version: 1 for a new item, +1 per change (0: written by hand without one).
Version = Annotated[int, Field(ge=0, le=2_000_000_000)]

_TENANT_ID = re.compile(TENANT_ID_PATTERN)
_E164 = re.compile(E164_PATTERN)


def is_tenant_id(value: str) -> bool:
    return _TENANT_ID.match(value) is not None


def is_e164(value: str) -> bool:
    return _E164.match(value) is not None


def is_call_id(value: object) -> bool:
    """`CallId` without building a model: an int (never a bool) in 1..MAX_CALL_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CALL_ID
