"""An attacker probing the operator's admin API with bad input, through the real provisioning Lambda handler
(API Gateway HTTP API v2 events, moto; nothing here reaches ThunderPhone, not even the fake one).

Whatever is sent, the answer is a 4xx (never a 5xx) with `{"error", "message", "fields"}`, in words a person
understands: no pydantic or regex internals, and nothing long or unusual the request carried is repeated back.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from functions.provisioning.models import CreateKeyRequest, CreateTenantRequest, UpdateTenantRequest
from tests.fixtures.apigw import admin_event, to_event

TENANT = "acme"  # exists: PATCH reaches the service
GHOST = "ghost"  # does not exist: a key request that passes validation stops at 404, before ThunderPhone
INTERNALS = ("pattern", "regex", "pydantic", "Value error", "^")
PLAIN = re.compile(r"[\w.:/+@-]{1,64}", re.ASCII)
# Never in a message of ours: control characters, markup, any non-ASCII but the "…" that stands for a value.
UNUSUAL = re.compile(r"[\x00-\x1f\x7f<>]|[^\x00-\x7f…]")

Answer = tuple[int, dict[str, Any]]
Admin = Callable[..., Answer]


@pytest.fixture
def admin(provisioning_env: dict[str, Any], lambda_context: Any) -> Admin:
    """`admin(method, path, body, *, raw=bytes, headers=..., raw_event=...)` -> (status, parsed body).

    moto and the provisioning settings come from the provisioning tests' `provisioning_env`; tenant `acme` exists."""
    from functions.provisioning.handler import lambda_handler

    def invoke(
        method: str = "GET",
        path: str = "/admin/tenants",
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        raw_event: dict[str, Any] | None = None,
    ) -> Answer:
        if raw_event is None and raw is None:
            raw_event = admin_event(method, path, body, headers)
        elif raw_event is None:
            all_headers = {"content-type": "application/json"} | (headers or {})
            raw_event = to_event(method, path, all_headers, raw or b"", "203.0.113.7")
        result = lambda_handler(raw_event, lambda_context)
        text = result.get("body") or ""
        if result.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        return int(result["statusCode"]), json.loads(text) if text else {}

    status, created = invoke("POST", "/admin/tenants", {"tenant_id": TENANT, "display_name": "Acme Dental"})
    assert status == 201, created
    return invoke


def refused(answer: Answer, *sent: Any) -> dict[str, Any]:
    """The answer is a 4xx in the usual shape, in plain words, repeating nothing long or unusual from `sent`."""
    status, body = answer
    assert 400 <= status < 500, answer
    assert set(body) == {"error", "message", "fields"}, body
    assert isinstance(body["error"], str) and isinstance(body["message"], str), body
    assert isinstance(body["fields"], dict), body
    sent_strings = set(_strings(sent))
    # Short plain words the request sent may be named back (a field name, a time zone); nothing else may.
    words = sorted((value for value in sent_strings if PLAIN.fullmatch(value)), key=len, reverse=True)
    unusual = [value for value in sent_strings if len(value) > 200 or UNUSUAL.search(value)]
    texts = [body["message"], *body["fields"], *(s for sentences in body["fields"].values() for s in sentences)]
    for text in texts:
        assert isinstance(text, str), body
        ours = text
        for word in words:
            ours = ours.replace(word, "")
        assert not any(internal in ours for internal in INTERNALS), text
        for value in unusual:
            assert value not in text, (value[:80], text[:200])
    return body


def named(body: dict[str, Any], field: str) -> bool:
    """The answer names `field` (or a part of it) among its fields and in its message."""
    in_fields = any(key == field or key.startswith(f"{field}.") for key in body["fields"])
    return in_fields and field in body["message"]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


# ---------------------------------------------------------------- bodies that are not JSON


def test_random_bytes_are_a_400(admin: Admin) -> None:
    noise = bytes(random.Random(7).randrange(256) for _ in range(4096)) + b"\xff"
    body = refused(admin("POST", "/admin/tenants", raw=noise))
    assert body["fields"] == {"body": ["body must be UTF-8 text"]}


def test_a_body_that_is_not_utf8_is_a_400(admin: Admin) -> None:
    latin1 = json.dumps({"tenant_id": "cafe", "display_name": "Café"}, ensure_ascii=False).encode("latin-1")
    body = refused(admin("POST", "/admin/tenants", raw=latin1))
    assert body["error"] == "validation_error" and body["fields"] == {"body": ["body must be UTF-8 text"]}


