"""Edge protection: CloudFront in front of the HTTP API, with an AWS WAF web ACL (infra/constructs/edge_firewall.py),
and the secret header that lets the webhook refuse what went around them (functions/webhook/origin.py).

HTTP APIs cannot be associated with AWS WAF, so CloudFront carries the web ACL. CloudFront adds ORIGIN_HEADER to
every request it forwards; its value comes from a Secrets Manager secret generated at deploy time and reaches
CloudFront through a CloudFormation dynamic reference, so the template never holds it (only the reference). The
value is visible to whoever may read the distribution's configuration (`cloudfront:GetDistributionConfig`), that is
the operator.

Origins: with a custom domain, CloudFront serves that name and forwards the viewer's Host header to the API's
custom domain endpoint, which API Gateway matches by that host (so SigV4-signed admin calls still verify: the
signed Host is the one API Gateway sees). Without one, CloudFront serves its own *.cloudfront.net name and calls
the API's execute-api host with that host's own Host header (API Gateway refuses any other there).

Caching: none. Authorization must reach the tenant API on GETs too, and CloudFront forwards it only when it is part
of the cache key, so the cache policy keys on it with a default TTL of 0 (responses are not kept unless the origin
asks; only the console's static files do, keyed by no Authorization).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from functions.webhook.origin import CURRENT_KEY, ORIGIN_HEADER
from infra import nag

# The longest an outcome event may take at the webhook (OUTCOME_BUDGET_MS, 10 s) with room; CloudFront's default.
ORIGIN_READ_TIMEOUT = Duration.seconds(30)


class EdgeProtection(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        origin_domain: str,
        forward_host: bool,
        web_acl_arn: str,
        domain_name: str | None,
        certificate_arn: str | None,
        origin_rotation: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        """`origin_rotation`: part of the distribution's comment, so that raising it updates the distribution and
        CloudFormation resolves the origin secret again (docs/runbook.md)."""
        super().__init__(scope, construct_id)
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginSecret",
            description="The header CloudFront adds to every request it forwards to the API; the webhook refuses "
            "requests without it",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",
                generate_string_key=CURRENT_KEY,
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=removal_policy,
        )
        nag.acknowledge(
            self.origin_secret,
            "AwsSolutions-SMG4",
            "CloudFront reads the value at deploy time only (a dynamic reference), so a Lambda rotation would leave "
            "it behind; operators rotate it with the overlap procedure of docs/runbook.md.",
        )
        origin = origins.HttpOrigin(
            origin_domain,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            read_timeout=ORIGIN_READ_TIMEOUT,
            custom_headers={ORIGIN_HEADER: self.origin_secret.secret_value_from_json(CURRENT_KEY).unsafe_unwrap()},
        )
        no_cache = cloudfront.CachePolicy(
            self,
            "NoCache",
            comment="Nothing cached by default; Authorization reaches the origin on every method",
            default_ttl=Duration.seconds(0),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.seconds(1),
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list("Authorization"),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
        )
        custom_certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn) if certificate_arn else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Switchboard: the API behind AWS WAF (origin secret read {origin_rotation})",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=no_cache,
                origin_request_policy=(
                    cloudfront.OriginRequestPolicy.ALL_VIEWER
                    if forward_host
                    else cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                ),
                compress=False,
            ),
            web_acl_id=web_acl_arn,
            domain_names=[domain_name] if domain_name else None,
            certificate=custom_certificate,
            # Only with a certificate of ours: CloudFront's default one has a fixed policy (CDK warns otherwise).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if custom_certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # North America and Europe: where ThunderPhone's Cloud Run calls come from is not documented; widen it
            # (PriceClass_All) if its calls reach a far edge location.
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        nag.acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: ThunderPhone's calls and tenant admins may come from anywhere; AWS WAF limits "
            "sources by behaviour instead.",
        )
        nag.acknowledge(
            self.distribution,
            "AwsSolutions-CFR3",
            "The API's own access log records every request CloudFront forwards (one JSON line each), and AWS WAF "
            "keeps sampled requests and metrics of what it blocked; a second log in S3 would duplicate them.",
        )
        if custom_certificate is None:
            nag.acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose minimum "
                "protocol cannot be raised; set customDomainName and a us-east-1 certificate for TLSv1.2_2021.",
            )
        self.domain_name = domain_name or self.distribution.distribution_domain_name

    @property
    def base_url(self) -> str:
        return f"https://{self.domain_name}"

    @property
    def dns_target(self) -> route53.RecordTarget:
        return route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
