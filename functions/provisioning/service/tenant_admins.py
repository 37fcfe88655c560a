"""Tenant admins and viewers: the people who sign in to the tenant API. The operator creates, lists and removes
them; each belongs to exactly one tenant (set here, never by the user) and has one role (its group).

Nothing here says which tenant another tenant's user belongs to: an email taken elsewhere is only "taken", and
another tenant's user is simply not found.
"""

from __future__ import annotations

from contextlib import suppress

from functions.common.identity import ROLE_GROUPS, TenantRole
from functions.provisioning.errors import DirectoryUnavailable, NotFound
from functions.provisioning.models import (
    CreateTenantAdminRequest,
    DeletedTenantAdmin,
    TenantAdminEntry,
    TenantAdminList,
    TenantAdminView,
)
from functions.provisioning.ports import ConfigWriter, TenantDirectory
from functions.provisioning.service.tenants import existing_tenant

# A user in both groups (made by hand) has the wider role.
_WIDEST_FIRST: tuple[TenantRole, ...] = ("admin", "viewer")


def create_admin(
    tenant_id: str, request: CreateTenantAdminRequest, *, config: ConfigWriter, directory: TenantDirectory
) -> TenantAdminView:
    """A new user of `tenant_id` with `request.role`; Cognito emails it a temporary password."""
    existing_tenant(tenant_id, config)
    user = directory.create_user(request.email, tenant_id)
    try:
        directory.add_to_group(request.email, ROLE_GROUPS[request.role])
    except Exception:
        # A user without a role could sign in and do nothing, and would make a retry answer 409: remove it, so the
        # same request can simply be sent again.
        with suppress(DirectoryUnavailable, NotFound):
            directory.delete_user(request.email)
        raise
    return TenantAdminView(tenant_id=tenant_id, email=user.email, role=request.role, status=user.status)


def list_admins(tenant_id: str, *, config: ConfigWriter, directory: TenantDirectory) -> TenantAdminList:
    """The tenant's users, by email. Cognito cannot filter users by a custom attribute, so this reads the members
    of both role groups and keeps the tenant's own."""
    existing_tenant(tenant_id, config)
    found: dict[str, TenantAdminEntry] = {}
    for role in _WIDEST_FIRST:
        for user in directory.group_members(ROLE_GROUPS[role]):
            if user.tenant_id == tenant_id and user.email not in found:
                found[user.email] = TenantAdminEntry(email=user.email, role=role, status=user.status)
    return TenantAdminList(admins=[found[email] for email in sorted(found)])


def delete_admin(tenant_id: str, email: str, *, config: ConfigWriter, directory: TenantDirectory) -> DeletedTenantAdmin:
    """Delete the user, only if it belongs to `tenant_id`; otherwise it is not found, whoever it belongs to."""
    existing_tenant(tenant_id, config)
    user = directory.get_user(email)
    if user is None or user.tenant_id != tenant_id:
        raise NotFound(f"tenant '{tenant_id}' has no tenant admin or viewer with this email")
    directory.delete_user(email)
    return DeletedTenantAdmin(tenant_id=tenant_id, email=user.email)
