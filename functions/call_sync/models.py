"""Call outcome backfill (sync from ThunderPhone's GET /v1/calls) models and settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.common.settings import FunctionSettings


class CallSyncSettings(FunctionSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    THUNDERPHONE_API_KEY_SECRET_NAME: Annotated[str, Field(min_length=1)]
    THUNDERPHONE_API_BASE: str = "https://api.thunderphone.com/v1"
