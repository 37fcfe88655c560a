"""The HTTP API: public, signature-checked webhook routes, IAM-authorised admin routes, and the tenant API
behind a Cognito JWT authorizer."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import nag
from infra.config import Throttle, ThrottledRoute
from infra.constructs.python_function import retention

# One route: the token in the path is a capability (functions/webhook_routes); no path names a tenant.
WEBHOOK_PATHS = ("/webhooks/{token}",)
# One proxy route keeps every admin operation behind IAM, including ones added to the provisioning API later.
ADMIN_PATH = "/admin/{proxy+}"
# Tenant admins and viewers: the tenant is the verified token's `custom:tenant_id`, never a path segment.
TENANT_PATH = "/tenant/v1/{proxy+}"
TENANT_IDENTITY_SOURCE = "$request.header.Authorization"

# One JSON line per request; the audit trail is the caller's ARN for admin calls and the token's `sub` for tenant
# calls. No bodies, no headers, no email addresses.
ACCESS_LOG_FORMAT = {
    "apiId": "$context.apiId",
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "caller": "$context.identity.userArn",
    "subject": "$context.authorizer.claims.sub",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """IAccessLogSettings is an interface, not a struct, so jsii needs an object implementing it."""

    def __init__(self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat | None:
        return self._format


def route_key(route: apigwv2.HttpRoute) -> str:
    """The route's key as API Gateway names it ("POST /webhooks/{token}"), known at synth time."""
    cfn = route.node.default_child
    assert isinstance(cfn, apigwv2.CfnRoute)
    return cfn.route_key


def limit_routes(stage: apigwv2.HttpStage, routes: Sequence[apigwv2.HttpRoute], throttle: Throttle) -> None:
    """Give each of `routes` its own API Gateway limits on `stage` (the stage's own throttle caps the others).

    `RouteSettings` names each route by its key, a plain string CloudFormation cannot order by, and API Gateway
    refuses a stage whose settings name a route that does not exist yet: so the stage waits for each route."""
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigwv2.CfnStage)
    for route in routes:
        limits = {"ThrottlingRateLimit": throttle.rate_limit, "ThrottlingBurstLimit": throttle.burst_limit}
        cfn_stage.add_property_override(f"RouteSettings.{route_key(route)}", limits)
        stage.node.add_dependency(route)


class ServiceApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        webhook_handler: lambda_.IFunction,
        admin_handler: lambda_.IFunction,
        tenant_handler: lambda_.IFunction,
        tenant_user_pool: cognito.IUserPool,
        tenant_clients: Sequence[cognito.IUserPoolClient],
        throttles: Mapping[ThrottledRoute, Throttle],
        log_retention_days: int,
        log_removal_policy: RemovalPolicy,
        execute_api_endpoint: bool = True,
    ) -> None:
        """`execute_api_endpoint=False`: the API answers on its custom domain only."""
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="Switchboard webhooks, admin API and tenant API",
            create_default_stage=False,
            disable_execute_api_endpoint=not execute_api_endpoint,
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention(log_retention_days), removal_policy=log_removal_policy
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            # Per-route metrics (4xx, 5xx, latency, count): the webhook route's are alarmed on (monitoring.py).
            detailed_metrics_enabled=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=throttles["api"].rate_limit, burst_limit=throttles["api"].burst_limit
            ),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_logs),
                apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT)),
            ),
        )

        webhook = integrations.HttpLambdaIntegration("Webhook", webhook_handler)
        self.webhook_routes: list[apigwv2.HttpRoute] = []
        for path in WEBHOOK_PATHS:
            self.webhook_routes += self.api.add_routes(
                path=path, methods=[apigwv2.HttpMethod.POST], integration=webhook
            )
        for route in self.webhook_routes:
            nag.acknowledge(
                route,
                "AwsSolutions-APIG4",
                "ThunderPhone cannot sign requests with AWS credentials; the webhook verifies the "
                "HMAC-SHA256 X-ThunderPhone-Signature over the raw body before reading anything, and the "
                "path's token is an unguessable capability naming the route.",
            )

        self.admin_routes = self.api.add_routes(
            path=ADMIN_PATH,
            methods=[apigwv2.HttpMethod.ANY],
            integration=integrations.HttpLambdaIntegration("Admin", admin_handler),
            authorizer=authorizers.HttpIamAuthorizer(),
        )
        # API Gateway checks the token's signature, issuer (the pool), audience (the pool's clients: sbctl's and the
        # console's) and expiry before the function runs; the function reads the verified claims from the event.
        self.tenant_authorizer = authorizers.HttpUserPoolAuthorizer(
            "TenantAuthorizer",
            tenant_user_pool,
            user_pool_clients=list(tenant_clients),
            identity_source=[TENANT_IDENTITY_SOURCE],
        )
        self.tenant_routes = self.api.add_routes(
            path=TENANT_PATH,
            methods=[apigwv2.HttpMethod.ANY],
            integration=integrations.HttpLambdaIntegration("Tenant", tenant_handler),
            authorizer=self.tenant_authorizer,
        )

        # Each route its own limits: a flood of unsigned webhook requests never throttles the operator or
        # tenant admins, and a busy console never throttles ThunderPhone's calls.
        limit_routes(self.stage, self.webhook_routes, throttles["webhook"])
        limit_routes(self.stage, self.admin_routes, throttles["admin"])
        limit_routes(self.stage, self.tenant_routes, throttles["tenant"])

    @property
    def url(self) -> str:
        """Base URL of the API (ends with '/')."""
        url = self.stage.url
        assert url is not None  # a $default stage always has one
        return url
