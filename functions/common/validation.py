"""pydantic validation errors in words a person reads: where, then why (never a rejected value that is long or
unusual), and the check a JSON request body passes before anything parses it.

`problems_of` is the terse form for stored items and tools (pydantic's own wording); `explain` is the form an API
answers with: `{"tenant_id": ["tenant_id must be 1 to 63 lowercase letters, ..."]}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from pydantic import ValidationError

from functions.common.types import E164_PATTERN, ITEM_ID_PATTERN, TENANT_ID_PATTERN

# What each pattern of the request and stored models means, as "<field> must be <this>". Patterns that have no
# constant of their own are spelt out; tests/unit/common/test_validation.py checks that every pattern the models
# use is here, so a new or changed pattern cannot fall back to the generic sentence unnoticed.
PATTERNS: dict[str, str] = {
    TENANT_ID_PATTERN: "1 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit",
    E164_PATTERN: "a phone number in E.164 form, like +14155550100",
    ITEM_ID_PATTERN: "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
    r"^\+[0-9]{1,14}$": "'+' followed by 1 to 14 digits, like +44 or +1415",  # types.CallerPrefix
    r"^[A-Za-z_][A-Za-z0-9_]{0,63}$": "1 to 64 letters, digits or '_', not starting with a digit",  # VariableName
    r"^[A-Za-z0-9_-]+$": "letters, digits, '_' or '-' only",  # agent_config.ToolName
    r"^https://[^\s/]+(/\S*)?$": "an https:// URL without spaces",  # agent_config.HttpsUrl
    r"^https?://[^\s?#]+$": "an http:// or https:// URL without spaces, '?' or '#'",  # WebhookEndpointRequest.base_url
    r"^(\+[1-9][0-9]{6,14}|[a-z]+:[^\s#]{1,200})$": (  # tenant_config Customer.customer_id
        "a phone number in E.164 form (like +14155550100) or a kind and an id, like email:ana@example.com"
    ),
    r"^[\x21-\x7e]+$": "printable ASCII characters without spaces",  # provisioning Idempotency-Key header
}

# Where Powertools says a request value came from: the first part of its error locations.
REQUEST_PARTS = frozenset({"body", "path", "query", "header", "cookie"})

# A name or value this plain and short may be repeated in a message (it names what was meant); anything else the
# request sent is replaced by "…", because it may be huge or hostile.
_PLAIN = re.compile(r"[\w.:/+@-]{1,64}", re.ASCII)
_HIDDEN = "…"
_LONG_QUOTE = re.compile(r"'[^'\n]{65,}'|\"[^\"\n]{65,}\"")
MAX_MESSAGE = 300

# "<field> must be <this>", by pydantic error type.
_MUST_BE = {
    "string_type": "a string",
    "string_unicode": "valid Unicode text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing_size": "a whole number of a sensible size",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
    "dataclass_type": "a JSON object",
    "json_invalid": "valid JSON",
    "date_type": "a date like 2025-12-24",
    "date_parsing": "a date like 2025-12-24",
    "date_from_datetime_parsing": "a date like 2025-12-24",
    "date_from_datetime_inexact": "a date like 2025-12-24",
    "time_type": "a time like 09:30",
    "time_parsing": "a time like 09:30",
    "datetime_type": "a date and time like 2025-12-24T09:30:00Z",
    "datetime_parsing": "a date and time like 2025-12-24T09:30:00Z",
    "datetime_from_date_parsing": "a date and time like 2025-12-24T09:30:00Z",
    "none_required": "null",
}


def problems_of(error: ValidationError, *, root: str = "(item)") -> list[str]:
    """Readable one-liners: 'when.caller_numbers.0: String should match pattern ...'."""
    return [f"{'.'.join(str(part) for part in entry['loc']) or root}: {entry['msg']}" for entry in error.errors()]


def explain(errors: Iterable[Mapping[str, Any]], *, root: str = "body", limit: int = 50) -> dict[str, list[str]]:
    """A request's validation errors (pydantic's `errors()`, or Powertools' with their 'body'/'path'/... first) as
    {field path: [sentences]}, each sentence naming its field; `root` names the whole request value. At most `limit`
    sentences, so a body of a thousand bad list items does not make an answer larger than itself."""
    fields: dict[str, list[str]] = {}
    shown, unlisted = 0, 0
    for entry in errors:
        field, sentence = describe(entry, root=root)
        if sentence in fields.get(field, ()):
            continue
        if shown == limit:
            unlisted += 1
            continue
        fields.setdefault(field, []).append(sentence)
        shown += 1
    if unlisted:
        fields.setdefault(root, []).append(f"{unlisted} more problems are not listed")
    return fields


def describe(entry: Mapping[str, Any], *, root: str = "body") -> tuple[str, str]:
    """(field path, sentence) for one pydantic error, from its `type`, `loc` and `ctx`; never pydantic's own
    wording or a pattern, and never the rejected value (short plain words in our own validators' messages aside)."""
    kind = str(entry.get("type", ""))
    parts = [str(part) for part in entry.get("loc", ())]
    if parts and parts[0] in REQUEST_PARTS:
        parts = parts[1:]
    if kind == "json_invalid":
        parts = []  # Powertools puts the character offset where the field would be
    is_key = len(parts) >= 2 and parts[-1] == "[key]"  # the name of a dict entry, not its value
    field = ".".join(plain_or_hidden(part) for part in (parts[:-2] if is_key else parts)) or root
    subject = f"each name in {field}" if is_key else field
    ctx = entry.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return field, _own_message(entry, field, root)
    rule = _RULES.get(kind)
    if rule is not None:
        return field, f"{subject} {rule(ctx)}"
    if kind in _MUST_BE:
        return field, f"{subject} must be {_MUST_BE[kind]}"
    return field, f"{subject} is not valid"


def plain_or_hidden(part: str) -> str:
    """`part` when it is a short plain word, else "…": what a message may repeat of what was sent."""
    return part if _PLAIN.fullmatch(part) else _HIDDEN


def _count(number: object, unit: str) -> str:
    return f"{number} {unit}" + ("" if number == 1 else "s")


def _pattern(ctx: Mapping[str, Any]) -> str:
    meaning = PATTERNS.get(str(ctx.get("pattern", "")))
    return f"must be {meaning}" if meaning else "is not in the expected format"


def _shorter(ctx: Mapping[str, Any], unit: str) -> str:
    return f"must be at most {_count(ctx.get('max_length'), unit)}"


def _longer(ctx: Mapping[str, Any], unit: str) -> str:
    least = ctx.get("min_length")
    return "must not be empty" if least == 1 else f"must be at least {_count(least, unit)}"


# The rest of "<field> ...", for the error types whose sentence needs the error's context.
_RULES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: "is required",
    "extra_forbidden": lambda ctx: "is an unknown field",
    "string_pattern_mismatch": _pattern,
    "string_too_long": lambda ctx: _shorter(ctx, "character"),
    "string_too_short": lambda ctx: _longer(ctx, "character"),
    "too_long": lambda ctx: f"must have at most {_count(ctx.get('max_length'), 'item')}",
    "too_short": lambda ctx: _longer(ctx, "item"),
    "literal_error": lambda ctx: f"must be {ctx.get('expected')}",
    "enum": lambda ctx: f"must be {ctx.get('expected')}",
    "greater_than_equal": lambda ctx: f"must be at least {ctx.get('ge')}",
    "greater_than": lambda ctx: f"must be greater than {ctx.get('gt')}",
    "less_than_equal": lambda ctx: f"must be at most {ctx.get('le')}",
    "less_than": lambda ctx: f"must be less than {ctx.get('lt')}",
    "multiple_of": lambda ctx: f"must be a multiple of {ctx.get('multiple_of')}",
}


