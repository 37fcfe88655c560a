"""`sbctl tenants ...`: Tenant settings (display name, time zone, numbers, hours, default profile)."""

from __future__ import annotations

from sbctl.arguments import SubParsers
from sbctl.commands.items import register_group


def register(subparsers: SubParsers) -> None:
    register_group(
        subparsers,
        group="tenants",
        kind="tenant",
        help_text="Tenant settings (display name, time zone, numbers, hours, default profile)",
    )
