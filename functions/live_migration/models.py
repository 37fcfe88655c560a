"""The live migration's settings and what one run did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from functions.common.settings import FunctionSettings


class LiveMigrationSettings(FunctionSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]


@dataclass
class MigrationReport:
    """Tenants by what the run did: published now, already live, or refused (tenant id -> why, in words)."""

    published: list[str] = field(default_factory=list)
    already_live: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{len(self.published)} published, {len(self.already_live)} already live, {len(self.refused)} refused"
        if self.refused:
            text += " (" + ", ".join(sorted(self.refused)) + "; see the migration's log group)"
        return text
