"""`sbctl profiles|rules|customers list|get|put|delete`: one item kind of the tenant API.

`put` never overwrites silently: it changes the version it is based on (`--expect-version N`, else the
`version` a `get` wrote into the file) with `If-Match`, and without one it creates (`If-None-Match: *`).
A refusal says the current version and the command to run next.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial
from typing import Any

from functions.tenant_config.models import BOOKKEEPING
from sbctl.arguments import SubParsers, non_negative
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.files import load_text, read_text
from sbctl.render import table
from sbctl.sanity import rule_problems
from sbctl.tenant_mode import messages
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiError, item_path

PAGE_SIZE = 100


@dataclass(frozen=True)
class Kind:
    group: str  # "profiles": the command group and the API collection
    name: str  # "profile"
    id_field: str  # "profile_id"
    help: str


KINDS = {
    "profiles": Kind("profiles", "profile", "profile_id", "agent profiles: prompt, voice, tools (drafted)"),
    "rules": Kind("rules", "rule", "rule_id", "routing rules: conditions, priority, profile or A/B variants (drafted)"),
    "customers": Kind(
        "customers", "customer", "customer_id", "known callers: name, segment, variables, prompts (live at once)"
    ),
}


def register(subparsers: SubParsers) -> None:
    register_group(subparsers, KINDS["profiles"])
    register_group(subparsers, KINDS["rules"])


def register_group(subparsers: SubParsers, kind: Kind) -> SubParsers:
    when = messages.effective(kind.name)
    parser = subparsers.add_parser(
        kind.group, help=kind.help, description=f"{kind.help[0].upper()}{kind.help[1:]}. An edit is {when}."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help=f"list the {kind.group}")
    listing.add_argument("--format", choices=("table", "yaml", "json"), default="table")
    listing.set_defaults(handler=partial(cmd_list, kind=kind))

    get = commands.add_parser("get", help=f"print one {kind.name} (a file `put -f` takes back)")
    get.add_argument("id", help=f"{kind.name} id")
    get.add_argument("--format", choices=("yaml", "json"), default="yaml")
    get.set_defaults(handler=partial(cmd_get, kind=kind))

    put = commands.add_parser(
        "put",
        help=f"create or change a {kind.name} from a YAML or JSON file",
        description=(
            f"Changes the {kind.name} only if it is still at the version your edit is based on: --expect-version N, "
            "else the file's `version` (what `get` printed). Without either, put creates it and is refused if it "
            f"exists. An edit is {when}."
        ),
    )
    put.add_argument("id", nargs="?", help=f"{kind.name} id (default: the file's {kind.id_field})")
    put.add_argument("-f", "--file", required=True, metavar="FILE", help="YAML or JSON: one item, or a list of items")
    put.add_argument("--expect-version", type=non_negative, help="the version your edit is based on")
    put.set_defaults(handler=partial(cmd_put, kind=kind))

    delete = commands.add_parser("delete", help=f"delete a {kind.name}")
    delete.add_argument("id", help=f"{kind.name} id")
    delete.add_argument(
        "--expect-version", type=non_negative, required=True, help="the version you are deleting (`get` shows it)"
    )
    delete.set_defaults(handler=partial(cmd_delete, kind=kind))
    return commands


# ---------------------------------------------------------------------------------------------------- reads


def cmd_list(ctx: TenantContext, kind: Kind) -> int:
    items = list_items(ctx, kind)
    if ctx.args.format != "table":
        ctx.show(items)
        return EXIT_OK
    if not items:
        ctx.say(f"no {kind.group}")
        return EXIT_OK
    headers, rows = _summary(kind, items)
    ctx.say(table(headers, rows))
    return EXIT_OK


def list_items(ctx: TenantContext, kind: Kind) -> list[dict[str, Any]]:
    """Every item; customers come in pages (`next_cursor`), followed to the end."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"limit": PAGE_SIZE, "cursor": cursor} if kind.name == "customer" else None
        data = ctx.api.request("GET", f"/{kind.group}", query=query).data or {}
        items += [item for item in data.get("items") or [] if isinstance(item, dict)]
        cursor = data.get("next_cursor")
        if not cursor:
            return items


