"""The dev stage as synthesized: routes, env-var contract, IAM scoping, data, logs, triggers, alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from functions.call_sync.models import CallSyncSettings
from functions.common.identity import GROUPS_CLAIM, ROLE_GROUPS, TENANT_ATTRIBUTE, TENANT_CLAIM
from functions.common.settings import FunctionSettings, required_env_vars
from functions.common.table import (
    BILLING_PREFIX,
    CALL_ID_INDEX,
    CALL_TIME_INDEX,
    CALLS_TABLE_INDEXES,
    CONFIG_TABLE_INDEXES,
    NUMBER_PREFIX,
    OPERATOR_PREFIX,
    PARTITION_KEY,
    ROUTE_PREFIX,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from functions.decision_recorder.models import DecisionRecorderSettings
from functions.item_validator.models import ItemValidatorSettings
from functions.outcome_recorder.models import OutcomeRecorderSettings
from functions.provisioning.models import ProvisioningSettings
from functions.tenant_api.models import TenantApiSettings
from functions.tenant_api.principal import ROLES
from functions.webhook.models import WebhookSettings
from tests.infra.conftest import as_list, function_by_handler, our_functions, refers_to, resources, role_statements

FUNCTIONS: dict[str, type[FunctionSettings]] = {
    "functions.webhook.handler.lambda_handler": WebhookSettings,
    "functions.provisioning.handler.lambda_handler": ProvisioningSettings,
    "functions.call_sync.handler.lambda_handler": CallSyncSettings,
    "functions.item_validator.handler.lambda_handler": ItemValidatorSettings,
    "functions.tenant_api.handler.lambda_handler": TenantApiSettings,
    "functions.outcome_recorder.handler.lambda_handler": OutcomeRecorderSettings,
    "functions.decision_recorder.handler.lambda_handler": DecisionRecorderSettings,
}
WEBHOOK = "functions.webhook.handler.lambda_handler"
PROVISIONING = "functions.provisioning.handler.lambda_handler"
CALL_SYNC = "functions.call_sync.handler.lambda_handler"
ITEM_VALIDATOR = "functions.item_validator.handler.lambda_handler"
TENANT_API = "functions.tenant_api.handler.lambda_handler"
TENANT_ROUTE = "ANY /tenant/v1/{proxy+}"
CONSOLE_ROUTES = {"GET /console", "GET /console/{proxy+}"}  # the tenant console (tests/infra/test_console.py)
WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
}


def config_table_id(template: dict[str, Any]) -> str:
    (key,) = [
        k for k, v in resources(template, "AWS::DynamoDB::Table").items() if "StreamSpecification" in v["Properties"]
    ]
    return key


def calls_table_id(template: dict[str, Any]) -> str:
    (key,) = [k for k in resources(template, "AWS::DynamoDB::Table") if k != config_table_id(template)]
    return key


def role_of(template: dict[str, Any], handler: str) -> str:
    _, function = function_by_handler(template, handler)
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def billing_items_only(statement: dict[str, Any]) -> bool:
    """An allow limited to the configuration table's BILLING# items (usage counters; test_billing_infra.py)."""
    keys = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    return keys == [f"{BILLING_PREFIX}*"]


def actions_on(template: dict[str, Any], handler: str, logical_id: str) -> set[str]:
    """Allowed actions of a function's role on resources that reference `logical_id` (but its BILLING# items)."""
    found: set[str] = set()
    for statement in role_statements(template, role_of(template, handler)):
        if billing_items_only(statement):
            continue
        if statement["Effect"] == "Allow" and refers_to(statement["Resource"], logical_id):
            found |= set(as_list(statement["Action"]))
    return found


# ------------------------------------------------------------------ routes and auth


