"""The tenant API's refusals as a clinic manager reads them: items named as she knows them, plurals right, the next
step said, and no API path, header or storage key in the message."""

from __future__ import annotations

import re
from typing import Any

import boto3

from tests.fixtures import tenants as demo
from tests.fixtures.aws import TABLE_NAME
from tests.fixtures.tenant_api import TenantClient

DEVELOPER_WORDS = re.compile(r"/tenant/v1|/draft|If-Match|If-None-Match|ETag|CONFIG#|TENANT#|\b(GET|PUT|POST|DELETE)\b")


def in_words(body: Any) -> str:
    message = body["message"]
    assert not DEVELOPER_WORDS.search(message), message
    return str(message)


def test_a_stored_item_that_no_longer_validates_is_named_as_the_admin_knows_it(admin: TenantClient) -> None:
    client = boto3.client("dynamodb")
    key = {"pk": {"S": f"TENANT#{demo.TENANT_ID}"}, "sk": {"S": "CONFIG#PROFILE#after-hours"}}
    client.update_item(
        TableName=TABLE_NAME,
        Key=key,
        UpdateExpression="SET voice = :empty",
        ExpressionAttributeValues={":empty": {"S": ""}},
    )
    status, body, _ = admin.get("/profiles/after-hours")
    assert (status, body["error"]) == (409, "invalid_stored_item")
    assert in_words(body) == "the stored profile 'after-hours' is invalid; save a valid one to replace it"
    assert list(body["fields"]) == ["profile 'after-hours'"]
    status, body, _ = admin.post("/draft/publish")
    assert (status, body["error"]) == (409, "integrity")
    assert (
        in_words(body) == "there is a problem with profile 'after-hours' in the draft; fix or delete it, then publish"
    )


def test_a_rollback_with_unpublished_changes_counts_them_in_words(admin: TenantClient) -> None:
    _, profile, headers = admin.get("/profiles/web-pricing")
    assert admin.put("/profiles/web-pricing", profile | {"voice": "en-US-Emma1"}, etag=headers["ETag"])[0] == 200
    assert admin.post("/draft/publish")[0] == 201
    _, profile, headers = admin.get("/profiles/web-pricing")
    assert admin.put("/profiles/web-pricing", profile | {"voice": "en-US-Ava1"}, etag=headers["ETag"])[0] == 200
    status, body, _ = admin.post("/versions/1/rollback")
    assert (status, body["error"]) == (409, "draft_not_empty")
    assert in_words(body) == "the draft has 1 unpublished change; publish or discard them before rolling back"


def test_writes_without_a_version_say_what_to_do_and_name_the_headers_only_in_fields(admin: TenantClient) -> None:
    _, profile, _ = admin.get("/profiles/web-pricing")
    status, body, _ = admin.put("/profiles/web-pricing", profile)
    assert (status, body["error"]) == (428, "precondition_required")
    assert in_words(body).startswith("say which version you are changing: read it first")
    assert set(body["fields"]) == {"If-Match", "If-None-Match"}
    status, body, _ = admin.put("/profiles/brand-new", profile | {"profile_id": "brand-new"}, etag='"1"')
    assert (status, body["error"]) == (404, "not_found")
    assert "create it again" in in_words(body)
