"""The tenant API Lambda (`/tenant/v1/...` behind the Cognito JWT authorizer; the route lives in ServiceApi).

It reads and writes the configuration table (drafts, published versions, customers) and reads the calls table
(impact replays). It has no secret and no AWS identity of the tenant: the tenant comes from the verified token.
"""

from __future__ import annotations

from aws_cdk import Duration

from functions.tenant_api.models import TenantApiSettings
from infra.constructs.python_function import FunctionConstruct, FunctionSpec

DESCRIPTION = "Tenant API: tenant admins' drafts, publishing, versions, simulation and impact"


class TenantApi(FunctionConstruct):
    # HTTP API integrations give up after 30 s; an impact replay over a week of calls is the slowest request.
    SPEC = FunctionSpec("tenant_api", TenantApiSettings, DESCRIPTION, Duration.seconds(28), memory_mb=1024)
    FUNCTION_ID = "TenantApi"
