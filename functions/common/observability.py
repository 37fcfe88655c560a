"""The one Logger, Tracer and Metrics every function uses (masking of personal data: masking.py)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
