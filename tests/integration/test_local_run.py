"""`make run` as a user runs it: start `python -m local`, then send the printed sample calls."""

from __future__ import annotations

import json
import re
import shlex
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.local_run import local_run as start_local_run
from tests.fixtures.local_run import send_json


@pytest.fixture(scope="module")
def local_run() -> Iterator[tuple[str, str]]:
    with start_local_run(startup_s=60) as run:
        yield run.base_url, run.banner


def run_curl(command: str) -> tuple[int, dict[str, object]]:
    """Send what a printed `curl ... -H ... --data-raw ...` line sends, with urllib."""
    words = shlex.split(command)
    url = next(word for word in words if word.startswith("http"))
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    data = words[words.index("--data-raw") + 1].encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_local_run_prints_working_signed_examples(local_run: tuple[str, str]) -> None:
    _, banner = local_run
    commands = [line.strip() for line in banner.splitlines() if line.strip().startswith("curl ")]
    assert len(commands) >= 2
    status, widget = run_curl(commands[0])
    assert status == 200 and "prices" in str(widget["prompt"])
    status, vip = run_curl(commands[1])
    assert status == 200 and "Jane Doe" in str(vip["prompt"]) and vip["product"] == "storm-base-with-ack"


def test_local_run_rejects_a_tampered_body(local_run: tuple[str, str]) -> None:
    _, banner = local_run
    command = next(line.strip() for line in banner.splitlines() if line.strip().startswith("curl "))
    tampered = re.sub(r'"call_id":\d+', '"call_id":999', command)
    assert run_curl(tampered) == (401, {"error": "unauthorized"})


def test_local_run_onboards_a_tenant_whose_key_then_gets_answers(local_run: tuple[str, str]) -> None:
    base_url, _ = local_run

    def admin(path: str, body: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(
            base_url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    # Given a tenant onboarded and a widget key created through the admin API (fake ThunderPhone behind it)
    admin("/admin/tenants", {"tenant_id": "globex", "display_name": "Globex", "timezone": "Europe/Paris"})
    key = admin("/admin/tenants/globex/keys", {"name": "Main site", "allowed_domains": ["globex.example"]})
    assert str(key["key"]).startswith("pk_live_")
    assert re.fullmatch(rf"{re.escape(base_url)}/webhooks/[A-Za-z0-9_-]{{32}}", str(key["webhook_url"]))  # a capability

    # When ThunderPhone calls the key's webhook_url for a widget session
    from local.server import DEFAULT_SIGNING_SECRET, curl_command, sample_body

    body = sample_body(event_type="web.incoming", call_id=77, from_number="web", to_number="")
    path = str(key["webhook_url"]).removeprefix(base_url)
    status, answer = run_curl(curl_command(base_url, path, body, DEFAULT_SIGNING_SECRET))

    # Then the tenant's default profile answers, its name rendered into the prompt
    assert status == 200 and "Globex" in str(answer["prompt"])


def test_local_run_tenant_session_edits_publishes_and_calls_see_it(local_run: tuple[str, str]) -> None:
    base_url, banner = local_run
    assert "/local/tenant-token" in banner and "/tenant/v1/draft/publish" in banner

    def send(method: str, path: str, body: object = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        return send_json(base_url + path, method, body, headers, timeout_s=10)

    # Without a token the tenant API is closed, as API Gateway's authorizer keeps it in AWS
    assert send("GET", "/tenant/v1/settings")[0] == 401
    status, issued = send("POST", "/local/tenant-token", {"tenant_id": "demo", "role": "admin"})
    assert status == 200
    auth = {"Authorization": f"Bearer {issued['token']}"}
    status, settings = send("GET", "/tenant/v1/settings", headers=auth)
    variables = {**settings["variables"], "company_name": "Acme Dental Care"}
    status, saved = send("PATCH", "/tenant/v1/settings", {"variables": variables}, auth | {"If-Match": '"1"'})
    assert status == 200, saved
    assert send("POST", "/tenant/v1/draft/publish", headers=auth)[0] == 201

    from local.server import DEFAULT_SIGNING_SECRET, curl_command, sample_body

    pricing = next(line.strip() for line in banner.splitlines() if line.strip().startswith("curl "))
    path = shlex.split(pricing)[2].removeprefix(base_url)
    for attempt in range(20):  # the local router caches a tenant's configuration for 3 s
        body = sample_body(event_type="web.incoming", call_id=500 + attempt, from_number="web", to_number="")
        status, answer = run_curl(curl_command(base_url, path, body, DEFAULT_SIGNING_SECRET))
        if "Acme Dental Care" in str(answer.get("prompt")):
            break
        time.sleep(0.5)
    assert "Acme Dental Care" in str(answer["prompt"])
