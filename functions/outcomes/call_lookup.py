"""ThunderPhone's record of a call, as the outcome recorder reads it: cached per call id, so that any number of
events for one call id (a tenant can send many from its own key URL) cost one GET /v1/calls/{id} per
`ttl_seconds`, as ConfigDirectory caches the configuration. A call's start and number called never change;
"no such call" is cached too, for as long. Errors are never cached."""

from __future__ import annotations

from cachetools import TTLCache

from functions.outcomes.ports import CallLookup
from functions.thunderphone.objects import ApiCall


class CachedCallLookup:
    """`CallLookup` in front of another (ThunderPhone's calls API)."""

    def __init__(self, lookup: CallLookup, *, ttl_seconds: float, max_entries: int) -> None:
        self._lookup = lookup
        self._calls: TTLCache[int, ApiCall | None] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    def get_call(self, call_id: int) -> ApiCall | None:
        if call_id in self._calls:
            return self._calls[call_id]
        call = self._lookup.get_call(call_id)
        self._calls[call_id] = call
        return call
