"""ETags and conditional requests: an item's ETag is its version, quoted (`"3"`).

Updates and deletes must say which version they change (`If-Match`), so a stale edit is refused (412)
instead of overwriting someone else's; creates say the item must not exist yet (`If-None-Match: *`).
"""

from __future__ import annotations

import re

from functions.tenant_api.errors import InvalidRequest, PreconditionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')
CREATE = None  # expected version of an item that must not exist yet


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, if_none_match: str | None, *, allow_create: bool) -> int | None:
    """The version a write is based on; None (CREATE) for `If-None-Match: *`."""
    if if_match is not None:
        match = _ETAG.match(if_match)
        if match is None:
            raise InvalidRequest(
                "the version you are changing must be a number such as 3; read the item again and retry",
                fields={"If-Match": ['not an ETag like "3"']},
            )
        return int(match.group(1))
    if allow_create and if_none_match is not None and if_none_match.strip() == "*":
        return CREATE
    fields = {"If-Match": ['the version you read, such as "3", to change it']}
    if allow_create:
        fields["If-None-Match"] = ["*, to create it"]
    new = ", or say that it is new" if allow_create else ""
    raise PreconditionRequired(
        f"say which version you are changing: read it first and send the version you read{new}", fields=fields
    )
