"""Tenants, written through the versioned configuration store: create (with a default profile, published
as version 1), read, list, update (the operator's fields take effect without a publish)."""

from __future__ import annotations

from functions.common.errors import VersionConflict
from functions.provisioning.errors import AlreadyExists, NotFound
from functions.provisioning.models import CreateTenantRequest, TenantList, TenantView, UpdateTenantRequest
from functions.provisioning.ports import ConfigWriter, Publisher
from functions.tenant_config.models import AgentProfile, Tenant


def create_tenant(request: CreateTenantRequest, *, config: ConfigWriter, publisher: Publisher) -> TenantView:
    """The tenant and its default agent profile, published, so its very first call already gets a real answer."""
    tenant_id = request.tenant_id
    if config.get(tenant_id, "tenant", tenant_id) is not None:
        raise AlreadyExists(f"tenant '{tenant_id}' already exists; PATCH it to change it")
    profile_input = request.default_profile.model_dump(exclude_none=True)
    profile = AgentProfile.model_validate(profile_input)
    tenant = Tenant.model_validate(
        request.model_dump(exclude={"default_profile"}, exclude_none=True) | {"default_profile_id": profile.profile_id}
    )
    # Profile first: the tenant must never point at a missing profile. A profile left by a create
    # that failed before its tenant was written is replaced (its version is kept in history).
    existing = config.get(tenant_id, "profile", profile.profile_id)
    stored_profile = config.put(tenant_id, profile, expected_version=existing.version if existing is not None else None)
    try:
        stored_tenant = config.put(tenant_id, tenant, expected_version=None)
    except VersionConflict:
        raise AlreadyExists(f"tenant '{tenant_id}' already exists; PATCH it to change it") from None
    publisher.publish(tenant_id)
    return TenantView(tenant=stored_tenant, default_profile=stored_profile)


def get_tenant(tenant_id: str, *, config: ConfigWriter) -> TenantView:
    tenant = existing_tenant(tenant_id, config)
    profile = config.get(tenant_id, "profile", tenant.default_profile_id)
    return TenantView(tenant=tenant, default_profile=profile if isinstance(profile, AgentProfile) else None)


def list_tenants(*, config: ConfigWriter) -> TenantList:
    listing = config.list_tenants()
    tenants = sorted((item for item in listing.items if isinstance(item, Tenant)), key=lambda item: item.tenant_id)
    return TenantList(tenants=tenants, invalid_tenants=sorted(error.tenant_id for error in listing.invalid))


def update_tenant(tenant_id: str, request: UpdateTenantRequest, *, config: ConfigWriter) -> TenantView:
    """Apply the given fields to the version the caller read; VersionConflict if it changed since."""
    current = existing_tenant(tenant_id, config)
    updated = Tenant.model_validate(current.model_dump() | request.changes())
    stored = config.put(tenant_id, updated, expected_version=request.version)
    profile = config.get(tenant_id, "profile", updated.default_profile_id)
    return TenantView(tenant=stored, default_profile=profile if isinstance(profile, AgentProfile) else None)


def existing_tenant(tenant_id: str, config: ConfigWriter) -> Tenant:
    """The stored tenant; NotFound when there is none."""
    tenant = config.get(tenant_id, "tenant", tenant_id)
    if not isinstance(tenant, Tenant):
        raise NotFound(f"tenant '{tenant_id}' does not exist")
    return tenant
