"""A DynamoDB table of Switchboard's layout (functions/common/table.py): keys, TTL and every index from there."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from functions.common.table import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, IndexSpec


class DataTable(Construct):
    """On-demand, point-in-time recovery, TTL; deletion protection and RETAIN when `protect` (prod)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        indexes: tuple[IndexSpec, ...],
        protect: bool,
        stream: dynamodb.StreamViewType | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            deletion_protection=protect,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
            stream=stream,
        )
        # Iterating the shared specs means an index added to the data model is deployed without an infra change.
        for index in indexes:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=string),
                sort_key=dynamodb.Attribute(name=index.sort_key, type=string),
                projection_type=dynamodb.ProjectionType.ALL,
            )
