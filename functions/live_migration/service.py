"""The live migration: publish a first version for every tenant that has none.

The router serves only a tenant's `LIVE` item (functions/tenant_config/publishing.py). Tenants created before
publishing existed have their settings, profiles and rules as a draft and no `LIVE`, so every call of theirs would
fall back. This publishes each such draft as version 1 through the same `Drafts.publish` the tenant API and
`sbctl --operator publish` use (checked the same way), and touches nothing else: a tenant that has `LIVE` is left
alone, so a second run changes nothing. A draft that cannot be published is reported with the reason and left for
the operator (`sbctl --operator --table <table> validate --tenant <id>`, fix, `publish`); it never stops the others.
"""

from __future__ import annotations

from functions.common.observability import logger
from functions.live_migration.models import MigrationReport
from functions.tenant_config.models import Tenant
from functions.tenant_config.publishing import Drafts, PublishConflict, PublishRefused
from functions.tenant_config.store import ConfigStore

ACTOR = "live-migration"


def publish_missing_live(store: ConfigStore, drafts: Drafts) -> MigrationReport:
    """One pass over every tenant (the tenants index); idempotent."""
    report = MigrationReport()
    listing = store.list_tenants()
    for broken in listing.invalid:
        # Field names only: a problem may quote the stored value.
        report.refused[broken.tenant_id] = f"its settings item is invalid ({', '.join(broken.fields)}); fix it first"
    for tenant in listing.items:
        assert isinstance(tenant, Tenant)  # the tenants index lists tenant items only
        tenant_id = tenant.tenant_id
        if drafts.live(tenant_id) is not None:
            report.already_live.append(tenant_id)
            continue
        try:
            published = drafts.publish(tenant_id)
        except PublishRefused as exc:
            report.refused[tenant_id] = exc.message
            continue
        except PublishConflict:  # someone published it a moment ago: it is live
            report.already_live.append(tenant_id)
            continue
        logger.info("published a first version", extra={"tenant_id": tenant_id, "version": published.version})
        report.published.append(tenant_id)
    for tenant_id, reason in sorted(report.refused.items()):
        logger.warning("tenant not published: its calls fall back", extra={"tenant_id": tenant_id, "reason": reason})
    return report
