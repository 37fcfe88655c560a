"""End-to-end tests of the tenant console in a real browser: headless Chromium (Debian's /usr/bin/chromium, never a
downloaded one) driven by Playwright, against `python -m local` started on a free port, as a user runs `make run`.

Without Chromium (or Playwright) these tests are skipped with the reason, unless SWITCHBOARD_REQUIRE_BROWSER=1
(CI sets it), when they fail instead. Screenshots go to test-artifacts/console/ (CI uploads them).

The local stack runs in its own process (tests/fixtures/local_run.py), one per xdist worker; each test sets up the
state it needs through the tenant API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.local_run import local_run, send_json

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("SWITCHBOARD_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIGNING_SECRET = "whsec_local_demo_secret"  # local.examples.DEFAULT_SIGNING_SECRET


def _unavailable() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set SWITCHBOARD_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements.txt)"
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    reason = _unavailable()
    if reason:
        if REQUIRE:
            pytest.fail(f"SWITCHBOARD_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM


@dataclass
class LocalStack:
    """`python -m local` on a free port: its base URL and the demo tenant's webhook URLs from the banner."""

    base_url: str
    webhooks: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str = "admin") -> str:
        if role not in self.tokens:
            _, body = self.request("POST", "/local/tenant-token", {"tenant_id": "demo", "role": role})
            self.tokens[role] = body["token"]
        return self.tokens[role]

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        return send_json(self.base_url + path, method, body, headers)

    def api(self, method: str, path: str, body: Any = None, if_match: int | None = None) -> tuple[int, Any]:
        """The tenant API as the demo admin (`path` after /tenant/v1)."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return self.request(method, f"/tenant/v1{path}", body, headers)

    def webhook(self, route: str, event_type: str, data: dict[str, Any]) -> tuple[int, Any]:
        """A signed ThunderPhone webhook call to one of the demo tenant's URLs (`key`, `pricing`, `org-level`)."""
        from functions.thunderphone.signing import sign

        body = json.dumps({"data": data, "type": event_type}, separators=(",", ":"), sort_keys=True).encode()
        url = self.webhooks[route]
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json", "X-ThunderPhone-Signature": sign(body, SIGNING_SECRET)},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())


@pytest.fixture(scope="session")
def stack(chromium: str) -> Iterator[LocalStack]:
    with local_run() as run:
        assert f"Console: {run.base_url}/console" in run.banner, "the banner names the console"
        webhooks = dict(
            re.findall(r"^\s*(key|pricing|org-level)\s+(http://\S+/webhooks/\S+)", run.banner, re.MULTILINE)
        )
        assert set(webhooks) == {"key", "pricing", "org-level"}, run.banner
        yield LocalStack(base_url=run.base_url, webhooks=webhooks)


@pytest.fixture
def page(chromium: str, stack: LocalStack, tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium (its own user-data dir) on the console's sign-in page; console errors fail the test."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        context, page = open_console_page(playwright, chromium, tmp_path / "chromium-profile", stack, problems)
        try:
            yield page
        finally:
            context.close()
        # A CSP violation or a script error is a bug, whatever the test looked at.
        assert problems == []


def open_console_page(
    playwright: Any, chromium: str, profile: Path, stack: LocalStack, problems: list[str], **options: Any
) -> tuple[Any, Any]:
    """A fresh Chromium context (its own user-data dir; `options` such as viewport or timezone_id) on the console's
    sign-in page, with its script errors and console errors appended to `problems`."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium,
        headless=True,
        args=CHROMIUM_ARGS,
        **({"viewport": {"width": 1280, "height": 900}} | options),
    )
    context.set_default_timeout(15_000)
    page = context.pages[0] if context.pages else context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.goto(f"{stack.base_url}/console")
    page.wait_for_selector("body[data-ready='true']")
    return context, page


def settled(page: Any) -> None:
    """Waits until the console has drawn the view of the address it is at (views load asynchronously, and a click
    on a link changes the address a moment before the view starts to follow)."""
    page.wait_for_function(
        "() => { const view = document.getElementById('view');"
        " return view.getAttribute('aria-busy') === 'false' && view.dataset.drawn === location.hash; }"
    )


def open_section(page: Any, name: str) -> None:
    """Opens a section from the console's navigation, by its exact name (a page's own links, "See every call" or a
    chart's "3 calls", may say the same words), once it has drawn."""
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=name, exact=True).click()
    settled(page)


def open_tab(page: Any, tabs: str, name: str) -> None:
    """Opens the tab `name` of the tab list labelled `tabs` (e.g. "Calls pages"), once it has drawn."""
    page.get_by_role("navigation", name=tabs).get_by_role("link", name=name, exact=True).click()
    settled(page)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
