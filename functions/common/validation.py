"""pydantic validation errors in words a person reads: where, then why (never the rejected value)."""

from __future__ import annotations

from pydantic import ValidationError


def problems_of(error: ValidationError, *, root: str = "(item)") -> list[str]:
    """Readable one-liners: 'when.caller_numbers.0: String should match pattern ...'."""
    return [f"{'.'.join(str(part) for part in entry['loc']) or root}: {entry['msg']}" for entry in error.errors()]