def test_a_base64_body_that_is_not_base64_is_a_400(admin: Admin) -> None:
    forged = admin_event("PATCH", f"/admin/tenants/{TENANT}", {"version": 1})
    forged["body"], forged["isBase64Encoded"] = "%%%not base64%%%", True
    body = refused(admin(raw_event=forged))
    assert body["fields"] == {"body": ["body must be UTF-8 text"]}


@pytest.mark.parametrize("raw", [b"{not json", b'{"tenant_id": "a",}', b"   ", b'{"version": NaN}', b"1" * 5000])
def test_invalid_json_is_a_400(admin: Admin, raw: bytes) -> None:
    body = refused(admin("POST", "/admin/tenants", raw=raw))
    assert body["fields"] == {"body": ["body must be valid JSON"]}


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_ten_thousand_levels_of_nesting_are_a_400(admin: Admin, opening: bytes) -> None:
    closing = b"]" if opening == b"[" else b"}"
    body = refused(admin("POST", "/admin/tenants", raw=opening * 10_000 + b"1" + closing * 10_000))
    assert body["fields"] == {"body": ["body must not nest more than 32 levels deep"]}


def test_nesting_inside_a_field_is_refused_before_anything_parses_it(admin: Admin) -> None:
    deep = b'{"v":' * 5_000 + b'"x"' + b"}" * 5_000
    body = refused(admin("PATCH", f"/admin/tenants/{TENANT}", raw=b'{"version": 1, "variables": ' + deep + b"}"))
    assert body["fields"] == {"body": ["body must not nest more than 32 levels deep"]}


def test_a_megabyte_string_is_a_413(admin: Admin) -> None:
    huge = "A" * 1_000_000
    status, body = admin("POST", "/admin/tenants", {"tenant_id": "big", "display_name": huge})
    assert status == 413
    assert refused((status, body), huge)["error"] == "body_too_large"


