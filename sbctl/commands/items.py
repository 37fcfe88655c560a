"""`sbctl <group> get|list|put|delete|diff|history|restore`: the command line of one kind of configuration item.

Shared by the tenants, profiles, rules and customers groups. The commands themselves are in
sbctl.commands.item_reads (get, list, diff, history) and sbctl.commands.item_writes (put, delete, restore).
"""

from __future__ import annotations

import argparse
from functools import partial

from functions.tenant_config.items import ItemKind
from sbctl.arguments import SubParsers, add_format, add_tenant, non_negative
from sbctl.commands.item_reads import cmd_diff, cmd_get, cmd_history, cmd_list
from sbctl.commands.item_writes import cmd_delete, cmd_put, cmd_restore


def register_group(subparsers: SubParsers, *, group: str, kind: ItemKind, help_text: str) -> SubParsers:
    """Add `sbctl <group> get|list|put|delete|diff|history|restore`; returns the group's subparsers."""
    parser = subparsers.add_parser(group, help=help_text, description=help_text)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    needs_id = kind != "tenant"  # the tenant item is named by --tenant alone

    def with_id(command: argparse.ArgumentParser) -> None:
        add_tenant(command)
        if needs_id:
            command.add_argument("id", help=f"{kind} id")

    get = commands.add_parser("get", help=f"print one {kind}")
    with_id(get)
    add_format(get)
    get.set_defaults(handler=partial(cmd_get, kind=kind))

    listing = commands.add_parser(
        "list", help=f"list the {group}" + (" (without --tenant: every tenant)" if not needs_id else "")
    )
    add_tenant(listing, required=needs_id)
    add_format(listing, ("table", "yaml", "json"))
    listing.set_defaults(handler=partial(cmd_list, kind=kind))

    put = commands.add_parser(
        "put",
        help=f"create or update {group} from YAML/JSON files",
        description="Shows the diff, then writes each item if the stored version is still the one the file is "
        "based on (its `version`, or --expect-version); no `version` means create. A stale file is refused "
        "with a diff and nothing is written.",
    )
    add_tenant(put)
    put.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON: one item, or a list of items")
    put.add_argument("--expect-version", type=non_negative, help="the stored version this edit is based on")
    put.add_argument("--dry-run", action="store_true", help="validate and show the diff; write nothing")
    put.set_defaults(handler=partial(cmd_put, kind=kind))

    delete = commands.add_parser("delete", help=f"delete a {kind} (kept in history)")
    with_id(delete)
    delete.add_argument("--expect-version", type=non_negative, required=True, help="the stored version to delete")
    delete.add_argument("--dry-run", action="store_true")
    delete.set_defaults(handler=partial(cmd_delete, kind=kind))

    compare = commands.add_parser("diff", help="show how files differ from what is stored")
    add_tenant(compare)
    compare.add_argument("files", nargs="+", metavar="FILE")
    compare.set_defaults(handler=partial(cmd_diff, kind=kind))

    history = commands.add_parser("history", help=f"every version of a {kind}: who, when, what")
    with_id(history)
    history.add_argument("--version", type=non_negative, help="print this version")
    history.add_argument("--diff", action="store_true", help="show what each version changed")
    add_format(history)
    history.set_defaults(handler=partial(cmd_history, kind=kind))

    restore = commands.add_parser("restore", help="store an earlier version again, as a new version")
    with_id(restore)
    restore.add_argument("version", type=non_negative, help="the version to bring back")
    restore.add_argument(
        "--expect-version", type=non_negative, help="the current stored version (omit when the item is deleted)"
    )
    restore.add_argument("--dry-run", action="store_true")
    restore.set_defaults(handler=partial(cmd_restore, kind=kind))
    return commands
