"""The call outcome backfill: fills missed completions and grades from ThunderPhone's GET /v1/calls."""
