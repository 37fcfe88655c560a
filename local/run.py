"""`make run` (`python -m local`): the real Lambda handlers behind a loopback HTTP front (local/server.py) with AWS
emulated in-process by moto (local/emulator.py), a fake ThunderPhone API, and the demo tenant.

What it keeps lives in one folder (local/folder.py): on the first start it seeds the demo tenant and replays a
week of its calls (local/history.py); on later starts it restores what the last run kept (local/state.py), so
printed URLs, saved curls, edits, published versions and call history stay. The terminal reads as lines a person
can follow (local/terminal.py); the JSON lines AWS would get go to a log file."""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from local import emulator
from local.banner import RunFacts, banner
from local.examples import DEFAULT_PORT, base_url, signing_secret
from local.folder import FolderInUse, LocalFolder, write_atomically
from local.state import Clients, Resources, dump_aws, restore_aws
from local.terminal import HEADER, RequestLines, Terminal, WarningLines, json_to_terminal, route_json_lines

if TYPE_CHECKING:
    from local.history import Seeded
    from local.server import Handler
    from tests.fixtures.thunderphone import FakeThunderPhone

DEFAULT_API_KEY = "sk_live_local_fake_key"
SAVE_SECONDS_ENV = "LOCAL_SAVE_SECONDS"


class CannotStart(Exception):
    """Why the run cannot start, in one sentence that says what to do."""


def main() -> None:
    try:
        sys.exit(run())
    except CannotStart as reason:
        print(reason, file=sys.stderr)
        sys.exit(1)


def run() -> int:
    port = _port()
    folder = LocalFolder.from_environment()
    try:
        lock = folder.lock()
    except FolderInUse:
        raise CannotStart(_folder_in_use(folder)) from None
    server = _bind(port, folder)
    saved = _saved(folder)
    with lock:
        return serve(server, port, folder, saved)


def serve(server: ThreadingHTTPServer, port: int, folder: LocalFolder, saved: dict[str, Any] | None) -> int:
    settings = emulator.settings_shown()  # before the local defaults join the environment
    os.environ.update(emulator.function_environment())  # before any function's module reads it (Powertools' do)

    from functions.webhook import answer_log
    from local.server import make_request_handler
    from local.state import StateKeeper

    # Powertools' note when a function's invocation counted nothing (the recorders, idle): not the user's concern.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    as_json = json_to_terminal()
    terminal = Terminal(sys.stdout if as_json else route_json_lines(folder.log_file))
    if not as_json:
        _warnings_to(terminal, folder.shown(folder.log_file))
    url, secret = base_url(port), signing_secret()
    terminal.say(f"Starting Switchboard on {url} (state in {folder.shown()}) ...")
    stack = start_stack(saved, url, secret)
    drainer = emulator.start_outcome_drainer()  # Lambda's SQS event source mapping, in AWS
    decisions = emulator.start_decision_subscription()  # the webhook log group's subscription, in AWS
    if saved is None:
        terminal.say("First start: replaying a week of demo calls through the webhook ...")
        seeded = demo_week(stack, secret)
        history = f"a week of demo calls: {seeded.summary()}"
        terminal.say(f"  {seeded.summary()}, in {seeded.seconds:.1f} s")
    else:
        history = "the calls kept from earlier runs (make reset starts over with a fresh demo week)"
        terminal.say(f"Restored the state kept in {folder.shown()}.")
    keeper = StateKeeper(folder, stack.snapshot, interval_s=float(os.environ.get(SAVE_SECONDS_ENV) or 5))
    keeper.save()  # the webhook URLs are on disk before anyone copies them (`make sign` reads them there)
    keeper.start()

    lines = None if as_json else RequestLines(terminal)
    server.RequestHandlerClass = make_request_handler(routes(stack.token_secret), lines)
    facts = RunFacts(
        base_url=url,
        aws_endpoint=stack.aws_endpoint,
        thunderphone=f"a fake ThunderPhone API at {stack.fake.base_url}" if stack.fake else stack.thunderphone_base,
        tokens=stack.tokens,
        signing_secret=secret,
        folder=folder.shown(),
        log_file="" if as_json else folder.shown(folder.log_file),
        settings=settings,
        history=history,
        region=emulator.REGION,
        table=emulator.TABLE_NAME,
        calls_table=emulator.CALLS_TABLE_NAME,
        now=datetime.now(UTC),
        cache_seconds=os.environ.get("CACHE_TTL_SECONDS", "3"),
    )
    stop = _stopped_by_signals()
    try:
        with answer_log.subscribed(lines.capture) if lines else contextlib.nullcontext():
            threading.Thread(target=server.serve_forever, name="local-front", daemon=True).start()
            write_atomically(folder.run_file, json.dumps({"pid": os.getpid(), "port": port, "base_url": url}))
            terminal.say(banner(facts))
            if lines:
                terminal.say(HEADER)
            stop.wait()
            terminal.say(f"Stopping: saving the state to {folder.shown()} ...")
            server.shutdown()
            server.server_close()
        time.sleep(emulator.DECISION_DELIVERY_S + 0.1)  # the last answers' decisions are delivered, as CloudWatch does
        decisions.stop()
        drainer.wait_until_empty(timeout_s=2)
        drainer.stop()
        drainer.thread.join(timeout=5)
    finally:
        keeper.stop()  # whatever stopped the run, what it served since the last save is kept
    folder.run_file.unlink(missing_ok=True)
    stack.stop()
    terminal.say(f"Stopped. All is kept in {folder.shown()}: `make run` goes on from it, `make reset` forgets it.")
    return 0


