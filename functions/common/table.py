"""The single DynamoDB table's layout: key names, item kinds and key builders.

The infra construct, the moto fixtures and every adapter build keys from here, so the table that is
deployed, the one tests create and the one code reads can never drift apart.

    pk                      sk                                   what
    TENANT#{tenant_id}      CONFIG#TENANT                        tenant settings
    TENANT#{tenant_id}      CONFIG#PROFILE#{profile_id}          agent profile
    TENANT#{tenant_id}      CONFIG#RULE#{rule_id}                routing rule
    TENANT#{tenant_id}      CUSTOMER#{customer_id}               per-customer record (phone: E.164)
    TENANT#{tenant_id}      HISTORY#{kind}#{id}#{version:010d}   previous versions of draft items and customers
    TENANT#{tenant_id}      LIVE                                 the published configuration the router reads
    TENANT#{tenant_id}      PUBLISHED#{version:010d}             every published version, immutable
    OPERATOR#{tenant_id}    KEY#{key_id}                         publishable key record
    OPERATOR#{tenant_id}    KEYREQ#{hash}                        key-create reservation (TTL expires_at)
    NUMBER#{e164}           NUMBER                               which tenant owns a phone number
    ROUTE#{sha256(token)}   ROUTE                                what a webhook URL's token opens
    BILLING#{tenant_id}     BILLING                              the operator's plan and each month's usage
    BILLING#{tenant_id}     STATEMENT#{YYYY-MM}                  a closed month's final statement

The CONFIG# items are the tenant's draft, edited through the tenant API (functions/tenant_api); publishing
compiles them into LIVE, so the router reads a tenant's whole configuration with one GetItem. What only the
operator writes about a tenant (its keys and key reservations) lives in `OPERATOR#{tenant_id}`, and routes
and number claims in partitions of their own. Nobody but the functions writes the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
VERSION_ATTRIBUTE = "version"

# Sparse index listing every tenant (only tenant items carry these attributes).
TENANT_INDEX = "tenants"
TENANT_INDEX_PARTITION_KEY = "tenant_index_pk"
TENANT_INDEX_SORT_KEY = "tenant_index_sk"
TENANT_INDEX_PARTITION_VALUE = "TENANT"


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index (string keys, all attributes projected); the infra builds every one."""

    name: str
    partition_key: str
    sort_key: str


CONFIG_TABLE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(TENANT_INDEX, TENANT_INDEX_PARTITION_KEY, TENANT_INDEX_SORT_KEY),
)

# The calls table (decision log and call outcomes) uses the same pk/sk/TTL names:
#     TENANT#{tenant_id}      CALL#{call_id}      one call: decision, then outcomes
#     CONTESTED               CALL#{call_id}#...  a contested call's events, set aside for the operator
# It is separate from the configuration table so the webhook can write call records while having
# read-only access to configuration, and so its volume and retention never touch configuration.
CALL_PREFIX = "CALL#"
# Index by call_id alone: outcome events from the org-level endpoint and the backfill know the call,
# not the tenant. Index pk = CALL#{call_id}, sk = tenant_id (every call item carries both).
CALL_ID_INDEX = "calls_by_id"
CALL_ID_INDEX_PARTITION_KEY = "call_index_pk"
CALL_ID_INDEX_SORT_KEY = "call_index_sk"
# A tenant's calls in time order, for reports over a period without reading the whole partition.
# Index pk = TENANT#{tenant_id}, sk = "{UTC ISO time, ms}Z#{call_id}".
CALL_TIME_INDEX = "calls_by_time"
CALL_TIME_INDEX_PARTITION_KEY = "time_index_pk"
CALL_TIME_INDEX_SORT_KEY = "time_index_sk"
CALLS_TABLE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(CALL_ID_INDEX, CALL_ID_INDEX_PARTITION_KEY, CALL_ID_INDEX_SORT_KEY),
    IndexSpec(CALL_TIME_INDEX, CALL_TIME_INDEX_PARTITION_KEY, CALL_TIME_INDEX_SORT_KEY),
)
# Outcomes of calls no tenant can be found for (the tenant-id pattern cannot produce this name).
UNASSIGNED_TENANT = "_unassigned"
# Contested calls' outcome events, set aside for the operator (functions/outcomes/contested.py): pk CONTESTED,
# sk CALL#{call_id}#EVENT#{digest of the body} (an org-level event, kept whole), CALL#{call_id}#EVENT#KEY#{tenant}#
# {event type} (a key URL's latest event of that type), CALL#{call_id}#BACKFILL (ThunderPhone's record of a call the
# backfill found contested) or CALL#{call_id}#ASSIGNED (the operator's choice). No index attribute: reports, replays
# and attribution never see them.
CONTESTED_PK = "CONTESTED"
# The backfill's resumable cursors: pk SYNC#CALLS, sk CURSOR#{name}.
SYNC_PK = "SYNC#CALLS"
SYNC_CURSOR_PREFIX = "CURSOR#"

