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
import math
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol

from local import emulator
from local.banner import RunFacts, banner
from local.examples import DEFAULT_PORT, base_url, signing_secret
from local.folder import FolderInUse, LocalFolder, write_atomically
from local.state import SAVE_SECONDS, Clients, Resources, dump_aws, restore_aws
from local.terminal import HEADER, RequestLines, Terminal, WarningLines, json_to_terminal, route_json_lines
from local.writes import Writes, watched

if TYPE_CHECKING:
    from local.history import Seeded
    from local.server import Handler
    from local.sign_in import TenantChoice
    from local.state import StateKeeper
    from tests.fixtures.outcomes import OutcomeDrainer
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
    save_seconds = _save_seconds()
    folder = LocalFolder.from_environment()
    try:
        lock = folder.lock()
    except FolderInUse:
        raise CannotStart(_folder_in_use(folder)) from None
    server = _bind(port)
    saved = _saved(folder)
    with lock:
        return serve(server, port, folder, saved, save_seconds=save_seconds)


def serve(
    server: ThreadingHTTPServer,
    port: int,
    folder: LocalFolder,
    saved: dict[str, Any] | None,
    *,
    save_seconds: float = SAVE_SECONDS,
) -> int:
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
    keeper = StateKeeper(folder, stack.snapshot, interval_s=save_seconds, writes=stack.writes)
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
        restored=saved is not None,
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
        drainer.wait_until_empty(timeout_s=2)
    finally:
        finish(decisions, drainer, keeper)  # whatever stopped the run
    folder.run_file.unlink(missing_ok=True)
    stack.stop()
    terminal.say(f"Stopped. All is kept in {folder.shown()}: `make run` goes on from it, `make reset` forgets it.")
    return 0


def finish(decisions: Stoppable, drainer: OutcomeDrainer, keeper: StateKeeper) -> None:
    """Stops what reads and writes the outcome queue before the last dump looks at it, then saves what the run
    served since the last save, outcome events the recorder deferred (invisible until their visibility timeout)
    included: ThunderPhone got a 200 for them."""
    try:
        decisions.stop()
        drainer.stop()
        drainer.thread.join(timeout=5)
        drainer.release_deferred()
    finally:
        keeper.stop()


class Stoppable(Protocol):
    def stop(self) -> None: ...


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
    writes: Writes
    watching: contextlib.ExitStack  # moto answering as local/writes.py says, until stop()

    @property
    def thunderphone_base(self) -> str:
        return os.environ["THUNDERPHONE_API_BASE"]

    def snapshot(self, final: bool) -> dict[str, Any]:
        """The state to keep; the outcome queue's messages only in the `final` one (local/state.py says why)."""
        drained = os.environ["OUTCOME_QUEUE_URL"]
        queues = self.resources.queue_urls if final else tuple(q for q in self.resources.queue_urls if q != drained)
        with self.writes.dumping():
            aws = dump_aws(self.clients, self.resources, queues=queues)
        return {
            "tokens": self.tokens,
            "tenant_token_key": base64.b64encode(self.token_secret).decode(),
            "moto_port": int(self.aws_endpoint.rsplit(":", 1)[1]),
            "aws": aws,
            "thunderphone": self.fake.saved() if self.fake is not None else None,
        }

    def stop(self) -> None:
        if self.fake is not None:
            self.fake.stop()
        self.moto.stop()
        self.watching.close()


def start_stack(saved: dict[str, Any] | None, url: str, secret: str) -> Stack:
    """A deployment's resources in a fresh moto, then either the demo tenant (a first start) or what `saved` holds."""
    writes, watching = Writes(), contextlib.ExitStack()
    watching.enter_context(watched(writes))
    moto, aws_endpoint = emulator.start_moto(saved.get("moto_port") if saved else None)
    api_key, fake = thunderphone_api(url)
    resources = emulator.create_resources(signing_secret=secret, thunderphone_api_key=api_key)
    clients = Clients.default()
    if saved is None:
        tokens, token_secret = emulator.seed_demo(), os.urandom(32)
    else:
        restore_aws(saved["aws"], clients, resources)
        emulator.after_restore(signing_secret=secret, thunderphone_api_key=api_key)
        if fake is not None and saved.get("thunderphone"):
            fake.restore(saved["thunderphone"])
        tokens, token_secret = dict(saved["tokens"]), base64.b64decode(saved["tenant_token_key"])
    return Stack(moto, aws_endpoint, resources, clients, fake, tokens, token_secret, writes, watching)


def demo_week(stack: Stack, secret: str) -> Seeded:
    from local import history

    return history.seed_week(tokens=stack.tokens, signing_secret=secret)


def routes(token_secret: bytes) -> list[tuple[str, str, Handler]]:
    """The functions behind the front, by path prefix, as API Gateway routes them in AWS."""
    from functions.provisioning.handler import lambda_handler as admin_handler
    from functions.tenant_console.handler import lambda_handler as console_handler
    from functions.webhook.handler import lambda_handler as webhook_handler
    from local.server import one_at_a_time, sign_in_route, tenant_api, token_route
    from local.sign_in import LocalSignIn
    from local.tokens import LocalTokens

    tenant_tokens = LocalTokens(secret=token_secret)
    sign_in = sign_in_route(LocalSignIn(tenant_tokens, run_tenants))
    return [
        ("webhook", "/webhooks", webhook_handler),
        ("provisioning", "/admin", one_at_a_time(admin_handler)),
        ("tenant-api", "/tenant/v1", one_at_a_time(tenant_api(tenant_tokens))),
        ("local-tokens", "/local/tenant-token", token_route(tenant_tokens)),
        ("local-sign-in", "/local/oauth2/", sign_in),  # LOCAL ONLY: Cognito's managed login, in AWS
        ("local-sign-in", "/local/tenants", sign_in),
        # the tenant console (docs/console.md); no authorizer in AWS either
        ("console", "/console", one_at_a_time(console_handler)),
    ]


def run_tenants() -> list[TenantChoice]:
    """The tenants the run's table holds (the local sign-in's picker), read on each sign-in: onboarding adds some."""
    import boto3

    from functions.tenant_config.models import Tenant
    from functions.tenant_config.store import ConfigStore
    from local.sign_in import TenantChoice

    store = ConfigStore(boto3.client("dynamodb"), emulator.TABLE_NAME, actor="local-sign-in", writer="operator")
    tenants = [item for item in store.list_tenants().items if isinstance(item, Tenant)]
    return [TenantChoice(item.tenant_id, item.display_name) for item in sorted(tenants, key=lambda t: t.tenant_id)]


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


def _save_seconds() -> float:
    """LOCAL_SAVE_SECONDS, checked before anything starts: a positive number of seconds."""
    text = os.environ.get(SAVE_SECONDS_ENV, "").strip()
    if not text:
        return SAVE_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise CannotStart(
            f"{SAVE_SECONDS_ENV}={text} is not a number of seconds: give a positive number, e.g. "
            f"{SAVE_SECONDS_ENV}=5 make run (or leave it out for {SAVE_SECONDS:g})"
        )
    return seconds


def _bind(port: int) -> ThreadingHTTPServer:
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
