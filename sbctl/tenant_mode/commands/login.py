"""`sbctl login|logout|whoami`: where tenant mode sends requests, with which token, and what the token says.

Three ways to log in:
- in a browser (the default on a terminal; --browser or --no-browser elsewhere): the authorization code flow with
  PKCE on a loopback redirect (sbctl/tenant_mode/oauth.py), against the stage's Cognito domain and sbctl's app
  client (--sign-in-domain, --client-id: given once, saved) or, for a local URL, `make run`'s stand-in. The refresh
  token is saved too, and renews the ID token when it expires;
- `--token` (or a token piped on standard input): a token got elsewhere, used until it expires;
- `--local --tenant T`: a token from the local run's issuer (`POST {origin}/local/tenant-token`, make run only).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sbctl.arguments import SubParsers
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.tenant_mode import messages, oauth, session
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiClient, ApiError, Unreachable

UNVERIFIED = "tenant and role are read from the token without verifying it; the API verifies it on every request"


def register(subparsers: SubParsers) -> None:
    login = subparsers.add_parser(
        "login",
        help="save the tenant API's URL and your token (~/.config/switchboard/sbctl.json, mode 0600)",
        description="Saves the URL and token for later commands, after checking them with one request. "
        "On a terminal without --token, you sign in in your browser (for a deployed stage, give the "
        "--sign-in-domain and --client-id your operator sent you, once); the sign-in is renewed by itself until "
        "its refresh token expires. With --token, or a token piped on standard input, that token is saved. "
        "Locally, --local gets one from `make run`'s token issuer instead.",
    )
    login.add_argument("--url", required=True, help="the tenant API's base URL, e.g. https://api.example.com/tenant/v1")
    login.add_argument("--token", help="the bearer token (default: read from standard input)")
    login.add_argument("--local", action="store_true", help="get a token from the local run (make run) for --tenant")
    login.add_argument("--tenant", help="with --local: the tenant id the token is for")
    login.add_argument("--role", choices=("admin", "viewer"), default="admin", help="with --local: the role")
    login.add_argument("--no-check", action="store_true", help="save without checking the token with a request")
    login.add_argument("--browser", action="store_true", help="sign in in your browser (the default on a terminal)")
    login.add_argument(
        "--no-browser", action="store_true", help="sign in in a browser, but print the address to open instead"
    )
    login.add_argument(
        "--sign-in-domain",
        help="the stage's sign-in domain, https://...amazoncognito.com (stack output ConsoleSignInDomain); saved",
    )
    login.add_argument("--client-id", help="sbctl's app client (stack output TenantUserPoolClientId); saved")
    login.set_defaults(handler=cmd_login)

    logout = subparsers.add_parser("logout", help="forget the saved URL and token")
    logout.set_defaults(handler=cmd_logout)

    whoami = subparsers.add_parser("whoami", help="which mode, URL, tenant and role sbctl uses now")
    whoami.set_defaults(handler=cmd_whoami)


def cmd_login(ctx: TenantContext) -> int:
    args = ctx.args
    url = session.normalize_url(args.url)
    if browser_mode(args):
        return browser_login(ctx, url)
    if args.local:
        if args.token:
            raise UsageError("give either --local or --token, not both")
        if not args.tenant:
            raise UsageError("--local needs --tenant: the tenant id the local token is for, e.g. --tenant demo")
        if not session.is_local(url):
            raise UsageError(
                f"--local tokens come from the local run (make run) only, and {url} is not on this machine"
            )
        token = local_token(ctx, url, args.tenant, args.role)
    elif args.tenant:
        raise UsageError("--tenant is only for --local: a deployment's token already names your tenant")
    else:
        token = args.token or read_token()
    if not token:
        raise UsageError("no token given: pass --token, or type or pipe it on standard input")
    if not args.no_check and not accepted(ctx, url, token):
        return EXIT_FAILED
    return saved(ctx, session.Login(url=url, token=token))


def accepted(ctx: TenantContext, url: str, token: str) -> bool:
    """One request with the token; False (and why, on the error stream) when the API refuses it."""
    try:
        ApiClient(url, token, ctx.transport).request("GET", "/settings")
    except ApiError as error:
        if error.status != 404:  # 404: the tenant has no settings yet, but the token was accepted
            claims = session.claims_of(token)
            ctx.warn_lines(messages.api_error_lines(error, role=claims.role if claims else None, token_source=None))
            ctx.warn("sbctl: not logged in: nothing was saved")
            return False
    return True


def saved(ctx: TenantContext, login: session.Login) -> int:
    url, token = login.url, login.token
    path = session.login_path(ctx.settings)
    session.save_login(path, login)
    claims = session.claims_of(token)
    who = "a token sbctl cannot read"
    if claims is not None:
        who = f"{claims.role or 'unknown role'} of tenant {claims.tenant_id or '?'}"
    ctx.say(f"logged in to {url} as {who}; saved to {path} (readable by you only)")
    if login.refresh_token:
        ctx.say("sbctl renews this sign-in by itself when it expires; `sbctl logout` forgets it")
    for name in ("SWITCHBOARD_API_URL", "SWITCHBOARD_TOKEN"):
        if getattr(ctx.settings, name):
            ctx.warn(f"note: {name} is set in your environment and wins over this login; unset it to use the login")
    return EXIT_OK


def browser_mode(args: argparse.Namespace) -> bool:
    """The browser sign-in when asked for (or its domain or client given), or on a terminal without --token/--local;
    a token piped on standard input keeps scripts working."""
    if args.browser or args.no_browser or args.sign_in_domain or args.client_id:
        if args.token or args.local or args.tenant:
            raise UsageError("the browser sign-in takes no --token, --local or --tenant: your sign-in names the tenant")
        return True
    return not (args.token or args.local or args.tenant) and sys.stdin.isatty()


def where_to_sign_in(ctx: TenantContext, url: str) -> session.SignIn:
    """--sign-in-domain and --client-id, else what the last sign-in to this URL used, else the local run's."""
    args = ctx.args
    if args.sign_in_domain or args.client_id:
        if not (args.sign_in_domain and args.client_id):
            raise UsageError("give both --sign-in-domain and --client-id (your operator has both), or neither")
        return oauth.stage_sign_in(args.sign_in_domain, args.client_id)
    try:
        previous = session.read_login(session.login_path(ctx.settings))
    except UsageError:
        previous = None
    if previous is not None and previous.sign_in is not None and previous.url == url:
        return previous.sign_in
    if session.is_local(url):
        return oauth.local_sign_in(url)
    raise UsageError(
        f"to sign in to {url} in your browser, sbctl needs the stage's sign-in domain and app client, once: "
        f"sbctl login --url {url} --sign-in-domain https://... --client-id ... (your operator can send you the "
        "whole command: the stack output SbctlLoginCommand). Or log in with a token: --token"
    )