TENANT_PREFIX = "TENANT#"
OPERATOR_PREFIX = "OPERATOR#"
NUMBER_PREFIX = "NUMBER#"
ROUTE_PREFIX = "ROUTE#"
CONFIG_PREFIX = "CONFIG#"
CUSTOMER_PREFIX = "CUSTOMER#"
HISTORY_PREFIX = "HISTORY#"
KEY_PREFIX = "KEY#"

TENANT_SK = f"{CONFIG_PREFIX}TENANT"
PROFILE_SK_PREFIX = f"{CONFIG_PREFIX}PROFILE#"
RULE_SK_PREFIX = f"{CONFIG_PREFIX}RULE#"
NUMBER_SK = "NUMBER"
LIVE_SK = "LIVE"
PUBLISHED_PREFIX = "PUBLISHED#"
ROUTE_SK = "ROUTE"
# Operator-owned billing items (functions/billing/store.py): the tenant API's role may read, never write them.
BILLING_PREFIX = "BILLING#"
BILLING_SK = "BILLING"
STATEMENT_PREFIX = "STATEMENT#"


def tenant_pk(tenant_id: str) -> str:
    return f"{TENANT_PREFIX}{tenant_id}"


# The calls table's partitions that belong to no tenant: only the operator's tools read them (the tenant API's
# role is denied them, infra/stacks/service_stack.py).
OPERATOR_CALL_PARTITIONS = (CONTESTED_PK, SYNC_PK, tenant_pk(UNASSIGNED_TENANT))


def billing_pk(tenant_id: str) -> str:
    return f"{BILLING_PREFIX}{tenant_id}"


def operator_pk(tenant_id: str) -> str:
    return f"{OPERATOR_PREFIX}{tenant_id}"


def route_pk(route_id: str) -> str:
    return f"{ROUTE_PREFIX}{route_id}"


def profile_sk(profile_id: str) -> str:
    return f"{PROFILE_SK_PREFIX}{profile_id}"


def rule_sk(rule_id: str) -> str:
    return f"{RULE_SK_PREFIX}{rule_id}"


def customer_sk(customer_id: str) -> str:
    return f"{CUSTOMER_PREFIX}{customer_id}"


def number_pk(e164: str) -> str:
    return f"{NUMBER_PREFIX}{e164}"


def history_sk(kind: str, item_id: str, version: int) -> str:
    return f"{HISTORY_PREFIX}{kind}#{item_id}#{version:010d}"


def published_sk(version: int) -> str:
    return f"{PUBLISHED_PREFIX}{version:010d}"


def key_sk(key_id: str) -> str:
    return f"{KEY_PREFIX}{key_id}"


def call_sk(call_id: int) -> str:
    return f"{CALL_PREFIX}{call_id}"


def call_index_pk(call_id: int) -> str:
    return f"{CALL_PREFIX}{call_id}"


def contested_prefix(call_id: int) -> str:
    """The sort keys of one contested call's items (the trailing '#' keeps call 12 apart from 123)."""
    return f"{CALL_PREFIX}{call_id}#"


def contested_event_sk(call_id: int, digest: str) -> str:
    return f"{contested_prefix(call_id)}EVENT#{digest}"


def contested_backfill_sk(call_id: int) -> str:
    return f"{contested_prefix(call_id)}BACKFILL"


def contested_assignment_sk(call_id: int) -> str:
    return f"{contested_prefix(call_id)}ASSIGNED"


def sync_cursor_sk(name: str) -> str:
    return f"{SYNC_CURSOR_PREFIX}{name}"


def create_table_request(table_name: str, indexes: tuple[IndexSpec, ...]) -> dict[str, Any]:
    """`CreateTable` arguments for a table of this layout: used by the local run and the tests
    (the deployed table is built by infra/constructs/data_store.py from the same constants)."""
    attributes = {PARTITION_KEY, SORT_KEY} | {key for index in indexes for key in (index.partition_key, index.sort_key)}
    request: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in indexes
        ]
    return request
