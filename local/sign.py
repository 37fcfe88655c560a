"""Sign a webhook body the way ThunderPhone does: `python -m local.sign '<body>' --path /webhooks/<token>`.

Prints a ready-to-run curl command for the local run (secret: $THUNDERPHONE_WEBHOOK_SECRET or the default).
"""

from __future__ import annotations

import argparse
import os

from local.server import DEFAULT_SIGNING_SECRET, curl_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("body", help="the exact JSON body to send")
    parser.add_argument(
        "--path", required=True, help="the webhook URL's path, /webhooks/<token> (make run prints them)"
    )
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8787')}")
    args = parser.parse_args()
    secret = os.environ.get("THUNDERPHONE_WEBHOOK_SECRET", DEFAULT_SIGNING_SECRET)
    print(curl_command(args.base_url, args.path, args.body.encode(), secret))


if __name__ == "__main__":
    main()
