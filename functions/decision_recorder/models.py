"""The decision recorder's settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.common.settings import FunctionSettings


class DecisionRecorderSettings(FunctionSettings):
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    DECISION_TTL_DAYS: Annotated[int, Field(ge=1, le=3650)] = 90
    # Conditional writes in flight at once for one delivery of log events.
    WRITERS: Annotated[int, Field(ge=1, le=32)] = 8