def _routes(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    routes = resources(template, "AWS::ApiGatewayV2::Route").values()
    return {r["Properties"]["RouteKey"]: r["Properties"] for r in routes}


def test_api_routes_webhooks_public_admin_iam_tenant_jwt(dev: dict[str, Any]) -> None:
    # Given the synthesized API, When reading its routes, Then webhooks are public POSTs, admin needs IAM and the
    # tenant API a Cognito token
    routes = _routes(dev)
    # the only webhook route takes a capability token; no route names a tenant
    assert set(routes) == {"POST /webhooks/{token}", "ANY /admin/{proxy+}", TENANT_ROUTE, *CONSOLE_ROUTES}
    assert routes["ANY /admin/{proxy+}"]["AuthorizationType"] == "AWS_IAM"
    assert "AuthorizerId" not in routes["ANY /admin/{proxy+}"]
    assert routes["POST /webhooks/{token}"].get("AuthorizationType", "NONE") == "NONE"
    assert "AuthorizerId" not in routes["POST /webhooks/{token}"]
    assert routes[TENANT_ROUTE]["AuthorizationType"] == "JWT"


def test_api_tenant_route_trusts_only_the_tenant_pool_and_its_client(dev: dict[str, Any]) -> None:
    # Given the tenant route's authorizer, Then it is a JWT authorizer whose issuer is the tenant user pool and whose
    # only audiences are the pool's app clients (sbctl's and the console's), reading the Authorization header
    ((authorizer_id, authorizer),) = resources(dev, "AWS::ApiGatewayV2::Authorizer").items()
    assert _routes(dev)[TENANT_ROUTE]["AuthorizerId"] == {"Ref": authorizer_id}
    props = authorizer["Properties"]
    assert props["AuthorizerType"] == "JWT"
    assert props["IdentitySource"] == ["$request.header.Authorization"]
    (pool_id,) = resources(dev, "AWS::Cognito::UserPool")
    clients = resources(dev, "AWS::Cognito::UserPoolClient")
    issuer = props["JwtConfiguration"]["Issuer"]
    assert issuer == {"Fn::Join": ["", ["https://cognito-idp.eu-west-1.amazonaws.com/", {"Ref": pool_id}]]}
    assert sorted(ref["Ref"] for ref in props["JwtConfiguration"]["Audience"]) == sorted(clients)


def test_api_routes_invoke_live_alias_provisioning_and_tenant_api(dev: dict[str, Any]) -> None:
    provisioning_id, _ = function_by_handler(dev, PROVISIONING)
    tenant_api_id, _ = function_by_handler(dev, TENANT_API)
    (alias_id,) = resources(dev, "AWS::Lambda::Alias")
    assert dev["Resources"][alias_id]["Properties"]["Name"] == "live"
    integrations = {k: v["Properties"] for k, v in resources(dev, "AWS::ApiGatewayV2::Integration").items()}
    for route in resources(dev, "AWS::ApiGatewayV2::Route").values():
        target = json.dumps(route["Properties"]["Target"])
        (integration,) = [props for key, props in integrations.items() if f'"{key}"' in target]
        assert integration["PayloadFormatVersion"] == "2.0"
        if route["Properties"]["RouteKey"] in CONSOLE_ROUTES:
            continue  # the console's function (tests/infra/test_console.py)
        if route["Properties"]["RouteKey"].startswith("POST /webhooks"):
            assert refers_to(integration["IntegrationUri"], alias_id)
        elif route["Properties"]["RouteKey"] == TENANT_ROUTE:
            assert refers_to(integration["IntegrationUri"], tenant_api_id)
        else:
            assert refers_to(integration["IntegrationUri"], provisioning_id)


def test_api_stage_throttled_and_access_logged_with_retention(dev: dict[str, Any]) -> None:
    (stage,) = resources(dev, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": 40,
        "ThrottlingRateLimit": 20,
        "DetailedMetricsEnabled": True,  # per-route metrics: the webhook route's 429s and latency are alarmed
    }
    log_group_id = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert dev["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 14
    assert "$context.identity.userArn" in props["AccessLogSettings"]["Format"]


# ------------------------------------------------------------------ functions


@pytest.mark.parametrize("handler", list(FUNCTIONS))
def test_function_env_has_every_required_setting(dev: dict[str, Any], handler: str) -> None:
    # Given a function's settings model, Then every required field is set on the deployed function
    _, function = function_by_handler(dev, handler)
    env = function["Properties"]["Environment"]["Variables"]
    missing = [name for name in required_env_vars(FUNCTIONS[handler]) if name not in env]
    assert missing == []
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Switchboard"
    assert env["POWERTOOLS_SERVICE_NAME"].endswith("-dev")


def test_function_env_points_at_the_stack_resources(dev: dict[str, Any]) -> None:
    config, calls = config_table_id(dev), calls_table_id(dev)
    webhook = function_by_handler(dev, WEBHOOK)[1]["Properties"]["Environment"]["Variables"]
    assert webhook["TABLE_NAME"] == {"Ref": config}
    assert "CALLS_TABLE_NAME" not in webhook  # its decisions reach the calls table through its logs
    assert webhook["SIGNING_SECRET_NAME"] == "switchboard/dev/signing-secrets"
    assert webhook["TOOL_SECRET_PREFIX"] == "switchboard/dev/tenant-tools/"
    assert webhook["BUDGET_MS"] == "1500"
    provisioning = function_by_handler(dev, PROVISIONING)[1]["Properties"]["Environment"]["Variables"]
    assert provisioning["THUNDERPHONE_API_KEY_SECRET_NAME"] == "switchboard/dev/thunderphone-api-key"
    assert provisioning["THUNDERPHONE_API_BASE"] == "https://api.thunderphone.com/v1"
    (pool_id,) = resources(dev, "AWS::Cognito::UserPool")
    assert provisioning["TENANT_USER_POOL_ID"] == {"Ref": pool_id}
    tenant_api = function_by_handler(dev, TENANT_API)[1]["Properties"]["Environment"]["Variables"]
    assert tenant_api["TABLE_NAME"] == {"Ref": config}
    assert tenant_api["CALLS_TABLE_NAME"] == {"Ref": calls}
    secret_names = {s["Properties"]["Name"] for s in resources(dev, "AWS::SecretsManager::Secret").values()}
    assert secret_names == {"switchboard/dev/signing-secrets", "switchboard/dev/thunderphone-api-key"}


@pytest.mark.parametrize("handler", list(FUNCTIONS))
def test_function_runtime_arm64_tracing_json_logs_retention(dev: dict[str, Any], handler: str) -> None:
    _, function = function_by_handler(dev, handler)
    props = function["Properties"]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    log_group = dev["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert log_group["RetentionInDays"] == 14


def test_dev_reserves_and_provisions_no_concurrency_so_a_new_account_can_hold_it(dev: dict[str, Any]) -> None:
    # AWS keeps 100 executions unreserved and a new account's quota may be 10: any reservation fails its deploy
    for function in our_functions(dev).values():
        assert "ReservedConcurrentExecutions" not in function["Properties"]
    for alias in resources(dev, "AWS::Lambda::Alias").values():
        assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_webhook_timeout_covers_both_budgets_within_api_gateways_limit(dev: dict[str, Any]) -> None:
    # Blocking answers stop at BUDGET_MS by themselves; an outcome event may wait OUTCOME_BUDGET_MS for its queue
    props = function_by_handler(dev, WEBHOOK)[1]["Properties"]
    env = props["Environment"]["Variables"]
    budget_s, outcome_budget_s = int(env["BUDGET_MS"]) / 1000, int(env["OUTCOME_BUDGET_MS"]) / 1000
    assert budget_s < outcome_budget_s < props["Timeout"] <= 29  # HTTP API integrations time out at 30 s


def test_webhook_dev_has_no_provisioned_concurrency_or_snapstart(dev: dict[str, Any]) -> None:
    (alias,) = resources(dev, "AWS::Lambda::Alias").values()
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]
    assert "SnapStart" not in function_by_handler(dev, WEBHOOK)[1]["Properties"]


def test_call_sync_runs_on_schedule(dev: dict[str, Any]) -> None:
    function_id, _ = function_by_handler(dev, CALL_SYNC)
    (rule,) = resources(dev, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    assert refers_to(rule["Properties"]["Targets"], function_id)


def test_item_validator_reads_config_stream_with_retry_bisect_and_failure_queue(dev: dict[str, Any]) -> None:
    function_id, _ = function_by_handler(dev, ITEM_VALIDATOR)
    (mapping,) = [
        m
        for m in resources(dev, "AWS::Lambda::EventSourceMapping").values()
        if refers_to(m["Properties"]["FunctionName"], function_id)
    ]
    props = mapping["Properties"]
    assert refers_to(props["EventSourceArn"], config_table_id(dev))
    assert props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < props["MaximumRetryAttempts"] <= 5
    (queue_id,) = [q for q in resources(dev, "AWS::SQS::Queue") if q.startswith("ItemValidator")]
    assert refers_to(props["DestinationConfig"]["OnFailure"]["Destination"], queue_id)
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert patterns == [{"eventName": ["INSERT", "MODIFY"]}]


# ------------------------------------------------------------------ data


def test_tables_on_demand_pitr_ttl_with_shared_key_schema(dev: dict[str, Any]) -> None:
    for table in resources(dev, "AWS::DynamoDB::Table").values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
        assert props["KeySchema"] == [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ]
        # dev can be torn down
        assert table["DeletionPolicy"] == "Delete"
        assert not props.get("DeletionProtectionEnabled", False)


def test_tables_have_every_index_of_the_data_model(dev: dict[str, Any]) -> None:
    for table_id, specs in ((config_table_id(dev), CONFIG_TABLE_INDEXES), (calls_table_id(dev), CALLS_TABLE_INDEXES)):
        props = dev["Resources"][table_id]["Properties"]
        deployed = {
            gsi["IndexName"]: [k["AttributeName"] for k in gsi["KeySchema"]]
            for gsi in props.get("GlobalSecondaryIndexes", [])
        }
        assert deployed == {spec.name: [spec.partition_key, spec.sort_key] for spec in specs}


def test_config_table_streams_new_images(dev: dict[str, Any]) -> None:
    props = dev["Resources"][config_table_id(dev)]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_secrets_hold_no_value_in_template(dev: dict[str, Any]) -> None:
    for secret in resources(dev, "AWS::SecretsManager::Secret").values():
        props = secret["Properties"]
        assert "SecretString" not in props
        assert "GenerateSecretString" in props
    # and nothing in the template looks like a ThunderPhone key or signing secret
    assert re.findall(r"(?:sk_live_|whsec_)[A-Za-z0-9]{4,}", json.dumps(dev)) == []


# ------------------------------------------------------------------ least privilege


def test_webhook_role_cannot_write_config_table(dev: dict[str, Any]) -> None:
    # Given the webhook's role, When collecting what it may do to the config table, Then reads only
    actions = actions_on(dev, WEBHOOK, config_table_id(dev))
    assert actions == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    assert not actions & WRITE_ACTIONS
    assert not any(action.endswith("*") for action in actions)


def test_webhook_role_has_no_access_to_the_calls_table(dev: dict[str, Any]) -> None:
    # The decision recorder writes the webhook's decisions (test_decision_recorder.py); the webhook never touches it
    assert actions_on(dev, WEBHOOK, calls_table_id(dev)) == set()


def test_webhook_role_reads_signing_secret_and_tool_secret_prefix_only(dev: dict[str, Any]) -> None:
    secret_statements = [
        s
        for s in role_statements(dev, role_of(dev, WEBHOOK))
        if any(str(a).startswith("secretsmanager:") for a in as_list(s["Action"]))
    ]
    actions = {a for s in secret_statements for a in as_list(s["Action"])}
    assert actions == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    resources_ = [r for s in secret_statements for r in as_list(s["Resource"])]
    signing_id = next(
        k
        for k, v in resources(dev, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"].endswith("signing-secrets")
    )
    assert {"Ref": signing_id} in resources_
    wildcard = [r for r in resources_ if isinstance(r, str)]
    assert wildcard == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/dev/tenant-tools/*"]


def test_provisioning_role_can_put_signing_secret_not_read_calls(dev: dict[str, Any]) -> None:
    secrets = {v["Properties"]["Name"]: k for k, v in resources(dev, "AWS::SecretsManager::Secret").items()}
    on_signing = actions_on(dev, PROVISIONING, secrets["switchboard/dev/signing-secrets"])
    assert {"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"} <= on_signing
    on_api_key = actions_on(dev, PROVISIONING, secrets["switchboard/dev/thunderphone-api-key"])
    assert "secretsmanager:PutSecretValue" not in on_api_key
    assert "secretsmanager:GetSecretValue" in on_api_key
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= actions_on(dev, PROVISIONING, config_table_id(dev))
    assert not actions_on(dev, PROVISIONING, calls_table_id(dev)) & WRITE_ACTIONS  # read for usage statements


def test_the_live_migration_may_only_publish(dev: dict[str, Any]) -> None:
    # It lists tenants, reads drafts and LIVE items and writes LIVE and PUBLISHED# in one conditional transaction:
    # no scan, no delete, no batch write, and nothing of the calls table
    migration = "functions.live_migration.handler.lambda_handler"
    assert actions_on(dev, migration, config_table_id(dev)) == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
    }
    assert actions_on(dev, migration, calls_table_id(dev)) == set()


def test_call_sync_reads_config_writes_calls(dev: dict[str, Any]) -> None:
    assert not actions_on(dev, CALL_SYNC, config_table_id(dev)) & WRITE_ACTIONS
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= actions_on(dev, CALL_SYNC, calls_table_id(dev))


def test_item_validator_touches_no_table_data_or_secret(dev: dict[str, Any]) -> None:
    actions = {
        a
        for s in role_statements(dev, role_of(dev, ITEM_VALIDATOR))
        if s["Effect"] == "Allow"
        for a in as_list(s["Action"])
    }
    assert not {a for a in actions if a.startswith("secretsmanager:")}
    assert not actions & (WRITE_ACTIONS | {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"})
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator"} <= actions


def test_tenant_api_edits_config_reads_calls_and_touches_no_secret(dev: dict[str, Any]) -> None:
    # Given the tenant API's role, Then it reads and writes the configuration table, only reads the calls table,
    # and has no Secrets Manager permission at all
    on_config = actions_on(dev, TENANT_API, config_table_id(dev))
    assert {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"} <= on_config
    assert {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"} <= on_config
    on_calls = actions_on(dev, TENANT_API, calls_table_id(dev))
    assert {"dynamodb:GetItem", "dynamodb:Query"} <= on_calls
    assert not on_calls & WRITE_ACTIONS
    every_action = {
        a
        for s in role_statements(dev, role_of(dev, TENANT_API))
        if s["Effect"] == "Allow"
        for a in as_list(s["Action"])
    }
    assert not {a for a in every_action if a.startswith(("secretsmanager:", "cognito-idp:", "kms:"))}


def test_tenant_api_is_denied_operator_items_scans_and_the_indexes_spanning_tenants(dev: dict[str, Any]) -> None:
    # Given the tenant API's role, Then explicit denies (which no allow overrides) keep it from reading or writing
    # publishable key records (which hold webhook URLs), webhook routes and phone-number claims, from scanning
    # either table, from listing every tenant and from looking a call id up across tenants, whatever its code does
    config, calls = config_table_id(dev), calls_table_id(dev)
    denies = [s for s in role_statements(dev, role_of(dev, TENANT_API)) if s["Effect"] == "Deny"]

    def denied(action: str, resource: str, index: str | None = None) -> list[dict[str, Any]]:
        """Denies of `action` on the table `resource` itself, or on its index `index` ("*": every index)."""
        return [
            s
            for s in denies
            if action in as_list(s["Action"])
            and any(
                refers_to(r, resource)
                and (f"/index/{index}" in json.dumps(r) if index else "/index/" not in json.dumps(r))
                for r in as_list(s["Resource"])
            )
        ]

    item_actions = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
    item_actions += ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
    operator_keys = [f"{OPERATOR_PREFIX}*", f"{ROUTE_PREFIX}*", f"{NUMBER_PREFIX}*"]
    for action in item_actions:
        conditions = [statement["Condition"] for statement in denied(action, config)]
        assert {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": operator_keys}} in conditions
    for table in (config, calls):
        for index in (None, "*"):
            (statement,) = denied("dynamodb:Scan", table, index)
            assert "Condition" not in statement
    for table, index in ((config, "*"), (calls, CALL_ID_INDEX)):
        (statement,) = denied("dynamodb:Query", table, index)
        assert "Condition" not in statement
    # and its own partition's queries stay allowed: a Query of the configuration table is denied only under those
    # leading keys, and of the calls table only on the call-id index, never on the table or the time index
    (query,) = denied("dynamodb:Query", config)
    assert "dynamodb:LeadingKeys" in json.dumps(query["Condition"])
    # and of the calls table (and its indexes) only under the partitions that are no tenant's: contested calls'
    # events (other tenants' transcripts), calls billed to nobody, the backfill's cursors
    operator_calls = ["CONTESTED", "SYNC#CALLS", "TENANT#_unassigned"]
    for action in item_actions[:4]:
        for index in (None, "*"):
            (statement,) = denied(action, calls, index)
            assert statement["Condition"] == {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": operator_calls}}
    assert not [s for s in denied("dynamodb:Query", calls, CALL_TIME_INDEX) if "Condition" not in s]


def test_provisioning_manages_tenant_users_in_the_tenant_pool_only(dev: dict[str, Any]) -> None:
    (pool_id,) = resources(dev, "AWS::Cognito::UserPool")
    statements = [
        s
        for s in role_statements(dev, role_of(dev, PROVISIONING))
        if any(str(a).startswith("cognito-idp:") for a in as_list(s["Action"]))
    ]
    assert {a for s in statements for a in as_list(s["Action"])} == {
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminAddUserToGroup",
        "cognito-idp:AdminGetUser",
        "cognito-idp:AdminDeleteUser",
        "cognito-idp:ListUsersInGroup",
    }
    for statement in statements:
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    # and no other function may touch the pool
    for handler in FUNCTIONS.keys() - {PROVISIONING}:
        assert not any(
            str(a).startswith("cognito-idp:")
            for s in role_statements(dev, role_of(dev, handler))
            for a in as_list(s["Action"])
        )


def _every_policy_statement(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in resources(template, kind).values():
            statements += as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    for role in resources(template, "AWS::IAM::Role").values():
        for inline in role["Properties"].get("Policies", []):
            statements += as_list(inline["PolicyDocument"]["Statement"])
    return statements


def test_no_tenant_scoped_table_write_role_remains(dev: dict[str, Any]) -> None:
    # Given every IAM policy of the stack, Then none lets a principal write table items under a LeadingKeys (ABAC)
    # condition: tenant admins no longer get AWS credentials; they go through the tenant API
    for statement in _every_policy_statement(dev):
        actions = set(as_list(statement["Action"]))
        if (
            statement["Effect"] == "Allow"
            and actions & (WRITE_ACTIONS | {"dynamodb:*"})
            and not billing_items_only(statement)
        ):
            assert "dynamodb:LeadingKeys" not in json.dumps(statement.get("Condition", {}))
    assert "aws:PrincipalTag/tenant_id" not in json.dumps(dev)
    assert not {"TenantAdminRoleArn", "TenantAdminPolicyArn"} & set(dev["Outputs"])


# ------------------------------------------------------------------ tenant identity (Cognito)


def test_tenant_pool_has_no_self_sign_up_and_an_immutable_tenant_attribute(dev: dict[str, Any]) -> None:
    ((_, pool),) = resources(dev, "AWS::Cognito::UserPool").items()
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["UsernameAttributes"] == ["email"]
    assert props["UsernameConfiguration"] == {"CaseSensitive": False}
    (tenant,) = [a for a in props["Schema"] if a["Name"] == TENANT_ATTRIBUTE]
    assert tenant["AttributeDataType"] == "String"
    assert tenant["Mutable"] is False
    # long enough for every tenant id there can be
    assert int(tenant["StringAttributeConstraints"]["MaxLength"]) >= 63
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    # dev can be torn down
    assert pool["DeletionPolicy"] == "Delete"


def test_tenant_pool_groups_are_the_roles_the_tenant_api_reads(dev: dict[str, Any]) -> None:
    groups = {g["Properties"]["GroupName"] for g in resources(dev, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(ROLE_GROUPS.values()) == set(ROLES)
    assert {ROLES[group] for group in ROLE_GROUPS.values()} == set(ROLE_GROUPS)
    assert f"custom:{TENANT_ATTRIBUTE}" == TENANT_CLAIM
    assert GROUPS_CLAIM == "cognito:groups"


def _sbctl_client(logical_id: str) -> bool:
    """The pool's own app client (SRP sign-in, sbctl), not the console's (tests/infra/test_console.py)."""
    return logical_id.startswith("TenantIdentity")


def test_tenant_client_reads_but_never_writes_the_tenant_attribute(dev: dict[str, Any]) -> None:
    # Given the app client tenant users sign in with, Then its ID tokens carry custom:tenant_id, and the user can
    # never write it (an explicit, non-empty write list: Cognito treats a missing one as "every attribute")
    ((_, client),) = [(k, c) for k, c in resources(dev, "AWS::Cognito::UserPoolClient").items() if _sbctl_client(k)]
    props = client["Properties"]
    assert TENANT_CLAIM in props["ReadAttributes"]
    assert props["WriteAttributes"]
    assert not any(attribute.startswith("custom:") for attribute in props["WriteAttributes"])
    assert "email" not in props["WriteAttributes"]
    assert props["GenerateSecret"] is False
    assert set(props["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert props["AllowedOAuthFlows"] == ["code"]  # the browser sign-in (tests/infra/test_sbctl_login.py)
    assert props["PreventUserExistenceErrors"] == "ENABLED"


def test_tenant_outputs_name_the_pool_client_and_tenant_api_url(dev: dict[str, Any]) -> None:
    (pool_id,) = resources(dev, "AWS::Cognito::UserPool")
    (client_id,) = [k for k in resources(dev, "AWS::Cognito::UserPoolClient") if _sbctl_client(k)]
    outputs = dev["Outputs"]
    assert outputs["TenantUserPoolId"]["Value"] == {"Ref": pool_id}
    assert outputs["TenantUserPoolClientId"]["Value"] == {"Ref": client_id}
    url = outputs["TenantApiUrl"]["Value"]["Fn::Join"][1]
    assert url[-1].endswith("/tenant/v1")
    assert url[:-1] == outputs["ApiUrl"]["Value"]["Fn::Join"][1][:-1]


# ------------------------------------------------------------------ alarms and dashboard


def _alarm_metric_names(alarm: dict[str, Any]) -> set[str]:
    props = alarm["Properties"]
    if "MetricName" in props:
        return {props["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in props.get("Metrics", []) if "MetricStat" in m}


def test_alarms_cover_fallbacks_signatures_errors_throttles_latency_dynamodb(dev: dict[str, Any]) -> None:
    alarms = list(resources(dev, "AWS::CloudWatch::Alarm").values())
    names = [_alarm_metric_names(a) for a in alarms]
    assert {"WebhookRequests", "Fallback"} in names  # fallback rate (metric math)
    assert {"SignatureRejected"} in names
    assert {"InvalidConfigItem"} in names
    assert {"ReadThrottleEvents", "WriteThrottleEvents"} in names
    functions = our_functions(dev)  # every one, the console's and the migration's included
    for metric in ("Errors", "Throttles"):
        alarmed = [a for a, n in zip(alarms, names, strict=True) if n == {metric}]
        assert sorted(function_id for function_id in functions if any(refers_to(a, function_id) for a in alarmed)) == (
            sorted(functions)
        )
    duration = [a for a, n in zip(alarms, names, strict=True) if n == {"Duration"}]
    assert len(duration) == 1
    assert duration[0]["Properties"]["ExtendedStatistic"] == "p99"
    assert 0 < duration[0]["Properties"]["Threshold"] <= 1500


def test_alarm_fallback_rate_is_metric_math_on_webhook_service(dev: dict[str, Any]) -> None:
    (alarm,) = [
        a
        for a in resources(dev, "AWS::CloudWatch::Alarm").values()
        if _alarm_metric_names(a) == {"WebhookRequests", "Fallback"}
    ]
    metrics = alarm["Properties"]["Metrics"]
    (expression,) = [m["Expression"] for m in metrics if "Expression" in m]
    assert "fallbacks / requests" in expression
    for metric in (m for m in metrics if "MetricStat" in m):
        assert metric["MetricStat"]["Metric"]["Namespace"] == "Switchboard"
        assert metric["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "service", "Value": "webhook-dev"}]
    assert alarm["Properties"]["Threshold"] == 20


def test_every_alarm_notifies_the_encrypted_topic(dev: dict[str, Any]) -> None:
    (topic_id, topic) = next(iter(resources(dev, "AWS::SNS::Topic").items()))
    assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in resources(dev, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    assert resources(dev, "AWS::SNS::Subscription") == {}  # no alarmEmail in dev's context


def test_dashboard_shows_webhook_metrics(dev: dict[str, Any]) -> None:
    (dashboard,) = resources(dev, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in (
        "WebhookRequests",
        "ConfigServed",
        "Fallback",
        "FallbackByReason",
        "AnswerLatency",
        "SignatureRejected",
    ):
        assert name in body
