"""One stage of Switchboard: composes the constructs, does the grants and outputs, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import Annotations, ArnFormat, CfnOutput, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.common.table import (
    BILLING_PREFIX,
    CALL_ID_INDEX,
    CALLS_TABLE_INDEXES,
    CONFIG_TABLE_INDEXES,
    NUMBER_PREFIX,
    OPERATOR_CALL_PARTITIONS,
    OPERATOR_PREFIX,
    ROUTE_PREFIX,
)
from infra import nag
from infra.bundling import WITHOUT_BYTECODE_CONTEXT, bytecode_interpreter, function_code, runtime_version
from infra.config import StageConfig
from infra.constructs.call_sync import CallSync
from infra.constructs.custom_domain import CustomDomain
from infra.constructs.data_store import DataTable
from infra.constructs.decision_recorder import DECISION_TTL_DAYS, DecisionRecorder
from infra.constructs.decision_recorder import RECORDER_CONCURRENCY as DECISION_RECORDER_CONCURRENCY
from infra.constructs.edge import EdgeProtection
from infra.constructs.edge_firewall import EdgeFirewall
from infra.constructs.item_validator import ItemValidator
from infra.constructs.live_migration import LiveMigration
from infra.constructs.monitoring import AlarmThresholds, ApiMetrics, Monitoring
from infra.constructs.outcome_queue import (
    OUTCOME_BUDGET_MS,
    RECORDER_CONCURRENCY,
    OutcomeQueue,
    webhook_timeout_seconds,
)
from infra.constructs.provisioner import Provisioner
from infra.constructs.python_function import ARCHITECTURE, RUNTIME, FunctionDefaults, FunctionOptions, PythonFunction
from infra.constructs.service_api import ServiceApi, route_key
from infra.constructs.service_secrets import ServiceSecrets
from infra.constructs.tenant_api import TenantApi
from infra.constructs.tenant_console import CONSOLE_CONCURRENCY, CONSOLE_PATH, TenantConsole, stack_unique_domain_prefix
from infra.constructs.tenant_identity import TenantIdentity
from infra.constructs.webhook_function import WebhookFunction
from infra.lazy import later
from infra.stacks.base import SwitchboardStack


class ServiceStack(SwitchboardStack):
    """`web_acl_arn`: edge protection's web ACL when it lives in another stack (us-east-1, see app_factory)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        web_acl_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, config=config, **kwargs)
        keep = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        self.custom_domain: CustomDomain | None = None
        self.edge: EdgeProtection | None = None
        # The stable base every URL Switchboard hands out is built on (public_base_url), known once the API exists.
        public_base = later(lambda: self.public_base_url)

        config_table = DataTable(
            self,
            "ConfigTable",
            indexes=CONFIG_TABLE_INDEXES,
            protect=config.is_prod,
            stream=dynamodb.StreamViewType.NEW_IMAGE,
        ).table
        calls_table = DataTable(self, "CallsTable", indexes=CALLS_TABLE_INDEXES, protect=config.is_prod).table
        secrets = ServiceSecrets(
            self,
            "Secrets",
            thunderphone_api_key_name=config.thunderphone_api_key_secret_name,
            signing_secrets_name=config.signing_secret_name,
            removal_policy=keep,
        )
        # Tenant admins and viewers sign in here; the tenant API trusts its tokens, nothing else does.
        identity = TenantIdentity(
            self, "TenantIdentity", protect=config.is_prod, console_url=f"{public_base}/{CONSOLE_PATH}"
        )
        self.tenant_identity = identity
        code = function_code(
            runtime=RUNTIME, architecture=ARCHITECTURE, allow_without_bytecode=config.allow_asset_without_bytecode
        )
        if config.allow_asset_without_bytecode and bytecode_interpreter(runtime_version(RUNTIME)) is None:
            Annotations.of(self).add_warning_v2(
                "switchboard:asset-without-bytecode",
                f"{WITHOUT_BYTECODE_CONTEXT}: the Lambda asset of this synth has no bytecode; check its templates, "
                "never deploy it",
            )
        common = FunctionDefaults(
            code=code,
            metrics_namespace=config.metrics_namespace,
            log_retention_days=config.log_retention_days,
            log_removal_policy=keep,
            trace_subsegments=config.trace_subsegments,
        )

        def options(service: str, environment: dict[str, str], reserved_concurrency: int | None) -> FunctionOptions:
            return FunctionOptions(
                defaults=common,
                environment=environment,
                service_name=config.service_name(service),
                reserved_concurrency=reserved_concurrency if config.reserved_concurrency else None,
            )

        # Usage alerts for the operator (docs/billing.md) go to the account's default EventBridge bus, put by whatever
        # counts usage; an operator's rule on source switchboard.billing routes them on.
        alert_bus = events.EventBus.from_event_bus_name(self, "BillingAlertBus", "default")
        # Outcome events are queued by the webhook before it answers them, and recorded by the outcome recorder.
        outcomes = OutcomeQueue(
            self,
            "Outcomes",
            options(
                "outcome-recorder",
                {
                    "TABLE_NAME": config_table.table_name,
                    "CALLS_TABLE_NAME": calls_table.table_name,
                    # ThunderPhone's record of a call: a grade's start, and what settles a contested phone call.
                    "THUNDERPHONE_API_KEY_SECRET_NAME": config.thunderphone_api_key_secret_name,
                    "THUNDERPHONE_API_BASE": config.thunderphone_api_base,
                    "BILLING_ALERTS_EVENT_BUS": alert_bus.event_bus_name,
                },
                RECORDER_CONCURRENCY,
            ),
            removal_policy=keep,
        )
        webhook_env = {
            "TABLE_NAME": config_table.table_name,
            "SIGNING_SECRET_NAME": config.signing_secret_name,
            "TOOL_SECRET_PREFIX": config.tool_secret_prefix,
            "OUTCOME_QUEUE_URL": outcomes.queue.queue_url,
            "OUTCOME_BUDGET_MS": str(OUTCOME_BUDGET_MS),
        }
        if config.edge_protection:  # requests that did not come through CloudFront are refused (403)
            webhook_env["ORIGIN_SECRET_NAME"] = later(lambda: self._edge.origin_secret.secret_arn)
            if config.edge_origin_report_only:  # only logged while old URLs move (docs/deploy.md)
                webhook_env["ORIGIN_REPORT_ONLY"] = "true"
        webhook = WebhookFunction(
            self,
            "Webhook",
            options("webhook", webhook_env, config.webhook_reserved_concurrency),
            budget_ms=config.webhook_budget_ms,
            # Blocking answers stop at the budget by themselves; an outcome event may wait for the queue longer.
            timeout_seconds=webhook_timeout_seconds(config.webhook_timeout_seconds),
            cold_start=config.webhook_cold_start,
            provisioned_concurrency=config.webhook_provisioned_concurrency,
            memory_mb=config.webhook_memory_mb,
        )
        # The webhook only logs each decision; its log lines that carry one are recorded in the calls table here.
        decisions = DecisionRecorder(
            self,
            "Decisions",
            options(
                "decision-recorder",
                {"CALLS_TABLE_NAME": calls_table.table_name, "DECISION_TTL_DAYS": str(DECISION_TTL_DAYS)},
                DECISION_RECORDER_CONCURRENCY,
            ),
            webhook_log_group=webhook.lambda_.log_group,
            removal_policy=keep,
        )
        api_env = {
            "TABLE_NAME": config_table.table_name,
            "THUNDERPHONE_API_KEY_SECRET_NAME": config.thunderphone_api_key_secret_name,
            "THUNDERPHONE_API_BASE": config.thunderphone_api_base,
        }
        provisioning_env = api_env | {
            "CALLS_TABLE_NAME": calls_table.table_name,  # usage statements
            "SIGNING_SECRET_NAME": config.signing_secret_name,
            "TENANT_USER_POOL_ID": identity.user_pool_id,
        }
        # The base of every webhook URL handed to ThunderPhone: stable when there is a custom domain (or CloudFront's
        # name); unset, provisioning derives it from each request (the execute-api URL).
        if config.webhook_base_url:
            provisioning_env["WEBHOOK_BASE_URL"] = config.webhook_base_url
        elif config.custom_domain_name or config.edge_protection:
            provisioning_env["WEBHOOK_BASE_URL"] = public_base
        provisioner = Provisioner(
            self, "Provisioner", options("provisioning", provisioning_env, config.provisioning_reserved_concurrency)
        )
        call_sync_env = api_env | {
            "CALLS_TABLE_NAME": calls_table.table_name,
            "BILLING_ALERTS_EVENT_BUS": alert_bus.event_bus_name,
        }
        # One sync at a time (see CallSync).
        call_sync = CallSync(
            self, "CallSync", options("call-sync", call_sync_env, 1), schedule=config.call_sync_schedule
        )
        item_validator = ItemValidator(
            self,
            "ItemValidator",
            options("item-validator", {}, config.item_validator_reserved_concurrency),
            table=config_table,
        )
        tenant_api_env = {"TABLE_NAME": config_table.table_name, "CALLS_TABLE_NAME": calls_table.table_name}
        tenant_api = TenantApi(
            self, "TenantApi", options("tenant-api", tenant_api_env, config.tenant_api_reserved_concurrency)
        )
        # The tenant console (docs/console.md): its page, and the managed-login domain and app client it signs in with,
        # on every base the API answers on (execute-api; the custom domain, else CloudFront's name).
        public_bases = [later(lambda: self.api.url.rstrip("/"))]
        if config.custom_domain_name or config.edge_protection:
            public_bases.append(public_base)
        console = TenantConsole(
            self,
            "Console",
            options("tenant-console", {}, CONSOLE_CONCURRENCY),
            user_pool=identity.user_pool,
            domain_prefix=config.console_domain_prefix or stack_unique_domain_prefix(config.stage),
            public_bases=public_bases,
        )
        # Tenants stored before publishing existed get their first version before the new webhook answers a call.
        migration = LiveMigration(
            self,
            "Migration",
            # Deploy-time only: it never holds back concurrency from the functions that answer calls.
            options("live-migration", {"TABLE_NAME": config_table.table_name}, None),
        )
        webhook.alias.node.add_dependency(migration.resource)
        self.functions: dict[str, PythonFunction] = {
            "webhook": webhook.lambda_,
            "provisioning": provisioner.lambda_,
            "call_sync": call_sync.lambda_,
            "item_validator": item_validator.lambda_,
            "tenant_api": tenant_api.lambda_,
            "tenant_console": console.lambda_,
            "outcome_recorder": outcomes.lambda_,
            "decision_recorder": decisions.lambda_,
            "live_migration": migration.lambda_,
        }

        # Least privilege, through grants only.
        grant = self._grant_table
        # The webhook reads configuration only and queues outcomes; it never touches the calls table (its decisions
        # go there from its log lines, through the decision recorder).
        grant(
            config_table,
            webhook.function,
            # BatchGetItem: a configuration and its billing item in one round trip (adapters.py _read_config)
            lambda g: config_table.grant(g, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"),
        )
        secrets.signing_secrets.grant_read(webhook.function)
        self._grant_tool_secrets(webhook.function)
        outcomes.queue.grant(webhook.function, "sqs:SendMessage")

        # The outcome recorder consumes the queue (its event source's grant), writes outcomes to the calls table
        # (conditional UpdateItems; Query on the call-id index for the call's deciding tenants: no delete, no batch
        # write; contested calls' events are set aside there the same way), reads number claims and each tenant's
        # LIVE item (keep_transcripts) and ThunderPhone's record of a call, and keeps aside what DynamoDB refuses.
        grant(calls_table, outcomes.function, lambda g: calls_table.grant(g, "dynamodb:UpdateItem", "dynamodb:Query"))
        grant(config_table, outcomes.function, lambda g: config_table.grant(g, "dynamodb:GetItem"))
        outcomes.quarantine.grant(outcomes.function, "sqs:SendMessage")
        secrets.thunderphone_api_key.grant_read(outcomes.function)
        # Usage counting (functions/billing/meter.py): each call's usage marker is read back (GetItem) and moved with
        # its month's counters in one transaction; only the config table's BILLING# items are written.
        grant(calls_table, outcomes.function, lambda g: calls_table.grant(g, "dynamodb:GetItem"))
        self._grant_billing_writes(config_table, outcomes.function, call_sync.function)
        alert_bus.grant_put_events_to(outcomes.function)
        alert_bus.grant_put_events_to(call_sync.function)

        # The decision recorder only records decisions: one conditional UpdateItem per call, on the table itself
        # (no index, no read, no delete). Its on-failure destination grants its own SendMessage.
        iam.Grant.add_to_principal(
            grantee=decisions.function, actions=["dynamodb:UpdateItem"], resource_arns=[calls_table.table_arn]
        )

        grant(config_table, provisioner.function, config_table.grant_read_write_data)
        grant(calls_table, provisioner.function, calls_table.grant_read_data)  # usage statements
        secrets.thunderphone_api_key.grant_read(provisioner.function)
        secrets.signing_secrets.grant_read(provisioner.function)
        secrets.signing_secrets.grant_write(provisioner.function)
        # The operator's route that creates, lists and deletes tenant admins (POST/GET/DELETE .../admins).
        identity.user_pool.grant(
            provisioner.function,
            "cognito-idp:AdminCreateUser",
            "cognito-idp:AdminAddUserToGroup",
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminDeleteUser",
            "cognito-idp:ListUsersInGroup",
        )

        # The tenant API edits tenants' configuration on their behalf (drafts, publishing, customers) and reads
        # the decision log for impact replays. No secret: it never calls ThunderPhone or a tenant's tools.
        grant(config_table, tenant_api.function, config_table.grant_read_write_data)
        grant(calls_table, tenant_api.function, calls_table.grant_read_data)
        self._deny_tenant_api_what_its_code_never_does(tenant_api.function, config_table, calls_table)

        # The migration publishes drafts: lists tenants (Query on the tenants index), reads drafts and LIVE items
        # (GetItem, Query), and writes LIVE and PUBLISHED# in one transaction conditional on the tenant item
        # (PutItem, ConditionCheckItem). No scan, no delete, no batch write, no update.
        grant(
            config_table,
            migration.function,
            lambda g: config_table.grant(
                g, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"
            ),
        )

        grant(config_table, call_sync.function, config_table.grant_read_data)
        grant(calls_table, call_sync.function, calls_table.grant_read_write_data)
        secrets.thunderphone_api_key.grant_read(call_sync.function)

        self.api = ServiceApi(
            self,
            "Api",
            webhook_handler=webhook.alias,
            admin_handler=provisioner.function,
            tenant_handler=tenant_api.function,
            tenant_user_pool=identity.user_pool,
            tenant_clients=[identity.client, console.client],
            throttles=config.throttles,
            log_retention_days=config.log_retention_days,
            log_removal_policy=keep,
            execute_api_endpoint=config.execute_api_endpoint,
        )
        console.add_routes(self.api.api, self.api.stage, config.throttle("tenant"))
        self._public_urls(config, web_acl_arn, keep)
        if self.edge is not None:
            self.edge.origin_secret.grant_read(webhook.function)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            namespace=config.metrics_namespace,
            webhook_service=config.service_name("webhook"),
            item_validator_service=config.service_name("item-validator"),
            webhook_function=webhook.function,
            webhook_alias=webhook.alias if config.webhook_cold_start == "provisioned" else None,
            webhook_budget_ms=config.webhook_budget_ms,
            api=ApiMetrics(
                api=self.api.api,
                stage=self.api.stage,
                webhook_route=route_key(self.api.webhook_routes[0]),
                access_logs=self.api.access_logs,
            ),
            call_sync_service=config.service_name("call-sync"),
            # Named by their construct ids ("CallSync"), as their alarms and log group outputs are.
            functions={fn.node.id: fn.function for fn in self.functions.values()},
            tables={"Config": config_table, "Calls": calls_table},
            failure_queues={"ItemValidator": item_validator.failures},
            outcome_recorder_service=config.service_name("outcome-recorder"),
            outcome_queue=outcomes.queue,
            outcome_dead_letters=outcomes.dead_letters,
            decision_recorder_service=config.service_name("decision-recorder"),
            decision_recorder=decisions.function,
            decision_failures=decisions.failures,
            thresholds=AlarmThresholds(
                fallback_rate_percent=config.fallback_rate_alarm_percent,
                signature_rejections=config.signature_rejections_alarm_count,
                duration_fraction=config.duration_alarm_fraction,
            ),
            alarm_email=config.alarm_email,
            ok_actions=config.alarm_ok_actions,
            stack_name=config.stack_name,
            removal_policy=keep,
        )
        if config.is_prod and not config.alarm_email:
            Annotations.of(self).add_warning_v2(
                "switchboard:no-alarm-email", "prod has no alarmEmail: alarms notify an SNS topic nobody reads"
            )
        self._acknowledge_function_findings()

        CfnOutput(
            self,
            "ApiUrl",
            value=self.api.url,
            description="The HTTP API's own execute-api URL"
            + (" (webhooks only through PublicUrl: edge protection refuses them here)" if self.edge else ""),
        )
        CfnOutput(
            self,
            "PublicUrl",
            value=f"{public_base}/",
            # CloudFront's own name rewrites the Host header, so SigV4 admin calls go to ApiUrl unless the base is
            # the custom domain (docs/deploy.md, "First deploy").
            description="The stable base URL: webhooks, tenant API; admin calls too when it is the custom domain",
        )
        CfnOutput(
            self,
            "WebhookBaseUrl",
            value=provisioning_env.get("WEBHOOK_BASE_URL", self.api.url.rstrip("/")),
            description="Every webhook URL provisioning hands to ThunderPhone starts with this",
        )
        CfnOutput(self, "TenantApiUrl", value=f"{public_base}/tenant/v1", description="Base URL of the tenant API")
        CfnOutput(
            self,
            "TenantUserPoolId",
            value=identity.user_pool_id,
            description="Cognito user pool of tenant admins and viewers (created by POST /admin/tenants/{id}/admins)",
        )
        CfnOutput(
            self,
            "TenantUserPoolClientId",
            value=identity.client_id,
            description="sbctl's app client (browser sign-in on a loopback redirect, no secret); a token audience",
        )
        CfnOutput(
            self,
            "SbctlLoginCommand",
            value=(
                f"sbctl login --url {public_base}/tenant/v1 --sign-in-domain {console.domain.base_url()} "
                f"--client-id {identity.client_id}"
            ),
            description="What a tenant admin runs once to sign sbctl in with their browser (docs/admin-tooling.md)",
        )
        CfnOutput(self, "ConsoleUrl", value=f"{public_base}/{CONSOLE_PATH}", description="The tenant console")
        CfnOutput(
            self,
            "ConsoleSignInDomain",
            value=console.domain.base_url(),
            description="Cognito's managed login the console signs in with",
        )
        CfnOutput(
            self,
            "LiveMigration",
            value=migration.summary,
            description="What the deploy's migration did: tenants published, already live, refused",
        )
        CfnOutput(self, "ConfigTableName", value=config_table.table_name)
        CfnOutput(self, "CallsTableName", value=calls_table.table_name)
        CfnOutput(self, "OutcomeQueueUrl", value=outcomes.queue.queue_url)
        CfnOutput(self, "OutcomeDeadLetterQueueUrl", value=outcomes.dead_letters.queue_url)
        CfnOutput(self, "OutcomeQuarantineQueueUrl", value=outcomes.quarantine.queue_url)
        CfnOutput(self, "DecisionFailureQueueUrl", value=decisions.failures.queue_url)
        CfnOutput(self, "SigningSecretName", value=config.signing_secret_name)
        CfnOutput(self, "ThunderPhoneApiKeySecretName", value=config.thunderphone_api_key_secret_name)
        CfnOutput(self, "ToolSecretPrefix", value=config.tool_secret_prefix)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        for name, fn in self.functions.items():
            CfnOutput(
                self,
                f"{fn.node.id}LogGroup",
                value=fn.log_group.log_group_name,
                description=f"CloudWatch log group of the {name} function",
            )
        CfnOutput(
            self,
            "DashboardUrl",
            value=(
                f"https://console.aws.amazon.com/cloudwatch/home?region={self.region}"
                f"#dashboards:name={self.monitoring.dashboard.dashboard_name}"
            ),
        )

    @property
    def public_base_url(self) -> str:
        """The stable base every URL Switchboard hands out is built on (no trailing '/'): the custom domain, else
        CloudFront's name with edge protection, else the API's execute-api URL."""
        if self.custom_domain is not None:
            return self.custom_domain.base_url
        if self.edge is not None:
            return self.edge.base_url
        return self.api.url.rstrip("/")

    @property
    def _edge(self) -> EdgeProtection:
        assert self.edge is not None, "edge protection is built with the API"
        return self.edge

    def _public_urls(self, config: StageConfig, web_acl_arn: str | None, keep: RemovalPolicy) -> None:
        """The custom domain and its mapping, CloudFront and its web ACL, the Route 53 alias, and their outputs."""
        if config.custom_domain_name and config.custom_domain_certificate_arn:
            self.custom_domain = CustomDomain(
                self,
                "CustomDomain",
                name=config.custom_domain_name,
                certificate_arn=config.custom_domain_certificate_arn,
                api=self.api.api,
                stage=self.api.stage,
            )
        if config.edge_protection:
            if web_acl_arn is None:
                web_acl_arn = config.edge_web_acl_arn
            if web_acl_arn is None:  # the stack is in us-east-1 itself
                web_acl_arn = EdgeFirewall.for_stage(self, "EdgeFirewall", config).web_acl_arn
            domain = self.custom_domain
            self.edge = EdgeProtection(
                self,
                "Edge",
                # With a custom domain, its endpoint (matched by the forwarded Host); else the execute-api host.
                origin_domain=(
                    domain.regional_target
                    if domain
                    else f"{self.api.api.api_id}.execute-api.{self.region}.{self.url_suffix}"
                ),
                forward_host=domain is not None,
                web_acl_arn=web_acl_arn,
                domain_name=config.custom_domain_name,
                certificate_arn=config.edge_certificate,
                origin_rotation=config.edge_origin_rotation,
                removal_policy=keep,
            )
            CfnOutput(self, "EdgeDistributionDomain", value=self.edge.distribution.distribution_domain_name)
            CfnOutput(
                self,
                "EdgeOriginCheck",
                value="report-only" if config.edge_origin_report_only else "enforced",
                description="What the webhook does with a request that did not come through CloudFront (the smoke "
                "test reads it)",
            )
            CfnOutput(self, "EdgeWebAclArn", value=web_acl_arn, description="The AWS WAF web ACL CloudFront applies")
        if self.custom_domain is None:
            return
        if config.custom_domain_hosted_zone_id:
            self.custom_domain.alias(
                hosted_zone_id=config.custom_domain_hosted_zone_id,
                target=self.edge.dns_target if self.edge else self.custom_domain.own_record_target,
                ipv6=self.edge is not None,
            )
        else:
            CfnOutput(
                self,
                "CustomDomainTarget",
                value=self.edge.distribution.distribution_domain_name
                if self.edge
                else self.custom_domain.regional_target,
                description=f"Point {config.custom_domain_name} here with a CNAME record (no Route 53 zone was given)",
            )

    def _grant_tool_secrets(self, grantee: iam.IGrantable) -> None:
        # One secret per tenant, created by operators after deploy, so there is no construct to grant on:
        # scope the grant to the stage's name prefix instead.
        arn = self.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{self.config.tool_secret_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resource_arns=[arn],
        )
        role = grantee.grant_principal
        assert isinstance(role, iam.Role)
        nag.acknowledge_wildcard_resource(
            role,
            arn,
            "Tenant tool secrets are created per tenant by operators after deploy; read access is limited "
            "to this stage's tenant-tools/ name prefix.",
        )

    @staticmethod
    def _deny_tenant_api_what_its_code_never_does(
        fn: lambda_.Function, config_table: dynamodb.Table, calls_table: dynamodb.Table
    ) -> None:
        """The tenant API acts for one tenant at a time, but IAM cannot know which: its code keeps it to the
        caller's partition. Explicit denies keep a flaw in that code from reaching what no tenant's request
        ever needs: the items only the operator reads and writes (publishable keys, whose records hold webhook
        URLs, webhook routes, and the phone-number claims that route the org-level endpoint's calls), a Scan of
        either table (every tenant's items at once), the index listing every tenant and the calls table's
        call-id index (one call id's records across tenants). Its own calls stay readable through the time
        index, whose partition is the tenant's."""
        fn.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                ],
                resources=[config_table.table_arn],
                conditions={
                    "ForAnyValue:StringLike": {
                        "dynamodb:LeadingKeys": [
                            f"{prefix}*" for prefix in (OPERATOR_PREFIX, ROUTE_PREFIX, NUMBER_PREFIX)
                        ]
                    }
                },
            )
        )
        # The operator's plans, usage counters and final statements: readable (the tenant's own, by its code), never
        # written by the tenant API.
        fn.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
                resources=[config_table.table_arn],
                conditions={"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{BILLING_PREFIX}*"]}},
            )
        )
        every_table = [config_table.table_arn, calls_table.table_arn]
        fn.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["dynamodb:Scan"],
                resources=[*every_table, *(f"{arn}/index/*" for arn in every_table)],
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["dynamodb:Query"],
                resources=[f"{config_table.table_arn}/index/*", f"{calls_table.table_arn}/index/{CALL_ID_INDEX}"],
            )
        )
        # The calls table's partitions that are no tenant's: contested calls' events (other tenants' transcripts
        # and costs, waiting for the operator), calls billed to nobody, and the backfill's cursors.
        fn.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
                resources=[calls_table.table_arn, f"{calls_table.table_arn}/index/*"],
                conditions={"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": list(OPERATOR_CALL_PARTITIONS)}},
            )
        )

    @staticmethod
    def _grant_billing_writes(config_table: dynamodb.Table, *functions: lambda_.Function) -> None:
        """UpdateItem on the configuration table's BILLING# items only (usage counters and alert marks)."""
        for fn in functions:
            fn.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:UpdateItem"],
                    resources=[config_table.table_arn],
                    conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{BILLING_PREFIX}*"]}},
                )
            )

    @staticmethod
    def _grant_table(table: dynamodb.Table, fn: lambda_.Function, grant: Callable[[iam.IGrantable], iam.Grant]) -> None:
        grant(fn)
        assert fn.role is not None
        nag.acknowledge_wildcard_resource(
            fn.role,
            f"{table.table_arn}/index/*",
            "CDK table grants include the table's own indexes (index/*); no other table is covered.",
        )

    def _acknowledge_function_findings(self) -> None:
        for name, fn in self.functions.items():
            role = fn.function.role
            assert role is not None
            nag.acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords"
                + (" and the stream consumer's dynamodb:ListStreams" if name == "item_validator" else "")
                + " do not support resource-level permissions.",
            )
