"""`sbctl rules ...`: Routing rules (which profile serves which call)."""

from __future__ import annotations

from sbctl.arguments import SubParsers
from sbctl.commands.items import register_group


def register(subparsers: SubParsers) -> None:
    register_group(subparsers, group="rules", kind="rule", help_text="Routing rules (which profile serves which call)")
