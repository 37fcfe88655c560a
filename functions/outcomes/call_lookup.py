"""ThunderPhone's record of a call, as the outcome recorder reads it: cached per call id, so that any number of
events for one call id (a tenant can send many from its own key URL) cost one GET /v1/calls/{id} per
`ttl_seconds`, as ConfigDirectory caches the configuration. A call's start and number called never change.
"No such call" is never cached, nor are errors: a tenant can send an event for a predicted call id before that
call exists, and a cached "no such call" would then keep ThunderPhone's record from settling the real call."""

from __future__ import annotations

from cachetools import TTLCache

from functions.outcomes.ports import CallLookup
from functions.thunderphone.objects import ApiCall


class CachedCallLookup:
    """`CallLookup` in front of another (ThunderPhone's calls API)."""

    def __init__(self, lookup: CallLookup, *, ttl_seconds: float, max_entries: int) -> None:
        self._lookup = lookup
        self._calls: TTLCache[int, ApiCall] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    def get_call(self, call_id: int) -> ApiCall | None:
        call = self._calls.get(call_id)
        if call is None:
            call = self._lookup.get_call(call_id)
            if call is not None:
                self._calls[call_id] = call
        return call
