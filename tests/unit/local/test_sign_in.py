"""The local run's sign-in flow (local/sign_in.py): Cognito's authorize and token endpoints, as a client uses them
and as an attacker would try them (a stolen code without its verifier, a code used twice, a refresh token as a
bearer token)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from local.sign_in import CODE_LIFETIME_S, LocalSignIn, Response, TenantChoice, is_loopback_redirect
from local.tokens import LIFETIME_S, LocalTokens

REDIRECT = "http://127.0.0.1:43123/callback"
CLIENT = "sbctl"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def flow(clock: Clock) -> LocalSignIn:
    tenants = [TenantChoice("demo", "Demo Dental"), TenantChoice("acme", "Acme <Shop>")]
    return LocalSignIn(LocalTokens(secret=b"k" * 32, clock=clock), lambda: list(tenants))


def authorize_params(challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "openid email",
    } | extra


def sign_in(flow: LocalSignIn, challenge: str, tenant: str = "acme", role: str = "admin") -> str:
    """The picker's form posted: the code the redirect carries."""
    answer = flow.authorize("POST", "", urlencode(authorize_params(challenge, tenant_id=tenant, role=role)).encode())
    assert answer.status == 302, answer.body
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == ["st4te"]
    return back["code"][0]


def exchange(flow: LocalSignIn, code: str, verifier: str, **extra: str) -> Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT,
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    return flow.token("POST", urlencode(form | extra).encode())


def body(answer: Response) -> dict[str, object]:
    return dict(json.loads(answer.body))


def test_the_picker_lists_the_runs_tenants_escaped_and_says_local_only(flow: LocalSignIn) -> None:
    _, challenge = pkce()
    page = flow.authorize("GET", urlencode(authorize_params(challenge)), b"")
    text = page.body.decode()
    assert page.status == 200
    assert "LOCAL RUN ONLY" in text
    assert re.findall(r'<option value="([^"]+)"', text) == ["demo", "acme"]
    assert "Acme &lt;Shop&gt;" in text and "<Shop>" not in text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_code_signs_in_as_the_chosen_tenant_and_role(flow: LocalSignIn) -> None:
    verifier, challenge = pkce()
    answer = exchange(flow, sign_in(flow, challenge, "acme", "viewer"), verifier)
    tokens = body(answer)
    assert answer.status == 200
    assert tokens["expires_in"] == LIFETIME_S and tokens["token_type"] == "Bearer"
    claims = flow.tokens.claims(f"Bearer {tokens['id_token']}")
    assert claims is not None
    assert claims["custom:tenant_id"] == "acme" and claims["cognito:groups"] == ["tenant-viewer"]


def test_a_wrong_verifier_is_refused_and_spends_the_code(flow: LocalSignIn) -> None:
    verifier, challenge = pkce()
    code = sign_in(flow, challenge)
    stolen = exchange(flow, code, pkce()[0])
    assert (stolen.status, body(stolen)) == (400, {"error": "invalid_grant"})
    # the rightful client comes too late: one try per code
    assert body(exchange(flow, code, verifier)) == {"error": "invalid_grant"}


def test_a_code_works_once(flow: LocalSignIn) -> None:
    verifier, challenge = pkce()
    code = sign_in(flow, challenge)
    assert exchange(flow, code, verifier).status == 200
    again = exchange(flow, code, verifier)
    assert (again.status, body(again)) == (400, {"error": "invalid_grant"})


def test_a_code_expires_after_five_minutes(flow: LocalSignIn, clock: Clock) -> None:
    verifier, challenge = pkce()
    code = sign_in(flow, challenge)
    clock.now += CODE_LIFETIME_S
    assert body(exchange(flow, code, verifier)) == {"error": "invalid_grant"}


@pytest.mark.parametrize(
    "changed", [{"client_id": "another-client"}, {"redirect_uri": "http://127.0.0.1:43124/callback"}]
)
def test_a_code_is_bound_to_its_client_and_redirect(flow: LocalSignIn, changed: dict[str, str]) -> None:
    verifier, challenge = pkce()
    assert body(exchange(flow, sign_in(flow, challenge), verifier, **changed)) == {"error": "invalid_grant"}


