"""Prompt templates: `{{ name }}`, `{{ customer.name }}`, `{{ name | default("there") }}`.

A deliberately tiny language, hand-written because a template engine (Jinja2 and kin) can run code
and costs cold-start time, while prompts only ever need substitution. Rendering never raises:
a missing variable renders as its default (or nothing) and is reported; values are inserted once
and never re-rendered, so a customer's name cannot inject placeholders; output length is bounded.

Checking and rendering take time linear in the template's size, whatever a tenant writes: the
placeholder pattern cannot backtrack far (names and spaces are matched possessively, a default is at
most MAX_DEFAULT_CHARS on one line without `}}`), and `template_errors` walks the placeholders and
the `{{` openings once, side by side.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

MAX_PLACEHOLDERS = 200
MAX_DEFAULT_CHARS = 200
# Errors of one kind listed in full before the rest are counted ("... and 3 more").
_MAX_LISTED = 5

_NAME = r"[A-Za-z_][A-Za-z0-9_]*+"
_PATH = r"(?P<path>" + _NAME + r"(?:\." + _NAME + r")?)"
# Possessive `*+`: what follows a run of spaces (or of name characters) is never one of them, so
# giving characters back could never help a match; possessive runs make that explicit to the engine.
PLACEHOLDER = re.compile(
    r"\{\{\s*+" + _PATH + r"\s*+"
    r"(?:\|\s*+default\(\s*+(?P<quote>[\"'])"
    r"(?P<default>(?:[^\n}]|\}(?!\})){0," + str(MAX_DEFAULT_CHARS) + r"}?)"
    r"(?P=quote)\s*+\)\s*+)?\}\}"
)
# The start of a placeholder with a default, to explain why the whole did not match.
_DEFAULT_START = re.compile(r"\{\{\s*+" + _PATH + r"\s*+\|\s*+default\(")
_OPENING = re.compile(r"\{\{")
NAMESPACES = ("tenant", "customer", "call", "profile")

# What the router gives `call.*` (routing.template_context; from_number on phone calls only, to_number and
# widget_id when the call has them) and the names it adds to the tenant's and the profile's variables.
CALL_VARIABLES = frozenset(
    {
        "id",
        "channel",
        "local_time",
        "local_date",
        "weekday",
        "timezone",
        "is_business_hours",
        "from_number",
        "to_number",
        "widget_id",
    }
)
BUILT_IN_VARIABLES = frozenset({"tenant.id", "tenant.name", "profile.id"})

# `context` maps a namespace to its variables; bare names are looked up in "vars", the merge of
# tenant, profile and customer variables (the most specific wins).
TemplateContext = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]
    truncated: bool


def _listed(errors: list[str], total: int) -> list[str]:
    """The first few errors of a kind, then how many more there are."""
    if total <= _MAX_LISTED:
        return errors[:_MAX_LISTED]
    return [*errors[:_MAX_LISTED], f"... and {total - _MAX_LISTED} more like these"]


def _malformed(template: str, position: int) -> str:
    snippet = template[position : position + 40]
    message = f"malformed placeholder at character {position}: {snippet!r}"
    if _DEFAULT_START.match(template, position):
        message += (
            f"; a default is quoted, on one line, at most {MAX_DEFAULT_CHARS} characters and without '}}}}', "
            'as in {{ name | default("there") }}'
        )
    return message


def template_errors(template: str) -> list[str]:
    """Syntax problems and limits an admin must fix before the template is stored (empty list when fine).

    Linear: the placeholders are found once, and they and the `{{` openings both come in order, so one
    walk over the two tells whether each opening lies inside a placeholder."""
    found = list(PLACEHOLDER.finditer(template))
    namespaces: list[str] = []
    for match in found:
        namespace = match.group("path").rpartition(".")[0]
        if namespace and namespace not in NAMESPACES:
            namespaces.append(
                f"unknown namespace '{namespace}' in {match.group(0)!r}; use one of {', '.join(NAMESPACES)}"
            )
    malformed: list[int] = []
    index = 0
    for opening in _OPENING.finditer(template):
        start = opening.start()
        while index < len(found) and found[index].end() <= start:
            index += 1
        if index == len(found) or found[index].start() > start:
            malformed.append(start)
    errors = _listed(namespaces, len(namespaces))
    errors += _listed([_malformed(template, start) for start in malformed[:_MAX_LISTED]], len(malformed))
    if len(found) > MAX_PLACEHOLDERS:
        errors.append(f"uses {len(found)} placeholders; at most {MAX_PLACEHOLDERS} are allowed")
    return errors


def unknown_variables(template: str, known: Collection[str], *, with_defaults: bool = False) -> list[str]:
    """Paths that may render empty because nothing is known to define them, in order of first use.

    `known` holds the bare names and `tenant.`/`profile.` paths the tenant and the profile define (the
    router's own `tenant.id`, `tenant.name` and `profile.id` are always known). A `call.` path must be one
    of CALL_VARIABLES and is reported even with a default: no call ever provides another. `customer.`
    paths are never reported, customers differ. Other paths whose every use carries a default are left
    out (the author chose what they render), unless `with_defaults`."""
    undefaulted: dict[str, bool] = {}
    for match in PLACEHOLDER.finditer(template):
        path = match.group("path")
        undefaulted[path] = undefaulted.get(path, False) or match.group("default") is None
    unknown: list[str] = []
    for path, lacks_default in undefaulted.items():
        namespace, _, name = path.rpartition(".")
        if namespace == "customer":
            continue
        if namespace == "call":
            if name not in CALL_VARIABLES:
                unknown.append(path)
            continue
        if (lacks_default or with_defaults) and path not in known and path not in BUILT_IN_VARIABLES:
            unknown.append(path)
    return unknown


def render(template: str, context: TemplateContext, *, max_chars: int) -> Rendered:
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        path = match.group("path")
        namespace, _, name = path.rpartition(".")
        value = context.get(namespace or "vars", {}).get(name)
        if value is None:
            if match.group("default") is None:
                missing.append(path)
            return match.group("default") or ""
        return value

    text = PLACEHOLDER.sub(substitute, template)
    truncated = len(text) > max_chars
    return Rendered(text=text[:max_chars], missing=tuple(dict.fromkeys(missing)), truncated=truncated)
