"""The one Logger, Tracer and Metrics every function uses (masking of personal data: masking.py).

Traces: Lambda's active tracing records every invocation in X-Ray without any SDK in the function. The
X-Ray SDK (Powertools' Tracer) adds subsegments for each AWS call, and costs about 190 ms of cold start just
to import, even when disabled, so it is loaded only when the operator sets TRACE_SUBSEGMENTS=true
(`trace_subsegments` in cdk.json).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Logger, Metrics

from functions.common.settings import TRACE_SUBSEGMENTS_ENV

F = TypeVar("F", bound=Callable[..., Any])


class HandlerTracer(Protocol):
    def capture_lambda_handler(self, lambda_handler: F) -> F: ...


class Untraced:
    """What the handlers use of Powertools' Tracer, doing nothing: the invocation is traced by Lambda itself."""

    def capture_lambda_handler(self, lambda_handler: F) -> F:
        return lambda_handler


def make_tracer() -> HandlerTracer:
    if os.environ.get(TRACE_SUBSEGMENTS_ENV, "").strip().lower() != "true":
        return Untraced()
    from aws_lambda_powertools import Tracer

    return Tracer()  # type: ignore[return-value]


logger = Logger()
tracer = make_tracer()
metrics = Metrics()
