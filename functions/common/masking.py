"""Personal data out of logs: phone numbers masked whatever their format, and the phone numbers that
customers' sort keys carry."""

from __future__ import annotations

import re

_NOT_DIGITS = re.compile(r"\D")
_CUSTOMER_SK = re.compile(r"^(?P<prefix>CUSTOMER#)(?P<id>.*)$", re.DOTALL)


def mask_number(number: str | None) -> str | None:
    """A number recognisable in logs without being kept: country and area prefix and the last two digits.

    '+14155550199', '14155550199', 'tel:+1-415-555-0199', 'sip:+14155550199@pbx.example' and
    ' +1 415 555 0199' all become '+1415*****99'; anything with fewer than 7 digits is masked whole.
    None stays None and "web" (a widget session) stays "web".
    """
    if number is None or number == "web":
        return number
    digits = _NOT_DIGITS.sub("", number)
    if len(digits) < 7:
        return "*" * max(len(digits), 1)
    return f"+{digits[:4]}{'*' * (len(digits) - 6)}{digits[-2:]}"


def mask_sort_key(sort_key: str) -> str:
    """A customer's sort key holds its phone number (or another identifier): mask the identifier."""
    match = _CUSTOMER_SK.match(sort_key)
    if match is None:
        return sort_key
    customer_id = match.group("id")
    kind, sep, _ = customer_id.partition(":")
    masked = f"{kind}:***" if sep and not customer_id.startswith("+") else mask_number(customer_id)
    return f"{match.group('prefix')}{masked}"
