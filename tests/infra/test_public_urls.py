"""Stable webhook URLs and edge protection as synthesized: the custom domain and its mapping, webhook URLs built on
it, Route 53 or the CNAME target, CloudFront with an AWS WAF web ACL (in us-east-1) and the secret header that keeps
direct calls from going around them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.webhook.origin import ORIGIN_HEADER
from infra.config import ConfigError, StageConfig
from tests.infra.conftest import (
    function_by_handler,
    refers_to,
    resources,
    role_statements,
    synth_templates,
    synth_warnings,
)

DOMAIN = "calls.example.com"
REGIONAL_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
EDGE_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"
ZONE = "Z0123456789ABCDEFGHIJ"
WEBHOOK = "functions.webhook.handler.lambda_handler"
PROVISIONING = "functions.provisioning.handler.lambda_handler"
EDGE_CONTEXT = {
    "customDomainName": DOMAIN,
    "customDomainCertificateArn": REGIONAL_CERT,
    "edgeProtection": "true",
    "edgeCertificateArn": EDGE_CERT,
}


def edge_templates(**overrides: Any) -> dict[str, dict[str, Any]]:
    return synth_templates(stage="dev", **(EDGE_CONTEXT | overrides))


@pytest.fixture(scope="module")
def edge() -> Iterator[dict[str, dict[str, Any]]]:
    """dev with a custom domain and edge protection, in eu-west-1: the web ACL has a stack of its own in us-east-1."""
    yield edge_templates()


@pytest.fixture(scope="module")
def domain_only() -> Iterator[dict[str, Any]]:
    yield synth_templates(
        stage="dev",
        customDomainName=DOMAIN,
        customDomainCertificateArn=REGIONAL_CERT,
        customDomainHostedZoneId=ZONE,
    )["Switchboard-dev"]


def _env(template: dict[str, Any], handler: str) -> dict[str, Any]:
    return function_by_handler(template, handler)[1]["Properties"]["Environment"]["Variables"]  # type: ignore[no-any-return]


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = resources(template, kind).items()
    return logical_id, resource["Properties"]


# ------------------------------------------------------------------ custom domain


def test_custom_domain_is_mapped_to_the_api_s_stage_on_its_certificate(domain_only: dict[str, Any]) -> None:
    domain_id, domain = _one(domain_only, "AWS::ApiGatewayV2::DomainName")
    assert domain["DomainName"] == DOMAIN
    assert domain["DomainNameConfigurations"] == [
        {"CertificateArn": REGIONAL_CERT, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
    ]
    (api_id,) = resources(domain_only, "AWS::ApiGatewayV2::Api")
    (stage_id,) = resources(domain_only, "AWS::ApiGatewayV2::Stage")
    ((_, mapping),) = resources(domain_only, "AWS::ApiGatewayV2::ApiMapping").items()
    assert mapping["Properties"] == {"ApiId": {"Ref": api_id}, "DomainName": {"Ref": domain_id}, "Stage": "$default"}
    assert stage_id in mapping["DependsOn"]  # the stage is named by a string (tests/infra/test_deploy_rehearsal.py)


def test_every_webhook_url_provisioning_hands_out_is_on_the_custom_domain(domain_only: dict[str, Any]) -> None:
    assert _env(domain_only, PROVISIONING)["WEBHOOK_BASE_URL"] == f"https://{DOMAIN}"
    outputs = domain_only["Outputs"]
    assert outputs["WebhookBaseUrl"]["Value"] == f"https://{DOMAIN}"
    assert outputs["PublicUrl"]["Value"] == f"https://{DOMAIN}/"
    assert outputs["ConsoleUrl"]["Value"] == f"https://{DOMAIN}/console"
    assert outputs["TenantApiUrl"]["Value"] == f"https://{DOMAIN}/tenant/v1"


def test_with_a_hosted_zone_the_stack_writes_the_alias_record(domain_only: dict[str, Any]) -> None:
    domain_id, _ = _one(domain_only, "AWS::ApiGatewayV2::DomainName")
    _, record = _one(domain_only, "AWS::Route53::RecordSet")
    assert (record["HostedZoneId"], record["Name"], record["Type"]) == (ZONE, f"{DOMAIN}.", "A")
    assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}
    assert "CustomDomainTarget" not in domain_only["Outputs"]
    assert resources(domain_only, "AWS::CloudFront::Distribution") == {}


def test_without_a_hosted_zone_the_output_names_the_cname_target() -> None:
    template = synth_templates(stage="dev", customDomainName=DOMAIN, customDomainCertificateArn=REGIONAL_CERT)
    dev = template["Switchboard-dev"]
    domain_id, _ = _one(dev, "AWS::ApiGatewayV2::DomainName")
    assert resources(dev, "AWS::Route53::RecordSet") == {}
    assert dev["Outputs"]["CustomDomainTarget"]["Value"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}


def test_the_console_signs_in_on_the_custom_domain_and_the_invitation_says_so(domain_only: dict[str, Any]) -> None:
    clients = [
        c["Properties"]
        for k, c in resources(domain_only, "AWS::Cognito::UserPoolClient").items()
        if k.startswith("Console")
    ]
    (console,) = [c for c in clients if c.get("AllowedOAuthFlowsUserPoolClient")]
    assert {f"https://{DOMAIN}/console", f"https://{DOMAIN}/console/"} <= {
        u for u in console["CallbackURLs"] if isinstance(u, str)
    }
    (pool,) = resources(domain_only, "AWS::Cognito::UserPool").values()
    invitation = pool["Properties"]["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    assert f"Open https://{DOMAIN}/console and sign in with {{username}}" in invitation


def test_without_a_custom_domain_provisioning_derives_the_base_from_each_request(dev: dict[str, Any]) -> None:
    assert "WEBHOOK_BASE_URL" not in _env(dev, PROVISIONING)
    assert resources(dev, "AWS::ApiGatewayV2::DomainName") == {}


# ------------------------------------------------------------------ edge protection


def test_edge_protection_puts_cloudfront_with_the_web_acl_in_front_of_the_custom_domain(
    edge: dict[str, dict[str, Any]],
) -> None:
    dev = edge["Switchboard-dev"]
    domain_id, _ = _one(dev, "AWS::ApiGatewayV2::DomainName")
    _, distribution = _one(dev, "AWS::CloudFront::Distribution")
    config = distribution["DistributionConfig"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": EDGE_CERT,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert set(behavior["AllowedMethods"]) >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert behavior["OriginRequestPolicyId"] == "216adef6-5c7f-47e4-b989-5492eafa07d3"  # AllViewer: Host forwarded
    # The web ACL comes from its us-east-1 stack
    assert config["WebACLId"]["Fn::GetStackOutput"]["StackName"] == "Switchboard-dev-edge"
    assert config["WebACLId"]["Fn::GetStackOutput"]["Region"] == "us-east-1"


def test_the_web_acl_limits_each_source_on_the_webhook_route_and_adds_managed_rules() -> None:
    firewall = edge_templates(edgeTrustedCidrs="34.96.0.0/20")["Switchboard-dev-edge"]
    _, acl = _one(firewall, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "CLOUDFRONT"
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    rate = rules["WebhookRatePerSource"]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    assert (statement["AggregateKeyType"], statement["Limit"], statement["EvaluationWindowSec"]) == ("IP", 3000, 300)
    scope = statement["ScopeDownStatement"]["ByteMatchStatement"]
    assert (scope["FieldToMatch"], scope["PositionalConstraint"], scope["SearchString"]) == (
        {"UriPath": {}},
        "STARTS_WITH",
        "/webhooks/",
    )
    assert set(rules) == {
        "TrustedSources",
        "WebhookRatePerSource",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesKnownBadInputsRuleSet",
    }
    # Signed JSON bodies (transcripts, prompts) are never blocked by a body pattern: those rules only count
    bad_inputs = rules["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    counted = {o["Name"] for o in bad_inputs["RuleActionOverrides"] if o["ActionToUse"] == {"Count": {}}}
    assert counted == {"JavaDeserializationRCE_BODY", "Log4JRCE_BODY"}
    kinds = {"AWS::WAFv2::WebACL", "AWS::WAFv2::IPSet"}
    assert {r["Type"] for r in firewall["Resources"].values()} == kinds  # nothing else lives there


def test_thunderphone_s_own_ranges_are_allowed_before_any_rule_can_block_them() -> None:
    # One tenant scripting calls on its own widget makes ThunderPhone's shared addresses busy: neither the rate rule
    # nor a managed list may then block every tenant's calls
    firewall = edge_templates(edgeTrustedCidrs="34.96.0.0/20, 2600:1900::/28")["Switchboard-dev-edge"]
    ip_sets = {
        props["Properties"]["IPAddressVersion"]: (key, props)
        for key, props in resources(firewall, "AWS::WAFv2::IPSet").items()
    }
    assert ip_sets["IPV4"][1]["Properties"]["Addresses"] == ["34.96.0.0/20"]
    assert ip_sets["IPV6"][1]["Properties"]["Addresses"] == ["2600:1900::/28"]
    _, acl = _one(firewall, "AWS::WAFv2::WebACL")
    first = min(acl["Rules"], key=lambda rule: rule["Priority"])
    assert (first["Name"], first["Action"]) == ("TrustedSources", {"Allow": {}})
    assert sorted(rule["Priority"] for rule in acl["Rules"]).count(first["Priority"]) == 1
    allowed = [s["IPSetReferenceStatement"]["Arn"] for s in first["Statement"]["OrStatement"]["Statements"]]
    assert sorted(json.dumps(arn) for arn in allowed) == sorted(
        json.dumps({"Fn::GetAtt": [key, "Arn"]}) for key, _ in ip_sets.values()
    )
    assert synth_warnings(stage="dev", **EDGE_CONTEXT, edgeTrustedCidrs="34.96.0.0/20")["Switchboard-dev-edge"] == []


def test_without_thunderphone_s_ranges_the_per_source_limit_only_counts_and_synth_says_so(
    edge: dict[str, dict[str, Any]],
) -> None:
    _, acl = _one(edge["Switchboard-dev-edge"], "AWS::WAFv2::WebACL")
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert "TrustedSources" not in rules
    assert rules["WebhookRatePerSource"]["Action"] == {"Count": {}}
    (warning,) = synth_warnings(stage="dev", **EDGE_CONTEXT)["Switchboard-dev-edge"]
    assert "only counts" in warning and "edgeTrustedCidrs" in warning


def test_cloudfront_adds_the_origin_secret_which_the_template_never_holds(edge: dict[str, dict[str, Any]]) -> None:
    dev = edge["Switchboard-dev"]
    _, distribution = _one(dev, "AWS::CloudFront::Distribution")
    ((origin_secret_id, secret),) = [
        (key, value)
        for key, value in resources(dev, "AWS::SecretsManager::Secret").items()
        if "Name" not in value["Properties"]  # the stage's two named secrets aside
    ]
    assert set(secret["Properties"]["GenerateSecretString"]) >= {"GenerateStringKey", "SecretStringTemplate"}
    (header,) = distribution["DistributionConfig"]["Origins"][0]["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_HEADER
    # a dynamic reference CloudFormation resolves at deploy time: the value itself is in no template
    assert header["HeaderValue"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": origin_secret_id}, ":SecretString:header::}}"]]
    }
    # and the webhook checks it: it knows the secret by ARN and may read it
    assert _env(dev, WEBHOOK)["ORIGIN_SECRET_NAME"] == {"Ref": origin_secret_id}
    webhook_role = function_by_handler(dev, WEBHOOK)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    reads = [s for s in role_statements(dev, webhook_role) if refers_to(s["Resource"], origin_secret_id)]
    assert reads and all(s["Effect"] == "Allow" for s in reads)


def test_with_edge_protection_every_public_url_is_the_custom_domain_served_by_cloudfront(
    edge: dict[str, dict[str, Any]],
) -> None:
    dev = edge["Switchboard-dev"]
    distribution_id, _ = _one(dev, "AWS::CloudFront::Distribution")
    assert _env(dev, PROVISIONING)["WEBHOOK_BASE_URL"] == f"https://{DOMAIN}"
    assert dev["Outputs"]["CustomDomainTarget"]["Value"] == {"Fn::GetAtt": [distribution_id, "DomainName"]}
    assert "EdgeWebAclArn" in dev["Outputs"]


def test_edge_protection_with_a_hosted_zone_aliases_the_name_to_cloudfront() -> None:
    dev = edge_templates(customDomainHostedZoneId=ZONE)["Switchboard-dev"]
    distribution_id, _ = _one(dev, "AWS::CloudFront::Distribution")
    records = [r["Properties"] for r in resources(dev, "AWS::Route53::RecordSet").values()]
    assert sorted(r["Type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": [distribution_id, "DomainName"]}


def test_a_stack_in_us_east_1_keeps_its_web_acl_and_cloudfront_calls_execute_api() -> None:
    # Without a custom domain, CloudFront's own name is the stable base and its origin is the execute-api host
    templates = synth_templates(stage="dev", region="us-east-1", edgeProtection="true")
    assert set(templates) == {"Switchboard-dev"}
    dev = templates["Switchboard-dev"]
    acl_id, _ = _one(dev, "AWS::WAFv2::WebACL")
    distribution_id, distribution = _one(dev, "AWS::CloudFront::Distribution")
    config = distribution["DistributionConfig"]
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (origin,) = config["Origins"]
    (api_id,) = resources(dev, "AWS::ApiGatewayV2::Api")
    assert refers_to(origin["DomainName"], api_id) and ".execute-api.us-east-1." in json.dumps(origin["DomainName"])
    assert config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    base = _env(dev, PROVISIONING)["WEBHOOK_BASE_URL"]
    assert base == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}


def test_an_existing_web_acl_can_be_named_instead() -> None:
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/ours/11111111-2222-3333-4444-555555555555"
    templates = edge_templates(edgeWebAclArn=arn)
    assert set(templates) == {"Switchboard-dev"}
    _, distribution = _one(templates["Switchboard-dev"], "AWS::CloudFront::Distribution")
    assert distribution["DistributionConfig"]["WebACLId"] == arn


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"custom_domain_name": DOMAIN}, "customDomainCertificateArn"),
        ({"custom_domain_certificate_arn": REGIONAL_CERT}, "customDomainCertificateArn"),
        (
            {"custom_domain_name": "Calls.Example.com", "custom_domain_certificate_arn": REGIONAL_CERT},
            "customDomainName",
        ),
        ({"custom_domain_name": DOMAIN, "custom_domain_certificate_arn": EDGE_CERT}, "customDomainCertificateArn"),
        (
            {"custom_domain_name": DOMAIN, "custom_domain_certificate_arn": "arn:aws:iam::1:x"},
            "customDomainCertificateArn",
        ),
        ({"custom_domain_hosted_zone_id": ZONE}, "customDomainHostedZoneId"),
        (
            {
                "webhook_base_url": "https://x.example.com",
                "custom_domain_name": DOMAIN,
                "custom_domain_certificate_arn": REGIONAL_CERT,
            },
            "webhookBaseUrl",
        ),
        ({"edge_certificate_arn": EDGE_CERT}, "edgeCertificateArn"),
        (
            {"edge_protection": True, "custom_domain_name": DOMAIN, "custom_domain_certificate_arn": REGIONAL_CERT},
            "edgeCertificateArn",
        ),
        ({"edge_protection": True, "edge_certificate_arn": REGIONAL_CERT}, "edgeCertificateArn"),
        ({"edge_protection": True, "edge_webhook_rate_limit": 5}, "edgeWebhookRateLimit"),
        ({"edge_protection": True, "edge_trusted_cidrs": "34.96.0.0/33"}, "edgeTrustedCidrs"),
        (
            {"edge_protection": True, "edge_web_acl_arn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y"},
            "edgeWebAclArn",
        ),
    ],
)
def test_public_url_settings_are_checked_naming_the_key(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=f"'{key}'"):
        StageConfig(stage="dev", account="123456789012", region="eu-west-1", **values)


def test_edge_protection_without_a_known_account_and_region_says_what_it_needs() -> None:
    with pytest.raises(ConfigError, match="'edgeProtection' needs the stack's account and region"):
        StageConfig(stage="dev", edge_protection=True)


def test_raising_the_origin_rotation_changes_the_distribution_so_cloudformation_reads_the_secret_again(
    edge: dict[str, dict[str, Any]],
) -> None:
    rotated = edge_templates(edgeOriginRotation="2")["Switchboard-dev"]
    before = _one(edge["Switchboard-dev"], "AWS::CloudFront::Distribution")[1]["DistributionConfig"]
    after = _one(rotated, "AWS::CloudFront::Distribution")[1]["DistributionConfig"]
    assert before["Comment"] != after["Comment"]
    assert before["Origins"] == after["Origins"]  # the same dynamic reference, resolved again on the update


def test_the_execute_api_host_can_be_closed_once_a_custom_domain_serves_everything() -> None:
    dev = edge_templates(executeApiEndpoint="false")["Switchboard-dev"]
    _, api = _one(dev, "AWS::ApiGatewayV2::Api")
    assert api["DisableExecuteApiEndpoint"] is True
    with pytest.raises(ConfigError, match="'executeApiEndpoint' may be false only with customDomainName"):
        StageConfig(stage="dev", execute_api_endpoint=False)


def test_edge_protection_without_a_custom_domain_synthesizes_without_warnings() -> None:
    # CloudFront's default certificate has a fixed TLS policy: no minimum protocol version is asked of it
    context = {"stage": "dev", "region": "us-east-1", "edgeProtection": "true", "edgeTrustedCidrs": "34.96.0.0/20"}
    assert synth_warnings(**context) == {"Switchboard-dev": []}
    assert synth_warnings(stage="dev", **EDGE_CONTEXT, edgeTrustedCidrs="34.96.0.0/20")["Switchboard-dev"] == []
