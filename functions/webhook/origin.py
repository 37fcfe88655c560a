"""Edge protection's proof of passage (infra/constructs/edge.py).

With CloudFront and AWS WAF in front of the API, CloudFront adds ORIGIN_HEADER to every request it forwards,
carrying a secret only CloudFront and the webhook know (a Secrets Manager secret, ORIGIN_SECRET_NAME). A webhook
request without it went around CloudFront and its WAF (straight to execute-api or to the API's custom domain), so it
is refused with 403 before anything else is read. HTTP APIs take no WAF and no resource policy, so this check, in the
function, is what keeps the WAF's per-source limits from being bypassed.

The secret is JSON: `{"header": "<what CloudFront sends>"}`, and during a rotation also `"previous"`, the value
CloudFront may still send until its distribution is updated (docs/runbook.md). Every accepted value is compared in
constant time, so the time taken says nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from functools import lru_cache

from functions.webhook.models import Reply

ORIGIN_HEADER = "x-switchboard-origin"
CURRENT_KEY = "header"
PREVIOUS_KEY = "previous"

FORBIDDEN = Reply(403, {"error": "forbidden"}, "rejected", "not_through_edge")


@lru_cache(maxsize=4)
def accepted_values(secret_string: str) -> tuple[str, ...]:
    """The values a request may carry: the current one, then the previous one (raises ValueError when the secret is
    not the JSON object the stack creates)."""
    try:
        parsed = json.loads(secret_string)
    except json.JSONDecodeError:
        raise ValueError("the origin secret is not JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError('the origin secret must be {"header": "..."}')
    values = tuple(
        value for value in (parsed.get(CURRENT_KEY), parsed.get(PREVIOUS_KEY)) if isinstance(value, str) and value
    )
    if not values:
        raise ValueError('the origin secret has no "header" value')
    return values


def came_through_edge(presented: str | None, accepted: Sequence[str]) -> bool:
    """Whether the request carries one of the accepted values (every one compared, whatever matched)."""
    if not presented:
        return False
    given = presented.encode("utf-8", errors="replace")
    matches = [hmac.compare_digest(value.encode("utf-8"), given) for value in accepted]
    return any(matches)
