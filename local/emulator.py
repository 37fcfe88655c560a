"""AWS emulated for the local run: a moto server on loopback with a deployment's tables, secrets, outcome queues
and tenant user pool (built by the same fixtures and constants the tests and the stack use), the settings each
function gets, and the demo tenant seeded on a fresh start."""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

from functions.thunderphone.signing import parse_signing_secrets
from local.state import Resources
from tests.fixtures import tenants as demo
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.network import free_port
from tests.fixtures.outcomes import OutcomeDrainer

REGION = "us-east-1"
TABLE_NAME = "switchboard-local-config"
CALLS_TABLE_NAME = "switchboard-local-calls"
SIGNING_SECRET_NAME = "switchboard/local/signing-secrets"
API_KEY_SECRET_NAME = "switchboard/local/thunderphone-api-key"
TOOL_SECRET_PREFIX = "switchboard/local/tenant-tools/"
QUEUE_PREFIX = "switchboard-local"
QUEUE_ENV = ("OUTCOME_QUEUE_URL", "OUTCOME_QUARANTINE_QUEUE_URL", "OUTCOME_DLQ_URL")
# A record the recorder fails is retried this much later (minutes in AWS: infra/constructs/outcome_queue.py).
OUTCOME_VISIBILITY_TIMEOUT_S = 5
# How often the emulated log subscription delivers decision lines (CloudWatch batches them similarly in AWS).
DECISION_DELIVERY_S = 0.5

# What this run creates: the functions are always pointed at it.
RESOURCE_ENVIRONMENT = {
    "TABLE_NAME": TABLE_NAME,
    "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
    "SIGNING_SECRET_NAME": SIGNING_SECRET_NAME,
    "TOOL_SECRET_PREFIX": TOOL_SECRET_PREFIX,
    "THUNDERPHONE_API_KEY_SECRET_NAME": API_KEY_SECRET_NAME,
    "CONSOLE_AUTH": "local",  # the console's "sign in as the demo admin" buttons (docs/console.md)
}
# Settings the local run chooses unless the environment sets them (any other function setting, BUDGET_MS,
# STALE_MAX_SECONDS, ..., is read from the environment as in AWS, with the function's own default).
LOCAL_DEFAULTS = {
    # A publish reaches calls within seconds here (60 s by default in AWS).
    "CACHE_TTL_SECONDS": "3",
    # Decisions land within about a second here (DECISION_DELIVERY_S): outcomes wait less for them than in AWS.
    "DECISION_SETTLE_SECONDS": "10",
    "POWERTOOLS_SERVICE_NAME": "switchboard-local",
    "POWERTOOLS_METRICS_NAMESPACE": "SwitchboardLocal",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def start_moto(preferred_port: int | None = None) -> tuple[Any, str]:
    """Start moto's server on loopback (on `preferred_port` when it is free, so that saved `export
    AWS_ENDPOINT_URL=...` lines keep working across runs) and point every boto3 client at it."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every AWS call otherwise
    port = preferred_port if preferred_port and _is_free(preferred_port) else free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's backends live in this process, not in the server: a second start (make bench runs two benchmarks in one
    # process) would find the first one's tables and secrets. Every start begins empty, as a new account does.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
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


def _is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def function_environment() -> dict[str, str]:
    """The env each function gets in the local run: this run's resources, and the local defaults unless the
    environment already says otherwise. `create_resources` adds the queues' URLs and TENANT_USER_POOL_ID (moto
    draws them)."""
    return {name: os.environ.get(name, default) for name, default in LOCAL_DEFAULTS.items()} | RESOURCE_ENVIRONMENT


def settings_shown() -> list[str]:
    """The local defaults as the run uses them, each saying whether it came from the environment."""
    return [
        f"{name}={os.environ.get(name, default)}" + ("" if name in os.environ else " (local default)")
        for name, default in LOCAL_DEFAULTS.items()
        if not name.startswith("POWERTOOLS_")
    ]


def start_decision_subscription() -> DecisionSubscription:
    """What the CloudWatch Logs subscription does in AWS: the webhook's answer lines that carry a decision reach
    the decision recorder, in batches every DECISION_DELIVERY_S; `.stop()` ends it."""
    return DecisionSubscription(interval_s=DECISION_DELIVERY_S).start()


def start_outcome_drainer() -> OutcomeDrainer:
    """What Lambda's SQS event source mapping does in AWS: outcome events the webhook queued (after
    `create_resources`) reach the outcome recorder; `.stop()` ends it, `.wait_until_empty()` waits for the queue."""
    import boto3

    from tests.fixtures.outcomes import start_outcome_drainer as start

    return start(boto3.client("sqs"), os.environ["OUTCOME_QUEUE_URL"])


def create_resources(*, signing_secret: str, thunderphone_api_key: str) -> Resources:
    """The tables, secrets, outcome queues and tenant user pool a deployment has, empty but for the signing and
    API-key secrets. The queues' URLs go into OUTCOME_QUEUE_URL, OUTCOME_QUARANTINE_QUEUE_URL and OUTCOME_DLQ_URL,
    the pool's id into TENANT_USER_POOL_ID (moto draws them)."""
    import boto3

    from tests.fixtures.aws import create_resources as create
    from tests.fixtures.aws import create_tenant_user_pool

    secrets = boto3.client("secretsmanager")
    queues = create(
        boto3.client("dynamodb"),
        secrets,
        table_name=TABLE_NAME,
        calls_table_name=CALLS_TABLE_NAME,
        signing_secret_name=SIGNING_SECRET_NAME,
        signing_secret=signing_secret,
        sqs=boto3.client("sqs"),
        queue_prefix=QUEUE_PREFIX,
        visibility_timeout_s=OUTCOME_VISIBILITY_TIMEOUT_S,
    )
    os.environ.update({name: queues[name] for name in QUEUE_ENV})
    secrets.create_secret(Name=API_KEY_SECRET_NAME, SecretString=thunderphone_api_key)
    pool_id = create_tenant_user_pool(boto3.client("cognito-idp"))
    os.environ["TENANT_USER_POOL_ID"] = pool_id
    urls = tuple(queues[name] for name in QUEUE_ENV)
    return Resources(tables=(TABLE_NAME, CALLS_TABLE_NAME), queue_urls=urls, user_pool_id=pool_id)


