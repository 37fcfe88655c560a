"""The operator's tenant-admin routes in-process: the provisioning Lambda, the real Cognito adapter, moto's Cognito
user pool (made the way the stack makes it: sign-in by email, the immutable tenant attribute, both role groups)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.common.identity import TENANT_CLAIM
from tests.fixtures.admin import Call
from tests.fixtures.aws import create_tenant_user_pool


@pytest.fixture
def cognito(provisioning_env: dict[str, Any]) -> Any:
    import boto3

    return boto3.client("cognito-idp")


@pytest.fixture
def pool(cognito: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from functions.provisioning.dependencies import deps

    pool_id = create_tenant_user_pool(cognito)
    monkeypatch.setenv("TENANT_USER_POOL_ID", pool_id)
    deps.reset()
    return pool_id


@pytest.fixture
def tenants(call: Call, pool: str) -> tuple[str, str]:
    for tenant_id, name in (("acme", "Acme Dental"), ("globex", "Globex")):
        status, body = call("POST", "/admin/tenants", {"tenant_id": tenant_id, "display_name": name})
        assert status == 201, body
    return "acme", "globex"


def user(cognito: Any, pool: str, email: str) -> tuple[dict[str, str], set[str]] | None:
    """A Cognito user's attributes and groups, or None."""
    try:
        found = cognito.admin_get_user(UserPoolId=pool, Username=email)
    except cognito.exceptions.UserNotFoundException:
        return None
    attributes = {a["Name"]: a["Value"] for a in found["UserAttributes"]}
    groups = {g["GroupName"] for g in cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]}
    return attributes, groups


def add(call: Call, tenant_id: str, email: str, role: str = "admin") -> tuple[int, Any]:
    return call("POST", f"/admin/tenants/{tenant_id}/admins", {"email": email, "role": role})


# ---------------------------------------------------------------- create


def test_create_admin_makes_a_user_of_the_tenant_in_the_admin_group(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str]
) -> None:
    # Given a tenant, When the operator creates an admin for it
    status, body = add(call, "acme", "ana@acme.example")
    # Then the answer names the tenant, email, role and status
    assert status == 201, body
    assert body == {
        "tenant_id": "acme",
        "email": "ana@acme.example",
        "role": "admin",
        "status": "FORCE_CHANGE_PASSWORD",
    }
    # And Cognito holds a verified user bound to the tenant, in the tenant-admin group only
    found = user(cognito, pool, "ana@acme.example")
    assert found is not None
    attributes, groups = found
    assert attributes[TENANT_CLAIM] == "acme"
    assert attributes["email"] == "ana@acme.example"
    assert attributes["email_verified"] == "true"
    assert groups == {"tenant-admin"}


def test_create_viewer_puts_the_user_in_the_viewer_group(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str]
) -> None:
    status, body = add(call, "globex", "Bob@Globex.Example", role="viewer")
    assert (status, body["role"], body["email"]) == (201, "viewer", "bob@globex.example")
    found = user(cognito, pool, "bob@globex.example")
    assert found is not None
    assert found[0][TENANT_CLAIM] == "globex"
    assert found[1] == {"tenant-viewer"}


def test_create_admin_of_an_unknown_tenant_is_404_and_makes_no_user(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str]
) -> None:
    status, body = add(call, "nobody", "ana@acme.example")
    assert (status, body["error"]) == (404, "not_found")
    assert user(cognito, pool, "ana@acme.example") is None


def test_create_with_an_email_taken_by_another_tenant_is_409_without_naming_it(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str]
) -> None:
    # Given a user of globex
    assert add(call, "globex", "sam@example.com")[0] == 201
    # When acme's operator route is asked for the same email (any case)
    status, body = add(call, "acme", "SAM@example.com", role="viewer")
    # Then it is refused as taken, and nothing says whose it is
    assert (status, body["error"]) == (409, "already_exists")
    assert "globex" not in str(body)
    assert "email" in body["message"]
    # And the user still belongs to globex, with its role unchanged
    found = user(cognito, pool, "sam@example.com")
    assert found is not None
    assert (found[0][TENANT_CLAIM], found[1]) == ("globex", {"tenant-admin"})


