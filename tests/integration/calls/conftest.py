"""Shared pieces for the calls-area integration tests (the tables, the fake ThunderPhone and reading a
call item back come from tests/fixtures/)."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)