def _summary(kind: Kind, items: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    if kind.name == "profile":
        headers = ["ID", "VERSION", "VOICE", "PRODUCT", "UPDATED_BY", "UPDATED_AT"]
        rows = [[i.get("profile_id"), i.get("version"), i.get("voice"), i.get("product")] for i in items]
    elif kind.name == "rule":
        items = sorted(items, key=lambda i: (i.get("priority", 0), str(i.get("rule_id"))))
        headers = ["ID", "VERSION", "PRIORITY", "ENABLED", "TARGET", "UPDATED_BY", "UPDATED_AT"]
        rows = [
            [i.get("rule_id"), i.get("version"), i.get("priority"), i.get("enabled", True), _target(i)] for i in items
        ]
    else:
        headers = ["ID", "VERSION", "NAME", "SEGMENT", "UPDATED_BY", "UPDATED_AT"]
        rows = [[i.get("customer_id"), i.get("version"), i.get("name"), i.get("segment")] for i in items]
    return headers, [[*row, i.get("updated_by"), i.get("updated_at")] for row, i in zip(rows, items, strict=True)]


def _target(rule: dict[str, Any]) -> str:
    if rule.get("profile_id"):
        return str(rule["profile_id"])
    variants = rule.get("variants") or []
    return " / ".join(f"{v.get('name')}:{v.get('profile_id')} ({v.get('weight')})" for v in variants)


def cmd_get(ctx: TenantContext, kind: Kind) -> int:
    ctx.show(document(ctx.api.request("GET", item_path(kind.group, ctx.args.id)).data, kind.id_field))
    return EXIT_OK


def document(data: Any, id_field: str) -> Any:
    """An item as an admin edits it: its id first, then its content, then version / updated_at / updated_by."""
    if not isinstance(data, dict):
        return data
    first = {id_field: data[id_field]} if id_field in data else {}
    content = {key: value for key, value in data.items() if key != id_field and key not in BOOKKEEPING}
    return first | content | {key: data[key] for key in BOOKKEEPING if key in data}


# --------------------------------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class Edit:
    source: str
    item_id: str
    body: dict[str, Any]
    expected: int | None  # None: create


def read_edits(args: argparse.Namespace, kind: Kind) -> list[Edit]:
    """The file's items, each with its id and base version; refused (exit 2) before any request when
    an id is missing or contradictory, or a rule could never match."""
    path = args.file
    loaded = load_text(read_text(path), path)
    documents = loaded if isinstance(loaded, list) else [loaded]
    if not documents:
        raise UsageError(f"{path}: no items in the file")
    several = isinstance(loaded, list)
    if several and (args.id or args.expect_version is not None):
        raise UsageError(f"{path} holds a list of items: give each its id and `version` in the file instead of flags")
    edits: list[Edit] = []
    problems: list[str] = []
    for index, document in enumerate(documents):
        source = f"{path}[{index}]" if several else path
        if not isinstance(document, dict):
            raise UsageError(f"{source}: a {kind.name} is a mapping of fields, not {type(document).__name__}")
        given = document.get(kind.id_field)
        item_id = args.id or given
        if given is not None and args.id and given != args.id:
            raise UsageError(f"{source} is {kind.name} '{given}', not '{args.id}': leave the id out, or fix one")
        if not isinstance(item_id, str) or not item_id:
            raise UsageError(f"{source}: say which {kind.name}: put `{kind.id_field}` in the file, or give the id")
        if kind.name == "rule":
            problems += [f"{source}: {problem}" for problem in rule_problems(document)]
        expected = args.expect_version
        if expected is None and isinstance(document.get("version"), int) and not isinstance(document["version"], bool):
            expected = document["version"]
        body = {key: value for key, value in document.items() if key not in BOOKKEEPING}
        edits.append(Edit(source, item_id, body, expected))
    if problems:
        raise UsageError("this rule can never match a call, nothing was sent:\n  - " + "\n  - ".join(problems))
    ids = [edit.item_id for edit in edits]
    duplicated = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicated:
        raise UsageError(f"{path}: the same {kind.name} appears more than once: {', '.join(duplicated)}")
    return edits


def cmd_put(ctx: TenantContext, kind: Kind) -> int:
    edits = read_edits(ctx.args, kind)
    saved: list[str] = []
    for edit in edits:
        if not put_one(ctx, kind, edit):
            if saved:
                ctx.warn(f"saved before this failure: {', '.join(saved)} ({messages.effective(kind.name)})")
            return EXIT_FAILED
        saved.append(edit.item_id)
    return EXIT_OK


def put_one(ctx: TenantContext, kind: Kind, edit: Edit) -> bool:
    headers = {"if-none-match": "*"} if edit.expected is None else {"if-match": f'"{edit.expected}"'}
    path = item_path(kind.group, edit.item_id)
    try:
        answer = ctx.api.request("PUT", path, body=edit.body, headers=headers)
    except ApiError as error:
        if error.status == 412:
            return explain_refused_put(ctx, kind, edit, error)
        if error.status == 404 and edit.expected is not None:
            ctx.warn(
                f"sbctl: {messages.label(kind.name, edit.item_id)} does not exist (any more): to create it, put it "
                "again without --expect-version and without `version` in the file"
            )
            return False
        raise
    data = answer.data if isinstance(answer.data, dict) else {}
    item = data.get("item")
    version = item.get("version", answer.version) if isinstance(item, dict) else answer.version
    action = "created" if answer.status == 201 else "changed"
    what = messages.label(kind.name, edit.item_id)
    ctx.say(f"{what} {action}, now version {version}: {messages.effective(kind.name)}")
    ctx.warnings(data)
    return True


def explain_refused_put(ctx: TenantContext, kind: Kind, edit: Edit, error: ApiError) -> bool:
    """Word a 412; True (nothing to do) when what is stored already says what the file says, so running the
    same put again is harmless."""
    current = error.current if error.current is not None else _fetch(ctx, kind, edit.item_id)
    version = current.get("version") if current else None
    ours = {kind.id_field: edit.item_id, **edit.body}
    if current is not None and messages.same_content(current, ours):
        ctx.say(
            f"{messages.label(kind.name, edit.item_id)} already says what your file says (version {version}): "
            "nothing to save"
        )
        return True
    if error.code == "already_exists" or edit.expected is None:
        ctx.warn("sbctl: " + messages.already_exists(kind.name, edit.item_id, version, kind.group))
        return False
    next_step = (
        f"Merge your change into the current version (`sbctl {kind.group} get {edit.item_id}`), then put it again "
        "with --expect-version {version}."
    )
    lines = messages.stale(kind.name, edit.item_id, edit.expected, current, ours, next_step)
    ctx.warn_lines(["sbctl: " + lines[0], *lines[1:]])
    return False


def _fetch(ctx: TenantContext, kind: Kind, item_id: str) -> dict[str, Any] | None:
    try:
        data = ctx.api.request("GET", item_path(kind.group, item_id)).data
    except ApiError:
        return None
    return data if isinstance(data, dict) else None


def cmd_delete(ctx: TenantContext, kind: Kind) -> int:
    item_id, expected = ctx.args.id, ctx.args.expect_version
    try:
        ctx.api.request("DELETE", item_path(kind.group, item_id), headers={"if-match": f'"{expected}"'})
    except ApiError as error:
        if error.status != 412:
            raise
        current = error.current if error.current is not None else _fetch(ctx, kind, item_id)
        next_step = (
            f"Look at the current version (`sbctl {kind.group} get {item_id}`); to delete it anyway, delete it again "
            "with --expect-version {version}."
        )
        lines = messages.stale(kind.name, item_id, expected, current, None, next_step, nothing="Nothing was deleted.")
        ctx.warn_lines(["sbctl: " + lines[0], *lines[1:]])
        return EXIT_FAILED
    if kind.name == "customer":
        ctx.say(f"{messages.label(kind.name, item_id)} deleted: {messages.LIVE_NOW}")
    else:
        ctx.say(
            f"{messages.label(kind.name, item_id)} deleted from the draft; callers stop getting it after "
            "`sbctl draft publish`"
        )
    return EXIT_OK