@pytest.mark.parametrize(
    ("body", "field", "sentence"),
    [
        ({"email": "ana@acme.example", "role": "owner"}, "role", "role must be 'admin' or 'viewer'"),
        ({"email": "ana@acme.example"}, "role", "role is required"),
        ({"email": "not an email", "role": "admin"}, "email", "email must be an email address, like ana@example.com"),
        ({"email": "ana@localhost", "role": "admin"}, "email", "email must be an email address, like ana@example.com"),
        ({"email": "ana@acme.example", "role": "admin", "tenant_id": "globex"}, "tenant_id", "is an unknown field"),
    ],
)
def test_create_refuses_a_bad_role_or_email_in_a_sentence(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str], body: dict[str, Any], field: str, sentence: str
) -> None:
    status, answer = call("POST", "/admin/tenants/acme/admins", body)
    # The admin API's validation status and code (docs/provisioning.md, "Errors")
    assert (status, answer["error"]) == (400, "validation_error")
    assert any(sentence in text for text in answer["fields"][field]), answer
    assert sentence in answer["message"]
    assert cognito.list_users(UserPoolId=pool)["Users"] == []


def test_create_removes_the_user_again_when_its_group_cannot_be_set(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.provisioning.dependencies import deps

    # Given Cognito throttles the group assignment after the user was created
    def throttled(**_: Any) -> None:
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}
        raise ClientError(error, "AdminAddUserToGroup")

    monkeypatch.setattr(deps.cognito, "admin_add_user_to_group", throttled)
    # When the operator creates an admin
    status, body = add(call, "acme", "ana@acme.example")
    # Then it is a retryable 503 naming the failed step and its code, and no role-less user is left behind
    assert (status, body["error"]) == (503, "directory_unavailable")
    assert "TooManyRequestsException" in body["message"]
    assert user(cognito, pool, "ana@acme.example") is None
    # so the same request succeeds once Cognito recovers (a fresh client, without the throttling)
    deps.reset()
    assert add(call, "acme", "ana@acme.example")[0] == 201


# ---------------------------------------------------------------- list


def test_list_shows_only_the_tenants_own_users_with_their_roles(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str]
) -> None:
    add(call, "acme", "zoe@acme.example", role="viewer")
    add(call, "acme", "ana@acme.example")
    add(call, "globex", "bob@globex.example")
    status, body = call("GET", "/admin/tenants/acme/admins")
    assert status == 200
    assert body == {
        "admins": [
            {"email": "ana@acme.example", "role": "admin", "status": "FORCE_CHANGE_PASSWORD"},
            {"email": "zoe@acme.example", "role": "viewer", "status": "FORCE_CHANGE_PASSWORD"},
        ]
    }
    status, body = call("GET", "/admin/tenants/globex/admins")
    assert [a["email"] for a in body["admins"]] == ["bob@globex.example"]


def test_list_pages_through_every_group_member(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.provisioning.adapters import CognitoTenantDirectory

    monkeypatch.setattr(CognitoTenantDirectory, "PAGE_SIZE", 2)
    for n in range(5):
        add(call, "globex", f"g{n}@globex.example")
        add(call, "acme", f"a{n}@acme.example", role="viewer" if n % 2 else "admin")
    status, body = call("GET", "/admin/tenants/acme/admins")
    assert status == 200
    assert [(a["email"], a["role"]) for a in body["admins"]] == [
        (f"a{n}@acme.example", "viewer" if n % 2 else "admin") for n in range(5)
    ]


def test_list_of_an_unknown_tenant_is_404(call: Call, pool: str, tenants: tuple[str, str]) -> None:
    status, body = call("GET", "/admin/tenants/nobody/admins")
    assert (status, body["error"]) == (404, "not_found")


def test_list_shows_a_disabled_user_as_disabled(call: Call, cognito: Any, pool: str, tenants: tuple[str, str]) -> None:
    add(call, "acme", "ana@acme.example")
    cognito.admin_disable_user(UserPoolId=pool, Username="ana@acme.example")
    _, body = call("GET", "/admin/tenants/acme/admins")
    assert body["admins"] == [{"email": "ana@acme.example", "role": "admin", "status": "DISABLED"}]


# ---------------------------------------------------------------- delete


@pytest.mark.parametrize("written", ["ana@acme.example", "ana%40acme.example", "Ana%40ACME.example"])
def test_delete_removes_the_tenants_own_user(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str], written: str
) -> None:
    add(call, "acme", "ana@acme.example")
    status, body = call("DELETE", f"/admin/tenants/acme/admins/{written}")
    assert (status, body) == (200, {"tenant_id": "acme", "email": "ana@acme.example", "deleted": True})
    assert user(cognito, pool, "ana@acme.example") is None
    assert call("GET", "/admin/tenants/acme/admins")[1] == {"admins": []}


