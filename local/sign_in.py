"""LOCAL ONLY: the sign-in flow of `make run`, standing in for a Cognito user pool's managed login.

`GET /local/oauth2/authorize` shows a page (choose one of the run's tenants and a role) that redirects back to the
client with a code; `POST /local/oauth2/token` swaps the code for tokens (grant_type=authorization_code, with the
PKCE verifier) or a refresh token for fresh ones (grant_type=refresh_token); `POST /local/oauth2/revoke` ends a
sign-in (its refresh token renews nothing any more). Parameter names, answers and error
shapes are Cognito's (`{"error": "invalid_grant"}` and the like), so `sbctl login` signs in the same way here and
against a deployed stage. `GET /local/tenants` lists the run's tenants for the console's sign-in picker.

What a real authorization server would also check and this one does not: who you are. Anyone who can reach the
run's loopback port may sign in as any tenant: that is the point of a local run, and why nothing deployed has it.
Redirects go to loopback addresses only (RFC 8252: any port), so a code never leaves this machine. Codes live in
memory for five minutes and are single-use; refresh tokens are signed with the run's key (they outlive a restart).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from local.tokens import ROLES, LocalTokens

AUTHORIZE_PATH = "/local/oauth2/authorize"
TOKEN_PATH = "/local/oauth2/token"
REVOKE_PATH = "/local/oauth2/revoke"
TENANTS_PATH = "/local/tenants"
CODE_LIFETIME_S = 300  # Cognito's authorization codes live five minutes too
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# RFC 7636: the verifier is 43 to 128 unreserved characters; the S256 challenge is 43 base64url characters.
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_CLIENT_ID = re.compile(r"^[\w-]{1,128}$")
PAGE_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
}


@dataclass(frozen=True)
class TenantChoice:
    tenant_id: str
    display_name: str


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    tenant_id: str
    role: str
    expires_at: float


class _Refused(Exception):
    """An authorize request that cannot be sent back to its client (unknown client or a non-loopback redirect):
    shown on the page, never redirected (RFC 6749 §4.1.2.1)."""


@dataclass
class LocalSignIn:
    tokens: LocalTokens
    tenants: Callable[[], list[TenantChoice]]  # the run's tenants, read on each request (onboarding adds some)
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------ authorize

    def authorize(self, method: str, query: str, body: bytes) -> Response:
        """GET: the picker page; POST (its form): a redirect back to the client with a code, or with
        error=access_denied when the person cancelled."""
        params = _form(body if method == "POST" else query.encode())
        try:
            client_id, redirect_uri = _client_of(params)
        except _Refused as refused:
            return _page(400, "Cannot sign in", f"<p>{html.escape(str(refused))}</p>")
        state = params.get("state")
        back = _Back(redirect_uri, state)
        if params.get("response_type") != "code":
            return back.error("unsupported_response_type")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not _CHALLENGE.match(challenge):
            return back.error("invalid_request")  # PKCE with S256 is required here
        if method != "POST":
            return self._picker(params)
        if params.get("action") == "cancel":
            return back.error("access_denied")
        tenant_id, role = params.get("tenant_id", ""), params.get("role", "")
        known = {choice.tenant_id for choice in self.tenants()}
        if tenant_id not in known or role not in ROLES:
            return self._picker(params, problem="Choose one of the tenants listed and a role.")
        code = secrets.token_urlsafe(32)
        grant = _Grant(client_id, redirect_uri, challenge, tenant_id, role, self.tokens.now() + CODE_LIFETIME_S)
        with self._lock:
            self._forget_expired()
            self._codes[code] = grant
        return back.answer({"code": code})

    def _picker(self, params: Mapping[str, str], problem: str | None = None) -> Response:
        choices = self.tenants()
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
            for name in (
                "response_type",
                "client_id",
                "redirect_uri",
                "state",
                "code_challenge",
                "code_challenge_method",
                "scope",
            )
            if name in params
        )
        options = "".join(
            f'<option value="{html.escape(c.tenant_id)}">{html.escape(c.display_name)} ({html.escape(c.tenant_id)})'
            "</option>"
            for c in choices
        )
        target = urlsplit(params["redirect_uri"])
        error = f'<p class="problem" role="alert">{html.escape(problem)}</p>' if problem else ""
        form = (
            f'{error}<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
            f'<label for="tenant">Tenant</label><select id="tenant" name="tenant_id">{options}</select>'
            "<fieldset><legend>Role</legend>"
            '<label><input type="radio" name="role" value="admin" checked> Admin: can change the configuration</label>'
            '<label><input type="radio" name="role" value="viewer"> Viewer: can only look</label></fieldset>'
            f"<p>You will be sent back to the program waiting on this computer ({html.escape(target.netloc)}).</p>"
            '<button type="submit" name="action" value="sign-in">Sign in</button> '
            '<button type="submit" name="action" value="cancel">Cancel</button></form>'
        )
        if not choices:
            form = "<p>This run has no tenants yet: onboard one (see the banner of make run), then reload.</p>"
        return _page(200, "Sign in to Switchboard (local run)", form)

    # ---------------------------------------------------------------- token

    def token(self, method: str, body: bytes) -> Response:
        """Cognito's token endpoint: form-encoded in, JSON out; 400 `{"error": ...}` when refused."""
        if method != "POST":
            return _token_error("invalid_request", 405)
        params = _form(body)
        grant_type = params.get("grant_type")
        client_id = params.get("client_id", "")
        if not _CLIENT_ID.match(client_id):
            return _token_error("invalid_client")
        if grant_type == "authorization_code":
            return self._code_grant(params, client_id)
        if grant_type == "refresh_token":
            return self._refresh_grant(params, client_id)
        return _token_error("unsupported_grant_type" if grant_type else "invalid_request")

    def _code_grant(self, params: Mapping[str, str], client_id: str) -> Response:
        code, verifier = params.get("code", ""), params.get("code_verifier", "")
        if not code or not params.get("redirect_uri"):
            return _token_error("invalid_request")
        with self._lock:
            grant = self._codes.pop(code, None)  # single-use: any attempt spends it
        if grant is None or grant.expires_at <= self.tokens.now():
            return _token_error("invalid_grant")
        if grant.client_id != client_id or grant.redirect_uri != params["redirect_uri"]:
            return _token_error("invalid_grant")
        if not _VERIFIER.match(verifier) or not hmac.compare_digest(s256(verifier), grant.challenge):
            return _token_error("invalid_grant")
        return _json(200, self.tokens.session(grant.tenant_id, grant.role, client_id))

    def _refresh_grant(self, params: Mapping[str, str], client_id: str) -> Response:
        subject = self.tokens.refreshed(params.get("refresh_token", ""), client_id)
        if subject is None or subject[0] not in {choice.tenant_id for choice in self.tenants()}:
            return _token_error("invalid_grant")
        tokens = self.tokens.session(*subject, client_id)
        tokens.pop("refresh_token")  # as Cognito (no rotation): the refresh token stays the one the client has
        return _json(200, tokens)

    def revoke(self, method: str, body: bytes) -> Response:
        """Cognito's revocation endpoint (RFC 7009): 200 with no body, also for a token it does not know."""
        params = _form(body)
        if method != "POST":
            return _token_error("invalid_request", 405)
        if not params.get("token") or not _CLIENT_ID.match(params.get("client_id", "")):
            return _token_error("invalid_request")
        self.tokens.revoke(params["token"], params["client_id"])
        return Response(200, {"cache-control": "no-store"}, b"")

    # -------------------------------------------------------------- tenants

    def tenant_list(self) -> Response:
        choices = [{"tenant_id": c.tenant_id, "display_name": c.display_name} for c in self.tenants()]
        return _json(200, {"tenants": choices, "roles": list(ROLES), "local_only": True})

    def _forget_expired(self) -> None:
        now = self.tokens.now()
        for code in [code for code, grant in self._codes.items() if grant.expires_at <= now]:
            del self._codes[code]


