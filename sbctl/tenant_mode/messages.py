"""Tenant mode's words, in one place: when an edit takes effect, what to do after a refusal, and API errors.

Every refusal says what to run next; every write says when callers get it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from functions.tenant_config.models import BOOKKEEPING
from sbctl.tenant_mode.http import ApiError, Unreachable

DRAFTED = "saved to the draft; callers get it after `sbctl draft publish`"
LIVE_NOW = "live now; the router's cache picks it up within about a minute"
PUBLISHED = "callers get it within about a minute (the router's cache time)"
LOCAL_RUN = "http://127.0.0.1:8787"
SHOWN_CHARS = 60  # of a field's value in a short diff


def effective(kind: str) -> str:
    """When an edit of this kind reaches callers: customers are live records, the rest is drafted."""
    return LIVE_NOW if kind == "customer" else DRAFTED


def label(kind: str, item_id: str) -> str:
    return "the settings" if kind == "settings" else f"{kind} '{item_id}'"


def already_exists(kind: str, item_id: str, version: int | None, group: str) -> str:
    at = f" at version {version}" if version is not None else ""
    again = f"--expect-version {version}" if version is not None else "--expect-version <its version>"
    return (
        f"{label(kind, item_id)} already exists{at}; put it again with {again} to replace it "
        f"(`sbctl {group} get {item_id}` shows it)"
    )


def stale(
    kind: str,
    item_id: str,
    expected: int,
    current: Mapping[str, Any] | None,
    ours: Mapping[str, Any] | None,
    next_step: str,
    *,
    nothing: str = "Nothing was saved.",
) -> list[str]:
    """A 412 on an edit based on `expected`: the current version, who changed it, a short field diff, next step.

    `next_step` is a sentence with `{version}` where the current version goes.
    """
    version = current.get("version") if current else None
    who = ""
    if current and current.get("updated_by"):
        who = f", last changed by {current['updated_by']}"
        if current.get("updated_at"):
            who += f" at {current['updated_at']}"
    now = f"it is now version {version}{who}" if version is not None else "it has changed"
    lines = [f"{label(kind, item_id)} changed since version {expected}: {now}. {nothing}"]
    if current is not None and ours is not None:
        changes = field_diff(current, ours)
        lines.append("Fields that differ (current -> yours):")
        lines += [f"  {line}" for line in changes]
    if version is not None:
        lines.append(next_step.replace("{version}", str(version)))
    return lines


def field_diff(current: Mapping[str, Any], ours: Mapping[str, Any]) -> list[str]:
    """One line per top-level field whose value differs (bookkeeping, and empty fields yours leaves out, aside)."""
    names = sorted((set(current) | set(ours)) - set(BOOKKEEPING))
    lines: list[str] = []
    for name in names:
        before, after = current.get(name), ours.get(name)
        if name in ours and before != after:
            lines.append(f"{name}: {short(before)} -> {short(after)}")
        elif name not in ours and not _empty(before):
            lines.append(f"{name}: {short(before)} -> (not in yours)")
    return lines


def same_content(current: Mapping[str, Any], ours: Mapping[str, Any]) -> bool:
    """True when putting `ours` would store what is there already (as far as sbctl can tell without the API's
    defaults: a non-empty field yours leaves out counts as a difference)."""
    return not field_diff(current, ours)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def short(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def api_error_lines(error: ApiError, *, role: str | None, token_source: str | None) -> list[str]:
    """`sbctl: <message>` plus `  - field: sentence` lines; 401 and a viewer's 403 say what to do instead."""
    if error.status == 401:
        lines = ["sbctl: your token is missing or expired: run sbctl login"]
        if token_source == "SWITCHBOARD_TOKEN":
            lines.append("  (the token comes from SWITCHBOARD_TOKEN: set a fresh one, or unset it and run sbctl login)")
        return lines
    if error.status == 403 and error.code == "forbidden" and role == "viewer":
        return ["sbctl: your role is viewer: ask a tenant admin to make this change"]
    lines = [f"sbctl: {error.message}"]
    for name, sentences in error.fields.items():
        lines += [f"  - {name}: {sentence}" for sentence in sentences]
    if error.status == 503:
        lines.append("  (the store is briefly unavailable: nothing was changed; retry in a moment)")
    return lines


def unreachable_lines(error: Unreachable, base_url: str) -> list[str]:
    return [
        f"sbctl: cannot reach the tenant API at {base_url} ({error.reason}).",
        f"  Check the URL (sbctl whoami). Locally, `make run` serves {LOCAL_RUN} (base URL {LOCAL_RUN}/tenant/v1).",
    ]


def not_logged_in(*, table_configured: bool) -> str:
    text = (
        "not logged in to the tenant API: run `sbctl login --url https://<api>/tenant/v1` "
        f"(locally: `sbctl login --url {LOCAL_RUN}/tenant/v1 --local --tenant demo --role admin`), "
        "or set SWITCHBOARD_API_URL and SWITCHBOARD_TOKEN"
    )
    if table_configured:
        text += (
            ". SWITCHBOARD_TABLE is set: the operator's direct-table commands are `sbctl --operator ...` "
            "(or SBCTL_MODE=operator)"
        )
    return text
