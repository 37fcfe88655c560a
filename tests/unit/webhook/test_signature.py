import base64
import json

import pytest

from functions.common.apigw import MalformedRequest, header, raw_body
from functions.thunderphone.signing import parse_signing_secrets, sign, verify

BODY = b'{"data":{"call_id":1,"from_number":"web","to_number":""},"type":"web.incoming"}'


def test_verify_accepts_hex_hmac_of_exact_bytes_in_any_case() -> None:
    signature = sign(BODY, "whsec_a")
    assert verify(BODY, signature, ["whsec_a"])
    assert verify(BODY, signature.upper(), ["whsec_a"])


def test_verify_rejects_tampered_body_missing_or_wrong_signature() -> None:
    signature = sign(BODY, "whsec_a")
    assert not verify(BODY + b" ", signature, ["whsec_a"])
    assert not verify(BODY, None, ["whsec_a"])
    assert not verify(BODY, "", ["whsec_a"])
    assert not verify(BODY, "sha256=" + signature, ["whsec_a"])
    assert not verify(BODY, signature, [])


def test_verify_accepts_any_secret_during_rotation() -> None:
    assert verify(BODY, sign(BODY, "whsec_old"), ["whsec_new", "whsec_old"])


def test_verify_is_over_bytes_not_reserialised_json() -> None:
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert not verify(reserialised, sign(BODY, "s"), ["s"])


def test_raw_body_decodes_base64_bodies_exactly() -> None:
    binary = b"\xff\xfe" + BODY
    event = {"body": base64.b64encode(binary).decode(), "isBase64Encoded": True}
    assert raw_body(event) == binary
    assert raw_body({"body": BODY.decode()}) == BODY
    assert raw_body({"body": None}) == b""


def test_raw_body_rejects_invalid_base64() -> None:
    with pytest.raises(MalformedRequest):
        raw_body({"body": "not base64!!", "isBase64Encoded": True})


def test_header_is_case_insensitive_and_takes_first_value() -> None:
    event = {"headers": {"X-ThunderPhone-Signature": "abc, def"}}
    assert header(event, "x-thunderphone-signature") == "abc"
    assert header({"headers": {"x-thunderphone-signature": ["one", "two"]}}, "x-thunderphone-signature") == "one"
    assert header({}, "x-thunderphone-signature") is None


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("whsec_plain", ("whsec_plain",)),
        ('["whsec_a", "whsec_b"]', ("whsec_a", "whsec_b")),
        ('{"secrets": ["whsec_a", ""]}', ("whsec_a",)),
        ("  ", ()),
    ],
)
def test_parse_signing_secrets_accepts_documented_forms(stored: str, expected: tuple[str, ...]) -> None:
    assert parse_signing_secrets(stored) == expected


def test_parse_signing_secrets_rejects_broken_json_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="does not parse") as error:
        parse_signing_secrets('{"secrets": ["whsec_leak"')
    assert "whsec_leak" not in str(error.value)