def test_delete_of_another_tenants_user_is_404_and_the_user_stays(
    call: Call, cognito: Any, pool: str, tenants: tuple[str, str]
) -> None:
    # Given a user of globex
    add(call, "globex", "bob@globex.example")
    # When it is deleted through acme
    status, body = call("DELETE", "/admin/tenants/acme/admins/bob%40globex.example")
    # Then it is not found there (exactly as an email nobody has), and it still exists
    assert (status, body["error"]) == (404, "not_found")
    assert "globex" not in str(body)
    assert call("DELETE", "/admin/tenants/acme/admins/nobody%40acme.example")[1]["message"] == body["message"]
    assert user(cognito, pool, "bob@globex.example") is not None


def test_delete_with_a_path_that_is_not_an_email_is_400(call: Call, pool: str, tenants: tuple[str, str]) -> None:
    status, body = call("DELETE", "/admin/tenants/acme/admins/not-an-email")
    assert (status, body["error"]) == (400, "validation_error")
    assert body["fields"] == {"email": ["email must be an email address, like ana@example.com"]}


def test_delete_in_an_unknown_tenant_is_404(call: Call, pool: str, tenants: tuple[str, str]) -> None:
    status, body = call("DELETE", "/admin/tenants/nobody/admins/ana%40acme.example")
    assert (status, body["error"]) == (404, "not_found")


# ---------------------------------------------------------------- configuration, failures, logs


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/admin/tenants/acme/admins", {"email": "ana@acme.example", "role": "admin"}),
        ("GET", "/admin/tenants/acme/admins", None),
        ("DELETE", "/admin/tenants/acme/admins/ana%40acme.example", None),
    ],
)
def test_without_a_user_pool_the_routes_answer_503_not_configured(
    call: Call, tenant: str, method: str, path: str, body: Any
) -> None:
    # Given a deployment whose provisioning function has no TENANT_USER_POOL_ID
    status, answer = call(method, path, body)
    assert (status, answer["error"]) == (503, "not_configured")
    assert "TENANT_USER_POOL_ID" in answer["message"]
    # and the rest of the admin API is unaffected
    assert call("GET", f"/admin/tenants/{tenant}")[0] == 200


def test_a_pool_that_does_not_exist_is_503_with_what_to_check(
    call: Call, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.provisioning.dependencies import deps

    monkeypatch.setenv("TENANT_USER_POOL_ID", "eu-west-1_doesnotexist")
    deps.reset()
    status, body = call("GET", f"/admin/tenants/{tenant}/admins")
    assert (status, body["error"]) == (503, "directory_unavailable")
    assert "ResourceNotFoundException" in body["message"]
    assert "TENANT_USER_POOL_ID" in body["message"]


def test_logs_name_tenant_and_role_never_the_email(
    call: Call, pool: str, tenants: tuple[str, str], json_logs: Callable[[], list[dict[str, Any]]]
) -> None:
    add(call, "acme", "ana@acme.example", role="viewer")
    add(call, "globex", "ana@acme.example")  # taken: 409
    call("GET", "/admin/tenants/acme/admins")
    call("DELETE", "/admin/tenants/acme/admins/ana%40acme.example")
    logs = json_logs()
    created = [line for line in logs if line.get("message") == "tenant user created"]
    assert [(line["tenant_id"], line["role"]) for line in created] == [("acme", "viewer")]
    assert [line["tenant_id"] for line in logs if line.get("message") == "tenant user deleted"] == ["acme"]
    assert "ana@acme.example" not in str(logs)
    assert "ana%40acme.example" not in str(logs)
