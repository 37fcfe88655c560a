"""AWS emulated in-process for the local run: a moto server on loopback, our tables and secrets."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from functions.common import table
from functions.common.tenant_model import StoredItem
from local import demo

REGION = "us-east-1"
TABLE_NAME = "switchboard-local-config"
CALLS_TABLE_NAME = "switchboard-local-calls"
SIGNING_SECRET_NAME = "switchboard/local/signing-secrets"
API_KEY_SECRET_NAME = "switchboard/local/thunderphone-api-key"
TOOL_SECRET_PREFIX = "switchboard/local/tenant-tools/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    """The env each function gets in the local run (the names its settings model declares)."""
    return {
        "TABLE_NAME": TABLE_NAME,
        "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
        "SIGNING_SECRET_NAME": SIGNING_SECRET_NAME,
        "TOOL_SECRET_PREFIX": TOOL_SECRET_PREFIX,
        "THUNDERPHONE_API_KEY_SECRET_NAME": API_KEY_SECRET_NAME,
        "POWERTOOLS_SERVICE_NAME": "switchboard-local",
        "POWERTOOLS_METRICS_NAMESPACE": "SwitchboardLocal",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def provision(*, signing_secret: str, thunderphone_api_key: str) -> None:
    """Create the tables and secrets a deployment has, then seed the demo tenant."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(**table.create_table_request(TABLE_NAME, table.CONFIG_TABLE_INDEXES))
    dynamodb.create_table(**table.create_table_request(CALLS_TABLE_NAME, table.CALLS_TABLE_INDEXES))
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=SIGNING_SECRET_NAME, SecretString=json.dumps({"secrets": [signing_secret]}))
    secrets.create_secret(Name=API_KEY_SECRET_NAME, SecretString=thunderphone_api_key)
    secrets.create_secret(Name=TOOL_SECRET_PREFIX + demo.TENANT_ID, SecretString=json.dumps(demo.TOOL_CREDENTIALS))
    seed(dynamodb, TABLE_NAME, demo.TENANT_ID, demo.demo_items())


def seed(dynamodb: Any, table_name: str, tenant_id: str, models: list[StoredItem]) -> None:
    """Write a tenant through the same versioned store the admin tools use (number claims included)."""
    from functions.common.config_store import ConfigStore

    store = ConfigStore(dynamodb, table_name, actor="make-run-seed")
    for model in models:
        store.put(tenant_id, model, expected_version=None)
