"""CloudFormation custom resource entry point: `functions.live_migration.handler.lambda_handler`.

Invoked by CDK's custom resource provider framework (infra/constructs/live_migration.py) on every deploy that
creates or changes the `LiveMigration` resource: it publishes a first version for every tenant without one
(service.py) and reports how many it published, found live and could not publish (the stack's `LiveMigration`
output). Deleting the resource undoes nothing: published versions are kept. A refused tenant does not fail the
deploy (its calls fell back before too; the output and the log name it); an error reaching the table does, and
CloudFormation rolls back, so the webhook's new version never goes live before the migration has run.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.observability import logger
from functions.live_migration import service
from functions.live_migration.dependencies import deps

PHYSICAL_ID = "switchboard-live-migration"


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event.get("RequestType")
    if request not in ("Create", "Update"):  # Delete: versions stay published
        return {"PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID}
    report = service.publish_missing_live(deps.store, deps.drafts)
    logger.info(
        "live migration done",
        extra={
            "published": len(report.published),
            "already_live": len(report.already_live),
            "refused": len(report.refused),
        },
    )
    return {
        "PhysicalResourceId": PHYSICAL_ID,
        "Data": {
            "Summary": report.summary(),
            "Published": len(report.published),
            "AlreadyLive": len(report.already_live),
            "Refused": len(report.refused),
        },
    }