def _own_message(entry: Mapping[str, Any], field: str, root: str) -> str:
    """Our validators' message (without pydantic's 'Value error, '), with what may repeat the request replaced by
    '…': a quoted value it sent that is not a short plain word, any long quotation, anything past MAX_MESSAGE
    characters. Prefixed by the field, unless that is the whole request or the message names it already."""
    error = (entry.get("ctx") or {}).get("error")
    message = str(error) if error is not None else str(entry.get("msg", "")).partition(", ")[2]
    for value in _strings(entry.get("input")):
        if not _PLAIN.fullmatch(value):
            for quoted in (f"'{value}'", f'"{value}"', repr(value)):
                message = message.replace(quoted, f"'{_HIDDEN}'")
    message = _LONG_QUOTE.sub(f"'{_HIDDEN}'", message)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + _HIDDEN
    if not message:
        return f"{field} is not valid"
    return message if field == root or message.startswith(field) else f"{field}: {message}"


def _strings(value: Any, *, limit: int = 1000) -> Iterator[str]:
    """The strings inside a request value (keys included), the first `limit` of them, without recursion."""
    pending, seen = [value], 0
    while pending and seen < limit:
        item = pending.pop()
        if isinstance(item, str):
            seen += 1
            yield item
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


# ---------------------------------------------------------------- the body, before anything parses it

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32

# A string, or an unterminated one up to the end: a match never fails, so no start is retried (linear time).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


@dataclass(frozen=True)
class BodyProblem:
    """Why a body is refused: an HTTP status, a stable code and a sentence about `body`."""

    status: int
    code: str
    sentence: str


NOT_UTF8 = BodyProblem(400, "validation_error", "body must be UTF-8 text")


class NotJson(ValueError):
    """JSON text a request may not carry; the message completes "<field> ...", e.g. "must be valid JSON"."""


def json_value(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The value of JSON text from a request (a body, or a JSON cell of a CSV file), or NotJson saying why not.

    Nesting is counted on the text before parsing, so a hostile depth never reaches `json.loads` (whose recursion
    gives up around 1000 levels); NaN and Infinity are refused, as JSON has no such values."""
    if _depth(text) > max_depth:
        raise NotJson(f"must not nest more than {max_depth} levels deep")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise NotJson("must be valid JSON") from None


def json_body_problem(
    raw: bytes, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> BodyProblem | None:
    """Why these body bytes cannot be a JSON request body, or None when they can (an empty body can); the JSON
    itself is checked by `json_value`."""
    if not raw:
        return None
    if len(raw) > max_bytes:
        return BodyProblem(413, "body_too_large", f"body must be at most {max_bytes // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    try:
        json_value(text, max_depth=max_depth)
    except NotJson as exc:
        return BodyProblem(400, "validation_error", f"body {exc}")
    return None


def _depth(text: str) -> int:
    """How deep objects and lists nest in JSON text (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
