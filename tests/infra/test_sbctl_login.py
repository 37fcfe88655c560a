"""sbctl's app client signs in in the browser on a loopback redirect: authorization code only, no secret, callback
URLs on this machine's fixed ports (Cognito matches them exactly), and an output a tenant admin can run as is."""

from __future__ import annotations

from typing import Any

from functions.common.identity import SBCTL_CALLBACK_PATH, SBCTL_CALLBACK_PORTS
from sbctl.tenant_mode import oauth
from tests.infra.conftest import resources


def _clients(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: c["Properties"] for k, c in resources(template, "AWS::Cognito::UserPoolClient").items()}


def test_sbctls_client_offers_the_code_flow_to_loopback_callbacks_only(dev: dict[str, Any]) -> None:
    ((_, client),) = [(k, c) for k, c in _clients(dev).items() if k.startswith("TenantIdentity")]
    assert client["GenerateSecret"] is False  # a public client: PKCE, not a secret, proves the code is sbctl's
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email"}
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["CallbackURLs"] == [f"http://localhost:{port}{SBCTL_CALLBACK_PATH}" for port in SBCTL_CALLBACK_PORTS]
    assert "LogoutURLs" not in client or not client["LogoutURLs"]
    # its refresh tokens last a week and can be revoked
    assert client["RefreshTokenValidity"] == 7 * 24 * 60 and client["TokenValidityUnits"]["RefreshToken"] == "minutes"
    assert client["EnableTokenRevocation"] is True


def test_the_console_client_never_sends_codes_to_this_machines_ports(dev: dict[str, Any]) -> None:
    (console,) = [c for k, c in _clients(dev).items() if k.startswith("Console")]
    assert not [url for url in console["CallbackURLs"] if "127.0.0.1" in str(url)]


def test_sbctl_listens_on_the_ports_the_client_lists() -> None:
    sign_in = oauth.stage_sign_in("https://switchboard-console-dev-1a2b3c4d.auth.eu-west-1.amazoncognito.com", "abc123")
    assert sign_in.ports == SBCTL_CALLBACK_PORTS


def test_the_login_command_output_names_the_api_the_domain_and_sbctls_client(dev: dict[str, Any]) -> None:
    ((client_id, _),) = [(k, c) for k, c in _clients(dev).items() if k.startswith("TenantIdentity")]
    (domain_id,) = resources(dev, "AWS::Cognito::UserPoolDomain")
    command = dev["Outputs"]["SbctlLoginCommand"]["Value"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else repr(part) for part in command)
    assert text.startswith("sbctl login --url https://")
    assert "/tenant/v1 --sign-in-domain https://" in text
    assert {"Ref": domain_id} in command
    assert command[-1] == {"Ref": client_id}
