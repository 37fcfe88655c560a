"""The tenant console: a small Lambda serving the page and its static bundle (`GET /console`, `GET /console/{proxy+}`,
no authorizer: the page holds no data), and the Cognito pieces it signs in with: the user pool's managed-login
domain and a public app client (authorization code + PKCE, no secret) whose ID tokens the tenant API accepts.

The client's callback and logout URLs are the console's own URL on every public base the API answers on (its
execute-api URL, the custom domain, CloudFront's name with edge protection): the page sends
`{its origin}/console` as its redirect_uri. That API is built after the client (its JWT authorizer lists the
client), so the bases arrive as lazy tokens.

The managed-login domain's prefix is global per region across every AWS customer. Unless the operator names one,
it is derived at deploy time from the stack's own id (`switchboard-console-<stage>-<8 hex digits>`): unique, yet
the synthesized template stays the same on every machine and synth makes no AWS call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aws_cdk import Aws, Duration, Fn
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from functions.tenant_console.models import ConsoleSettings
from infra import nag
from infra.config import Throttle
from infra.constructs.python_function import FunctionConstruct, FunctionOptions, FunctionSpec
from infra.constructs.service_api import limit_routes
from infra.constructs.tenant_identity import tenant_client

DESCRIPTION = "Tenant console: the web page tenant admins edit, preview, publish and watch their agents in"
CONSOLE_PATHS = ("/console", "/console/{proxy+}")
CONSOLE_PATH = "console"  # the page, relative to the API's base URL (which ends with '/')
SCOPES = (cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL)
CONSOLE_CONCURRENCY = 5  # static files, cached a year by browsers: a handful of instances is plenty


def stack_unique_domain_prefix(stage: str) -> str:
    """`switchboard-console-<stage>-<the first group of the stack id's UUID>`, resolved by CloudFormation (8 hex
    digits: they can never spell 'aws', 'amazon' or 'cognito', which Cognito refuses in a prefix)."""
    stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return Fn.join("-", [f"switchboard-console-{stage}", Fn.select(0, Fn.split("-", stack_uuid))])


class ConsoleFunction(FunctionConstruct):
    SPEC = FunctionSpec("tenant_console", ConsoleSettings, DESCRIPTION, Duration.seconds(5), memory_mb=256)
    FUNCTION_ID = "TenantConsole"


class TenantConsole(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        options: FunctionOptions,
        *,
        user_pool: cognito.UserPool,
        domain_prefix: str,
        public_bases: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        # The user pool's managed-login domain and the console's public app client.
        login = Construct(self, "Login")
        self.domain = cognito.UserPoolDomain(
            login,
            "Domain",
            user_pool=user_pool,
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix),
            managed_login_version=cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
        )
        console_urls = [f"{base}/{CONSOLE_PATH}{end}" for base in public_bases for end in ("", "/")]
        # A browser keeps no secret: PKCE proves the code is this tab's.
        self.client = tenant_client(
            login,
            "Client",
            user_pool=user_pool,
            refresh_token_validity=Duration.hours(12),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),  # no implicit grant
                scopes=list(SCOPES),
                callback_urls=console_urls,
                logout_urls=console_urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
        )
        environment = {
            **options.environment,
            "CONSOLE_AUTH": "cognito",
            "COGNITO_DOMAIN": self.domain.base_url(),
            "COGNITO_CLIENT_ID": self.client.user_pool_client_id,
        }
        console = ConsoleFunction(self, "Console", replace(options, environment=environment))
        self.lambda_ = console.lambda_
        self.function = console.function
        self.routes: list[apigwv2.HttpRoute] = []

    def add_routes(self, api: apigwv2.HttpApi, stage: apigwv2.HttpStage, throttle: Throttle) -> list[apigwv2.HttpRoute]:
        """`GET /console` and `GET /console/{proxy+}` on the stage's HTTP API, without an authorizer, each with its own
        limits (so a busy console never throttles another route, nor another route the console)."""
        integration = integrations.HttpLambdaIntegration("Console", self.function)
        for path in CONSOLE_PATHS:
            self.routes += api.add_routes(path=path, methods=[apigwv2.HttpMethod.GET], integration=integration)
        limit_routes(stage, self.routes, throttle)
        for route in self.routes:
            nag.acknowledge(
                route,
                "AwsSolutions-APIG4",
                "The console's page and static files are public and hold no data; every read and write the page "
                "makes goes to the tenant API, behind the Cognito JWT authorizer, with the signed-in user's token.",
            )
        return self.routes
