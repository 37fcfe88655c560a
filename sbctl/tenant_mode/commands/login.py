"""`sbctl login|logout|whoami`: where tenant mode sends requests, with which token, and what the token says.

`login --local` asks the local run's token issuer (`POST {origin}/local/tenant-token`, served by `make run`
only) for a token; a deployment's tokens come from its Cognito user pool and are passed with --token or on
standard input.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime

from sbctl.arguments import SubParsers
from sbctl.errors import UsageError
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.tenant_mode import messages, session
from sbctl.tenant_mode.context import TenantContext
from sbctl.tenant_mode.http import ApiClient, ApiError

UNVERIFIED = "tenant and role are read from the token without verifying it; the API verifies it on every request"


def register(subparsers: SubParsers) -> None:
    login = subparsers.add_parser(
        "login",
        help="save the tenant API's URL and your token (~/.config/switchboard/sbctl.json, mode 0600)",
        description="Saves the URL and token for later commands, after checking them with one request. "
        "The token is read from --token, else standard input (prompted, not echoed, on a terminal). "
        "Locally, --local gets one from `make run`'s token issuer instead.",
    )
    login.add_argument("--url", required=True, help="the tenant API's base URL, e.g. https://api.example.com/tenant/v1")
    login.add_argument("--token", help="the bearer token (default: read from standard input)")
    login.add_argument("--local", action="store_true", help="get a token from the local run (make run) for --tenant")
    login.add_argument("--tenant", help="with --local: the tenant id the token is for")
    login.add_argument("--role", choices=("admin", "viewer"), default="admin", help="with --local: the role")
    login.add_argument("--no-check", action="store_true", help="save without checking the token with a request")
    login.set_defaults(handler=cmd_login)

    logout = subparsers.add_parser("logout", help="forget the saved URL and token")
    logout.set_defaults(handler=cmd_logout)

    whoami = subparsers.add_parser("whoami", help="which mode, URL, tenant and role sbctl uses now")
    whoami.set_defaults(handler=cmd_whoami)


def cmd_login(ctx: TenantContext) -> int:
    args = ctx.args
    url = session.normalize_url(args.url)
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
    client = ApiClient(url, token, ctx.transport)
    if not args.no_check:
        try:
            client.request("GET", "/settings")
        except ApiError as error:
            if error.status != 404:  # 404: the tenant has no settings yet, but the token was accepted
                claims = session.claims_of(token)
                ctx.warn_lines(messages.api_error_lines(error, role=claims.role if claims else None, token_source=None))
                ctx.warn("sbctl: not logged in: nothing was saved")
                return EXIT_FAILED
    path = session.login_path(ctx.settings)
    session.save_login(path, session.Login(url=url, token=token))
    claims = session.claims_of(token)
    who = "a token sbctl cannot read"
    if claims is not None:
        who = f"{claims.role or 'unknown role'} of tenant {claims.tenant_id or '?'}"
    ctx.say(f"logged in to {url} as {who}; saved to {path} (readable by you only)")
    for name in ("SWITCHBOARD_API_URL", "SWITCHBOARD_TOKEN"):
        if getattr(ctx.settings, name):
            ctx.warn(f"note: {name} is set in your environment and wins over this login; unset it to use the login")
    return EXIT_OK


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
        now = datetime.now(UTC)
        when = claims.expires_at.isoformat(timespec="seconds")
        if claims.expired(now):
            ctx.say(f"expires: {when}: EXPIRED, run sbctl login")
        else:
            ctx.say(f"expires: {when} (in {int((claims.expires_at - now).total_seconds() // 60)} min)")
    ctx.say(f"note: {UNVERIFIED}")
    return EXIT_OK
