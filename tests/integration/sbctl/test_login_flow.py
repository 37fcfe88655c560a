"""`sbctl login` in a browser, end to end against `python -m local` (as `make run` starts it): sbctl opens its
loopback listener, the "browser" (urllib here) fills the local sign-in page and follows its redirect back to sbctl,
which swaps the code at the token endpoint, saves the login (0600) and later renews it with the refresh token.

The same code talks to a deployed stage's Cognito domain; only the domain and the app client differ."""

from __future__ import annotations

import io
import json
import re
import socket
import stat
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from sbctl.errors import UsageError
from sbctl.settings import SbctlSettings
from sbctl.tenant_mode import app, oauth
from sbctl.tenant_mode.http import urllib_transport
from tests.fixtures.local_run import LocalRun, local_run, send_json
from tests.fixtures.network import free_port

SECOND_TENANT = "initech"


@pytest.fixture(scope="module")
def run() -> Iterator[LocalRun]:
    with local_run() as started:
        status, _ = send_json(
            f"{started.base_url}/admin/tenants",
            "POST",
            {"tenant_id": SECOND_TENANT, "display_name": "Initech", "timezone": "Europe/Paris"},
        )
        assert status == 201
        yield started


class Browser:
    """What a person does in the browser sbctl opened: choose a tenant and a role on the sign-in page, submit, and
    let the browser follow the redirect to sbctl's loopback address. Records what it saw."""

    def __init__(self, tenant: str, role: str = "admin", *, action: str = "sign-in") -> None:
        self.tenant, self.role, self.action = tenant, role, action
        self.opened: list[str] = []
        self.page = ""
        self.landed = ""

    def __call__(self, address: str) -> bool:
        self.opened.append(address)
        with urllib.request.urlopen(address, timeout=30) as response:
            self.page = response.read().decode()
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', self.page))
        form = {name: value.replace("&amp;", "&") for name, value in form.items()}
        action = re.search(r'<form method="post" action="([^"]+)"', self.page)
        assert action is not None, self.page
        parts = urlsplit(address)
        fields = form | {"tenant_id": self.tenant, "role": self.role, "action": self.action}
        request = urllib.request.Request(
            f"{parts.scheme}://{parts.netloc}{action.group(1)}", data=urlencode(fields).encode(), method="POST"
        )
        try:  # urllib follows the 302 to sbctl's listener, as a browser does
            with urllib.request.urlopen(request, timeout=30) as response:
                self.landed = response.read().decode()
        except urllib.error.HTTPError as refused:
            self.landed = refused.read().decode()
        return True


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Sbctl:
    def __init__(self, home: Path, clock: Clock) -> None:
        self.settings = SbctlSettings(XDG_CONFIG_HOME=str(home))
        self.clock = clock
        self.sent: list[tuple[str, str]] = []

    def transport(self, method: str, url: str, headers: Any, body: bytes) -> Any:
        self.sent.append((method, url))
        return urllib_transport()(method, url, headers, body)

    def __call__(self, *argv: str, browser: Browser | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = app.run(
            list(argv),
            out=out,
            err=err,
            settings=self.settings,
            transport=self.transport,
            clock=self.clock,
            open_browser=browser or Browser("demo"),
        )
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def sbctl(tmp_path: Path) -> Sbctl:
    return Sbctl(tmp_path, Clock())


def saved_login(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "switchboard" / "sbctl.json").read_text()))


