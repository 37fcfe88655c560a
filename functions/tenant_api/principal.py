"""Who is calling: the tenant and role in the token API Gateway's JWT authorizer verified.

In AWS the HTTP API's Cognito authorizer checks the token's signature, issuer, audience and expiry before
this function runs and passes its claims in the event; `make run` does the same with its local tokens
(local/tokens.py). The tenant is the `custom:tenant_id` claim, which only the operator can set, and never
a path or body field; the role comes from the user's Cognito group.

The role is checked from the request line alone, before anything reads the body (`principal_for`): every
method but GET changes something and is for admins only, except the routes in READS_WITH_A_BODY (a preview
sends what to preview, and changes nothing). So a viewer learns nothing from how a write would be validated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from functions.common.identity import GROUPS_CLAIM, ROLE_GROUPS, TENANT_CLAIM, TenantRole
from functions.common.types import is_tenant_id

ROLES: dict[str, TenantRole] = {group: role for role, group in ROLE_GROUPS.items()}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READS_WITH_A_BODY = frozenset({"/tenant/v1/simulate"})


class Unauthenticated(Exception):
    """No verified token, or one that does not name a tenant."""


class Forbidden(Exception):
    """A verified caller without the role the request needs."""


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    role: TenantRole
    subject: str  # the user's e-mail, else `sub`: recorded in the tenant's own history as who made each change

    @property
    def actor(self) -> str:
        return f"tenant:{self.tenant_id}:{self.subject}"[:256]

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden(
                "your role is viewer: you can look at everything but change nothing; ask one of your tenant's "
                "admins to make this change"
            )


def principal_for(event: Mapping[str, Any]) -> Principal:
    """The caller, once it is known to have the role the request's method and path need; raises
    Unauthenticated or Forbidden otherwise. Reads nothing of the body."""
    principal = principal_of(event)
    http = (event.get("requestContext") or {}).get("http") or {}
    if changes_something(str(http.get("method", "")), str(event.get("rawPath", ""))):
        principal.require_admin()
    return principal


def changes_something(method: str, path: str) -> bool:
    return method.upper() not in READ_METHODS and path not in READS_WITH_A_BODY


def principal_of(event: Mapping[str, Any]) -> Principal:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims") or {}
    tenant_id = claims.get(TENANT_CLAIM)
    if not isinstance(tenant_id, str) or not is_tenant_id(tenant_id):
        raise Unauthenticated("sign in again: you are not signed in, or your sign-in has expired")
    roles = {ROLES[group] for group in groups(claims.get(GROUPS_CLAIM)) if group in ROLES}
    if not roles:
        raise Forbidden("your user has no role in this tenant yet: ask the operator to make you an admin or a viewer")
    # Changes are recorded under the person's e-mail when the token carries one (Cognito's ID token does), so the
    # tenant's own history names people its admins recognise; else under the user's `sub`.
    subject = next(
        (value for value in (claims.get("email"), claims.get("sub")) if isinstance(value, str) and value), None
    )
    return Principal(
        tenant_id=tenant_id,
        role="admin" if "admin" in roles else "viewer",
        subject=subject or "unknown",
    )


def groups(value: Any) -> list[str]:
    """`cognito:groups` as a list: a JSON list, or the HTTP API's flattened form "[tenant-admin tenant-viewer]"."""
    if isinstance(value, list):
        return [str(item) for item in value]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if text.startswith("[") and '"' in text:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [str(item) for item in parsed]
    return [part for part in text.strip("[]").replace(",", " ").split() if part]
