"""LOCAL ONLY: the tenant tokens of `make run`, standing in for Cognito and API Gateway's JWT authorizer.

`POST /local/tenant-token` with {"tenant_id": "...", "role": "admin" | "viewer"} returns a token carrying
the claims a Cognito ID token carries (`custom:tenant_id`, `cognito:groups`), signed (HS256) with a key
drawn on the first start and kept with the run's state. The local server verifies it on every /tenant/v1
request and hands the claims to the tenant API in the event, as API Gateway does in AWS. Nothing deployed has
this route: in AWS the operator creates tenant users (POST /admin/tenants/{id}/admins) and they sign in with
Cognito.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from functions.common.types import is_tenant_id

ISSUER = "switchboard-local"
LIFETIME_S = 3600
ROLES = ("admin", "viewer")


@dataclass
class LocalTokens:
    """`secret` signs the tokens; the local run keeps it between runs (local/state.py), so a saved sign-in
    (the console's, `sbctl login --local`) outlives a restart until the token expires."""

    secret: bytes = field(default_factory=lambda: os.urandom(32))
    key: OctKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = OctKey.import_key(self.secret)

    def issue(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """The token route: (status, JSON body)."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return 400, _refusal('body must be a JSON object like {"tenant_id": "demo", "role": "admin"}')
        tenant_id, role = request.get("tenant_id"), request.get("role", "admin")
        if not isinstance(tenant_id, str) or not is_tenant_id(tenant_id):
            return 422, _refusal("tenant_id must be 1 to 63 lowercase letters, digits or hyphens")
        if role not in ROLES:
            return 422, _refusal("role must be 'admin' or 'viewer'")
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": f"local-{role}@{tenant_id}",
            "custom:tenant_id": tenant_id,
            "cognito:groups": [f"tenant-{role}"],
            "iat": now,
            "exp": now + LIFETIME_S,
        }
        token = jwt.encode({"alg": "HS256"}, claims, self.key)
        return 200, {"token": token, "expires_in": LIFETIME_S, "local_only": True}

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        """The verified claims of `Authorization: Bearer <token>`, or None (missing, forged or expired)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            decoded = jwt.decode(token.strip(), self.key, algorithms=["HS256"])
            jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISSUER}, exp={"essential": True}).validate(
                decoded.claims
            )
        except (JoseError, ValueError):
            return None
        return dict(decoded.claims)


def _refusal(message: str) -> dict[str, Any]:
    return {"error": "invalid_request", "message": message, "fields": {}}
