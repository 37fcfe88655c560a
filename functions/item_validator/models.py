"""Settings and findings of the DynamoDB Streams validator that reports invalid configuration items."""

from __future__ import annotations

from dataclasses import dataclass

from functions.common.settings import FunctionSettings


class ItemValidatorSettings(FunctionSettings):
    """No required settings: it validates the stream records it is given."""


@dataclass(frozen=True)
class Finding:
    """An item written to the table that the router cannot read (it falls back for it)."""

    tenant_id: str
    sort_key: str
    problems: tuple[str, ...]  # locations and reasons, values redacted
