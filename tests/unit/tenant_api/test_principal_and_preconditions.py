"""Who is calling, and which version a write is based on."""

from __future__ import annotations

import pytest

from functions.tenant_api.errors import InvalidRequest, PreconditionRequired
from functions.tenant_api.preconditions import expected_version
from functions.tenant_api.principal import Forbidden, Unauthenticated, groups, principal_of


def event(claims: dict[str, object] | None) -> dict[str, object]:
    return {"requestContext": {"authorizer": {"jwt": {"claims": claims}}}} if claims is not None else {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["tenant-admin"], ["tenant-admin"]),
        ("[tenant-admin tenant-viewer]", ["tenant-admin", "tenant-viewer"]),
        ('["tenant-viewer"]', ["tenant-viewer"]),
        ("tenant-admin", ["tenant-admin"]),
        (None, []),
    ],
)
def test_groups_in_every_form_api_gateway_hands_them_over(value: object, expected: list[str]) -> None:
    assert groups(value) == expected


def test_the_tenant_comes_from_the_token_and_admin_wins_over_viewer() -> None:
    principal = principal_of(
        event({"sub": "u1", "custom:tenant_id": "acme", "cognito:groups": "[tenant-viewer tenant-admin]"})
    )
    assert (principal.tenant_id, principal.role, principal.actor) == ("acme", "admin", "tenant:acme:u1")


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"custom:tenant_id": "ACME!", "cognito:groups": ["tenant-admin"]}, {"custom:tenant_id": 7}],
)
def test_no_verified_tenant_is_unauthenticated(claims: dict[str, object] | None) -> None:
    with pytest.raises(Unauthenticated):
        principal_of(event(claims))


def test_a_user_in_no_tenant_group_is_forbidden_and_a_viewer_cannot_write() -> None:
    with pytest.raises(Forbidden):
        principal_of(event({"custom:tenant_id": "acme", "cognito:groups": ["operators"]}))
    viewer = principal_of(event({"custom:tenant_id": "acme", "cognito:groups": ["tenant-viewer"]}))
    with pytest.raises(Forbidden, match="viewer"):
        viewer.require_admin()


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('W/"3"', 3), ("3", 3), (' "12" ', 12)])
def test_if_match_accepts_the_etag_as_read(header: str, version: int) -> None:
    assert expected_version(header, None, allow_create=False) == version


def test_preconditions_are_required_and_checked() -> None:
    assert expected_version(None, "*", allow_create=True) is None
    with pytest.raises(PreconditionRequired, match="say that it is new") as required:
        expected_version(None, None, allow_create=True)
    # The words for people, the headers for programs.
    assert set(required.value.fields) == {"If-Match", "If-None-Match"} and "If-" not in required.value.message
    with pytest.raises(PreconditionRequired) as update_only:
        expected_version(None, "*", allow_create=False)
    assert set(update_only.value.fields) == {"If-Match"} and "new" not in update_only.value.message
    with pytest.raises(InvalidRequest):
        expected_version('"three"', None, allow_create=False)


def test_changes_are_recorded_under_the_persons_email_when_the_token_carries_one() -> None:
    claims = {"custom:tenant_id": "acme", "cognito:groups": ["tenant-admin"], "sub": "0f1e2d3c-uuid"}
    assert principal_of(event({**claims, "email": "jane@acme.example"})).actor == "tenant:acme:jane@acme.example"
    assert principal_of(event(claims)).actor == "tenant:acme:0f1e2d3c-uuid"
    assert principal_of(event({**claims, "email": ""})).actor == "tenant:acme:0f1e2d3c-uuid"
