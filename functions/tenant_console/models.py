"""The console Lambda's settings: how the page signs users in. Nothing here is secret: it all goes into the page."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from functions.common.settings import FunctionSettings

# https://<prefix>.auth.<region>.amazoncognito.com (or a custom domain): an origin, no path, query or credentials,
# nothing that could end a CSP directive. (At synth it holds CloudFormation tokens, `${Token[...]}`.)
_DOMAIN = re.compile(r"^https://[^\s/?#@;,'\"<>\\]+$")


class ConsoleSettings(FunctionSettings):
    """CONSOLE_AUTH=local is `make run` only (its tenant picker and "sign in as" buttons call /local/tenants and
    /local/tenant-token);
    CONSOLE_AUTH=cognito (AWS) signs in with the user pool's managed login (authorization code + PKCE)."""

    CONSOLE_AUTH: Literal["local", "cognito"] = "cognito"
    COGNITO_DOMAIN: Annotated[str, Field(max_length=300)] | None = None
    COGNITO_CLIENT_ID: Annotated[str, Field(pattern=r"^[^\s;,'\"<>\\]{1,128}$")] | None = None
    TENANT_API_BASE: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_-]*$")] = "/tenant/v1"

    @model_validator(mode="after")
    def _cognito_complete(self) -> ConsoleSettings:
        if self.CONSOLE_AUTH == "cognito":
            if not self.COGNITO_DOMAIN or not _DOMAIN.match(self.COGNITO_DOMAIN):
                raise ValueError("CONSOLE_AUTH=cognito needs COGNITO_DOMAIN, an https:// origin with no path")
            if not self.COGNITO_CLIENT_ID:
                raise ValueError("CONSOLE_AUTH=cognito needs COGNITO_CLIENT_ID, the console's public app client")
        return self
