"""AWS emulated for the local run: a moto server on loopback with a deployment's tables, secrets, outcome queues
and tenant user pool (built by the same fixtures and constants the tests and the stack use) and the demo tenant
seeded."""

from __future__ import annotations

import json
import os
from typing import Any

from functions.webhook_routes.model import new_token
from functions.webhook_routes.repository import RouteRepository
from tests.fixtures import tenants as demo
from tests.fixtures.aws import create_resources, create_tenant_user_pool, seed
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.network import free_port
from tests.fixtures.outcomes import OutcomeDrainer

REGION = "us-east-1"
TABLE_NAME = "switchboard-local-config"
CALLS_TABLE_NAME = "switchboard-local-calls"
SIGNING_SECRET_NAME = "switchboard/local/signing-secrets"
API_KEY_SECRET_NAME = "switchboard/local/thunderphone-api-key"
TOOL_SECRET_PREFIX = "switchboard/local/tenant-tools/"
# A record the recorder fails is retried this much later (minutes in AWS: infra/constructs/outcome_queue.py).
OUTCOME_VISIBILITY_TIMEOUT_S = 5
# How often the emulated log subscription delivers decision lines (CloudWatch batches them similarly in AWS).
DECISION_DELIVERY_S = 0.5


def start_moto() -> tuple[Any, str]:
    """Start moto's server on a free loopback port and point every boto3 client at it."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every AWS call otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    return server, endpoint


def function_environment() -> dict[str, str]:
    """The env each function gets in the local run (the names its settings model declares). `provision` adds
    TENANT_USER_POOL_ID: Cognito (moto) draws a pool's id when the pool is created."""
    return {
        "TABLE_NAME": TABLE_NAME,
        "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
        "SIGNING_SECRET_NAME": SIGNING_SECRET_NAME,
        "TOOL_SECRET_PREFIX": TOOL_SECRET_PREFIX,
        "THUNDERPHONE_API_KEY_SECRET_NAME": API_KEY_SECRET_NAME,
        # Locally a publish reaches calls within seconds (60 s by default in AWS).
        "CACHE_TTL_SECONDS": "3",
        # Decisions land within about a second here (DECISION_DELIVERY_S): outcomes wait less for them than in AWS.
        "DECISION_SETTLE_SECONDS": "10",
        "POWERTOOLS_SERVICE_NAME": "switchboard-local",
        "POWERTOOLS_METRICS_NAMESPACE": "SwitchboardLocal",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "CONSOLE_AUTH": "local",  # the console's "sign in as the demo admin" buttons (docs/console.md)
    }


def start_decision_subscription() -> DecisionSubscription:
    """What the CloudWatch Logs subscription does in AWS: the webhook's answer lines that carry a decision reach
    the decision recorder, in batches every DECISION_DELIVERY_S; `.stop()` ends it."""
    return DecisionSubscription(interval_s=DECISION_DELIVERY_S).start()


def start_outcome_drainer() -> OutcomeDrainer:
    """What Lambda's SQS event source mapping does in AWS: outcome events the webhook queued (after `provision`)
    reach the outcome recorder; `.stop()` ends it, `.wait_until_empty()` waits for the queue to drain."""
    import boto3

    from tests.fixtures.outcomes import start_outcome_drainer as start

    return start(boto3.client("sqs"), os.environ["OUTCOME_QUEUE_URL"])


def provision(*, signing_secret: str, thunderphone_api_key: str) -> dict[str, str]:
    """Create the tables and secrets a deployment has, seed the demo tenant and give it webhook URLs
    (fresh capability tokens, as provisioning would), and create the tenant user pool (its id goes into
    TENANT_USER_POOL_ID for the admin API's tenant-admin routes). The outcome queues' URLs go into
    OUTCOME_QUEUE_URL and OUTCOME_QUARANTINE_QUEUE_URL (moto draws them too). Returns the tokens: `key`,
    `pricing`, `org`."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    secrets = boto3.client("secretsmanager")
    queues = create_resources(
        dynamodb,
        secrets,
        table_name=TABLE_NAME,
        calls_table_name=CALLS_TABLE_NAME,
        signing_secret_name=SIGNING_SECRET_NAME,
        signing_secret=signing_secret,
        sqs=boto3.client("sqs"),
        queue_prefix="switchboard-local",
        visibility_timeout_s=OUTCOME_VISIBILITY_TIMEOUT_S,
    )
    os.environ.update({name: queues[name] for name in ("OUTCOME_QUEUE_URL", "OUTCOME_QUARANTINE_QUEUE_URL")})
    secrets.create_secret(Name=API_KEY_SECRET_NAME, SecretString=thunderphone_api_key)
    secrets.create_secret(Name=TOOL_SECRET_PREFIX + demo.TENANT_ID, SecretString=json.dumps(demo.TOOL_CREDENTIALS))
    seed(dynamodb, TABLE_NAME, demo.TENANT_ID, demo.demo_items(), actor="make-run-seed")
    tokens = {"key": new_token(), "pricing": new_token(), "org": new_token()}
    routes = RouteRepository(dynamodb, TABLE_NAME)
    for route in demo.demo_routes(key_token=tokens["key"], pricing_token=tokens["pricing"], org_token=tokens["org"]):
        routes.add(route)
    os.environ["TENANT_USER_POOL_ID"] = create_tenant_user_pool(boto3.client("cognito-idp"))
    return tokens
