"""/tenant/v1/settings: the tenant's settings (draft); the operator-owned fields are shown, never changed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.tenant_api.dependencies import deps
from functions.tenant_api.models import SettingsPatch
from functions.tenant_api.preconditions import expected_version
from functions.tenant_api.routes.request import IfMatch, as_json, caller, json_response

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get("/tenant/v1/settings", summary="The tenant's settings in the draft, with the operator-owned fields")
def get_settings() -> Response[Any]:
    settings = deps.editor(caller(router)).settings()
    return json_response(as_json(settings), version=settings.version)


@router.patch("/tenant/v1/settings", summary="Change tenant-owned settings (If-Match)")
def patch_settings(body: SettingsPatch, if_match: IfMatch = None) -> Response[Any]:
    principal = caller(router)
    expected = expected_version(if_match, None, allow_create=False)
    assert expected is not None
    saved = deps.editor(principal).patch_settings(body, expected)
    body_out = {"item": as_json(saved.item), "warnings": saved.warnings, "effective": saved.effective}
    return json_response(body_out, version=saved.item.version)
