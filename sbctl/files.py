"""Reading item files: YAML or JSON, one item (a mapping) or several (a list) per file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sbctl.errors import FileProblem


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads an unquoted +33180000001 as a number; a phone number must stay a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if first != "+" or not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Document:
    source: str  # "profile.yaml" or "rules.yaml[2]"
    data: dict[str, Any]


def load_text(text: str, name: str) -> Any:
    try:
        if name.endswith(".json"):
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise FileProblem(f"{name}: not valid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}") from None


def read_text(path: str, *, newline: str | None = None) -> str:
    """The file's text; `newline=""` keeps line endings as they are (CSV: a cell may hold a carriage return)."""
    try:
        with Path(path).open(encoding="utf-8", newline=newline) as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise FileProblem(f"{path}: cannot read: {exc}") from None


def load_documents(paths: list[str]) -> list[Document]:
    documents: list[Document] = []
    for path in paths:
        loaded = load_text(read_text(path), path)
        entries = loaded if isinstance(loaded, list) else [loaded]
        for index, entry in enumerate(entries):
            source = path if not isinstance(loaded, list) else f"{path}[{index}]"
            if not isinstance(entry, dict):
                raise FileProblem(f"{source}: an item is a mapping of attributes, not {type(entry).__name__}")
            documents.append(Document(source, entry))
    if not documents:
        raise FileProblem("no items in the given files")
    return documents
