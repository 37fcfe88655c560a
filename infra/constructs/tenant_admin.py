"""Tenant admin isolation: attribute-based access to the config table, one tenant's partition only.

A tenant admin is any IAM principal (user, role or federated session) tagged `tenant_id=<id>`.
The managed policy lets it read and write items whose partition key is `TENANT#<its tenant_id>`
and nothing else: not another tenant's partition, not the number index, not the calls table, not
any secret. The role gives the same access to a caller that is itself tagged: it can only be
assumed with a `tenant_id` session tag equal to the caller's own `tenant_id` tag.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from functions.common.table import TENANT_PREFIX

TENANT_TAG = "tenant_id"
LEADING_KEY = f"{TENANT_PREFIX}${{aws:PrincipalTag/{TENANT_TAG}}}"
ITEM_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)


class TenantAdminAccess(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table: dynamodb.ITable) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Read and write only the caller's own tenant partition (principal tag tenant_id)",
            statements=[
                iam.PolicyStatement(
                    sid="OwnTenantItemsOnly",
                    actions=list(ITEM_ACTIONS),
                    resources=[table.table_arn],  # the base table only: indexes are not tenant-scoped
                    conditions={
                        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [LEADING_KEY]},
                        "Null": {f"aws:PrincipalTag/{TENANT_TAG}": "false"},
                    },
                ),
                iam.PolicyStatement(
                    sid="NoSecrets",
                    effect=iam.Effect.DENY,
                    actions=["secretsmanager:*"],
                    resources=["*"],
                ),
            ],
        )
        account = iam.AccountRootPrincipal()
        self.role = iam.Role(
            self,
            "Role",
            description="Tenant admin: only the partition of the tenant_id the session is tagged with",
            assumed_by=account.with_conditions(
                {
                    "StringEquals": {f"aws:RequestTag/{TENANT_TAG}": f"${{aws:PrincipalTag/{TENANT_TAG}}}"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": [TENANT_TAG]},
                }
            ),
            managed_policies=[self.policy],
        )
        # Session tags must be allowed explicitly, under the same conditions as the assume itself.
        assert self.role.assume_role_policy is not None
        self.role.assume_role_policy.add_statements(
            iam.PolicyStatement(
                actions=["sts:TagSession"],
                principals=[account],
                conditions={
                    "StringEquals": {f"aws:RequestTag/{TENANT_TAG}": f"${{aws:PrincipalTag/{TENANT_TAG}}}"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": [TENANT_TAG]},
                },
            )
        )
