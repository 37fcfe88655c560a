"""`sbctl profiles ...`: Agent profiles (prompt, voice, tools)."""

from __future__ import annotations

from sbctl.arguments import SubParsers
from sbctl.commands.items import register_group


def register(subparsers: SubParsers) -> None:
    register_group(subparsers, group="profiles", kind="profile", help_text="Agent profiles (prompt, voice, tools)")
