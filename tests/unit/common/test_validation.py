"""Validation errors in words a person reads (functions/common/validation.py), and the body pre-check."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from functions.common.types import E164, E164_PATTERN, ITEM_ID_PATTERN, TENANT_ID_PATTERN, TenantId
from functions.common.validation import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    PATTERNS,
    describe,
    explain,
    json_body_problem,
    problems_of,
)

TENANT_ID_SENTENCE = (
    "tenant_id must be 1 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit"
)
INTERNALS = ("pattern", "regex", "pydantic", "Value error", "^", "Input should", "String should")


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: TenantId = "acme"
    display_name: Annotated[str, Field(min_length=1, max_length=200)] = "Acme"
    code: Annotated[str, Field(min_length=3)] = "abc"
    phone_numbers: list[E164] = Field(default_factory=list)
    allowed_domains: Annotated[list[str], Field(min_length=1, max_length=50)] = Field(default_factory=lambda: ["a"])
    version: Annotated[int, Field(ge=0)] = 0
    priority: Annotated[int, Field(gt=0, lt=10)] = 1
    weight: Annotated[int, Field(le=10_000)] = 0
    ratio: float = 0.5
    keep_transcripts: bool = False
    status: Literal["active", "suspended"] = "active"
    variables: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")], str] = Field(default_factory=dict)
    weekly: dict[Literal["mon", "tue"], list[str]] = Field(default_factory=dict)
    timezone: str = "UTC"
    nested: Sample | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value != "UTC":
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as 'Europe/Paris')")
        return value

    @model_validator(mode="after")
    def _rule(self) -> Sample:
        if self.status == "suspended" and self.keep_transcripts:
            raise ValueError("keep_transcripts must be false when status is 'suspended'")
        return self


def sentences(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    fields = explain(caught.value.errors())
    for field, texts in fields.items():
        for text in texts:
            assert not any(internal in text for internal in INTERNALS), (field, text)
    return fields


@pytest.mark.parametrize(
    ("data", "field", "sentence"),
    [
        (
            {"tenant_id": "UPPER"},
            "tenant_id",
            TENANT_ID_SENTENCE,
        ),
        (
            {"phone_numbers": ["+1", "+14155550100"]},
            "phone_numbers.0",
            "phone_numbers.0 must be a phone number in E.164 form, like +14155550100",
        ),
        ({"display_name": "x" * 201}, "display_name", "display_name must be at most 200 characters"),
        ({"display_name": ""}, "display_name", "display_name must not be empty"),
        ({"code": "ab"}, "code", "code must be at least 3 characters"),
        ({"allowed_domains": []}, "allowed_domains", "allowed_domains must not be empty"),
        ({"allowed_domains": ["a"] * 51}, "allowed_domains", "allowed_domains must have at most 50 items"),
        ({"version": "x"}, "version", "version must be a whole number"),
        ({"version": 1.5}, "version", "version must be a whole number"),
        ({"version": -1}, "version", "version must be at least 0"),
        ({"priority": 0}, "priority", "priority must be greater than 0"),
        ({"priority": 10}, "priority", "priority must be less than 10"),
        ({"weight": 10_001}, "weight", "weight must be at most 10000"),
        ({"ratio": "half"}, "ratio", "ratio must be a number"),
        ({"keep_transcripts": "maybe"}, "keep_transcripts", "keep_transcripts must be true or false"),
        ({"status": "gone"}, "status", "status must be 'active' or 'suspended'"),
        ({"display_name": 7}, "display_name", "display_name must be a string"),
        ({"phone_numbers": "+14155550100"}, "phone_numbers", "phone_numbers must be a list"),
        ({"variables": []}, "variables", "variables must be a JSON object"),
        ({"nested": [1]}, "nested", "nested must be a JSON object"),
        ({"name": "x"}, "name", "name is an unknown field"),
        ({"nested": {"colour": 1}}, "nested.colour", "nested.colour is an unknown field"),
        (
            {"variables": {"1st": "x"}},
            "variables",
            "each name in variables must be 1 to 64 letters, digits or '_', not starting with a digit",
        ),
        ({"weekly": {"sun": []}}, "weekly", "each name in weekly must be 'mon' or 'tue'"),
        ({"weekly": {"mon": "9-5"}}, "weekly.mon", "weekly.mon must be a list"),
    ],
)
def test_each_error_type_is_a_sentence_naming_the_field(data: dict[str, Any], field: str, sentence: str) -> None:
    assert sentences(data)[field] == [sentence]


def test_missing_fields_are_required() -> None:
    class KeyRequest(BaseModel):
        allowed_domains: list[str]

    with pytest.raises(ValidationError) as caught:
        KeyRequest.model_validate({})
    assert explain(caught.value.errors()) == {"allowed_domains": ["allowed_domains is required"]}


def test_our_own_messages_are_kept_without_pydantics_prefix() -> None:
    assert sentences({"timezone": "Mars/Base"}) == {
        "timezone": ["timezone: unknown time zone 'Mars/Base' (use an IANA name such as 'Europe/Paris')"]
    }
    # A rule about the whole body is already a sentence, naming its fields.
    assert sentences({"status": "suspended", "keep_transcripts": True}) == {
        "body": ["keep_transcripts must be false when status is 'suspended'"]
    }
    assert sentences({"nested": {"status": "suspended", "keep_transcripts": True}}) == {
        "nested": ["nested: keep_transcripts must be false when status is 'suspended'"]
    }


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "x" * 100_000, "Europe/Paris\x00", "a b c d"])
def test_a_long_or_unusual_value_is_never_repeated(value: str) -> None:
    [sentence] = sentences({"timezone": value})["timezone"]
    assert value not in sentence
    assert sentence == "timezone: unknown time zone '…' (use an IANA name such as 'Europe/Paris')"
    assert len(sentence) < 100


def test_an_unusual_name_is_not_repeated_either() -> None:
    fields = sentences({"variables": {"<b>" * 50: 1}, "<img src=x>": 1})
    assert fields == {
        "variables": ["each name in variables must be 1 to 64 letters, digits or '_', not starting with a digit"],
        "variables.…": ["variables.… must be a string"],
        "…": ["… is an unknown field"],
    }


def test_a_long_message_of_our_own_is_cut_short() -> None:
    error = {
        "type": "value_error",
        "loc": ("prompt",),
        "msg": "Value error, x",
        "input": 1,
        "ctx": {"error": "y" * 5000},
    }
    field, sentence = describe(error)
    assert field == "prompt"
    assert len(sentence) < 320 and sentence.endswith("…")
    quoted = {**error, "ctx": {"error": f"malformed placeholder: '{'z' * 100}'"}}
    assert describe(quoted) == ("prompt", "prompt: malformed placeholder: '…'")


def test_powertools_errors_lose_their_request_part() -> None:
    errors = [
        {"type": "string_pattern_mismatch", "loc": ("path", "tenant_id"), "ctx": {"pattern": TENANT_ID_PATTERN}},
        {"type": "int_parsing", "loc": ("path", "key_id"), "msg": "Input should be a valid integer"},
        {
            "type": "string_pattern_mismatch",
            "loc": ("header", "idempotency-key"),
            "ctx": {"pattern": r"^[\x21-\x7e]+$"},
        },
        {"type": "missing", "loc": ("body",), "msg": "Field required", "input": {}},
        {"type": "json_invalid", "loc": ("body", 17), "msg": "JSON decode error", "ctx": {"error": "Expecting value"}},
        {"type": "model_attributes_type", "loc": ("body",), "msg": "Input should be a valid dictionary"},
    ]
    assert explain(errors) == {
        "tenant_id": [TENANT_ID_SENTENCE],
        "key_id": ["key_id must be a whole number"],
        "idempotency-key": ["idempotency-key must be printable ASCII characters without spaces"],
        "body": ["body is required", "body must be valid JSON", "body must be a JSON object"],
    }


def test_an_unknown_pattern_or_error_type_still_names_the_field() -> None:
    unknown_pattern = {"type": "string_pattern_mismatch", "loc": ("code",), "ctx": {"pattern": "^[xyz]+$"}}
    assert describe(unknown_pattern) == ("code", "code is not in the expected format")
    unknown_type = {"type": "url_parsing", "loc": ("site", 0), "msg": "Input should be a valid URL, ^ oops"}
    assert describe(unknown_type) == ("site.0", "site.0 is not valid")


def test_the_same_sentence_is_given_once_and_a_flood_is_cut_short() -> None:
    missing = {"type": "missing", "loc": ("body", "name")}
    assert explain([missing, missing]) == {"name": ["name is required"]}
    many = [{"type": "string_type", "loc": ("body", "items", index)} for index in range(60)]
    fields = explain(many)
    assert len(fields) == 51
    assert fields["body"] == ["10 more problems are not listed"]


def test_every_pattern_a_request_or_stored_model_uses_is_described() -> None:
    from functions.provisioning import models as provisioning
    from functions.provisioning.routes.request import IdempotencyKey, TenantIdPath
    from functions.tenant_config import models as tenant_config
    from functions.thunderphone.agent_config import InlineTool

    types: list[Any] = [
        provisioning.CreateTenantRequest,
        provisioning.UpdateTenantRequest,
        provisioning.CreateKeyRequest,
        provisioning.UpdateKeyRequest,
        provisioning.RotateKeyRequest,
        provisioning.WebhookEndpointRequest,
        tenant_config.Tenant,
        tenant_config.AgentProfile,
        tenant_config.RoutingRule,
        tenant_config.Customer,
        InlineTool,
        IdempotencyKey,
        TenantIdPath,
    ]
    used = {pattern for kind in types for pattern in _patterns(TypeAdapter(kind).json_schema())}
    assert {TENANT_ID_PATTERN, E164_PATTERN, ITEM_ID_PATTERN} <= used
    assert used - set(PATTERNS) == set()


def _patterns(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return found.union(*(_patterns(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_patterns(value) for value in schema))
    return set()


def test_problems_of_keeps_its_terse_form() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({"tenant_id": "UPPER", "name": 1})
    assert problems_of(caught.value) == [
        f"tenant_id: String should match pattern '{TENANT_ID_PATTERN}'",
        "name: Extra inputs are not permitted",
    ]


# ---------------------------------------------------------------- the body pre-check


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{}",
        b'{"a": [1, {"b": null}]}',
        nested(MAX_JSON_DEPTH),
        b'{"s": "' + b"[" * 1000 + b'"}',
        b'{"a": "\\"' + b"{" * 40 + b'"}',  # an escaped quote does not end the string
    ],
)
def test_a_json_body_passes(raw: bytes) -> None:
    assert json_body_problem(raw) is None


@pytest.mark.parametrize(
    ("raw", "status", "code", "sentence"),
    [
        (b"\xff\xfe{}", 400, "validation_error", "body must be UTF-8 text"),
        (b"{not json", 400, "validation_error", "body must be valid JSON"),
        (b"   ", 400, "validation_error", "body must be valid JSON"),
        (b'{"a": NaN}', 400, "validation_error", "body must be valid JSON"),
        (b"[Infinity]", 400, "validation_error", "body must be valid JSON"),
        (b"1" * 5000, 400, "validation_error", "body must be valid JSON"),  # past int's digit limit
        (nested(MAX_JSON_DEPTH + 1), 400, "validation_error", "body must not nest more than 32 levels deep"),
        (nested(10_000), 400, "validation_error", "body must not nest more than 32 levels deep"),
        (b'"' + b"x" * MAX_BODY_BYTES + b'"', 413, "body_too_large", "body must be at most 256 KiB"),
    ],
)
def test_a_body_that_is_not_json_is_refused(raw: bytes, status: int, code: str, sentence: str) -> None:
    problem = json_body_problem(raw)
    assert problem is not None
    assert (problem.status, problem.code, problem.sentence) == (status, code, sentence)


def test_a_body_of_nothing_but_brackets_is_refused_quickly() -> None:
    # CPU time of this thread, not the wall clock: linear work is a few milliseconds of it, however busy the
    # machine; a scan gone quadratic or backtracking would take minutes.
    started = time.thread_time()
    for raw in (b"[" * MAX_BODY_BYTES, b"{" * MAX_BODY_BYTES, b'"\\' * (MAX_BODY_BYTES // 2)):
        assert json_body_problem(raw) is not None
    assert time.thread_time() - started < 1.0


def test_depth_counts_only_real_nesting() -> None:
    text = json.dumps({"a": "[[[[{{{{" * 20, "b": [[["]]]"]]], "c": '\\"[['})
    assert json_body_problem(text.encode()) is None
