"""The environment sbctl falls back to when a global flag is not given."""

from __future__ import annotations

from functions.common.settings import FunctionSettings, load_settings


class SbctlSettings(FunctionSettings):
    SWITCHBOARD_TABLE: str | None = None
    AWS_REGION: str | None = None
    AWS_DEFAULT_REGION: str | None = None
    AWS_PROFILE: str | None = None
    AWS_ENDPOINT_URL: str | None = None
    # Who is recorded as `updated_by`; defaults to the login name.
    SBCTL_ACTOR: str | None = None
    USER: str | None = None
    USERNAME: str | None = None


def get_settings() -> SbctlSettings:
    return load_settings(SbctlSettings)
