"""Tenant users, as the Cognito user pool (infra/constructs/tenant_identity.py), the operator's admin routes
and the tenant API all name them: the attribute naming a user's tenant and the group giving each role."""

from __future__ import annotations

from typing import Literal

TENANT_ATTRIBUTE = "tenant_id"  # immutable, set only by the operator
TENANT_CLAIM = f"custom:{TENANT_ATTRIBUTE}"  # in ID tokens
GROUPS_CLAIM = "cognito:groups"
TenantRole = Literal["admin", "viewer"]
ROLE_GROUPS: dict[TenantRole, str] = {"admin": "tenant-admin", "viewer": "tenant-viewer"}

# `sbctl login`'s loopback redirect (RFC 8252): http://localhost:<port>/callback, sbctl listening on 127.0.0.1.
# `localhost` rather than the IP literal RFC 8252 prefers: Cognito documents plain HTTP callback URLs for
# `http://localhost` only, and a callback URL it refuses would fail the whole stack's deploy. Cognito accepts only
# the callback URLs an app client lists, ports included, so sbctl's client lists these (infra/constructs/
# tenant_identity.py) and sbctl listens on the first free one. Outside the ranges Linux, macOS and Windows hand out
# as ephemeral ports.
SBCTL_CALLBACK_PATH = "/callback"
SBCTL_CALLBACK_PORTS = (27563, 27564, 27565, 27566, 27567)


def sbctl_callback_url(port: int) -> str:
    return f"http://localhost:{port}{SBCTL_CALLBACK_PATH}"
