"""The decision recorder's settings, and how often a failed delivery is tried again."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.common.settings import FunctionSettings

# CloudWatch Logs invokes the recorder asynchronously: Lambda tries a failed delivery this many times more, then
# hands it to the on-failure queue (infra/constructs/decision_recorder.py configures it; the local run emulates it).
DELIVERY_RETRIES = 2


class DecisionRecorderSettings(FunctionSettings):
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    DECISION_TTL_DAYS: Annotated[int, Field(ge=1, le=3650)] = 90
    # Conditional writes in flight at once for one delivery of log events.
    WRITERS: Annotated[int, Field(ge=1, le=32)] = 8
