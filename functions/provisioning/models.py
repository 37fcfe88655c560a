"""Provisioning API models and settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.common.settings import FunctionSettings


class ProvisioningSettings(FunctionSettings):
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    # Secret holding ThunderPhone's secret API key (sk_live_...); never logged or returned.
    THUNDERPHONE_API_KEY_SECRET_NAME: Annotated[str, Field(min_length=1)]
    # The signing-secrets secret; endpoint setup adds a new whsec_ beside the current ones.
    SIGNING_SECRET_NAME: Annotated[str, Field(min_length=1)]
    THUNDERPHONE_API_BASE: str = "https://api.thunderphone.com/v1"
    # Public base of this deployment's webhook routes; derived from the request when unset.
    WEBHOOK_BASE_URL: str | None = None