def test_a_body_in_another_media_type_is_a_415(admin: Admin) -> None:
    form = b"tenant_id=acme2&display_name=Acme"
    status, body = admin(
        "POST", "/admin/tenants", raw=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 415 and refused((status, body))["error"] == "unsupported_media_type"
    status, body = admin("POST", "/admin/tenants", raw=b"x", headers={"content-type": "multipart/form-data"})
    assert status == 415


def test_an_empty_body_with_another_media_type_is_no_body(admin: Admin) -> None:
    status, body = admin("POST", "/admin/tenants", raw=b"", headers={"content-type": "multipart/form-data"})
    assert status == 400 and refused((status, body))["fields"] == {"body": ["body is required"]}
    status, body = admin("GET", f"/admin/tenants/{TENANT}", raw=b"", headers={"content-type": "text/plain"})
    assert status == 200, body


# ---------------------------------------------------------------- wrong types, huge strings, unknown fields

# Wrong for every field of these requests: strings, numbers, booleans, lists, objects and models alike.
WRONG = [{"_": 1}, [{}], 12.5]
BASE: dict[str, dict[str, Any]] = {
    "POST /admin/tenants": {"tenant_id": "wrong", "display_name": "Wrong Types"},
    f"PATCH /admin/tenants/{TENANT}": {"version": 1},
    f"POST /admin/tenants/{GHOST}/keys": {"allowed_domains": ["example.com"]},
}
MODELS = {
    "POST /admin/tenants": CreateTenantRequest,
    f"PATCH /admin/tenants/{TENANT}": UpdateTenantRequest,
    f"POST /admin/tenants/{GHOST}/keys": CreateKeyRequest,
}
CASES = [(route, field, value) for route, model in MODELS.items() for field in model.model_fields for value in WRONG]


@pytest.mark.parametrize(("route", "field", "value"), CASES)
def test_a_wrong_type_in_any_field_is_a_400_naming_it(admin: Admin, route: str, field: str, value: Any) -> None:
    method, path = route.split(" ")
    sent = BASE[route] | {field: value}
    body = refused(admin(method, path, sent), sent)
    assert body["error"] == "validation_error"
    assert named(body, field), body


@pytest.mark.parametrize("route", list(MODELS))
def test_an_unknown_field_is_a_400_naming_it(admin: Admin, route: str) -> None:
    method, path = route.split(" ")
    body = refused(admin(method, path, BASE[route] | {"colour": "blue"}))
    assert body["fields"] == {"colour": ["colour is an unknown field"]}


def test_an_unknown_field_with_a_hostile_name_is_named_without_repeating_it(admin: Admin) -> None:
    name = "<img src=x onerror=alert(1)>" * 10
    body = refused(admin("PATCH", f"/admin/tenants/{TENANT}", {"version": 1, name: 1}), name)
    assert body["fields"] == {"…": ["… is an unknown field"]}


@pytest.mark.parametrize(
    ("field", "limit"), [("display_name", "display_name must be at most 200 characters"), ("variables", None)]
)
def test_a_huge_string_under_the_body_limit_is_a_400_naming_the_field(
    admin: Admin, field: str, limit: str | None
) -> None:
    huge = "<" * 200_000
    value = huge if field == "display_name" else {"name": huge}
    sent = {"version": 1, field: value}
    body = refused(admin("PATCH", f"/admin/tenants/{TENANT}", sent), sent)
    assert named(body, field), body
    if limit:
        assert body["fields"][field] == [limit]


@pytest.mark.parametrize(
    "timezone",
    [
        "<script>alert(1)</script>",
        "America",  # a directory of the zone database
        "Z" * 200_000,
    ],
)
def test_a_bad_time_zone_is_a_400_that_does_not_repeat_it(admin: Admin, timezone: str) -> None:
    sent = {"version": 1, "timezone": timezone}
    body = refused(admin("PATCH", f"/admin/tenants/{TENANT}", sent), sent)
    assert named(body, "timezone"), body


@pytest.mark.parametrize("route", ["POST /admin/tenants", f"PATCH /admin/tenants/{TENANT}"])
def test_the_same_phone_number_twice_is_a_4xx(admin: Admin, route: str) -> None:
    method, path = route.split(" ")
    sent = {"tenant_id": "twice", "display_name": "Twice"} if method == "POST" else {"version": 1}
    refused(admin(method, path, sent | {"phone_numbers": ["+14155550100", "+14155550100"]}))


def test_messages_are_sentences_not_validator_internals(admin: Admin) -> None:
    sent = {"tenant_id": "UPPER", "display_name": "x" * 201, "phone_numbers": ["1"], "name": 1}
    body = refused(admin("POST", "/admin/tenants", sent))
    assert body["fields"] == {
        "tenant_id": [
            "tenant_id must be 1 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit"
        ],
        "display_name": ["display_name must be at most 200 characters"],
        "phone_numbers.0": ["phone_numbers.0 must be a phone number in E.164 form, like +14155550100"],
        "name": ["name is an unknown field"],
    }
    body = refused(admin("POST", f"/admin/tenants/{GHOST}/keys", {}))
    assert body["fields"] == {"allowed_domains": ["allowed_domains is required"]}
    body = refused(admin("POST", f"/admin/tenants/{GHOST}/keys", {"mode": "agent", "allowed_domains": ["a.com"]}))
    assert body["fields"] == {"body": ["agent_id is required when mode is 'agent'"]}


# ---------------------------------------------------------------- bad path segments and headers


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/admin/tenants/UPPER", "tenant_id"),
        ("/admin/tenants/" + "a" * 300, "tenant_id"),
        ("/admin/tenants/%00", "tenant_id"),
        ("/admin/tenants/-acme", "tenant_id"),
        ("/admin/tenants/acme%2F..%2F..", "tenant_id"),
        (f"/admin/tenants/{TENANT}/keys/abc", "key_id"),
        (f"/admin/tenants/{TENANT}/keys/0", "key_id"),
        (f"/admin/tenants/{TENANT}/keys/{'9' * 5000}", "key_id"),
    ],
)
def test_a_bad_path_segment_is_a_400_naming_it(admin: Admin, path: str, field: str) -> None:
    body = refused(admin("GET", path), path.rsplit("/", 1)[1])
    assert named(body, field), body


def test_a_path_that_is_no_route_is_a_404(admin: Admin) -> None:
    status, body = admin("GET", "/admin/tenants/acme/keys/1/../../../../etc/passwd")
    assert status == 404 and refused((status, body))["error"] == "not_found"