@dataclass
class Stack:
    """What one run serves from: the emulated AWS, the ThunderPhone API, and what outlives the run besides the
    emulated AWS (the demo's webhook tokens, the key that signs local sign-in tokens)."""

    moto: Any
    aws_endpoint: str
    resources: Resources
    clients: Clients
    fake: FakeThunderPhone | None
    tokens: dict[str, str]
    token_secret: bytes

    @property
    def thunderphone_base(self) -> str:
        return os.environ["THUNDERPHONE_API_BASE"]

    def snapshot(self, final: bool) -> dict[str, Any]:
        """The state to keep; the outcome queue's messages only in the `final` one (local/state.py says why)."""
        drained = os.environ["OUTCOME_QUEUE_URL"]
        queues = self.resources.queue_urls if final else tuple(q for q in self.resources.queue_urls if q != drained)
        return {
            "tokens": self.tokens,
            "tenant_token_key": base64.b64encode(self.token_secret).decode(),
            "moto_port": int(self.aws_endpoint.rsplit(":", 1)[1]),
            "aws": dump_aws(self.clients, self.resources, queues=queues),
            "thunderphone": self.fake.saved() if self.fake is not None else None,
        }

    def stop(self) -> None:
        if self.fake is not None:
            self.fake.stop()
        self.moto.stop()


def start_stack(saved: dict[str, Any] | None, url: str, secret: str) -> Stack:
    """A deployment's resources in a fresh moto, then either the demo tenant (a first start) or what `saved` holds."""
    moto, aws_endpoint = emulator.start_moto(saved.get("moto_port") if saved else None)
    api_key, fake = thunderphone_api(url)
    resources = emulator.create_resources(signing_secret=secret, thunderphone_api_key=api_key)
    clients = Clients.default()
    if saved is None:
        return Stack(moto, aws_endpoint, resources, clients, fake, emulator.seed_demo(), os.urandom(32))
    restore_aws(saved["aws"], clients, resources)
    emulator.after_restore(signing_secret=secret, thunderphone_api_key=api_key)
    if fake is not None and saved.get("thunderphone"):
        fake.restore(saved["thunderphone"])
    token_secret = base64.b64decode(saved["tenant_token_key"])
    return Stack(moto, aws_endpoint, resources, clients, fake, dict(saved["tokens"]), token_secret)


def demo_week(stack: Stack, secret: str) -> Seeded:
    from local import history

    return history.seed_week(tokens=stack.tokens, signing_secret=secret)


def routes(token_secret: bytes) -> list[tuple[str, str, Handler]]:
    """The functions behind the front, by path prefix, as API Gateway routes them in AWS."""
    from functions.provisioning.handler import lambda_handler as admin_handler
    from functions.tenant_console.handler import lambda_handler as console_handler
    from functions.webhook.handler import lambda_handler as webhook_handler
    from local.server import one_at_a_time, tenant_api, token_route
    from local.tokens import LocalTokens

    tenant_tokens = LocalTokens(secret=token_secret)
    return [
        ("webhook", "/webhooks", webhook_handler),
        ("provisioning", "/admin", one_at_a_time(admin_handler)),
        ("tenant-api", "/tenant/v1", one_at_a_time(tenant_api(tenant_tokens))),
        ("local-tokens", "/local/tenant-token", token_route(tenant_tokens)),
        # the tenant console (docs/console.md); no authorizer in AWS either
        ("console", "/console", one_at_a_time(console_handler)),
    ]


