"""The local front runs each function as one Lambda container does: the resolver-based ones one event at a time."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from local import run

RESOLVER_ROUTES = {"provisioning": "functions.provisioning.handler", "tenant-api": "functions.tenant_api.handler"}


class Inside:
    """A stand-in Lambda handler that counts how many invocations are inside it at once; the first waits until
    released, so that a second one arrives while it is still inside."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.first_inside = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        self.first_inside.set()
        self.release.wait(timeout=30)
        with self.lock:
            self.now -= 1
        return {"statusCode": 200, "body": "{}"}


class ObservedLock:
    """The front's per-function lock, telling when a request finds it held and starts to wait for it."""

    contended = threading.Event()  # a new one for each test

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> ObservedLock:
        if not self._lock.acquire(blocking=False):
            ObservedLock.contended.set()
            self._lock.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self._lock.release()


@pytest.mark.parametrize("name", [*RESOLVER_ROUTES, "console"])
def test_a_resolver_function_never_answers_two_requests_at_once(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the function behind the front replaced by one that holds its first request
    inside = Inside()
    module = RESOLVER_ROUTES.get(name, "functions.tenant_console.handler")
    monkeypatch.setattr(f"{module}.lambda_handler", inside)
    monkeypatch.setattr("local.server.LocalTokens.claims", lambda *_: {"custom:tenant_id": "demo"})
    monkeypatch.setattr("local.server.threading", SimpleNamespace(Lock=ObservedLock))
    ObservedLock.contended = threading.Event()
    handler = next(handler for route, _, handler in run.routes(b"k" * 32) if route == name)
    event: dict[str, Any] = {"headers": {"authorization": "Bearer x"}, "requestContext": {}}

    # When a second request arrives while the first is still inside
    first = threading.Thread(target=handler, args=(event, None))
    first.start()
    assert inside.first_inside.wait(timeout=30)
    second = threading.Thread(target=handler, args=(dict(event, requestContext={}), None))
    second.start()
    assert ObservedLock.contended.wait(timeout=30), "the second request never waited for the first"
    assert inside.now == 1  # it waits outside the function, however slow the machine
    inside.release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    # Then it waited for the first to leave (as two requests to one Lambda container do)
    assert inside.most == 1