def s256(verifier: str) -> str:
    """RFC 7636's S256: BASE64URL(SHA256(ASCII(verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def is_loopback_redirect(uri: str) -> bool:
    """http on a loopback address, any port (RFC 8252 §7.3), a path, no fragment and no credentials."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and (parts.hostname or "") in LOOPBACK_HOSTS
        and "@" not in parts.netloc
        and not parts.fragment
    )


def _client_of(params: Mapping[str, str]) -> tuple[str, str]:
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
    if not _CLIENT_ID.match(client_id):
        raise _Refused("The program that sent you here did not say who it is (client_id). Start the sign-in again.")
    if not is_loopback_redirect(redirect_uri):
        raise _Refused(
            "The local run only sends sign-ins back to a program on this computer (an http://127.0.0.1 address). "
            "Start the sign-in again from sbctl or the console."
        )
    return client_id, redirect_uri


@dataclass(frozen=True)
class _Back:
    redirect_uri: str
    state: str | None

    def answer(self, params: dict[str, str]) -> Response:
        if self.state is not None:
            params["state"] = self.state
        joiner = "&" if urlsplit(self.redirect_uri).query else "?"
        return Response(
            302, {"location": self.redirect_uri + joiner + urlencode(params), "cache-control": "no-store"}, b""
        )

    def error(self, code: str) -> Response:
        return self.answer({"error": code})


def _form(raw: bytes) -> dict[str, str]:
    """One value per name (the first); undecodable bytes read as nothing."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}


def _page(status: int, title: str, content: str) -> Response:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        '<p class="local-only">LOCAL RUN ONLY: make run\'s stand-in for the sign-in page. It asks for no password; '
        "nothing deployed has it.</p>"
        f"<h1>{html.escape(title)}</h1>{content}</main></body></html>"
    )
    return Response(status, dict(PAGE_HEADERS), body.encode())


def _json(status: int, body: dict[str, Any]) -> Response:
    headers = {"content-type": "application/json", "cache-control": "no-store"}
    return Response(status, headers, json.dumps(body).encode())


def _token_error(error: str, status: int = 400) -> Response:
    return _json(status, {"error": error})


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1b1f24}"
    "main{max-width:32rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px}"
    ".local-only{background:#fff4d6;border:1px solid #e0b400;padding:.5rem .75rem;border-radius:4px}"
    ".problem{color:#a40000}label{display:block;margin:.5rem 0}select{font-size:1rem;width:100%;padding:.4rem}"
    "fieldset{border:1px solid #ccd;margin:1rem 0}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}"
)
