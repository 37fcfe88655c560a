"""/tenant/v1/draft and /tenant/v1/versions: what differs from live, publish, discard, history, rollback."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.observability import logger
from functions.tenant_api.dependencies import deps
from functions.tenant_api.routes.request import caller, json_response
from functions.tenant_config.live import VersionInfo
from functions.tenant_config.publishing import Change, Published

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
VersionPath = Annotated[int, Path(ge=1, description="A published version number.")]


def _changes(changes: list[Change]) -> list[dict[str, Any]]:
    return [asdict(change) | {"fields": list(change.fields)} for change in changes]


def _published(published: Published) -> dict[str, Any]:
    return {
        "version": published.version,
        "published_at": published.published_at.isoformat(),
        "restored_from": published.restored_from,
        "changes": _changes(published.changes),
    }


def _summary(version: VersionInfo) -> dict[str, Any]:
    return {
        "version": version.version,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "published_by": version.published_by,
        "restored_from": version.restored_from,
    }


@router.get("/tenant/v1/draft", summary="What the draft changes, compared with the live version")
def get_draft() -> Response[Any]:
    principal = caller(router)
    live_version, changes = deps.drafts(principal).changes(principal.tenant_id)
    return json_response({"live_version": live_version, "changes": _changes(changes)})


@router.delete("/tenant/v1/draft", summary="Discard the draft's changes (the draft becomes live again)")
def discard_draft() -> Response[Any]:
    principal = caller(router)
    discarded = deps.drafts(principal).discard(principal.tenant_id)
    logger.info("draft discarded", extra={"tenant_id": principal.tenant_id, "changes": discarded})
    return Response(200, "application/json", {"discarded": discarded})


@router.post("/tenant/v1/draft/publish", summary="Publish every change of the draft together, as a new version")
def publish_draft() -> Response[Any]:
    principal = caller(router)
    published = deps.drafts(principal).publish(principal.tenant_id)
    logger.info("draft published", extra={"tenant_id": principal.tenant_id, "version": published.version})
    return Response(201, "application/json", _published(published))


@router.get("/tenant/v1/versions", summary="Every published version, newest first")
def list_versions() -> Response[Any]:
    principal = caller(router)
    versions = deps.drafts(principal).versions(principal.tenant_id)
    # LIVE and the newest PUBLISHED# item are written in one transaction: the newest is live.
    body = {"live_version": versions[0].version if versions else None, "versions": [_summary(v) for v in versions]}
    return json_response(body)


@router.get("/tenant/v1/versions/<version>", summary="One published version's whole configuration")
def get_version(version: VersionPath) -> Response[Any]:
    principal = caller(router)
    published = deps.drafts(principal).version(principal.tenant_id, version)
    return json_response(_summary(published) | published.snapshot.to_json(), version=published.version)


@router.get("/tenant/v1/versions/<version>/changes", summary="What a published version changed from the one before")
def version_changes(version: VersionPath) -> Response[Any]:
    principal = caller(router)
    published, changes = deps.drafts(principal).version_changes(principal.tenant_id, version)
    body = {
        "version": published.version,
        "compared_with": version - 1 if version > 1 else None,
        "restored_from": published.restored_from,
        "changes": _changes(changes),
    }
    return json_response(body)


@router.post("/tenant/v1/versions/<version>/rollback", summary="Publish an earlier version's content again")
def rollback(version: VersionPath) -> Response[Any]:
    principal = caller(router)
    published = deps.drafts(principal).rollback(principal.tenant_id, version)
    logger.info("rolled back", extra={"tenant_id": principal.tenant_id, "version": published.version, "to": version})
    return Response(201, "application/json", _published(published))
