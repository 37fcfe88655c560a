"""The console's static bundle: files under static/, served at /console/assets/<bundle hash>/<file>, and the page.

One hash covers the whole bundle, so an ES module's relative imports (`./api.js`) resolve under the same hash and a
deploy that changes any file changes every URL: assets are cached for a year (immutable), the page never.
The page's configuration is a non-executable JSON block (`<script type="application/json" id="config">`), so the
Content-Security-Policy allows scripts from 'self' only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.tenant_config import templating
from functions.tenant_console.models import ConsoleSettings

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_TEMPLATE = "index.html"
LOCAL_TENANT_ID = "demo"  # the tenant `make run` seeds (tests/fixtures/tenants.py)
ASSETS_PREFIX = "/console/assets/"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}
# The tenant picker starts with the demo tenant; the page's script fills in the run's other tenants (auth.js).
LOCAL_SIGN_IN = """
      <p class="local-only">Local run only: sign in as any tenant of this run, with no password.</p>
      <label id="sign-in-tenant-field">Tenant
        <select id="sign-in-tenant"><option value="demo">demo</option></select></label>
      <button type="button" id="sign-in-local-admin" data-role="admin">Sign in as the demo admin</button>
      <button type="button" id="sign-in-local-viewer" data-role="viewer" class="secondary">
        Sign in as the demo viewer</button>"""
COGNITO_SIGN_IN = """
      <button type="button" id="sign-in-cognito">Sign in</button>"""


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Bundle:
    digest: str
    assets: dict[str, Asset]
    template: str

    @property
    def base(self) -> str:
        return f"{ASSETS_PREFIX}{self.digest}"

    def page(self, settings: ConsoleSettings) -> bytes:
        """The HTML page for these settings: hashed asset URLs, the JSON configuration, the sign-in buttons."""
        config = page_config(settings)
        # `<`, `>` and `&` escaped so no value can close the <script> element it sits in.
        data = (
            json.dumps(config, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        )
        buttons = LOCAL_SIGN_IN if settings.CONSOLE_AUTH == "local" else COGNITO_SIGN_IN
        html = (
            self.template.replace("__ASSET_BASE__", self.base)
            .replace("__CONFIG_JSON__", data)
            .replace("__SIGN_IN_BUTTONS__", buttons)
        )
        return html.encode()


def page_config(settings: ConsoleSettings) -> dict[str, Any]:
    """What the page's JavaScript reads: where the API is, how to sign in, and what prompts may use (static data from
    functions/tenant_config/templating.py, so the editor knows the names the router provides)."""
    auth: dict[str, Any] = {"mode": settings.CONSOLE_AUTH}
    if settings.CONSOLE_AUTH == "local":
        auth["tenantId"] = LOCAL_TENANT_ID
    if settings.CONSOLE_AUTH == "cognito":
        auth |= {"domain": settings.COGNITO_DOMAIN, "clientId": settings.COGNITO_CLIENT_ID, "scopes": "openid email"}
    return {
        "apiBase": settings.TENANT_API_BASE,
        "auth": auth,
        "templating": {
            "namespaces": list(templating.NAMESPACES),
            "callVariables": sorted(templating.CALL_VARIABLES),
            "builtIns": sorted(templating.BUILT_IN_VARIABLES),
            "maxDefaultChars": templating.MAX_DEFAULT_CHARS,
        },
    }


def load_bundle(directory: Path = STATIC_DIR) -> Bundle:
    files = sorted(path for path in directory.rglob("*") if path.is_file() and not path.name.startswith("."))
    assets: dict[str, Asset] = {}
    template = ""
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(directory).as_posix()
        body = path.read_bytes()
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
        if name == PAGE_TEMPLATE:
            template = body.decode()
        elif path.suffix in CONTENT_TYPES:
            assets[name] = Asset(body, CONTENT_TYPES[path.suffix])
    if not template:
        raise RuntimeError(f"the console's {PAGE_TEMPLATE} is missing from {directory}")
    return Bundle(digest=digest.hexdigest()[:20], assets=assets, template=template)
