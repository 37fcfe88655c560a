"""The stage's stable public name: an API Gateway custom domain on an existing ACM certificate, mapped to the HTTP
API's stage, and, when the operator gives a Route 53 hosted zone, the alias record that points the name at whatever
serves it (the custom domain itself, or CloudFront with edge protection).

Every webhook URL provisioning hands to ThunderPhone is built on this name (WEBHOOK_BASE_URL), so recreating the
stack, replacing the API or moving it behind CloudFront never changes a URL ThunderPhone holds.
"""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct


class CustomDomain(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        certificate_arn: str,
        api: apigwv2.HttpApi,
        stage: apigwv2.HttpStage,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.domain = apigwv2.DomainName(
            self,
            "Domain",
            domain_name=name,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            endpoint_type=apigwv2.EndpointType.REGIONAL,
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        # The whole API at the domain's root. The mapping names its stage by name ("$default"); CDK makes it wait for
        # the stage, and tests/infra/test_deploy_rehearsal.py holds it to that.
        self.mapping = apigwv2.ApiMapping(self, "Mapping", api=api, domain_name=self.domain, stage=stage)

    @property
    def base_url(self) -> str:
        return f"https://{self.name}"

    @property
    def regional_target(self) -> str:
        """The host name a CNAME (or an alias) points at when nothing is in front of the API."""
        return self.domain.regional_domain_name

    @property
    def own_record_target(self) -> route53.RecordTarget:
        """The alias target of the name when nothing is in front of the API: the custom domain's own endpoint."""
        return route53.RecordTarget.from_alias(
            targets.ApiGatewayv2DomainProperties(self.regional_target, self.domain.regional_hosted_zone_id)
        )

    def alias(self, *, hosted_zone_id: str, target: route53.RecordTarget, ipv6: bool) -> None:
        """The Route 53 alias record(s) of the name, in the operator's hosted zone, pointing at `target`."""
        zone = route53.HostedZone.from_hosted_zone_id(self, "Zone", hosted_zone_id)
        record_name = f"{self.name}."  # fully qualified: the zone's own name is not needed
        route53.ARecord(self, "AliasA", zone=zone, record_name=record_name, target=target)
        if ipv6:
            route53.AaaaRecord(self, "AliasAaaa", zone=zone, record_name=record_name, target=target)