def after_restore(*, signing_secret: str, thunderphone_api_key: str) -> None:
    """A restored state signs with this run's signing secret too (the printed curls use it) and calls
    ThunderPhone with this run's API key."""
    import boto3

    secrets = boto3.client("secretsmanager")
    kept = parse_signing_secrets(secrets.get_secret_value(SecretId=SIGNING_SECRET_NAME)["SecretString"])
    if signing_secret not in kept:
        listed = json.dumps({"secrets": [signing_secret, *kept]})
        secrets.put_secret_value(SecretId=SIGNING_SECRET_NAME, SecretString=listed)
    secrets.put_secret_value(SecretId=API_KEY_SECRET_NAME, SecretString=thunderphone_api_key)


def seed_demo() -> dict[str, str]:
    """The demo tenant, published, with its tool credentials and webhook URLs (fresh capability tokens, as
    provisioning would make them). Returns the tokens: `key`, `pricing`, `org`."""
    import boto3

    from functions.webhook_routes.model import new_token
    from functions.webhook_routes.repository import RouteRepository
    from tests.fixtures.aws import seed

    dynamodb = boto3.client("dynamodb")
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=TOOL_SECRET_PREFIX + demo.TENANT_ID, SecretString=json.dumps(demo.TOOL_CREDENTIALS))
    seed(dynamodb, TABLE_NAME, demo.TENANT_ID, demo.demo_items(), actor="make-run-seed")
    tokens = {"key": new_token(), "pricing": new_token(), "org": new_token()}
    routes = RouteRepository(dynamodb, TABLE_NAME)
    for route in demo.demo_routes(key_token=tokens["key"], pricing_token=tokens["pricing"], org_token=tokens["org"]):
        routes.add(route)
    return tokens


def provision(*, signing_secret: str, thunderphone_api_key: str) -> dict[str, str]:
    """A fresh deployment with the demo tenant (the benchmarks' set-up): `create_resources`, then `seed_demo`."""
    create_resources(signing_secret=signing_secret, thunderphone_api_key=thunderphone_api_key)
    return seed_demo()