def test_a_bad_idempotency_key_is_a_400_naming_it(admin: Admin) -> None:
    for key in ("has spaces", "x" * 129, "\u2603"):
        body = refused(
            admin(
                "POST",
                f"/admin/tenants/{GHOST}/keys",
                BASE[f"POST /admin/tenants/{GHOST}/keys"],
                headers={"idempotency-key": key},
            ),
            key,
        )
        assert named(body, "idempotency-key"), body


# ---------------------------------------------------------------- fuzz: any JSON at all


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
PROFILE = st.fixed_dictionaries(
    {},
    optional={
        "product": st.sampled_from(["spark", "storm-extra-with-ack", "storm-base", "turbo"]),
        "thinking_level": st.sampled_from(["base", "extra", "max"]),
        "acknowledgement_prompt_mode": st.sampled_from(["auto", "manual"]),
        "prompt": st.sampled_from(["Hello from {{ tenant.name }}", "{{ foo.bar }}", "{{ broken", ""]),
        "voice": st.text(max_size=140),
        "variables": st.dictionaries(st.sampled_from(["plan", "1st", "x y"]), JSON_VALUES, max_size=2),
    },
)
HOURS = st.fixed_dictionaries(
    {},
    optional={
        "weekly": st.dictionaries(
            st.sampled_from(["mon", "sun", "funday"]),
            st.lists(st.sampled_from(["09:00-17:00", "9-5", "17:00-09:00", "<b>"]), max_size=2),
            max_size=2,
        ),
        "closed_dates": st.lists(st.sampled_from(["2025-12-25", "christmas", "2025-02-30"]), max_size=2),
    },
)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "tenant_id": st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True) | st.sampled_from(["UPPER", "-x", "a" * 64, ""]),
    "display_name": st.text(max_size=210),
    "timezone": st.sampled_from(["UTC", "Europe/Paris", "Mars/Olympus", "<script>"]),
    "variables": st.dictionaries(st.sampled_from(["plan", "1st", "x y", "a" * 70]), JSON_VALUES, max_size=3),
    "phone_numbers": st.lists(st.sampled_from(["+14155550100", "+1", "0044123", "+14155550101"]), max_size=3),
    "business_hours": HOURS,
    "keep_transcripts": st.booleans(),
    "default_profile": PROFILE,
    "version": st.integers(min_value=-1, max_value=4) | st.sampled_from([2**31, 10**300]),
    "status": st.sampled_from(["active", "suspended", "deleted"]),
    "name": st.text(max_size=90),
    "mode": st.sampled_from(["agent", "webhook", "both"]),
    "agent_id": st.integers(min_value=-1, max_value=3),
    "widget_id": st.sampled_from(["lobby", "bad id", "x" * 70]),
    "allowed_domains": st.lists(st.sampled_from(["example.com", "*.*", "https://a.example", ""]), max_size=3),
}


def bodies(model: type[Any]) -> st.SearchStrategy[Any]:
    """Bodies that get past validation (to reach the service), bodies with a bad field, unknown fields, any JSON."""
    plausible = {name: PLAUSIBLE.get(name, JSON_VALUES) for name in model.model_fields}
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    reaching = st.fixed_dictionaries(
        {name: plausible[name] for name in required},
        optional={name: values for name, values in plausible.items() if name not in required},
    )
    anything = st.fixed_dictionaries({}, optional={name: values | JSON_VALUES for name, values in plausible.items()})
    unknown = st.dictionaries(st.text(max_size=12), JSON_VALUES, min_size=1, max_size=2)
    return reaching | anything | st.builds(lambda fields, extra: extra | fields, anything, unknown) | JSON_VALUES


REQUESTS = st.one_of(
    st.tuples(st.just("POST /admin/tenants"), bodies(CreateTenantRequest)),
    st.tuples(st.just(f"PATCH /admin/tenants/{TENANT}"), bodies(UpdateTenantRequest)),
    st.tuples(st.just(f"POST /admin/tenants/{GHOST}/keys"), bodies(CreateKeyRequest)),
)


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=REQUESTS)
def test_fuzz_any_json_body_is_answered_without_a_5xx(admin: Admin, request: tuple[str, Any]) -> None:
    route, sent = request
    method, path = route.split(" ")
    status, body = admin(method, path, raw=json.dumps(sent).encode())
    event(f"{route}: {status}")  # pytest --hypothesis-show-statistics
    assert status < 500, (route, sent, body)
    if status >= 400:
        refused((status, body), sent)
