"""Routes in the configuration table, under their own partitions (pk `ROUTE#{sha256(token)}`, sk
`ROUTE`): outside every `TENANT#` partition, so a tenant admin's credentials can neither read nor
write one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.errors import InvalidItem
from functions.webhook_routes.model import Route


class RouteRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, route_id: str, *, consistent: bool = False) -> Route | None:
        """The route a token hash names; raises InvalidItem for a stored route that does not validate."""
        item = dynamo.get(
            self._client,
            self._table,
            table.route_pk(route_id),
            table.ROUTE_SK,
            consistent=consistent,
            operation="read route",
        )
        if item is None:
            return None
        route = dynamo.model_of(item, Route, owner="(route)")
        if route.route_id != route_id:
            raise InvalidItem("(route)", table.ROUTE_SK, ["route_id does not match the item's key"])
        return route

    def add(self, route: Route) -> None:
        """Store a new route (a token hash is never reused)."""
        with store_errors("store route"):
            self._client.put_item(
                TableName=self._table,
                Item=dynamo.to_attributes(route_item(route)),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": table.PARTITION_KEY},
            )

    def retire(self, route_id: str, *, at: datetime) -> None:
        """The URL stops opening anything (within the routers' cache time)."""
        with store_errors("retire route"):
            self._client.update_item(
                TableName=self._table,
                Key=dynamo.key(table.route_pk(route_id), table.ROUTE_SK),
                UpdateExpression="SET #status = :retired, #at = :at",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#status": "status", "#at": "retired_at", "#pk": table.PARTITION_KEY},
                ExpressionAttributeValues={":retired": {"S": "retired"}, ":at": {"S": at.isoformat()}},
            )


def route_item(route: Route) -> dict[str, Any]:
    """The ROUTE# item of a route (Python values)."""
    return {
        table.PARTITION_KEY: table.route_pk(route.route_id),
        table.SORT_KEY: table.ROUTE_SK,
        **route.model_dump(mode="json", exclude_none=True),
    }