def browser_login(ctx: TenantContext, url: str) -> int:
    sign_in = where_to_sign_in(ctx, url)
    verifier, challenge = oauth.pkce_pair()
    with oauth.Callback(sign_in.ports) as callback:
        address = oauth.authorize_url(sign_in, callback.redirect_uri, callback.state, challenge)
        if ctx.args.no_browser:
            ctx.say(f"Open this address in a browser on this computer to sign in:\n\n  {address}\n")
        else:
            ctx.say(f"Signing in in your browser. If it does not open, go to:\n\n  {address}\n")
            ctx.open_browser(address)
        ctx.warn(f"waiting for the sign-in to finish (up to {oauth.WAIT_S / 60:g} minutes; Ctrl-C gives up) ...")
        code = callback.wait()
        redirect_uri = callback.redirect_uri
    try:
        tokens = oauth.exchange_code(ctx.transport, sign_in, code, redirect_uri, verifier)
    except oauth.SignInFailed as failed:
        ctx.warn(f"sbctl: not logged in: {failed}; nothing was saved. Run `sbctl login` again")
        return EXIT_FAILED
    if not ctx.args.no_check and not accepted(ctx, url, tokens.id_token):
        return EXIT_FAILED
    return saved(ctx, session.Login(url, tokens.id_token, tokens.refresh_token, sign_in))


def local_token(ctx: TenantContext, url: str, tenant_id: str, role: str) -> str:
    issuer = ApiClient(session.origin(url), None, ctx.transport)
    data = issuer.request("POST", "/local/tenant-token", body={"tenant_id": tenant_id, "role": role}).data
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise UsageError(f"{session.origin(url)}/local/tenant-token gave no token: is this the local run (make run)?")
    return token


def read_token() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("token: ").strip()
    return sys.stdin.readline().strip()


def cmd_logout(ctx: TenantContext) -> int:
    path = session.login_path(ctx.settings)
    try:
        login = session.read_login(path)
    except UsageError:
        login = None  # a damaged file is removed all the same
    if login is not None and login.refresh_token and login.sign_in:
        try:
            ended = oauth.revoke(ctx.transport, login.sign_in, login.refresh_token)
        except Unreachable:
            ended = False
        if not ended:
            ctx.warn(
                "note: the sign-in service could not be told to end this sign-in: its refresh token stays valid "
                "until it expires, but sbctl forgets it now"
            )
    if session.remove_login(path):
        ctx.say(f"logged out: removed {path}")
    else:
        ctx.say(f"not logged in ({path} does not exist)")
    if ctx.settings.SWITCHBOARD_TOKEN:
        ctx.warn("note: SWITCHBOARD_TOKEN is still set in your environment; unset it too")
    return EXIT_OK


def cmd_whoami(ctx: TenantContext) -> int:
    found = ctx.credentials
    ctx.say("mode: tenant (the tenant API with a bearer token; operators: sbctl --operator ...)")
    if not found.complete:
        ctx.warn("sbctl: " + messages.not_logged_in(table_configured=bool(ctx.settings.SWITCHBOARD_TABLE)))
        return EXIT_FAILED
    ctx.say(f"url: {found.url} (from {found.url_source})")
    ctx.say(f"token: from {found.token_source}")
    try:
        found.api_url()
    except UsageError as refused:
        ctx.warn(f"sbctl: commands will refuse to run: {refused}")
        return EXIT_FAILED
    claims = ctx.claims
    if claims is None:
        ctx.say("tenant, role: unknown (the token is not a JWT sbctl can read; the API decides)")
        return EXIT_OK
    ctx.say(f"tenant: {claims.tenant_id or '(none in the token)'}")
    ctx.say(f"role: {claims.role or '(none in the token)'}")
    if claims.expires_at is not None:
        now = ctx.clock()
        when = claims.expires_at.isoformat(timespec="seconds")
        renewable = found.login is not None and found.login.refresh_token is not None
        if claims.expired(now) and renewable:
            ctx.say(f"expires: {when}: expired; renewed by the next command")
        elif claims.expired(now):
            ctx.say(f"expires: {when}: EXPIRED, run sbctl login")
        else:
            ctx.say(f"expires: {when} (in {int((claims.expires_at - now).total_seconds() // 60)} min)")
    ctx.say(f"note: {UNVERIFIED}")
    return EXIT_OK
