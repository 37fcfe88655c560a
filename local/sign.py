"""Sign a webhook body the way ThunderPhone does and print a ready-to-run curl for the local run:
`python3 -m local.sign '<body>'` (or `make sign BODY='<body>'`) from the repository's root, with any Python 3.11.

The URL is one of the demo tenant's webhook URLs, kept by `make run` in its folder (.local/): the org-level
endpoint for a phone call, the tenant's key for anything else, or the one --route names; --path gives any other.
The port is $PORT's, else the running server's, else 8787. The secret is $THUNDERPHONE_WEBHOOK_SECRET or the
local default. Standard library only: nothing here needs the virtualenv."""

from __future__ import annotations

import argparse
import json
import os
import sys

from local.examples import DEFAULT_PORT, base_url, curl_command, signing_secret
from local.folder import LocalFolder

ROUTES = ("key", "pricing", "org")


def default_route(body: str) -> str:
    """The org-level endpoint for a phone call (its number names the tenant), else the tenant's own key."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "key"
    data = parsed.get("data") if isinstance(parsed, dict) else None
    caller = data.get("from_number") if isinstance(data, dict) else None
    event_type = str(parsed.get("type", "")) if isinstance(parsed, dict) else ""
    phone = isinstance(caller, str) and caller not in ("", "web") and not event_type.startswith("web.")
    return "org" if phone else "key"


def run_base_url(folder: LocalFolder) -> str:
    if os.environ.get("PORT"):
        return base_url(os.environ["PORT"])
    running = folder.running()
    if running and isinstance(running.get("base_url"), str):
        return str(running["base_url"])
    return base_url(DEFAULT_PORT)


def webhook_path(folder: LocalFolder, route: str) -> str:
    try:
        state = folder.saved_state()
    except ValueError:
        state = None
    tokens = (state or {}).get("tokens")
    token = tokens.get(route) if isinstance(tokens, dict) else None
    if not isinstance(token, str):
        raise SystemExit(
            f"No webhook URLs are kept in {folder.shown()} yet: start `make run` once (it keeps them there), "
            "or give the URL's path with --path /webhooks/<token>."
        )
    return f"/webhooks/{token}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python3 -m local.sign", description="Sign a webhook body and print a curl for the local run."
    )
    parser.add_argument("body", help="the exact JSON body to send")
    parser.add_argument(
        "--route", choices=ROUTES, help="which demo URL: key, pricing (its widget) or org (default: from the body)"
    )
    parser.add_argument("--path", help="any other webhook URL's path, /webhooks/<token>")
    parser.add_argument("--base-url", help="where the local run listens (default: $PORT, the running server, 8787)")
    args = parser.parse_args(argv)
    folder = LocalFolder.from_environment()
    path = args.path or webhook_path(folder, args.route or default_route(args.body))
    print(curl_command(args.base_url or run_base_url(folder), path, args.body.encode(), signing_secret()))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
