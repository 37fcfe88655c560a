"""Environment settings: each function declares a pydantic model; this loads it once."""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

SettingsT = TypeVar("SettingsT", bound="FunctionSettings")

# Read by every function (observability.py) before its settings exist; "true" loads the X-Ray SDK for per-call
# subsegments. Set by the stack (infra/constructs/python_function.py).
TRACE_SUBSEGMENTS_ENV = "TRACE_SUBSEGMENTS"


class FunctionSettings(BaseModel):
    """Base for a function's settings: fields are the environment variable names (UPPER_SNAKE)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Read the process environment into `model` (the only place settings touch os.environ)."""
    return model.model_validate(dict(os.environ))


def required_env_vars(model: type[FunctionSettings]) -> list[str]:
    """Names a deployment must set for `model`; the infra tests hold the stack to this list."""
    return [name for name, field in model.model_fields.items() if field.is_required()]
