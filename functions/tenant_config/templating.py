"""Prompt templates: `{{ name }}`, `{{ customer.name }}`, `{{ name | default("there") }}`.

A deliberately tiny language, hand-written because a template engine (Jinja2 and kin) can run code
and costs cold-start time, while prompts only ever need substitution. Rendering never raises:
a missing variable renders as its default (or nothing) and is reported; values are inserted once
and never re-rendered, so a customer's name cannot inject placeholders; output length is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<path>" + _NAME + r"(?:\." + _NAME + r")?)\s*"
    r"(?:\|\s*default\(\s*(?P<quote>[\"'])(?P<default>.*?)(?P=quote)\s*\)\s*)?\}\}",
    re.DOTALL,
)
NAMESPACES = ("tenant", "customer", "call", "profile")

# `context` maps a namespace to its variables; bare names are looked up in "vars", the merge of
# tenant, profile and customer variables (the most specific wins).
TemplateContext = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]
    truncated: bool


def template_errors(template: str) -> list[str]:
    """Syntax problems an admin must fix before the template is stored (empty list when fine)."""
    errors: list[str] = []
    covered = [match.span() for match in PLACEHOLDER.finditer(template)]
    for match in PLACEHOLDER.finditer(template):
        namespace = match.group("path").rpartition(".")[0]
        if namespace and namespace not in NAMESPACES:
            errors.append(f"unknown namespace '{namespace}' in {match.group(0)!r}; use one of {', '.join(NAMESPACES)}")
    for opening in re.finditer(r"\{\{", template):
        if not any(start <= opening.start() < end for start, end in covered):
            snippet = template[opening.start() : opening.start() + 40]
            errors.append(f"malformed placeholder at character {opening.start()}: {snippet!r}")
    return errors


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
