"""LOCAL ONLY: the tenant tokens of `make run`, standing in for Cognito and API Gateway's JWT authorizer.

`POST /local/tenant-token` with {"tenant_id": "...", "role": "admin" | "viewer"} returns a token carrying
the claims a Cognito ID token carries (`custom:tenant_id`, `cognito:groups`), signed (HS256) with a key
drawn on the first start and kept with the run's state. The local server verifies it on every /tenant/v1
request and hands the claims to the tenant API in the event, as API Gateway does in AWS. Nothing deployed has
this route: in AWS the operator creates tenant users (POST /admin/tenants/{id}/admins) and they sign in with
Cognito.

The same key signs what the local sign-in flow (local/sign_in.py) hands out: ID and access tokens as above, and
refresh tokens (`token_use: refresh`, a week long, bound to the client they were issued to) that are never accepted
as a bearer token.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from functions.common.types import is_tenant_id

ISSUER = "switchboard-local"
LIFETIME_S = 3600
REFRESH_LIFETIME_S = (
    7 * 24 * 3600
)  # as the sbctl app client's refresh tokens in AWS (infra/constructs/tenant_identity.py)
ROLES = ("admin", "viewer")
BEARER_USES = (None, "id")  # what claims() accepts: the ID tokens (and this issuer's older tokens, which had no use)


@dataclass
class LocalTokens:
    """`secret` signs the tokens; the local run keeps it between runs (local/state.py), so a saved sign-in
    (the console's, `sbctl login --local`) outlives a restart until the token expires."""

    secret: bytes = field(default_factory=lambda: os.urandom(32))
    clock: Callable[[], float] = time.time  # injected by tests that let tokens expire
    revoked: set[str] = field(default_factory=set)  # the ids of refresh tokens signed out (revoke)
    key: OctKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = OctKey.import_key(self.secret)

    def now(self) -> int:
        return int(self.clock())

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
        return 200, {"token": self._id_token(tenant_id, role, None), "expires_in": LIFETIME_S, "local_only": True}

    def session(self, tenant_id: str, role: str, client_id: str) -> dict[str, Any]:
        """What Cognito's token endpoint answers to a code: ID, access and refresh tokens."""
        now = self.now()
        access = {"iss": ISSUER, "sub": f"local-{role}@{tenant_id}", "client_id": client_id, "token_use": "access"}
        refresh = {
            "iss": ISSUER,
            "token_use": "refresh",
            "jti": secrets.token_urlsafe(12),  # what revoke() remembers
            "client_id": client_id,
            "custom:tenant_id": tenant_id,
            "role": role,
            "iat": now,
            "exp": now + REFRESH_LIFETIME_S,
        }
        return {
            "id_token": self._id_token(tenant_id, role, client_id),
            "access_token": self._sign(access | {"iat": now, "exp": now + LIFETIME_S}),
            "refresh_token": self._sign(refresh),
            "expires_in": LIFETIME_S,
            "token_type": "Bearer",
        }

    def refreshed(self, refresh_token: str, client_id: str) -> tuple[str, str] | None:
        """The (tenant, role) a refresh token was issued for, if it is this run's, unexpired and `client_id`'s."""
        claims = self._verified(refresh_token)
        if claims is None or claims.get("token_use") != "refresh" or claims.get("client_id") != client_id:
            return None
        if claims.get("jti") in self.revoked:
            return None
        tenant_id, role = claims.get("custom:tenant_id"), claims.get("role")
        if not isinstance(tenant_id, str) or role not in ROLES:
            return None
        return tenant_id, str(role)

    def revoke(self, refresh_token: str, client_id: str) -> None:
        """End a sign-in: its refresh token renews nothing any more (until the run stops: revocations are kept in
        memory only, and a refresh token lasts a week at most)."""
        claims = self._verified(refresh_token)
        if claims is not None and claims.get("token_use") == "refresh" and claims.get("client_id") == client_id:
            self.revoked.add(str(claims.get("jti")))

    def _id_token(self, tenant_id: str, role: str, client_id: str | None) -> str:
        now = self.now()
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": f"local-{role}@{tenant_id}",
            "custom:tenant_id": tenant_id,
            "cognito:groups": [f"tenant-{role}"],
            "token_use": "id",
            "jti": secrets.token_urlsafe(12),  # as Cognito's: no two tokens alike, even in the same second
            "iat": now,
            "exp": now + LIFETIME_S,
        }
        if client_id is not None:
            claims["aud"] = client_id
        return self._sign(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "HS256"}, claims, self.key)

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        """The verified claims of `Authorization: Bearer <token>`, or None (missing, forged or expired)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        claims = self._verified(token.strip())
        if claims is None or claims.get("token_use") not in BEARER_USES:
            return None  # a refresh or access token is no bearer for the tenant API (API Gateway wants ID tokens)
        return claims

    def _verified(self, token: str) -> dict[str, Any] | None:
        try:
            decoded = jwt.decode(token, self.key, algorithms=["HS256"])
            registry = jwt.JWTClaimsRegistry(
                now=self.now(), iss={"essential": True, "value": ISSUER}, exp={"essential": True}
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        return dict(decoded.claims)


def _refusal(message: str) -> dict[str, Any]:
    return {"error": "invalid_request", "message": message, "fields": {}}
