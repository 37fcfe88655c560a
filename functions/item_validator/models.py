"""Settings of the DynamoDB Streams validator that reports invalid configuration items."""

from __future__ import annotations

from functions.common.settings import FunctionSettings


class ItemValidatorSettings(FunctionSettings):
    """No required settings: it validates the stream records it is given."""
