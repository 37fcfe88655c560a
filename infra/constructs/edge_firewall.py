"""The AWS WAF web ACL CloudFront applies in front of the API (edge protection, infra/constructs/edge.py).

A CLOUDFRONT-scoped web ACL can only be created in us-east-1: it lives in the service stack when that stack is
there, else in a stack of its own (infra/stacks/edge_firewall_stack.py). Its rules, chosen for this API:

0. **TrustedSources** (only with `trusted_cidrs`): ThunderPhone's own ranges, from its support, are allowed before
   any other rule. ThunderPhone calls from a handful of Cloud Run addresses, all tenants' calls together, so no rule
   below may ever block them: not the rate rule (one tenant scripting calls on its own widget would otherwise get
   every tenant's calls blocked) and not a managed list that happens to list a Cloud Run address.
1. **WebhookRatePerSource**: a source IP sending more than `rate_limit` requests to /webhooks/ in 5 minutes is
   blocked for as long as it stays above. Unsigned floods are refused by the webhook anyway (401), but they count
   against the webhook route's API Gateway limit that ThunderPhone's calls share; this stops one source from
   spending it. Without `trusted_cidrs` it only counts (and synth warns): ThunderPhone's shared addresses could
   not be told apart from a flood (docs/deploy.md, "Edge protection").
2. **AWSManagedRulesAmazonIpReputationList**: addresses AWS threat intelligence knows for bots and attacks. It
   looks at the source only, never a body.
3. **AWSManagedRulesKnownBadInputsRuleSet**, its body rules counted, not blocking: exploit patterns in paths,
   query strings and headers (Log4j, Java deserialisation, `localhost` hosts). Bodies are left alone on purpose:
   webhook bodies are ThunderPhone's signed JSON with callers' free speech in transcripts, and tenant bodies carry
   prompts; a pattern match there would drop a signed outcome event (ThunderPhone retries 24 h, then gives up).

Not used: the Core rule set (its SizeRestrictions_BODY blocks bodies over 8 KB, and a 20-minute call's signed
completion is over 100 KB; its XSS/SQLi body rules match prompts and transcripts), the SQL database rule set (no
SQL behind this API) and the anonymous-IP list (its hosting-provider rule would block ThunderPhone's Cloud Run).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig

WEBHOOK_PATH_PREFIX = "/webhooks/"
RATE_WINDOW_SECONDS = 300
# KnownBadInputs rules that inspect the body: counted (visible in the WAF's metrics and sampled requests), never
# blocking.
KNOWN_BAD_INPUTS_BODY_RULES = ("JavaDeserializationRCE_BODY", "Log4JRCE_BODY")


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _managed(
    name: str, priority: int, metric_prefix: str, *, counted: Sequence[str] = ()
) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=_visibility(f"{metric_prefix}-{name}"),
    )


class EdgeFirewall(Construct):
    """The web ACL (`web_acl_arn` for CloudFront), named after `metric_prefix` (one per stage)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        metric_prefix: str,
        rate_limit: int,
        trusted_cidrs: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        webhook_paths = wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="STARTS_WITH",
                search_string=WEBHOOK_PATH_PREFIX,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        trusted = [
            wafv2.CfnWebACL.StatementProperty(
                ip_set_reference_statement=wafv2.CfnWebACL.IPSetReferenceStatementProperty(arn=ip_set.attr_arn)
            )
            for ip_set in (self._ip_set(version, trusted_cidrs) for version in (4, 6))
            if ip_set is not None
        ]
        allow_trusted = (
            [
                wafv2.CfnWebACL.RuleProperty(
                    name="TrustedSources",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(allow={}),
                    statement=trusted[0]
                    if len(trusted) == 1
                    else wafv2.CfnWebACL.StatementProperty(
                        or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=trusted)
                    ),
                    visibility_config=_visibility(f"{metric_prefix}-TrustedSources"),
                )
            ]
            if trusted
            else []
        )
        if not trusted:
            Annotations.of(self).add_warning_v2(
                "switchboard:edgeRateCountOnly",
                "WebhookRatePerSource only counts: it blocks once edgeTrustedCidrs names ThunderPhone's source "
                "ranges, which every tenant's calls share (docs/deploy.md, 'Edge protection').",
            )
        rate_rule = wafv2.CfnWebACL.RuleProperty(
            name="WebhookRatePerSource",
            priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(block={})
            if trusted
            else wafv2.CfnWebACL.RuleActionProperty(count={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=rate_limit,
                    evaluation_window_sec=RATE_WINDOW_SECONDS,
                    scope_down_statement=webhook_paths,
                )
            ),
            visibility_config=_visibility(f"{metric_prefix}-WebhookRatePerSource"),
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            description="Switchboard: per-source limit on webhooks, IP reputation, known bad inputs",
            rules=[
                *allow_trusted,
                rate_rule,
                _managed("AWSManagedRulesAmazonIpReputationList", 2, metric_prefix),
                _managed("AWSManagedRulesKnownBadInputsRuleSet", 3, metric_prefix, counted=KNOWN_BAD_INPUTS_BODY_RULES),
            ],
            visibility_config=_visibility(metric_prefix),
        )
        self.metric_prefix = metric_prefix

    @classmethod
    def for_stage(cls, scope: Construct, construct_id: str, config: StageConfig) -> EdgeFirewall:
        """The stage's web ACL, wherever it lives (its own us-east-1 stack, or the service stack there)."""
        return cls(
            scope,
            construct_id,
            metric_prefix=config.stack_name,
            rate_limit=config.edge_webhook_rate_limit,
            trusted_cidrs=config.trusted_cidrs,
        )

    @property
    def web_acl_arn(self) -> str:
        return self.web_acl.attr_arn

    def _ip_set(self, version: int, cidrs: Sequence[str]) -> wafv2.CfnIPSet | None:
        addresses = [c for c in cidrs if ipaddress.ip_network(c).version == version]
        if not addresses:
            return None
        return wafv2.CfnIPSet(
            self,
            f"TrustedSourcesV{version}",
            scope="CLOUDFRONT",
            ip_address_version=f"IPV{version}",
            addresses=addresses,
            description="ThunderPhone source ranges, allowed before any other rule",
        )
