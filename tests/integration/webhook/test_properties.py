"""Malformed bodies, headers and encodings thrown at the real handler: never a 5xx, never an exception."""

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.thunderphone.signing import sign
from functions.webhook import handler
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import to_event
from tests.fixtures.aws import SIGNING_SECRET

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
payloads = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["call.incoming", "web.incoming", "telephony.incoming", "call.complete", "x"]),
            "data": st.dictionaries(
                st.sampled_from(["call_id", "from_number", "to_number", "extra"]), json_values, max_size=4
            ),
        }
    ).map(lambda value: json.dumps(value).encode()),
)


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=payloads,
    signing=st.sampled_from(["valid", "wrong", "missing", "garbage"]),
    encode=st.booleans(),
    path=st.sampled_from(
        [
            f"/webhooks/{demo.KEY_TOKEN}",
            f"/webhooks/{demo.PRICING_TOKEN}",
            f"/webhooks/{demo.ORG_TOKEN}",
            "/webhooks/" + "x" * 32,  # a token shape nobody was given
            "/webhooks",
            "/webhooks/demo",
            "/webhooks/demo/pricing",
            "/webhooks/UPPER",
            "/webhooks/a/b/c",
        ]
    ),
    extra_headers=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
)
def test_handler_never_5xx_and_always_json(
    demo_tenant: str,
    lambda_context: Any,
    body: bytes,
    signing: str,
    encode: bool,
    path: str,
    extra_headers: dict[str, str],
) -> None:
    signature = {
        "valid": sign(body, SIGNING_SECRET),
        "wrong": sign(body, "whsec_other"),
        "missing": None,
        "garbage": "\u00e9\u00e9 not hex",
    }[signing]
    headers = {**extra_headers, **({"x-thunderphone-signature": signature} if signature is not None else {})}
    event = to_event("POST", path, headers, body, "127.0.0.1")
    if encode:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True

    response = handler.lambda_handler(event, lambda_context)

    parsed = json.loads(response["body"])
    token_shaped = path.count("/") == 2  # the only route: POST /webhooks/{token}
    known = path.removeprefix("/webhooks/") in (demo.KEY_TOKEN, demo.PRICING_TOKEN, demo.ORG_TOKEN)
    if not token_shaped:
        assert response["statusCode"] == 404
    elif signing != "valid":
        assert (response["statusCode"], parsed) == (401, {"error": "unauthorized"})
    elif known:
        assert response["statusCode"] == 200
    else:
        assert (response["statusCode"], parsed) == (404, {"error": "not_found"})
    if response["statusCode"] == 200 and parsed:
        assert set(parsed) <= {
            "prompt",
            "voice",
            "product",
            "thinking_level",
            "background_track",
            "acknowledgement_prompt_mode",
            "acknowledgement_prompt",
            "tools",
            "received",
        }
