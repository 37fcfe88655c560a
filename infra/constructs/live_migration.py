"""The live migration on deploy: a CloudFormation custom resource backed by our own function
(functions/live_migration/), run through CDK's custom resource provider framework (which answers CloudFormation,
waits for the function and reports its failures, so a crash never leaves a deploy hanging for an hour).

It runs when the resource is created, that is on the first deploy of a stage that has it (an existing deployment's
upgrade, or a new stage with an empty table), and again only when MIGRATION changes. It runs for whoever deploys
(`make deploy`, the workflow, a plain `cdk deploy`), not only through CI. The webhook's `live` alias waits for it
(service_stack.py), so the new router never answers a call before every tenant that can be published has a LIVE
item. Running it by hand: `aws lambda invoke --function-name <LiveMigration function> --payload
'{"RequestType": "Update"}' out.json` (it is idempotent).
"""

from __future__ import annotations

from aws_cdk import CustomResource, Duration, custom_resources
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.live_migration.models import LiveMigrationSettings
from infra import nag
from infra.constructs.python_function import FunctionConstruct, FunctionOptions, FunctionSpec, retention

DESCRIPTION = "Deploy-time migration: publishes a first version for every tenant without one"
# The resource's one property: change it to run the migration again on the next deploy.
MIGRATION = "publish-live-for-every-tenant/1"
RESOURCE_TYPE = "Custom::LiveMigration"


class LiveMigration(FunctionConstruct):
    # A pass over every tenant: about 5 DynamoDB calls per tenant without LIVE, one per tenant with it.
    SPEC = FunctionSpec("live_migration", LiveMigrationSettings, DESCRIPTION, Duration.minutes(10))
    FUNCTION_ID = "LiveMigration"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        options: FunctionOptions,
    ) -> None:
        super().__init__(scope, construct_id, options)
        # The framework's function gets a role of its own that may write its own log group only, like every function
        # of ours (no basic execution policy: it could write the webhook's log group, which is the decision log).
        provider_logs = logs.LogGroup(
            self,
            "ProviderLogs",
            retention=retention(options.defaults.log_retention_days),
            removal_policy=options.defaults.log_removal_policy,
        )
        provider_role = iam.Role(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="CDK's custom resource framework for the live migration: invokes it, writes its own logs",
        )
        provider_logs.grant_write(provider_role)
        provider = custom_resources.Provider(
            self,
            "Provider",
            on_event_handler=self.function,
            framework_on_event_role=provider_role,
            log_group=provider_logs,
        )
        nag.acknowledge_wildcard_resource(
            provider_role,
            f"{self.function.function_arn}:*",
            "The framework invokes the migration function (any version of it, as CDK's Provider grants); nothing else.",
        )
        nag.acknowledge(
            provider,
            "AwsSolutions-L1",
            "The framework's Node.js runtime is chosen by the CDK release; it only relays the deploy-time migration's "
            "result to CloudFormation.",
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties={"Migration": MIGRATION},
        )

    @property
    def summary(self) -> str:
        return self.resource.get_att_string("Summary")
