"""The tenant-admin service with an in-memory directory, and how the Cognito adapter tells AWS errors from bugs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.provisioning.adapters import directory_errors
from functions.provisioning.errors import AlreadyExists, DirectoryUnavailable, NotFound
from functions.provisioning.models import CreateTenantAdminRequest, CreateTenantRequest
from functions.provisioning.ports import DirectoryUser
from functions.provisioning.service.tenant_admins import create_admin, delete_admin, list_admins
from functions.provisioning.service.tenants import create_tenant
from tests.unit.provisioning.fakes import MemoryConfig, MemoryPublisher


class MemoryDirectory:
    """The TenantDirectory port on a dict; `fail_groups` makes add_to_group fail as Cognito would."""

    def __init__(self) -> None:
        self.users: dict[str, DirectoryUser] = {}
        self.groups: dict[str, set[str]] = {}
        self.fail_groups = False

    def create_user(self, email: str, tenant_id: str) -> DirectoryUser:
        if email in self.users:
            raise AlreadyExists("taken")
        self.users[email] = DirectoryUser(email=email, tenant_id=tenant_id, status="FORCE_CHANGE_PASSWORD")
        return self.users[email]

    def add_to_group(self, email: str, group: str) -> None:
        if self.fail_groups:
            raise DirectoryUnavailable("add tenant user to its group failed: TooManyRequestsException")
        self.groups.setdefault(group, set()).add(email)

    def get_user(self, email: str) -> DirectoryUser | None:
        return self.users.get(email)

    def group_members(self, group: str) -> Iterator[DirectoryUser]:
        for email in sorted(self.groups.get(group, ())):
            if email in self.users:
                yield self.users[email]

    def delete_user(self, email: str) -> None:
        if self.users.pop(email, None) is None:
            raise NotFound("no tenant user has this email")


@pytest.fixture
def config() -> MemoryConfig:
    config = MemoryConfig()
    for tenant_id in ("acme", "globex"):
        create_tenant(
            CreateTenantRequest(tenant_id=tenant_id, display_name=tenant_id), config=config, publisher=MemoryPublisher()
        )
    return config


def request(email: str, role: str = "admin") -> CreateTenantAdminRequest:
    return CreateTenantAdminRequest.model_validate({"email": email, "role": role})


def test_create_admin_user_left_without_a_group_is_removed(config: MemoryConfig) -> None:
    directory = MemoryDirectory()
    directory.fail_groups = True
    with pytest.raises(DirectoryUnavailable):
        create_admin("acme", request("ana@acme.example"), config=config, directory=directory)
    assert directory.users == {}


def test_list_admins_a_user_in_both_groups_is_an_admin_once(config: MemoryConfig) -> None:
    directory = MemoryDirectory()
    create_admin("acme", request("ana@acme.example", "viewer"), config=config, directory=directory)
    directory.add_to_group("ana@acme.example", "tenant-admin")  # by hand, around our tools
    listing = list_admins("acme", config=config, directory=directory)
    assert [(a.email, a.role) for a in listing.admins] == [("ana@acme.example", "admin")]


def test_list_admins_ignores_users_without_a_tenant(config: MemoryConfig) -> None:
    directory = MemoryDirectory()
    directory.users["x@example.com"] = DirectoryUser(email="x@example.com", tenant_id=None, status="CONFIRMED")
    directory.add_to_group("x@example.com", "tenant-admin")
    assert list_admins("acme", config=config, directory=directory).admins == []


def test_delete_admin_of_another_tenant_is_not_found_and_kept(config: MemoryConfig) -> None:
    directory = MemoryDirectory()
    create_admin("globex", request("bob@globex.example"), config=config, directory=directory)
    with pytest.raises(NotFound) as refused:
        delete_admin("acme", "bob@globex.example", config=config, directory=directory)
    assert "globex" not in str(refused.value)
    assert "bob@globex.example" in directory.users


def test_request_email_is_lowercased_and_checked() -> None:
    assert request("Ana@ACME.example").email == "ana@acme.example"
    with pytest.raises(ValueError, match="email must be an email address"):
        request("ana.acme.example")


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ClientError({"Error": {"Code": "UsernameExistsException"}}, "AdminCreateUser"), AlreadyExists),
        (ClientError({"Error": {"Code": "AliasExistsException"}}, "AdminCreateUser"), AlreadyExists),
        (ClientError({"Error": {"Code": "UserNotFoundException"}}, "AdminGetUser"), NotFound),
        (ClientError({"Error": {"Code": "TooManyRequestsException"}}, "ListUsersInGroup"), DirectoryUnavailable),
        (EndpointConnectionError(endpoint_url="https://cognito-idp.eu-west-1.amazonaws.com"), DirectoryUnavailable),
    ],
)
def test_directory_errors_translates_aws_errors(raised: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected), directory_errors("list tenant users"):
        raise raised


def test_directory_errors_lets_our_own_bugs_through() -> None:
    with pytest.raises(KeyError), directory_errors("list tenant users"):
        raise KeyError("not AWS")
