"""`sbctl login`'s browser sign-in: OAuth 2.0's authorization code flow with PKCE (S256) on a loopback redirect, as
RFC 8252 describes for native apps, against a Cognito user pool's managed login or the local run's stand-in.

sbctl listens on 127.0.0.1 (`http://localhost:<port>/callback`: Cognito allows plain HTTP for localhost only) for the
request the browser makes when the sign-in is done, takes only the one that carries the `state` it sent (any other
page or program on this machine can reach the listener: what it sends is ignored, never the end of the wait), and
swaps the code (with the PKCE verifier, which never left this process) for tokens at `{domain}/oauth2/token`. Later, an
expired ID token is renewed there with the refresh token (`renew`). A Cognito app client only accepts callback URLs
it lists exactly, ports included, so a deployed stage's client lists CALLBACK_PORTS and sbctl takes the first free
one; the local run accepts any port.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from functions.common.identity import SBCTL_CALLBACK_PATH, SBCTL_CALLBACK_PORTS, sbctl_callback_url
from sbctl.errors import UsageError
from sbctl.tenant_mode.http import Transport
from sbctl.tenant_mode.session import SignIn, is_local, origin

LOCAL_CLIENT_ID = "sbctl"  # the local run accepts any client id; this one names sbctl in what it issues
LOCAL_SIGN_IN_PATH = "/local"  # the local run's stand-in for a Cognito domain, on the run's own origin
WAIT_S = 600.0  # how long sbctl waits for the browser before giving up
SCOPES = "openid email"
# What Cognito's token endpoint answers, in words (RFC 6749 §5.2 codes).
TOKEN_ERRORS = {
    "invalid_grant": "the sign-in was refused: the code or refresh token is not valid (any more)",
    "invalid_client": "the app client is not known to this user pool: check --client-id",
    "unauthorized_client": "this app client may not sign in this way: ask your operator to check its settings",
    "invalid_request": "the sign-in request was incomplete",
    "unsupported_grant_type": "the user pool does not offer this kind of sign-in",
}


@dataclass(frozen=True)
class Tokens:
    id_token: str
    refresh_token: str | None


class SignInFailed(Exception):
    """The authorization server refused (`error` is its code, e.g. invalid_grant); the message is in words."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


def local_sign_in(api_url: str) -> SignIn:
    """The local run's sign-in, on the same origin as its tenant API."""
    return SignIn(domain=origin(api_url) + LOCAL_SIGN_IN_PATH, client_id=LOCAL_CLIENT_ID)


def stage_sign_in(domain: str, client_id: str) -> SignIn:
    """A deployed stage's sign-in: its user pool domain over HTTPS and sbctl's app client (it lists CALLBACK_PORTS)."""
    parts = urlsplit(domain.strip())
    if parts.scheme == "http" and is_local(domain):
        return SignIn(domain=domain.strip().rstrip("/"), client_id=client_id)  # a local run: any port
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise UsageError(
            f"'{domain}' is not a sign-in domain such as https://switchboard-console-prod-1a2b3c4d.auth.eu-west-1."
            "amazoncognito.com (the stack output ConsoleSignInDomain)"
        )
    if not client_id or not client_id.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"'{client_id}' is not an app client id (the stack output TenantUserPoolClientId)")
    return SignIn(domain=domain.strip().rstrip("/"), client_id=client_id, ports=SBCTL_CALLBACK_PORTS)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge): 64 random URL-safe characters, and their SHA-256 in unpadded base64url."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorize_url(sign_in: SignIn, redirect_uri: str, state: str, challenge: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": sign_in.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{sign_in.domain}/oauth2/authorize?{query}"


