"""The environment sbctl falls back to when a flag is not given (both modes)."""

from __future__ import annotations

from functions.common.settings import FunctionSettings, load_settings


class SbctlSettings(FunctionSettings):
    # Which mode: "tenant" (the default: the tenant API) or "operator" (the table, with AWS credentials).
    SBCTL_MODE: str | None = None
    # Tenant mode: the API's base URL (…/tenant/v1) and a bearer token; each wins over `sbctl login`'s file.
    SWITCHBOARD_API_URL: str | None = None
    SWITCHBOARD_TOKEN: str | None = None
    # Where `sbctl login` keeps its file: $XDG_CONFIG_HOME/switchboard/sbctl.json, else ~/.config/switchboard/.
    XDG_CONFIG_HOME: str | None = None
    HOME: str | None = None
    # Operator mode.
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
