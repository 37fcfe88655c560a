"""Input that can never match a call, refused before any request: each check returns the sentences that say why.

A call from a number that is not E.164 never arrives, a widget never starts a phone call, a web session
never has a caller or a number called. A simulation of such a call, or a rule that waits for one, would
only ever show the fallback, so sbctl refuses it (exit 2) and says what to change. The API refuses the
same things; checking here saves the round trip and words the refusal in sbctl's flags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from functions.common.types import E164_PATTERN, ITEM_ID_PATTERN

_E164 = re.compile(E164_PATTERN)
_PREFIX = re.compile(r"^\+[0-9]{1,14}$")
_ITEM_ID = re.compile(ITEM_ID_PATTERN)
E164_EXAMPLE = "+14155550100"
CALLER_CONDITIONS = ("caller_numbers", "caller_prefixes")


def is_e164(value: Any) -> bool:
    return isinstance(value, str) and _E164.match(value) is not None


def simulation_problems(
    *, channel: str, caller: str | None, widget: str | None, to_number: str | None, call_id: int | None
) -> list[str]:
    """Why `sbctl simulate` with these flags describes a call that can never happen (empty: it can)."""
    problems: list[str] = []
    if caller is not None and not is_e164(caller):
        problems.append(
            f"--caller '{caller}' is not an E.164 number such as {E164_EXAMPLE} ('+', country code, number, "
            "no spaces): no call ever comes from it. Leave --caller out to simulate a withheld number"
        )
    if to_number is not None and not is_e164(to_number):
        problems.append(f"--to '{to_number}' is not an E.164 number such as {E164_EXAMPLE}: no call is ever made to it")
    if widget is not None and not _ITEM_ID.match(widget):
        problems.append(
            f"--widget '{widget}' cannot be a widget id (1 to 64 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit)"
        )
    if channel == "phone" and widget is not None:
        problems.append("--widget is for web sessions: a widget never starts a phone call (use --channel web)")
    if channel == "web" and caller is not None:
        problems.append("--caller is for phone calls: a web session has no caller number (use --channel phone)")
    if channel == "web" and to_number is not None:
        problems.append("--to is for phone calls: a web session has no number called (use --channel phone)")
    if call_id is not None and call_id < 0:
        problems.append("--call-id is a ThunderPhone call id: 0 or more")
    return problems


def rule_problems(rule: Mapping[str, Any]) -> list[str]:
    """Why a rule (as read from a file) has conditions no call can ever meet (empty: it can match)."""
    when = rule.get("when")
    if not isinstance(when, Mapping):
        return []  # no conditions (or malformed ones, which the API words)
    problems: list[str] = []
    for name in ("caller_numbers", "to_numbers"):
        for entry in _entries(when.get(name)):
            if not is_e164(entry):
                problems.append(
                    f"when.{name}: '{entry}' is not an E.164 number such as {E164_EXAMPLE}, so no call ever matches it"
                )
    for entry in _entries(when.get("caller_prefixes")):
        if not (isinstance(entry, str) and _PREFIX.match(entry)):
            problems.append(
                f"when.caller_prefixes: '{entry}' is not '+' followed by digits (like +44 or +1415), so no caller "
                "number ever starts with it"
            )
    channel = when.get("channel")
    if channel == "web":
        given = [name for name in (*CALLER_CONDITIONS, "to_numbers") if _entries(when.get(name))]
        if given:
            problems.append(
                f"when.channel is web, but the rule also needs {' and '.join(given)}: a web session never has a "
                "caller number or a number called, so this rule can never match (drop those conditions, or make "
                "it a phone rule)"
            )
        if rule.get("bucket_by") == "caller":
            problems.append(
                "bucket_by is caller, but when.channel is web: a web session has no caller to bucket by "
                "(use bucket_by: call_id)"
            )
    if channel == "phone" and _entries(when.get("widget_ids")):
        problems.append(
            "when.channel is phone, but the rule also needs widget_ids: a widget never starts a phone call, so this "
            "rule can never match (drop widget_ids, or make it a web rule)"
        )
    return problems


def _entries(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
