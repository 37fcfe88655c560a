"""The outcome recorder's cache of ThunderPhone's call records (functions/outcomes/call_lookup.py) against a
predicted call id: a tenant that sends an event for another tenant's call id before that call exists must not
leave "no such call" behind for the real call's events, which ThunderPhone's record would otherwise settle."""

from __future__ import annotations

from functions.outcomes.call_lookup import CachedCallLookup
from functions.thunderphone.objects import ApiCall

CALL_ID = 4242


class Calls:
    """ThunderPhone's calls API: knows the call only once it has happened."""

    def __init__(self) -> None:
        self.known: dict[int, ApiCall] = {}
        self.gets = 0

    def get_call(self, call_id: int) -> ApiCall | None:
        self.gets += 1
        return self.known.get(call_id)


def test_a_lookup_before_the_call_exists_does_not_hide_it_afterwards() -> None:
    calls = Calls()
    lookup = CachedCallLookup(calls, ttl_seconds=3600, max_entries=10)
    assert lookup.get_call(CALL_ID) is None  # the predicting tenant's event, before the call

    call = ApiCall(call_id=CALL_ID, direction="inbound", to_number="+15550100")
    calls.known[CALL_ID] = call
    assert lookup.get_call(CALL_ID) == call  # the victim's event, once the call happened


def test_a_found_call_is_read_once() -> None:
    calls = Calls()
    calls.known[CALL_ID] = ApiCall(call_id=CALL_ID)
    lookup = CachedCallLookup(calls, ttl_seconds=3600, max_entries=10)
    assert lookup.get_call(CALL_ID) == lookup.get_call(CALL_ID) == calls.known[CALL_ID]
    assert calls.gets == 1
