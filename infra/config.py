"""StageConfig: everything that differs between stages, read from CDK context as plain data.

Precedence for every key: `-c key=value` on the command line (or the `context` given to
`create_app`) > the stage's block in cdk.json (`switchboard:stages` -> `dev` / `prod`) > the
defaults below. Nothing here calls AWS or reads the clock, git or the user, so synth is
deterministic; account and region come from context or `CDK_DEFAULT_*`, and stay unset
(an environment-agnostic stack) when neither is given.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

Stage = Literal["dev", "prod"]
ColdStart = Literal["off", "provisioned", "snapstart"]
# Routes with their own API Gateway limits ("api": the stage default, for routes without their own).
ThrottledRoute = Literal["api", "webhook", "admin", "tenant"]

STAGES_CONTEXT_KEY = "switchboard:stages"
STAGE_CONTEXT_KEY = "stage"

# CloudWatch Logs only accepts these retention periods (days).
# fmt: off
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
# fmt: on
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HOST_NAME = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
_CERTIFICATE_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):\d{12}:certificate/[0-9a-f-]{36}$"
)
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_WEB_ACL_ARN = re.compile(r"^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}$")
_QUALIFIER = re.compile(r"^[a-z0-9]{1,10}$")
# A CLOUDFRONT-scoped web ACL and a CloudFront alias certificate can only live here.
EDGE_REGION = "us-east-1"
# Each stage deploys through its own CDK bootstrap (its own deploy, publishing and execution roles), so what may
# deploy dev can never assume what deploys prod (docs/deploy.md, "CI/CD").
DEFAULT_QUALIFIERS: Mapping[str, str] = {"dev": "sbdev", "prod": "sbprod"}


class ConfigError(ValueError):
    """A context value is missing or invalid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Throttle:
    rate_limit: int  # requests per second, steady
    burst_limit: int


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """One stage's settings. Field names map to camelCase context keys (`log_retention_days` -> `logRetentionDays`)."""

    stage: Stage = "dev"
    account: str | None = None
    region: str | None = None
    alarm_email: str | None = None
    log_retention_days: int = 30
    # Per-function reserved concurrency, only when the stage asks for it (prod does): AWS keeps 100 executions
    # unreserved and a new account's quota may be as low as 10, so a stage that reserves cannot deploy there.
    reserved_concurrency: bool = False
    webhook_reserved_concurrency: int = 50
    provisioning_reserved_concurrency: int = 5
    item_validator_reserved_concurrency: int = 5
    tenant_api_reserved_concurrency: int = 10
    webhook_memory_mb: int = 1024
    webhook_budget_ms: int = 1500
    webhook_cold_start: ColdStart = "off"
    webhook_provisioned_concurrency: int = 2
    # TRACE_SUBSEGMENTS=true on every function: the X-Ray SDK records a subsegment per AWS call, at the cost of
    # its import on every cold start. Lambda's active tracing (one segment per invocation) is on either way.
    trace_subsegments: bool = False
    # API Gateway limits (requests/s, burst), per route so a flood on one never throttles the others: the
    # stage default caps any route not listed below.
    api_throttle_rate_limit: int = 100
    api_throttle_burst_limit: int = 200
    webhook_throttle_rate_limit: int = 100
    webhook_throttle_burst_limit: int = 200
    admin_throttle_rate_limit: int = 10
    admin_throttle_burst_limit: int = 20
    tenant_throttle_rate_limit: int = 25
    tenant_throttle_burst_limit: int = 50
    call_sync_schedule: str = "rate(1 hour)"
    thunderphone_api_base: str = "https://api.thunderphone.com/v1"
    webhook_base_url: str | None = None
    # Stable public URLs: an API Gateway custom domain on an existing ACM certificate of the stack's region, mapped
    # to the API; every webhook URL provisioning hands to ThunderPhone is built on it. With a Route 53 hosted zone
    # id the stack also writes the alias record; without, the operator points a CNAME at the CustomDomainTarget
    # output.
    custom_domain_name: str | None = None
    custom_domain_certificate_arn: str | None = None
    custom_domain_hosted_zone_id: str | None = None
    # Whether the API still answers on its execute-api host. With a custom domain (and every webhook URL moved to it,
    # docs/deploy.md) `false` leaves the custom domain the only way in: with edge protection, that is CloudFront.
    execute_api_endpoint: bool = True
    # CloudFront and an AWS WAF web ACL in front of the API (infra/constructs/edge.py). The web ACL lives in
    # us-east-1: in the stack itself there, else in a stack of its own (`Switchboard-<stage>-edge`), unless
    # `edgeWebAclArn` names one the operator keeps. With a custom domain, CloudFront needs a us-east-1
    # certificate for it: `edgeCertificateArn`, or the custom domain's own when that one is in us-east-1.
    edge_protection: bool = False
    edge_certificate_arn: str | None = None
    edge_web_acl_arn: str | None = None
    # Requests one source IP may make to /webhooks/ per 5 minutes before WAF blocks it; ThunderPhone's own
    # addresses (`edgeTrustedCidrs`, comma list, from ThunderPhone's support) are allowed first. Without them the
    # limit only counts: ThunderPhone's few addresses carry every tenant's calls.
    edge_webhook_rate_limit: int = 3000
    edge_trusted_cidrs: str = ""
    # The webhook only logs a request that went around CloudFront instead of refusing it (403): while the URLs made
    # before edge protection move to it (docs/deploy.md, "Edge protection").
    edge_origin_report_only: bool = False
    # Raise by one to make CloudFront read its origin secret again (docs/runbook.md, "Rotating the edge origin secret").
    edge_origin_rotation: int = 1
    # The tenant console's Cognito managed-login domain: https://<prefix>.auth.<region>.amazoncognito.com. Prefixes
    # are global per region across every AWS customer: unset, the stack derives one from its own stack id.
    console_domain_prefix: str | None = None
    metrics_namespace: str = "Switchboard"
    fallback_rate_alarm_percent: float = 20.0
    signature_rejections_alarm_count: int = 20
    duration_alarm_fraction: float = 0.9
    # Alarms notify on ALARM; also on the return to OK only when asked (a first deploy would mail every alarm).
    alarm_ok_actions: bool = False
    # A synth that only checks templates (`make synth`, `make cfn-lint`) on a machine without the Lambda runtime's
    # interpreter may bundle the asset without bytecode; a deploy never does (infra/bundling.py).
    allow_asset_without_bytecode: bool = False
    github_repo: str | None = None
    github_oidc_provider_arn: str | None = None
    # The stages the GitHub OIDC stack makes deploy roles for in this account (separate accounts: one each).
    github_stages: str = "dev,prod"
    # The stage's CDK bootstrap qualifier (default DEFAULT_QUALIFIERS[stage]).
    cdk_qualifier: str | None = None

    def __post_init__(self) -> None:
        _check(self.stage in get_args(Stage), "stage", f"must be one of {get_args(Stage)}, got {self.stage!r}")
        _check(self.account is None or bool(_ACCOUNT.match(self.account)), "account", "must be a 12-digit id")
        _check(self.region is None or bool(_REGION.match(self.region)), "region", "must look like eu-west-1")
        _check(self.alarm_email is None or bool(_EMAIL.match(self.alarm_email)), "alarmEmail", "must be an address")
        _check(
            self.log_retention_days in LOG_RETENTION_DAYS, "logRetentionDays", f"must be one of {LOG_RETENTION_DAYS}"
        )
        for name in (
            "webhook_reserved_concurrency",
            "provisioning_reserved_concurrency",
            "item_validator_reserved_concurrency",
            "tenant_api_reserved_concurrency",
        ):
            _check(getattr(self, name) >= 1, _camel(name), "must be at least 1")
        _check(128 <= self.webhook_memory_mb <= 10240, "webhookMemoryMb", "must be 128..10240")
        # The same bounds as WebhookSettings.BUDGET_MS; ThunderPhone stops waiting at 2 s.
        _check(100 <= self.webhook_budget_ms <= 1900, "webhookBudgetMs", "must be 100..1900")
        _check(self.webhook_cold_start in get_args(ColdStart), "webhookColdStart", f"one of {get_args(ColdStart)}")
        _check(self.webhook_provisioned_concurrency >= 1, "webhookProvisionedConcurrency", "must be >= 1")
        if self.webhook_cold_start == "provisioned" and self.reserved_concurrency:
            _check(
                self.webhook_provisioned_concurrency < self.webhook_reserved_concurrency,
                "webhookProvisionedConcurrency",
                "must be below webhookReservedConcurrency",
            )
        for route in get_args(ThrottledRoute):
            rate, burst = f"{route}_throttle_rate_limit", f"{route}_throttle_burst_limit"
            _check(getattr(self, rate) >= 1, _camel(rate), "must be >= 1")
            _check(getattr(self, burst) >= getattr(self, rate), _camel(burst), f"must be >= {_camel(rate)}")
        _check(
            self.call_sync_schedule.startswith(("rate(", "cron(")),
            "callSyncSchedule",
            "must be an EventBridge rate(...) or cron(...) expression",
        )
        _check(self.thunderphone_api_base.startswith("https://"), "thunderphoneApiBase", "must be an https URL")
        _check(
            self.webhook_base_url is None or self.webhook_base_url.startswith("https://"),
            "webhookBaseUrl",
            "must be an https URL",
        )
        self._check_public_urls()
        _check(
            self.console_domain_prefix is None
            or (
                bool(_DOMAIN_PREFIX.match(self.console_domain_prefix))
                and not any(word in self.console_domain_prefix for word in ("aws", "amazon", "cognito"))
            ),
            "consoleDomainPrefix",
            "must be 1-63 lowercase letters, digits or inner hyphens, without 'aws', 'amazon' or 'cognito'",
        )
        _check(bool(self.metrics_namespace), "metricsNamespace", "must not be empty")
        _check(0 < self.fallback_rate_alarm_percent <= 100, "fallbackRateAlarmPercent", "must be in (0, 100]")
        _check(self.signature_rejections_alarm_count >= 1, "signatureRejectionsAlarmCount", "must be >= 1")
        _check(0 < self.duration_alarm_fraction <= 1, "durationAlarmFraction", "must be in (0, 1]")
        _check(self.github_repo is None or bool(_REPO.match(self.github_repo)), "githubRepo", "must be owner/name")
        _check(
            bool(self.github_deploy_stages) and set(self.github_deploy_stages) <= set(get_args(Stage)),
            "githubStages",
            f"must be a comma list of {get_args(Stage)}",
        )
        _check(bool(_QUALIFIER.match(self.qualifier)), "cdkQualifier", "must be 1-10 lowercase letters or digits")

    def _check_public_urls(self) -> None:
        """The custom domain, its certificate and zone, and edge protection: each alone and together."""
        domain, certificate = self.custom_domain_name, self.custom_domain_certificate_arn
        _check(domain is None or bool(_HOST_NAME.match(domain)), "customDomainName", "must be a lowercase host name")
        _check(
            (domain is None) == (certificate is None),
            "customDomainCertificateArn",
            "and customDomainName go together: set both (an ACM certificate for that name) or neither",
        )
        if certificate is not None:
            _check(
                self.region is None or _certificate_region(certificate, "customDomainCertificateArn") == self.region,
                "customDomainCertificateArn",
                f"must be an ACM certificate in the stack's region ({self.region}): API Gateway's regional custom "
                "domains take certificates of their own region only",
            )
        _check(
            self.custom_domain_hosted_zone_id is None
            or (domain is not None and bool(_HOSTED_ZONE_ID.match(self.custom_domain_hosted_zone_id))),
            "customDomainHostedZoneId",
            "must be a Route 53 hosted zone id (Z...) and needs customDomainName",
        )
        _check(
            not (self.webhook_base_url and domain),
            "webhookBaseUrl",
            "and customDomainName both set the webhook URLs' base: set one (customDomainName builds it)",
        )
        _check(
            self.execute_api_endpoint or domain is not None,
            "executeApiEndpoint",
            "may be false only with customDomainName (the API would have no address left)",
        )
        edge_only = {
            "edgeCertificateArn": self.edge_certificate_arn,
            "edgeWebAclArn": self.edge_web_acl_arn,
            "edgeTrustedCidrs": self.edge_trusted_cidrs or None,
            "edgeOriginRotation": None if self.edge_origin_rotation == 1 else self.edge_origin_rotation,
            "edgeOriginReportOnly": self.edge_origin_report_only or None,
        }
        for key, value in edge_only.items():
            _check(value is None or self.edge_protection, key, "needs edgeProtection: true")
        if self.edge_certificate_arn is not None:
            _check(
                _certificate_region(self.edge_certificate_arn, "edgeCertificateArn") == EDGE_REGION,
                "edgeCertificateArn",
                f"must be an ACM certificate in {EDGE_REGION} (CloudFront takes no other)",
            )
            _check(domain is not None, "edgeCertificateArn", "needs customDomainName (the name it is for)")
        if self.edge_protection and domain is not None:
            _check(
                self.edge_certificate is not None,
                "edgeCertificateArn",
                f"is needed with edgeProtection and customDomainName: CloudFront serves {domain} with an ACM "
                f"certificate in {EDGE_REGION} (customDomainCertificateArn is in another region)",
            )
        _check(
            self.edge_web_acl_arn is None or bool(_WEB_ACL_ARN.match(self.edge_web_acl_arn)),
            "edgeWebAclArn",
            f"must be the ARN of a CLOUDFRONT-scoped web ACL (arn:aws:wafv2:{EDGE_REGION}:...:global/webacl/...)",
        )
        _check(
            not self.edge_protection or self.edge_web_acl_arn is not None or (self.account and self.region),
            "edgeProtection",
            f"needs the stack's account and region (AWS credentials, or -c account / -c region): its web ACL is "
            f"created in {EDGE_REGION}; or give edgeWebAclArn",
        )
        _check(self.edge_origin_rotation >= 1, "edgeOriginRotation", "must be at least 1")
        _check(
            10 <= self.edge_webhook_rate_limit <= 2_000_000_000,
            "edgeWebhookRateLimit",
            "must be 10..2000000000 requests per source IP per 5 minutes (AWS WAF's range)",
        )
        try:
            self.trusted_cidrs  # noqa: B018 - parses them
        except ValueError as exc:
            raise ConfigError(f"context 'edgeTrustedCidrs' must be a comma list of CIDR blocks: {exc}") from None

    def throttle(self, route: ThrottledRoute) -> Throttle:
        """A route's API Gateway limits ("api": the stage default for routes without their own)."""
        return Throttle(getattr(self, f"{route}_throttle_rate_limit"), getattr(self, f"{route}_throttle_burst_limit"))

    @property
    def throttles(self) -> dict[ThrottledRoute, Throttle]:
        return {route: self.throttle(route) for route in get_args(ThrottledRoute)}

    # Derived names: one place, so the stack, the docs and the tests agree.
    @property
    def stack_name(self) -> str:
        return f"Switchboard-{self.stage}"

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @property
    def secret_prefix(self) -> str:
        return f"switchboard/{self.stage}/"

    @property
    def thunderphone_api_key_secret_name(self) -> str:
        return f"{self.secret_prefix}thunderphone-api-key"

    @property
    def signing_secret_name(self) -> str:
        return f"{self.secret_prefix}signing-secrets"

    @property
    def tool_secret_prefix(self) -> str:
        return f"{self.secret_prefix}tenant-tools/"

    @property
    def qualifier(self) -> str:
        """The stage's CDK bootstrap qualifier: its own deploy roles (cdkQualifier, else DEFAULT_QUALIFIERS)."""
        return self.cdk_qualifier or DEFAULT_QUALIFIERS[self.stage]

    @property
    def github_deploy_stages(self) -> tuple[Stage, ...]:
        return tuple(s.strip() for s in self.github_stages.split(",") if s.strip())  # type: ignore[misc]

    @property
    def stable_base_url(self) -> str | None:
        """The custom domain's base URL (no trailing '/'), when there is one."""
        return f"https://{self.custom_domain_name}" if self.custom_domain_name else None

    @property
    def edge_certificate(self) -> str | None:
        """The us-east-1 certificate CloudFront serves the custom domain with (edgeCertificateArn, else the custom
        domain's own certificate when that one is in us-east-1)."""
        if self.edge_certificate_arn:
            return self.edge_certificate_arn
        certificate = self.custom_domain_certificate_arn
        if certificate and _certificate_region(certificate, "customDomainCertificateArn") == EDGE_REGION:
            return certificate
        return None

    @property
    def web_acl_in_own_stack(self) -> bool:
        """Whether edge protection's web ACL needs a stack of its own in us-east-1 (the stack is elsewhere)."""
        return self.edge_protection and self.edge_web_acl_arn is None and self.region != EDGE_REGION

    @property
    def trusted_cidrs(self) -> tuple[str, ...]:
        """edgeTrustedCidrs, each normalised (raises ValueError for one that is not a CIDR block)."""
        return tuple(str(ipaddress.ip_network(c.strip())) for c in self.edge_trusted_cidrs.split(",") if c.strip())

    def service_name(self, function: str) -> str:
        """POWERTOOLS_SERVICE_NAME: the `service` of every log line and metric dimension, per stage."""
        return f"{function}-{self.stage}"

    @property
    def webhook_timeout_seconds(self) -> int:
        # What blocking answers need: the budget plus room to log and flush metrics, rounded up, never beyond
        # 3 s. The stack raises it for outcome events (infra/constructs/outcome_queue.webhook_timeout_seconds).
        return min(3, -(-(self.webhook_budget_ms + 500) // 1000))

    @staticmethod
    def qualifier_of(stage: Stage, get: Callable[[str], Any]) -> str:
        """A stage's bootstrap qualifier as its own synth would use it (its cdk.json block, else the default), for
        the stack that makes every stage's deploy roles."""
        blocks = _as_mapping(get(STAGES_CONTEXT_KEY) or {}, STAGES_CONTEXT_KEY)
        block = _as_mapping(blocks.get(stage, {}), f"{STAGES_CONTEXT_KEY}.{stage}")
        qualifier = str(block.get("cdkQualifier") or DEFAULT_QUALIFIERS[stage])
        _check(bool(_QUALIFIER.match(qualifier)), "cdkQualifier", "must be 1-10 lowercase letters or digits")
        return qualifier

    @classmethod
    def from_context(cls, get: Callable[[str], Any], environ: Mapping[str, str]) -> StageConfig:
        """Build from a context lookup (`app.node.try_get_context`) and the process environment."""
        stage = str(get(STAGE_CONTEXT_KEY) or "dev")
        if stage not in get_args(Stage):
            raise ConfigError(f"context 'stage' must be one of {get_args(Stage)}, got {stage!r}")
        blocks = _as_mapping(get(STAGES_CONTEXT_KEY) or {}, STAGES_CONTEXT_KEY)
        block = _as_mapping(blocks.get(stage, {}), f"{STAGES_CONTEXT_KEY}.{stage}")
        unknown = set(block) - {_camel(f.name) for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown keys in {STAGES_CONTEXT_KEY}.{stage}: {sorted(unknown)}")
        values: dict[str, Any] = {"stage": stage}
        for field in fields(cls):
            if field.name == "stage":
                continue
            key = _camel(field.name)
            raw = get(key)
            if raw is None:
                raw = block.get(key)
            if raw is None and field.name in ("account", "region"):
                raw = environ.get(f"CDK_DEFAULT_{field.name.upper()}")
            if raw is None or raw == "":
                continue
            values[field.name] = _coerce(key, raw, field.default)
        return cls(**values)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _check(ok: object, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"context '{key}' {message}")


def _certificate_region(arn: str, key: str) -> str:
    match = _CERTIFICATE_ARN.match(arn)
    if match is None:
        raise ConfigError(
            f"context '{key}' must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
        )
    return match["region"]


def _as_mapping(value: Any, key: str) -> Mapping[str, Any]:
    if isinstance(value, str):  # `-c` values arrive as strings
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"context '{key}' is not valid JSON") from exc
    if not isinstance(value, Mapping):
        raise ConfigError(f"context '{key}' must be an object")
    return value


def _coerce(key: str, raw: Any, default: Any) -> Any:
    """`-c` values are strings; cdk.json values are JSON. Convert to the type of the field's default."""
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("true", "1", "yes", "on"):
                return True
            if str(raw).lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"context '{key}' must be a {type(default).__name__}, got {raw!r}") from exc
    return str(raw)
