"""The one Logger, Tracer and Metrics every function uses, plus masking for personal data."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def mask_number(number: str | None) -> str | None:
    """Keep a phone number recognisable in logs without keeping it: '+14155550199' -> '+1415*****99'."""
    if not number or not number.startswith("+") or len(number) < 8:
        return number
    return number[:5] + "*" * (len(number) - 7) + number[-2:]