def test_refresh_gives_a_fresh_id_token_until_the_refresh_token_expires(flow: LocalSignIn, clock: Clock) -> None:
    verifier, challenge = pkce()
    tokens = body(exchange(flow, sign_in(flow, challenge), verifier))
    clock.now += LIFETIME_S + 1
    assert flow.tokens.claims(f"Bearer {tokens['id_token']}") is None  # the ID token has expired
    form = {"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": str(tokens["refresh_token"])}
    renewed = body(flow.token("POST", urlencode(form).encode()))
    assert "refresh_token" not in renewed  # as Cognito: the client keeps its refresh token
    claims = flow.tokens.claims(f"Bearer {renewed['id_token']}")
    assert claims is not None and claims["custom:tenant_id"] == "acme"
    # another client cannot use it, and a week later nobody can
    assert body(flow.token("POST", urlencode(form | {"client_id": "other"}).encode())) == {"error": "invalid_grant"}
    clock.now += 7 * 24 * 3600
    assert body(flow.token("POST", urlencode(form).encode())) == {"error": "invalid_grant"}


def test_a_refresh_or_access_token_is_no_bearer_token(flow: LocalSignIn) -> None:
    verifier, challenge = pkce()
    tokens = body(exchange(flow, sign_in(flow, challenge), verifier))
    assert flow.tokens.claims(f"Bearer {tokens['refresh_token']}") is None
    assert flow.tokens.claims(f"Bearer {tokens['access_token']}") is None


def test_cancel_sends_access_denied_back(flow: LocalSignIn) -> None:
    _, challenge = pkce()
    answer = flow.authorize("POST", "", urlencode(authorize_params(challenge, action="cancel")).encode())
    assert parse_qs(urlsplit(answer.headers["location"]).query) == {"error": ["access_denied"], "state": ["st4te"]}


def test_a_tenant_not_in_the_run_gets_the_picker_again(flow: LocalSignIn) -> None:
    _, challenge = pkce()
    answer = flow.authorize(
        "POST", "", urlencode(authorize_params(challenge, tenant_id="ghost", role="admin")).encode()
    )
    assert answer.status == 200 and "Choose one of the tenants listed" in answer.body.decode()


@pytest.mark.parametrize(
    "redirect",
    ["https://evil.example/callback", "http://evil.example:80/cb", "http://127.0.0.1@evil.example/cb", "javascript:x"],
)
def test_no_code_goes_anywhere_but_this_machine(flow: LocalSignIn, redirect: str) -> None:
    _, challenge = pkce()
    answer = flow.authorize("GET", urlencode(authorize_params(challenge, redirect_uri=redirect)), b"")
    assert answer.status == 400 and "location" not in answer.headers
    assert not is_loopback_redirect(redirect)


@pytest.mark.parametrize(
    ("changed", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_pkce_s256_and_the_code_flow_are_required(flow: LocalSignIn, changed: dict[str, str], error: str) -> None:
    _, challenge = pkce()
    answer = flow.authorize("GET", urlencode(authorize_params(challenge, **changed)), b"")
    assert answer.status == 302
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == [error]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "client_id": CLIENT}, "unsupported_grant_type"),
        ({"client_id": CLIENT}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "invalid_client"),
        ({"grant_type": "authorization_code", "client_id": CLIENT, "code": "x"}, "invalid_request"),
    ],
)
def test_the_token_endpoint_refuses_as_cognito_does(flow: LocalSignIn, form: dict[str, str], error: str) -> None:
    answer = flow.token("POST", urlencode(form).encode())
    assert (answer.status, body(answer)) == (400, {"error": error})


def test_the_tenant_list_is_the_runs(flow: LocalSignIn) -> None:
    listed = body(flow.tenant_list())
    assert listed["tenants"] == [
        {"tenant_id": "demo", "display_name": "Demo Dental"},
        {"tenant_id": "acme", "display_name": "Acme <Shop>"},
    ]
    assert listed["local_only"] is True


def test_a_revoked_refresh_token_renews_nothing(flow: LocalSignIn) -> None:
    verifier, challenge = pkce()
    tokens = body(exchange(flow, sign_in(flow, challenge), verifier))
    refresh = {"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": str(tokens["refresh_token"])}
    # another client cannot end it; its own client can
    flow.revoke("POST", urlencode({"token": tokens["refresh_token"], "client_id": "other"}).encode())
    assert flow.token("POST", urlencode(refresh).encode()).status == 200
    ended = flow.revoke("POST", urlencode({"token": tokens["refresh_token"], "client_id": CLIENT}).encode())
    assert (ended.status, ended.body) == (200, b"")
    assert body(flow.token("POST", urlencode(refresh).encode())) == {"error": "invalid_grant"}
    assert flow.revoke("POST", urlencode({"client_id": CLIENT}).encode()).status == 400
