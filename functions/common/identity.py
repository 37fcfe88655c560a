"""Tenant users, as the Cognito user pool (infra/constructs/tenant_identity.py), the operator's admin routes
and the tenant API all name them: the attribute naming a user's tenant and the group giving each role."""

from __future__ import annotations

from typing import Literal

TENANT_ATTRIBUTE = "tenant_id"  # immutable, set only by the operator
TENANT_CLAIM = f"custom:{TENANT_ATTRIBUTE}"  # in ID tokens
GROUPS_CLAIM = "cognito:groups"
TenantRole = Literal["admin", "viewer"]
ROLE_GROUPS: dict[TenantRole, str] = {"admin": "tenant-admin", "viewer": "tenant-viewer"}
