"""The live migration's settings and what one run did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from functions.common.settings import FunctionSettings


class LiveMigrationSettings(FunctionSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]


# The summary is a custom resource's answer, which CloudFormation refuses over 4,096 bytes (failing the deploy): it
# names this many refused tenants, each cut to a tenant id's longest, and counts the rest. The log names them all.
SUMMARY_TENANTS = 10
SUMMARY_ID_CHARS = 63


@dataclass
class MigrationReport:
    """Tenants by what the run did: published now, already live, or refused (tenant id -> why, in words)."""

    published: list[str] = field(default_factory=list)
    already_live: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{len(self.published)} published, {len(self.already_live)} already live, {len(self.refused)} refused"
        if self.refused:
            named = [_shown(tenant_id) for tenant_id in sorted(self.refused)[:SUMMARY_TENANTS]]
            more = len(self.refused) - len(named)
            text += " (" + ", ".join(named) + (f" and {more} more" if more else "") + "; see the migration's log group)"
        return text


def _shown(tenant_id: str) -> str:
    """A refused id as the summary shows it: a broken item's id may be longer than any valid one."""
    return tenant_id if len(tenant_id) <= SUMMARY_ID_CHARS else tenant_id[: SUMMARY_ID_CHARS - 1] + "…"