def test_login_in_the_browser_as_a_second_tenant_then_commands_use_it(
    run: LocalRun, sbctl: Sbctl, tmp_path: Path
) -> None:
    # Given a local run with a second tenant, and a person who picks it (as a viewer) on the sign-in page
    url = f"{run.base_url}/tenant/v1"
    browser = Browser(SECOND_TENANT, "viewer")

    # When they log in in the browser
    code, out, err = sbctl("login", "--url", url, "--browser", browser=browser)

    # Then the page offered the run's tenants, said it is local only, and sent the browser back to sbctl
    assert code == 0, err
    assert "LOCAL RUN ONLY" in browser.page
    assert {"demo", SECOND_TENANT} <= set(re.findall(r'<option value="([^"]+)"', browser.page))
    assert "Signed in" in browser.landed
    opened = parse_qs(urlsplit(browser.opened[0]).query)
    assert opened["code_challenge_method"] == ["S256"]
    assert re.fullmatch(r"http://localhost:\d+/callback", opened["redirect_uri"][0])
    assert f"logged in to {url} as viewer of tenant {SECOND_TENANT}" in out
    # and the login is saved readable by its owner only, with what renews it
    path = tmp_path / "switchboard" / "sbctl.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert saved_login(tmp_path)["refresh_token"]
    assert saved_login(tmp_path)["sign_in"]["domain"] == f"{run.base_url}/local"
    # and later commands are that tenant's
    code, out, err = sbctl("settings", "get", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["tenant_id"] == SECOND_TENANT

    # When they log out, Then the sign-in is ended at the service (its refresh token renews nothing) and forgotten
    refresh_token = saved_login(tmp_path)["refresh_token"]
    code, out, err = sbctl("logout")
    assert code == 0 and err == ""
    assert not path.exists()
    sign_in = oauth.local_sign_in(url)
    with pytest.raises(oauth.SignInFailed) as refused:
        oauth.refresh(urllib_transport(), sign_in, refresh_token)
    assert refused.value.error == "invalid_grant"


def test_an_expired_id_token_is_renewed_before_the_request(run: LocalRun, sbctl: Sbctl, tmp_path: Path) -> None:
    # Given a browser login as the demo admin
    url = f"{run.base_url}/tenant/v1"
    assert sbctl("login", "--url", url, "--browser")[0] == 0
    first = saved_login(tmp_path)

    # When its ID token has expired (sbctl's clock past the token's expiry) and a command runs
    sbctl.clock.now += timedelta(hours=2)
    sbctl.sent.clear()
    code, out, err = sbctl("settings", "get", "--format", "json")

    # Then sbctl renewed it with the refresh token first, saved the new one (still 0600), and the command worked
    assert code == 0, err
    assert sbctl.sent[0] == ("POST", f"{run.base_url}/local/oauth2/token")
    renewed = saved_login(tmp_path)
    assert renewed["token"] != first["token"]
    assert renewed["refresh_token"] == first["refresh_token"]
    assert stat.S_IMODE((tmp_path / "switchboard" / "sbctl.json").stat().st_mode) == 0o600
    assert json.loads(out)["tenant_id"] == "demo"


def test_a_token_the_api_refuses_is_renewed_once(run: LocalRun, sbctl: Sbctl, tmp_path: Path) -> None:
    # Given a browser login whose saved ID token the API no longer accepts (damaged), though sbctl thinks it fresh
    url = f"{run.base_url}/tenant/v1"
    assert sbctl("login", "--url", url, "--browser")[0] == 0
    path = tmp_path / "switchboard" / "sbctl.json"
    login = saved_login(tmp_path)
    header, payload, _ = login["token"].split(".")
    path.write_text(json.dumps(login | {"token": f"{header}.{payload}.forged"}))

    # When a command runs
    sbctl.sent.clear()
    code, _, err = sbctl("rules", "list")

    # Then the 401 was followed by one renewal and one retry, which worked
    assert code == 0, err
    assert [method for method, _ in sbctl.sent] == ["GET", "POST", "GET"]


def test_a_refused_refresh_token_asks_to_sign_in_again(run: LocalRun, sbctl: Sbctl, tmp_path: Path) -> None:
    url = f"{run.base_url}/tenant/v1"
    assert sbctl("login", "--url", url, "--browser")[0] == 0
    path = tmp_path / "switchboard" / "sbctl.json"
    path.write_text(json.dumps(saved_login(tmp_path) | {"refresh_token": "not-this-runs"}))
    sbctl.clock.now += timedelta(hours=2)
    code, _, err = sbctl("rules", "list")
    assert code == 2
    assert "your sign-in has ended and could not be renewed" in err
    assert f"sbctl login --url {url}" in err


def test_no_browser_prints_the_address_to_open(run: LocalRun, sbctl: Sbctl, tmp_path: Path) -> None:
    # Given a person who opens, in some browser, the address sbctl prints (it opens none itself)
    url = f"{run.base_url}/tenant/v1"
    browser = Browser("demo")
    printed = threading.Event()

    class Screen(io.StringIO):
        def write(self, text: str) -> int:
            found = re.search(r"https?://\S+/oauth2/authorize\?\S+", text)
            if found:  # the person reads the address and opens it
                threading.Thread(target=browser, args=(found.group(0),), daemon=True).start()
                printed.set()
            return super().write(text)

    out, err = Screen(), io.StringIO()
    code = app.run(
        ["login", "--url", url, "--no-browser"],
        out=out,
        err=err,
        settings=sbctl.settings,
        transport=sbctl.transport,
        open_browser=lambda _: pytest.fail("--no-browser opened a browser"),
    )
    assert printed.is_set()
    assert code == 0, err.getvalue()
    assert "Open this address in a browser" in out.getvalue()
    assert saved_login(tmp_path)["refresh_token"]


def test_cancel_in_the_browser_saves_nothing(run: LocalRun, sbctl: Sbctl, tmp_path: Path) -> None:
    code, _, err = sbctl(
        "login", "--url", f"{run.base_url}/tenant/v1", "--browser", browser=Browser("demo", action="cancel")
    )
    assert code == 2
    assert "cancelled in the browser: nothing was saved" in err
    assert not (tmp_path / "switchboard" / "sbctl.json").exists()


def test_a_stolen_code_is_useless_without_the_verifier_and_works_once(run: LocalRun) -> None:
    # Given a sign-in an attacker watches: they get the code off the redirect, not sbctl's verifier
    sign_in = oauth.local_sign_in(f"{run.base_url}/tenant/v1")
    verifier, challenge = oauth.pkce_pair()
    captured: dict[str, str] = {}
    with oauth.Callback(()) as callback:
        Browser("demo")(oauth.authorize_url(sign_in, callback.redirect_uri, callback.state, challenge))
        captured["code"] = callback.wait()
        redirect = callback.redirect_uri
    transport = urllib_transport()

    # When the attacker swaps it with a verifier of their own
    with pytest.raises(oauth.SignInFailed) as refused:
        oauth.exchange_code(transport, sign_in, captured["code"], redirect, oauth.pkce_pair()[0])

    # Then it is refused, and the code is spent: not even the right verifier gets tokens with it now
    assert refused.value.error == "invalid_grant"
    with pytest.raises(oauth.SignInFailed):
        oauth.exchange_code(transport, sign_in, captured["code"], redirect, verifier)


def test_a_code_works_once_over_http(run: LocalRun) -> None:
    sign_in = oauth.local_sign_in(f"{run.base_url}/tenant/v1")
    verifier, challenge = oauth.pkce_pair()
    with oauth.Callback(()) as callback:
        Browser(SECOND_TENANT)(oauth.authorize_url(sign_in, callback.redirect_uri, callback.state, challenge))
        code = callback.wait()
    transport = urllib_transport()
    tokens = oauth.exchange_code(transport, sign_in, code, callback.redirect_uri, verifier)
    assert tokens.refresh_token
    with pytest.raises(oauth.SignInFailed) as reused:
        oauth.exchange_code(transport, sign_in, code, callback.redirect_uri, verifier)
    assert reused.value.error == "invalid_grant"


def test_an_answer_for_another_sign_in_is_ignored_and_the_real_one_still_signs_in(run: LocalRun) -> None:
    sign_in = oauth.local_sign_in(f"{run.base_url}/tenant/v1")
    verifier, challenge = oauth.pkce_pair()
    with oauth.Callback(()) as callback:
        # Given a page (or program) on this machine that sends sbctl's listener a code of its own first, before and
        # after the person's sign-in: no state, another sign-in's state, an error meant to end the wait
        planted = [
            f"{callback.redirect_uri}?code=planted",
            f"{callback.redirect_uri}?code=planted&state=not-ours",
            f"{callback.redirect_uri}?error=access_denied&state=not-ours",
        ]
        for address in planted:
            with pytest.raises(urllib.error.HTTPError) as ignored:
                urllib.request.urlopen(address, timeout=30)
            assert ignored.value.code == 404
        assert not callback.arrived.is_set()
        # When the person signs in
        browser = Browser(SECOND_TENANT)
        browser(oauth.authorize_url(sign_in, callback.redirect_uri, callback.state, challenge))
        code = callback.wait()
        # Then sbctl took the person's answer, and one planted after it changes nothing either
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(planted[1], timeout=30)
    assert "Signed in" in browser.landed and code != "planted"
    tokens = oauth.exchange_code(urllib_transport(), sign_in, code, callback.redirect_uri, verifier)
    assert tokens.refresh_token


def test_the_callback_takes_the_first_free_port_of_the_clients_list() -> None:
    # Given the first of the ports a stage's client lists taken by another program
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken, free = int(busy.getsockname()[1]), free_port()
        # Then sbctl listens on the next one, and says what to do when none is free
        with oauth.Callback((taken, free)) as callback:
            assert callback.redirect_uri == f"http://localhost:{free}/callback"
        with pytest.raises(UsageError, match=f"port {taken} on this machine, and all are in use"):
            oauth.Callback((taken,))


def test_a_deployed_stage_needs_its_sign_in_domain_and_client_once(sbctl: Sbctl) -> None:
    url = "https://api.example.com/tenant/v1"
    code, _, err = sbctl("login", "--url", url, "--browser")
    assert code == 2
    assert "--sign-in-domain https://... --client-id ..." in err and "SbctlLoginCommand" in err
    code, _, err = sbctl("login", "--url", url, "--sign-in-domain", "http://evil.example", "--client-id", "abc")
    assert code == 2 and "is not a sign-in domain" in err
    code, _, err = sbctl("login", "--url", url, "--browser", "--token", "x")
    assert code == 2 and "takes no --token" in err
