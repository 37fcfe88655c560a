"""The tenant console in the synthesized stack: public GET routes to its own function, a managed-login domain per
stage, and a public app client (code grant, PKCE-capable, no secret) that the tenant API's authorizer accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common.identity import TENANT_CLAIM
from functions.common.settings import required_env_vars
from functions.tenant_console.models import ConsoleSettings
from infra.config import ConfigError, StageConfig
from tests.infra.conftest import function_by_handler, refers_to, resources, synth_templates

CONSOLE = "functions.tenant_console.handler.lambda_handler"
CONSOLE_ROUTES = ("GET /console", "GET /console/{proxy+}")


def _routes(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["RouteKey"]: r["Properties"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }


def _console_client(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((key, client),) = [
        (k, c["Properties"])
        for k, c in resources(template, "AWS::Cognito::UserPoolClient").items()
        if c["Properties"].get("AllowedOAuthFlowsUserPoolClient") and k.startswith("Console")
    ]
    return key, client


def test_console_routes_exist_without_an_authorizer_and_reach_the_console_function(dev: dict[str, Any]) -> None:
    # Given the synthesized API, Then GET /console and GET /console/{proxy+} are public (the page holds no data)
    routes = _routes(dev)
    console_id, _ = function_by_handler(dev, CONSOLE)
    integrations = {k: v["Properties"] for k, v in resources(dev, "AWS::ApiGatewayV2::Integration").items()}
    for key in CONSOLE_ROUTES:
        route = routes[key]
        assert route.get("AuthorizationType", "NONE") == "NONE"
        assert "AuthorizerId" not in route
        target = json.dumps(route["Target"])
        (integration,) = [props for k, props in integrations.items() if f'"{k}"' in target]
        assert refers_to(integration["IntegrationUri"], console_id)
    # and nothing but GET: the console writes through the tenant API only
    assert not [k for k in routes if "/console" in k and not k.startswith("GET ")]


def test_console_function_env_says_cognito_and_names_the_domain_and_client(dev: dict[str, Any]) -> None:
    _, function = function_by_handler(dev, CONSOLE)
    env = function["Properties"]["Environment"]["Variables"]
    assert [name for name in required_env_vars(ConsoleSettings) if name not in env] == []
    assert env["CONSOLE_AUTH"] == "cognito"
    client_id, _ = _console_client(dev)
    assert env["COGNITO_CLIENT_ID"] == {"Ref": client_id}
    (domain_id,) = resources(dev, "AWS::Cognito::UserPoolDomain")
    assert refers_to(env["COGNITO_DOMAIN"], domain_id) and "amazoncognito.com" in json.dumps(env["COGNITO_DOMAIN"])
    assert not any("secret" in name.lower() for name in env)  # the page gets no secret: there is none


def test_console_client_is_public_code_grant_with_the_console_callback(dev: dict[str, Any]) -> None:
    # Given the console's app client, Then it is public (no secret: PKCE instead), code grant only, openid/email,
    # Cognito users only, and it calls back to the console on this stage's API
    _, client = _console_client(dev)
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit grant; Cognito applies PKCE to public clients
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert TENANT_CLAIM in client["ReadAttributes"]
    assert not any(attribute.startswith("custom:") for attribute in client["WriteAttributes"])
    (api_id,) = resources(dev, "AWS::ApiGatewayV2::Api")
    ends = []
    for url in client["CallbackURLs"]:
        parts = url["Fn::Join"][1]
        assert parts[0] == "https://" and parts[1] == {"Ref": api_id}
        ends.append(parts[-1].rsplit(".", 1)[-1] if isinstance(parts[-1], str) else "")
    assert sorted(ends) == ["/console", "/console/"]
    assert client["LogoutURLs"] == client["CallbackURLs"]


def test_tenant_authorizer_audience_includes_the_console_client(dev: dict[str, Any]) -> None:
    client_id, _ = _console_client(dev)
    ((_, authorizer),) = resources(dev, "AWS::ApiGatewayV2::Authorizer").items()
    assert {"Ref": client_id} in authorizer["Properties"]["JwtConfiguration"]["Audience"]


def test_console_domain_is_unique_per_stack_by_default(dev: dict[str, Any]) -> None:
    # Prefixes are global per region across every AWS customer: a fixed word fails the second operator's deploy.
    # Given no consoleDomainPrefix, Then CloudFormation derives it from the stack's own id (no AWS call at synth)
    ((_, domain),) = resources(dev, "AWS::Cognito::UserPoolDomain").items()
    (pool_id,) = resources(dev, "AWS::Cognito::UserPool")
    separator, (fixed, unique) = domain["Properties"]["Domain"]["Fn::Join"]
    assert (separator, fixed) == ("-", "switchboard-console-dev")
    assert unique == {
        "Fn::Select": [0, {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]}]
    }
    assert domain["Properties"]["UserPoolId"] == {"Ref": pool_id}
    assert "ConsoleUrl" in dev["Outputs"] and "ConsoleSignInDomain" in dev["Outputs"]


def test_console_domain_prefix_can_be_named() -> None:
    # An upgraded stage keeps the prefix it was deployed with (a pool holds one prefix domain at a time)
    template = synth_templates(stage="dev", consoleDomainPrefix="switchboard-console-dev")["Switchboard-dev"]
    ((_, domain),) = resources(template, "AWS::Cognito::UserPoolDomain").items()
    assert domain["Properties"]["Domain"] == "switchboard-console-dev"


@pytest.mark.parametrize("prefix", ["My-Console", "-console", "aws-console", "console-", "x" * 64, "my_console"])
def test_console_domain_prefix_is_checked(prefix: str) -> None:
    with pytest.raises(ConfigError, match="consoleDomainPrefix"):
        StageConfig(stage="dev", console_domain_prefix=prefix)


def test_invitation_email_tells_the_new_admin_where_to_sign_in(dev: dict[str, Any]) -> None:
    # The user pool's invitation names the console's URL (the API's, with no custom domain) beside Cognito's
    # placeholders; the pool refers to the API itself, never to its authorizer (which refers to the pool)
    (pool,) = resources(dev, "AWS::Cognito::UserPool").values()
    message = pool["Properties"]["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    (api_id,) = resources(dev, "AWS::ApiGatewayV2::Api")
    parts = message["Fn::Join"][1]
    assert {"Ref": api_id} in parts
    text = "".join(part if isinstance(part, str) else "<>" for part in parts)
    assert "Open https://<>.execute-api.eu-west-1.<>/console and sign in with {username}" in text
    assert "{####}" in text and "3 days" in text
