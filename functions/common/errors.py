"""Domain errors that adapters raise in place of AWS errors, so callers never see botocore."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """DynamoDB could not answer in time (throttled, timed out, down, denied)."""


class SecretsUnavailable(Exception):
    """Secrets Manager could not answer, or the secret is missing or unusable."""
