"""What the local run's terminal shows once it serves: one line a person can follow per request (time, tenant,
channel, the rule and profile or the fallback's reason, status, milliseconds for a webhook call; a short line
for the tenant and admin APIs, the console and local sign-ins), and warnings in words. The JSON lines AWS would
get (Powertools' lines with their EMF metrics, the webhook's answer lines, which are the decision log) go to a
log file; with LOG_FORMAT=json they go to the terminal instead, and the human lines are left out."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote

from functions.common.masking import mask_number

LOG_FORMAT_ENV = "LOG_FORMAT"
MAX_LOG_BYTES = 50 * 1024 * 1024  # past this at start, the log is kept as .1 and a new one begins
_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")  # phone numbers in tenant API paths (customers' ids)
_REFUSALS = {
    "bad_signature": "refused: bad signature",
    "unknown_route": "refused: unknown webhook URL",
    "too_large": "refused: body too large",
    "malformed_request": "refused: malformed request",
}
_ROLES = {"tenant-admin": "admin", "tenant-viewer": "viewer"}


def json_to_terminal() -> bool:
    """LOG_FORMAT=json: the JSON lines on the terminal, as Lambda would print them; else human lines."""
    return os.environ.get(LOG_FORMAT_ENV, "").strip().lower() == "json"


def route_json_lines(log_file: Path) -> TextIO:
    """From now on everything written to standard output (print, Powertools' handler, the answer lines) goes to
    `log_file`; returns a stream to the terminal for the human lines. Redirected at the file descriptor because
    Powertools' handler keeps the stdout stream it was given when it was built."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if log_file.exists() and log_file.stat().st_size > MAX_LOG_BYTES:
        log_file.replace(log_file.with_name(log_file.name + ".1"))
    sys.stdout.flush()
    terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    with log_file.open("a", encoding="utf-8") as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a TextIOWrapper: tail -f sees each line
    return terminal


class Terminal:
    """Human lines, one whole line at a time whatever thread writes. A terminal that went away (`make run | tee`
    stopped by the same Ctrl-C, a closed window) is no reason to stop: the run still has its state to save."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._gone = False

    def say(self, text: str = "") -> None:
        with self._lock:
            if self._gone:
                return
            try:
                self._stream.write(text + "\n")
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):  # ValueError: the stream was closed
                self._gone = True


@dataclass(frozen=True)
class Served:
    """One request the local front answered, as the front saw it (the event after the handler ran)."""

    route: str  # which function: webhook, tenant-api, provisioning, console, local-tokens
    method: str
    path: str
    status: int
    elapsed_ms: float
    event: Mapping[str, Any]
    body: bytes


def line(at: float, what: str, tenant: str, channel: str, detail: str, status: int, elapsed_ms: float) -> str:
    clock = time.strftime("%H:%M:%S", time.localtime(at))
    return f"{clock}  {what:<10}  {tenant:<10}  {channel:<7}  {detail:<46} {status:>6} {elapsed_ms:>6.0f} ms"


DETAIL_TITLE = "rule -> profile, or what happened"
HEADER = f"{'time':<8}  {'what':<10}  {'tenant':<10}  {'channel':<7}  {DETAIL_TITLE:<46} status     ms"


class RequestLines:
    """The front's observer: a human line for each request. A webhook call's line reads the answer line its
    handler wrote, on the request's own thread (`capture` is subscribed to functions/webhook/answer_log)."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal
        self._answers = threading.local()

    def capture(self, answer_line: str) -> None:
        self._answers.line = answer_line

    def __call__(self, served: Served) -> None:
        answer_line: str | None = getattr(self._answers, "line", None)
        self._answers.line = None
        now = time.time()
        if served.route == "webhook":
            self._terminal.say(webhook_line(now, served, answer_line))
        elif served.route == "console" and not _console_page(served):
            return  # the page's scripts, styles and images: one line for the page is enough
        else:
            self._terminal.say(api_line(now, served))


def webhook_line(at: float, served: Served, answer_line: str | None) -> str:
    try:
        answer: dict[str, Any] = json.loads(answer_line) if answer_line else {}
    except ValueError:
        answer = {}
    decision = answer.get("decision") or {}
    tenant = str(answer.get("tenant_id") or "-")
    channel = str(decision.get("channel") or _channel_of(served.body) or "-")
    outcome, reason = answer.get("outcome"), str(answer.get("reason") or "")
    if outcome == "config":
        chosen = f"{answer.get('rule_id')}" if reason == "rule" else "default"
        variant = f" {answer['variant']}" if answer.get("variant") else ""
        detail = f"{chosen}{variant} -> {answer.get('profile_id')}"
    elif outcome == "fallback":
        detail = f"fallback: {reason.replace('_', ' ')}"
    elif outcome == "capped":  # the operator's plan: the over-limit profile, or the static agent
        detail = f"capped ({reason.replace('_', ' ')}) -> {answer.get('profile_id') or 'static agent'}"
    elif outcome == "acknowledged":
        detail = f"{_event_type(served.body) or 'event'} {'queued' if reason == 'queued' else 'acknowledged'}"
    elif outcome == "rejected":
        detail = _REFUSALS.get(reason, f"not accepted: {reason.replace('_', ' ')}, to be delivered again")
    else:
        detail = "not a webhook call"
    if answer.get("stale"):
        detail += " (stale configuration)"
    return line(at, "webhook", tenant, channel, detail, served.status, served.elapsed_ms)


def api_line(at: float, served: Served) -> str:
    what = {"tenant-api": "tenant API", "provisioning": "admin API", "local-tokens": "sign-in"}.get(served.route)
    tenant, role = "", ""
    if served.route == "tenant-api":
        claims = ((served.event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims")
        if isinstance(claims, Mapping):
            tenant = str(claims.get("custom:tenant_id", ""))
            role = next((_ROLES[g] for g in claims.get("cognito:groups") or [] if g in _ROLES), "")
        else:
            tenant = "-"
    elif served.route == "provisioning":
        tenant = "operator"
    detail = f"{served.method} {_masked(served.path)}"
    if served.route == "local-tokens":
        detail = "local sign-in token issued" if served.status == 200 else "local sign-in refused"
    return line(at, what or served.route, tenant, role, detail, served.status, served.elapsed_ms)


def _console_page(served: Served) -> bool:
    return served.path.rstrip("/") == "/console" or served.status >= 400


def _masked(path: str) -> str:
    """No phone number (a customer's id) in the terminal."""
    return _NUMBER.sub(lambda match: mask_number(match.group(0)) or "", unquote(path))


def _envelope(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _event_type(body: bytes) -> str | None:
    event_type = _envelope(body).get("type")
    return event_type if isinstance(event_type, str) else None


def _channel_of(body: bytes) -> str | None:
    event_type = _event_type(body) or ""
    if event_type.startswith("web."):
        return "web"
    if event_type.startswith("telephony."):
        return "phone"
    return None


class WarningLines(logging.Handler):
    """A warning or error any function logs, as one line in words; its JSON line, with the details, is in the log."""

    def __init__(self, terminal: Terminal, log_shown: str) -> None:
        super().__init__(logging.WARNING)
        self._terminal = terminal
        self._log_shown = log_shown

    def emit(self, record: logging.LogRecord) -> None:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = "error" if record.levelno >= logging.ERROR else "warning"
        self._terminal.say(f"{clock}  {level:<10}  {record.getMessage()} (details in {self._log_shown})")