def _stopped_by_signals() -> threading.Event:
    """Set by Ctrl-C, SIGTERM or SIGHUP: Ctrl-C too where the shell that started the run ignores it (a background
    job's SIGINT is ignored); a second Ctrl-C while the state is being saved changes nothing."""
    stop = threading.Event()
    for stopping in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stopping, lambda *_: stop.set())
    return stop


def thunderphone_api(url: str) -> tuple[str, Any]:
    """The ThunderPhone API the local run talks to: $THUNDERPHONE_API_BASE with $THUNDERPHONE_API_KEY, or a
    fake that follows the documented contract. Returns the API key and the fake (None for a real API)."""
    from tests.fixtures.thunderphone import start_fake_thunderphone

    os.environ["WEBHOOK_BASE_URL"] = url  # keys' webhook_url point at this local run
    if os.environ.get("THUNDERPHONE_API_BASE"):
        api_key = os.environ.get("THUNDERPHONE_API_KEY", "")
        if not api_key:
            raise CannotStart("THUNDERPHONE_API_BASE is set: set THUNDERPHONE_API_KEY (sk_live_...) too")
        return api_key, None
    fake = start_fake_thunderphone(DEFAULT_API_KEY)
    os.environ["THUNDERPHONE_API_BASE"] = fake.base_url
    return DEFAULT_API_KEY, fake


def _port() -> int:
    text = os.environ.get("PORT", "").strip() or str(DEFAULT_PORT)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise CannotStart(f"PORT={text} is not a port: give a number from 1 to 65535, e.g. PORT=8790 make run")
    return int(text)


def _bind(port: int, folder: LocalFolder) -> ThreadingHTTPServer:
    """The front's socket, bound before anything else starts (its handler comes once the functions are ready)."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    except OSError as exc:
        other = 8790 if port != 8790 else 8791
        if exc.errno == errno.EADDRINUSE:
            raise CannotStart(
                f"Port {port} is already in use on 127.0.0.1, probably by another `make run`: stop that one "
                f"(`ss -ltnp 'sport = :{port}'` shows which process it is) or start this one on another port: "
                f"PORT={other} make run"
            ) from None
        raise CannotStart(
            f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}): choose another port, e.g. PORT={other} make run"
        ) from None
    server.daemon_threads = True
    return server


def _saved(folder: LocalFolder) -> dict[str, Any] | None:
    from local.state import StateUnreadable, from_json

    try:
        state = folder.saved_state()
        return None if state is None else from_json(state)
    except (ValueError, StateUnreadable) as exc:
        raise CannotStart(
            f"The state kept in {folder.shown(folder.state_file)} cannot be read ({exc}): `make reset` forgets it "
            "and the next `make run` starts clean."
        ) from None


def _folder_in_use(folder: LocalFolder) -> str:
    running = folder.running() or {}
    where = f" at {running['base_url']}" if running.get("base_url") else ""
    return (
        f"Another `make run`{where} is using the state in {folder.shown()}: stop it first, or give this one its own "
        f"folder and port: LOCAL_STATE_DIR=.local-2 PORT=8790 make run"
    )


def _warnings_to(terminal: Terminal, log_shown: str) -> None:
    """Warnings and errors of every function (Powertools' logger) and of the emulation (the root logger) as lines
    in words; the root logger's records, which have no handler otherwise, also go to the log file."""
    import logging

    from functions.common.observability import logger

    words = WarningLines(terminal, log_shown)
    logging.getLogger(logger.name).addHandler(words)
    to_log = logging.StreamHandler(sys.stdout)
    to_log.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    powertools = logging.Filter(logger.name)

    def not_powertools(record: logging.LogRecord) -> bool:
        """Powertools' records reach the root too: written once by its own handler, said once by `words`."""
        return not powertools.filter(record)

    for handler in (to_log, WarningLines(terminal, log_shown)):
        handler.addFilter(not_powertools)
        logging.getLogger().addHandler(handler)
