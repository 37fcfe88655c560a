"""/tenant/v1/calls: the tenant's own calls (newest first, filtered), one call's story, and the report of sessions,
fallbacks, minutes, cost and A/B results for some days."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.clock import utc_now
from functions.common.errors import InvalidItem
from functions.tenant_api.dependencies import deps
from functions.tenant_api.principal import Principal
from functions.tenant_api.routes.request import caller, json_response
from functions.tenant_api.service.call_story import call_id_of, call_story, filters_of, limit_of, list_calls
from functions.tenant_api.service.reports import call_report, period_of
from functions.tenant_config.models import RoutingRule, Tenant, zone
from functions.tenant_config.publishing import VersionMissing

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# Read as text and checked in service/reports.py, so every mistake is one 400 in words.
Days = Annotated[
    str | None, Query(max_length=12, description="The last N days up to today (your time zone), 1 to 90; default 7.")
]
FromDay = Annotated[
    str | None, Query(alias="from", max_length=12, description="First day, YYYY-MM-DD (your time zone); with `to`.")
]
ToDay = Annotated[
    str | None, Query(max_length=12, description="Last day, YYYY-MM-DD (inclusive); at most 92 days in all.")
]


@router.get("/tenant/v1/calls/report", summary="Sessions, fallbacks, minutes, cost and A/B results of your calls")
def calls_report(days: Days = None, from_: FromDay = None, to: ToDay = None) -> Response[Any]:
    principal = caller(router)
    zone = _zone(principal)
    period = period_of(days, from_, to, utc_now().astimezone(zone).date()).model_copy(update={"timezone": zone.key})
    report = call_report(deps.calls(), principal.tenant_id, period)
    return json_response(report.model_dump(mode="json"))


# Read as text and checked in service/call_story.py, so every mistake is one 400 in words.
Day = Annotated[str | None, Query(max_length=12, description="Only calls of this day, YYYY-MM-DD, in your time zone.")]
Channel = Annotated[str | None, Query(max_length=12, description="Only `phone` calls or `web` sessions.")]
Widget = Annotated[str | None, Query(max_length=70, description="Only sessions started from this widget.")]
Rule = Annotated[str | None, Query(max_length=70, description="Only calls this rule answered.")]
Fallback = Annotated[
    str | None, Query(max_length=5, description="`yes`: only calls that fell back; `no`: only calls answered.")
]
Limit = Annotated[str | None, Query(max_length=6, description="Calls per page, 1 to 100; default 25.")]
Cursor = Annotated[str | None, Query(max_length=120, description="`next_cursor` of the page before.")]
CallIdPath = Annotated[str, Path(max_length=40, description="The call's id (ThunderPhone's call id).")]


def _zone(principal: Principal) -> ZoneInfo:
    """The tenant's time zone, from its settings (UTC until it has valid ones: a list still reads)."""
    try:
        settings = deps.store(principal).get(principal.tenant_id, "tenant", principal.tenant_id)
    except InvalidItem:
        settings = None
    return zone(settings.timezone if isinstance(settings, Tenant) else "UTC")


@router.get("/tenant/v1/calls", summary="Your calls, newest first, a page at a time, with filters")
def list_tenant_calls(
    day: Day = None,
    channel: Channel = None,
    widget: Widget = None,
    rule: Rule = None,
    fallback: Fallback = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response[Any]:
    principal = caller(router)
    filters = filters_of(day, channel, widget, rule, fallback)
    count = limit_of(limit)
    page = list_calls(deps.calls(), principal.tenant_id, _zone(principal), filters, count, cursor)
    return json_response(page)


@router.get("/tenant/v1/calls/<call_id>", summary="One call's story: what answered it, why, and how it went")
def get_tenant_call(call_id: CallIdPath) -> Response[Any]:
    principal = caller(router)
    number = call_id_of(call_id)
    drafts = deps.drafts(principal)

    def rule_of(version: int, rule_id: str) -> RoutingRule | None:
        try:
            return drafts.version(principal.tenant_id, version).snapshot.rules.get(rule_id)
        except VersionMissing:
            return None

    story = call_story(deps.calls(), principal.tenant_id, _zone(principal), number, rule_of)
    return json_response(story)
