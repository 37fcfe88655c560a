"""Who sbctl talks to in tenant mode: the login file, the environment, and what a token says about itself.

`sbctl login` saves `{"url", "token"}` to `$XDG_CONFIG_HOME/switchboard/sbctl.json` (else
`~/.config/switchboard/sbctl.json`), readable by its owner only (0600, in a 0700 directory). A browser sign-in
(sbctl/tenant_mode/oauth.py) also saves its refresh token and where it signed in (`sign_in`: the user pool's domain
and app client), so an expired ID token is renewed without asking again.
`SWITCHBOARD_API_URL` and `SWITCHBOARD_TOKEN` win over the file, each on its own, but a saved token only ever
goes to the origin it was saved for, and a token only over HTTPS (plain HTTP only to this machine, for `make run`).

A token's tenant and role are read from its payload WITHOUT verifying its signature: that is only for
showing (`whoami`) and wording messages. The API verifies every token on every request.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sbctl.errors import UsageError
from sbctl.settings import SbctlSettings

FILE_NAME = "sbctl.json"
TENANT_CLAIM = "custom:tenant_id"
GROUPS_CLAIM = "cognito:groups"
ROLES = {"tenant-admin": "admin", "tenant-viewer": "viewer"}
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def config_dir(settings: SbctlSettings) -> Path:
    """`$XDG_CONFIG_HOME/switchboard` (only an absolute XDG_CONFIG_HOME counts, as the spec says)."""
    xdg = settings.XDG_CONFIG_HOME
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "switchboard"
    home = Path(settings.HOME) if settings.HOME else Path.home()
    return home / ".config" / "switchboard"


def login_path(settings: SbctlSettings) -> Path:
    return config_dir(settings) / FILE_NAME


@dataclass(frozen=True)
class SignIn:
    """Where the browser sign-in happens: a Cognito user pool domain (`https://<prefix>.auth.<region>.amazoncognito.com`)
    or the local run's stand-in (`http://127.0.0.1:8787/local`), the public app client, and the loopback ports its
    callback URLs allow (empty: any port, as RFC 8252 asks and the local run does)."""

    domain: str
    client_id: str
    ports: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "client_id": self.client_id, "ports": list(self.ports)}

    @classmethod
    def of(cls, data: Any) -> SignIn | None:
        if not isinstance(data, dict):
            return None
        domain, client_id, ports = data.get("domain"), data.get("client_id"), data.get("ports") or []
        if not isinstance(domain, str) or not isinstance(client_id, str) or not isinstance(ports, list):
            return None
        if not all(isinstance(port, int) and 0 < port < 65536 for port in ports):
            return None
        return cls(domain, client_id, tuple(ports))


@dataclass(frozen=True)
class Login:
    url: str
    token: str
    refresh_token: str | None = None
    sign_in: SignIn | None = None


def read_login(path: Path) -> Login | None:
    """The saved login, or None when there is none; a damaged file is a usage error that says to log in again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {path} ({exc}): run `sbctl logout`, then `sbctl login` again") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) or not isinstance(data.get("token"), str):
        raise UsageError(f"{path} is not an sbctl login file: run `sbctl logout`, then `sbctl login` again")
    refresh = data.get("refresh_token")
    return Login(
        url=data["url"],
        token=data["token"],
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        sign_in=SignIn.of(data.get("sign_in")),
    )


def save_login(path: Path, login: Login) -> None:
    """Write the file atomically, created 0600 (never readable by others, not even for a moment)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    saved: dict[str, Any] = {"url": login.url, "token": login.token}
    if login.refresh_token:
        saved["refresh_token"] = login.refresh_token
    if login.sign_in:
        saved["sign_in"] = login.sign_in.as_dict()
    body = json.dumps(saved | {"saved_at": datetime.now(UTC).isoformat()}, indent=2)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".sbctl-", suffix=".json")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(body + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_login(path: Path) -> bool:
    """True if there was a file to remove."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


@dataclass(frozen=True)
class Credentials:
    """The URL and token sbctl will use, and where each came from (for `whoami` and error messages)."""

    url: str | None
    token: str | None
    url_source: str
    token_source: str
    token_saved_for: str | None = None  # the URL a saved login's token was saved with; None from the environment
    login: Login | None = None  # the saved login when its token is the one used (it may be renewed)

    @property
    def complete(self) -> bool:
        return bool(self.url and self.token)

    def api_url(self) -> str:
        """The URL the token may be sent to; refused when a saved token would go to another origin (say
        SWITCHBOARD_API_URL points elsewhere while the token comes from the login file)."""
        assert self.url is not None
        url = normalize_url(self.url)
        if self.token_saved_for is not None and origin(url) != origin(self.token_saved_for):
            raise UsageError(
                f"your saved login's token is for {origin(self.token_saved_for)}, not {origin(url)} "
                f"(from {self.url_source}); nothing sent. Set SWITCHBOARD_TOKEN for that API, unset "
                f"{self.url_source}, or run `sbctl login --url {url}`"
            )
        return url


def credentials(settings: SbctlSettings) -> Credentials:
    path = login_path(settings)
    saved = read_login(path)
    url, url_source = settings.SWITCHBOARD_API_URL, "SWITCHBOARD_API_URL"
    if not url and saved is not None:
        url, url_source = saved.url, str(path)
    token, token_source, saved_for, login = settings.SWITCHBOARD_TOKEN, "SWITCHBOARD_TOKEN", None, None
    if not token and saved is not None:
        token, token_source, saved_for, login = saved.token, str(path), saved.url, saved
    return Credentials(
        url=url or None,
        token=token or None,
        url_source=url_source,
        token_source=token_source,
        token_saved_for=saved_for,
        login=login,
    )


def normalize_url(url: str) -> str:
    """The tenant API's base URL without a trailing slash; refused unless https with a host, or http to this
    machine (a bearer token never crosses a network in clear)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(
            f"'{url}' is not the tenant API's base URL, such as https://api.example.com/tenant/v1 "
            "(or http://127.0.0.1:8787/tenant/v1 for `make run`)"
        )
    if parts.scheme == "http" and not is_local(url):
        raise UsageError(
            f"'{url}' is plain HTTP: sbctl sends your token over HTTPS only (http:// is for the local run, "
            "on 127.0.0.1 or localhost)"
        )
    return url.strip().rstrip("/")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


@dataclass(frozen=True)
class TokenClaims:
    """What a token says about itself, UNVERIFIED (the API checks the signature, issuer and expiry)."""

    tenant_id: str | None
    role: str | None
    subject: str | None
    expires_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def claims_of(token: str) -> TokenClaims | None:
    """Decode a JWT's payload without verifying it; None when the token is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(payload, dict):
        return None
    tenant = payload.get(TENANT_CLAIM)
    roles = {ROLES[group] for group in _groups(payload.get(GROUPS_CLAIM)) if group in ROLES}
    role = "admin" if "admin" in roles else ("viewer" if roles else None)
    expiry = payload.get("exp")
    expires_at = datetime.fromtimestamp(expiry, UTC) if isinstance(expiry, int | float) else None
    subject = payload.get("sub")
    return TokenClaims(
        tenant_id=tenant if isinstance(tenant, str) else None,
        role=role,
        subject=subject if isinstance(subject, str) else None,
        expires_at=expires_at,
    )


def _groups(value: Any) -> list[str]:
    """`cognito:groups`: a list, or API Gateway's flattened string form "[tenant-admin tenant-viewer]"."""
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str):
        return [part.strip('"') for part in value.strip("[]").replace(",", " ").split() if part]
    return []