class Callback:
    """The loopback listener: serves until the request to the callback path that carries this sign-in's `state`
    arrives, then stops. Anything else gets an error page and changes nothing: a browser asking for /favicon.ico, or
    a web page (or program) on this machine sending a planted code to the listener, which could otherwise end the
    sign-in first. Bound to 127.0.0.1 only, so nothing off this machine can reach it."""

    def __init__(self, ports: tuple[int, ...]) -> None:
        self.state = secrets.token_urlsafe(24)
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        self.params: dict[str, str] = {}
        self.server = _bind(ports, self)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, name="sbctl-callback", daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return sbctl_callback_url(self.port)

    def take(self, path: str, params: dict[str, str]) -> bool:
        """Keeps `params` if this is the first answer to this sign-in (the callback path and this state)."""
        ours = path == SBCTL_CALLBACK_PATH and secrets.compare_digest(params.get("state", ""), self.state)
        with self.lock:
            if not ours or self.arrived.is_set():
                return False
            self.params = params
            self.arrived.set()
            return True

    def wait(self, timeout_s: float = WAIT_S) -> str:
        """The code the browser brought back; refused when the sign-in page sent back an error instead."""
        if not self.arrived.wait(timeout_s):
            raise UsageError(f"no sign-in came back within {timeout_s / 60:g} minutes: run `sbctl login` again")
        if "error" in self.params:
            error = self.params["error"]
            if error == "access_denied":
                raise UsageError("the sign-in was cancelled in the browser: nothing was saved")
            detail = self.params.get("error_description") or error.replace("_", " ")
            raise UsageError(f"the sign-in page refused: {detail}; nothing was saved")
        code = self.params.get("code")
        if not code:
            raise UsageError("the sign-in came back without a code: run `sbctl login` again")
        return code

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Callback:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def _bind(ports: tuple[int, ...], callback: Callback) -> ThreadingHTTPServer:
    handler = _handler(callback)
    for port in ports or (0,):
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue
    listed = ", ".join(str(port) for port in ports)
    raise UsageError(
        f"the sign-in can only come back to port {listed} on this machine, and all are in use: close the program "
        "using them and try again, or log in with --token"
    )


def _handler(callback: Callback) -> type[BaseHTTPRequestHandler]:
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {name: values[0] for name, values in parse_qs(parts.query).items()}
            if not callback.take(parts.path, params):
                self._page(404, "Nothing here", "This address only receives the sign-in sbctl is waiting for.")
            elif "code" in params:
                self._page(200, "Signed in", "You can close this tab and go back to the terminal.")
            else:
                self._page(400, "Not signed in", "The sign-in did not finish. The terminal says what to do next.")

        def _page(self, status: int, title: str, text: str) -> None:
            body = (
                f'<!doctype html><html lang="en"><meta charset="utf-8"><title>sbctl: {html.escape(title)}</title>'
                f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></html>"
            ).encode()
            self.send_response(status)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the query holds the code."""

    return Answer


def exchange_code(transport: Transport, sign_in: SignIn, code: str, redirect_uri: str, verifier: str) -> Tokens:
    form = {
        "grant_type": "authorization_code",
        "client_id": sign_in.client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return _token_request(transport, sign_in, form)


def refresh(transport: Transport, sign_in: SignIn, refresh_token: str) -> Tokens:
    """Fresh tokens for a refresh token; Cognito answers no new refresh token, so the one given is kept."""
    form = {"grant_type": "refresh_token", "client_id": sign_in.client_id, "refresh_token": refresh_token}
    tokens = _token_request(transport, sign_in, form)
    return Tokens(tokens.id_token, tokens.refresh_token or refresh_token)


def revoke(transport: Transport, sign_in: SignIn, refresh_token: str) -> bool:
    """End the sign-in at `{domain}/oauth2/revoke` (the app client allows revocation): its refresh token, and the
    tokens it gave, are refused from now on. False when the service did not confirm it."""
    headers = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
    form = urlencode({"token": refresh_token, "client_id": sign_in.client_id}).encode()
    status, _, _ = transport("POST", f"{sign_in.domain}/oauth2/revoke", headers, form)
    return status == 200


def _token_request(transport: Transport, sign_in: SignIn, form: Mapping[str, str]) -> Tokens:
    headers = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
    status, _, payload = transport("POST", f"{sign_in.domain}/oauth2/token", headers, urlencode(form).encode())
    try:
        data: Any = json.loads(payload or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        data = {}
    if status != 200:
        error = str(data.get("error") or "server_error")
        raise SignInFailed(error, TOKEN_ERRORS.get(error, f"the sign-in service refused ({error.replace('_', ' ')})"))
    id_token, refresh_token = data.get("id_token"), data.get("refresh_token")
    if not isinstance(id_token, str) or not id_token:
        raise SignInFailed("invalid_response", "the sign-in service answered without an ID token")
    return Tokens(id_token, refresh_token if isinstance(refresh_token, str) and refresh_token else None)


def browser_opener() -> Callable[[str], bool]:
    import webbrowser

    return webbrowser.open
