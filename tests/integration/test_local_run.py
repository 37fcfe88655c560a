"""`make run` as a newcomer meets it: start `python -m local`, read the banner, run what it prints, read the terminal,
stop it and start it again."""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.examples import DEFAULT_SIGNING_SECRET, curl_command, sample_body
from tests.fixtures.clock import eventually
from tests.fixtures.local_run import ROOT, LocalRun, local_environment, local_run, send_json
from tests.fixtures.network import free_port

EXAMPLES_START = "Every command below works as printed"
COMMAND_STARTS = ("curl ", "TOKEN=", "ETAG=", "make sign", ".venv/bin/sbctl", "export ")


@pytest.fixture(scope="module")
def run() -> Iterator[LocalRun]:
    with local_run() as started:
        yield started


def run_curl(command: str) -> tuple[int, dict[str, Any]]:
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


def printed_commands(banner: str) -> list[str]:
    """The examples as a person copies them: each command with its continuation lines."""
    commands: list[str] = []
    lines = banner[banner.index(EXAMPLES_START) :].splitlines()
    continuing = False
    for line in lines:
        text = line.strip()
        if continuing:
            commands[-1] += "\n" + line
        elif line.startswith("  ") and text.startswith(COMMAND_STARTS):
            commands.append(text)
        else:
            continue
        continuing = text.endswith("\\")
    return commands


def run_in_shell(commands: list[str], env: dict[str, str]) -> list[tuple[int, str]]:
    """Each command in one bash session, as pasted one after the other (variables carry over): (exit code, output)."""
    script = "".join(f"echo '@@@ {i}'\n{command}\necho \"\n@@@ rc $?\"\n" for i, command in enumerate(commands))
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    results = []
    for chunk in done.stdout.split("@@@ ")[1:]:
        if chunk.startswith("rc "):
            results[-1] = (int(chunk.split()[1]), results[-1][1])
        else:
            results.append((-1, chunk.split("\n", 1)[1] if "\n" in chunk else ""))
    assert len(results) == len(commands), done.stdout + done.stderr
    return results


def newcomer_shell(run: LocalRun, home: Path) -> dict[str, str]:
    """A terminal in the repository: no PORT and no AWS settings exported, its own home for sbctl's login."""
    inherited = ("PORT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")  # `make test` runs the tests under make
    env = {key: value for key, value in run.env.items() if key not in inherited and not key.startswith("AWS_")}
    return env | {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def tenant_report(run: LocalRun, token: str) -> dict[str, Any]:
    status, report = send_json(f"{run.base_url}/tenant/v1/calls/report?days=7", headers={"Authorization": token})
    assert status == 200, report
    return report  # type: ignore[no-any-return]


def admin_token(run: LocalRun) -> str:
    status, issued = send_json(f"{run.base_url}/local/tenant-token", "POST", {"tenant_id": "demo", "role": "admin"})
    assert status == 200
    return f"Bearer {issued['token']}"


def test_every_printed_example_works_as_printed(run: LocalRun, tmp_path: Path) -> None:
    commands = printed_commands(run.banner)
    kinds = [command.split()[0] for command in commands]
    assert kinds.count("curl") >= 9 and "make" in kinds and kinds.count(".venv/bin/sbctl") == 6, commands

    # When a newcomer pastes every example, in order, into a shell
    results = run_in_shell(commands, newcomer_shell(run, tmp_path))
    outputs = dict(zip(range(len(commands)), results, strict=True))
    failed = [(commands[i], code, text) for i, (code, text) in outputs.items() if code != 0]
    assert failed == []

    def answer(index: int) -> dict[str, Any]:
        return json.loads(outputs[index][1])  # type: ignore[no-any-return]

    # Then the widget session gets the pricing page's agent, Jane Doe her concierge, the completion is queued
    assert "prices" in answer(0)["prompt"]
    assert "Jane Doe" in answer(1)["prompt"] and answer(1)["product"] == "storm-base-with-ack"
    assert answer(2) == {"received": True}
    assert '"duration_seconds":95' in commands[2] and '"duration":' not in commands[2]
    # And `make sign` prints a curl for the running port and the tenant's key, which answers too
    signed = outputs[3][1].strip()
    assert signed.startswith(f"curl -sS {run.base_url}/webhooks/"), signed
    status, signed_answer = run_curl(signed)
    assert status == 200 and "receptionist" in signed_answer["prompt"]
    # And the onboarding gives globex a key whose webhook_url is a capability of this run
    assert answer(4)["tenant"]["tenant_id"] == "globex"
    assert re.fullmatch(rf"{re.escape(run.base_url)}/webhooks/[A-Za-z0-9_-]{{32}}", answer(5)["webhook_url"])
    # And the tenant API session reads, edits with the ETag it read, shows the draft and publishes it
    settings_read = outputs[7][1]
    assert settings_read.startswith("HTTP/1.1 200") and re.search(r"(?im)^etag: \"\d+\"", settings_read)
    assert answer(9)["item"]["variables"]["company_name"] == "Acme Dental Care"
    assert answer(10)["changes"] and answer(11)["version"] >= 2
    assert "as admin of tenant demo" in outputs[12][1]  # sbctl login --local says whom it signed in as
    assert "vip-concierge" in outputs[14][1]  # the operator's simulate of Jane Doe's call

    # And the completion is recorded: the console's Calls page (the tenant API's report) counts its 2 minutes today
    token = admin_token(run)
    today = eventually(lambda: _today(run, token), "the printed completion counted today", every_s=0.25)
    assert today["sessions"] >= 2, today
    report = tenant_report(run, token)
    assert report["minutes"] >= 2 and report["cost_cents"] >= 18

    # And `sbctl calls report`, as printed, says the same numbers (once the last decisions have landed)
    def same_numbers() -> str | None:
        code, text = run_in_shell([commands[13], commands[15]], newcomer_shell(run, tmp_path))[1]
        shown = tenant_report(run, token)
        same = f"Sessions {shown['sessions']} " in text and f"minutes {shown['minutes']:g};" in text
        return text if code == 0 and same else None

    eventually(same_numbers, "sbctl calls report saying the console's numbers", every_s=0.25)


def _today(run: LocalRun, token: str) -> dict[str, Any] | None:
    """Today's row of the Calls page, once the printed completion (call 1001: 95 s, 2 minutes) is counted."""
    status, call_minutes = send_json(f"{run.base_url}/tenant/v1/calls/report?days=1", headers={"Authorization": token})
    if status != 200 or call_minutes["minutes"] < 2:
        return None
    return call_minutes["daily"][-1]  # type: ignore[no-any-return]


def test_a_fresh_demo_has_a_week_of_calls_to_show(run: LocalRun) -> None:
    token = admin_token(run)
    report = eventually(
        lambda: (r := tenant_report(run, token))["sessions"] >= 50 and r, "a week of demo calls", every_s=0.25
    )
    # Calls on most days of the week, by phone and web, with their minutes and costs
    assert sum(day["sessions"] > 0 for day in report["daily"]) >= 5
    assert report["by_channel"]["phone"] >= 20 and report["by_channel"]["web"] >= 10
    assert report["minutes"] > 100 and report["cost_cents"] > 1000
    # A few fallbacks (the morning the CRM credential was missing)
    assert report["fallback_by_reason"] and report["fallback_by_reason"][0]["reason"] == "tool_secret_unavailable"
    # The greeting test's both variants, with enough completions and grades for the A/B card to say something
    [experiment] = [e for e in report["experiments"] if e["rule_id"] == "greeting-test"]
    variants = {variant["variant"]: variant for variant in experiment["variants"]}
    assert set(variants) == {"A", "B"}
    assert all(v["with_outcome"] >= 10 and v["graded"] >= 5 for v in variants.values()), variants
    assert variants["B"]["completion_vs_baseline"] is not None
    # And the draft's impact has recent calls to replay
    status, impact = send_json(f"{run.base_url}/tenant/v1/draft/impact?days=7", headers={"Authorization": token})
    assert status == 200 and impact["calls_checked"] >= 50


def test_the_terminal_shows_one_line_per_request_and_the_json_goes_to_the_log(run: LocalRun) -> None:
    pricing = next(line.strip() for line in run.banner.splitlines() if line.strip().startswith("curl "))
    path = shlex.split(pricing)[2].removeprefix(run.base_url)
    body = sample_body(event_type="web.incoming", call_id=4242, from_number="web", to_number="")
    assert run_curl(curl_command(run.base_url, path, body, DEFAULT_SIGNING_SECRET))[0] == 200
    assert run_curl(curl_command(run.base_url, path, body, DEFAULT_SIGNING_SECRET).replace("4242", "4243"))[0] == 401
    send_json(f"{run.base_url}/tenant/v1/customers/%2B14155550100", headers={"Authorization": admin_token(run)})

    # Then each request is one line a person can read: time, what, tenant, channel, what was decided, status, ms
    answered = run.wait_for_output(lambda line: "pricing-page -> web-pricing" in line)
    assert answered is not None, run.output
    assert re.fullmatch(r"\d\d:\d\d:\d\d  webhook +demo +web +pricing-page -> web-pricing +200 +\d+ ms", answered)
    refused = run.wait_for_output(lambda line: "refused: bad signature" in line)
    assert refused is not None and re.search(r" 401 +\d+ ms$", refused)
    customer = run.wait_for_output(lambda line: "/tenant/v1/customers/" in line)
    assert customer is not None and "+1415*****00" in customer and "+14155550100" not in customer
    assert re.search(r"tenant API +demo +admin +GET", customer)
    # And no JSON reaches the terminal: the answer lines, with their decision and metrics, are in the log file
    assert not [line for line in run.output if line.lstrip().startswith("{")]
    log = (run.state_dir / "logs" / "switchboard.log").read_text()
    [line] = [json.loads(line) for line in log.splitlines() if '"call_id":4242' in line and '"decision"' in line]
    assert line["decision"]["rule_id"] == "pricing-page" and line["_aws"]["CloudWatchMetrics"]


def test_requests_at_once_each_get_their_own_answer(run: LocalRun) -> None:
    # Given the console's way of loading a page: several tenant API reads at once (in AWS each container answers
    # one request at a time; the local front serves each request on its own thread)
    token = admin_token(run)
    paths = ["/tenant/v1/versions/1", "/tenant/v1/settings", "/tenant/v1/profiles", "/tenant/v1/rules"] * 10

    def read(path: str) -> tuple[str, int, Any]:
        status, body = send_json(f"{run.base_url}{path}", headers={"Authorization": token})
        return path, status, body

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(read, paths))

    # Then every request is answered as if it had come alone: no request is answered with another's path
    assert [(path, status) for path, status, _ in answers] == [(path, 200) for path in paths]
    for path, _, body in answers:
        expected = {"/tenant/v1/versions/1": "version", "/tenant/v1/settings": "timezone"}.get(path, "items")
        assert expected in body, (path, body)


def test_a_tampered_body_is_refused(run: LocalRun) -> None:
    command = next(line.strip() for line in run.banner.splitlines() if line.strip().startswith("curl "))
    tampered = re.sub(r'"call_id":\d+', '"call_id":999', command)
    assert run_curl(tampered) == (401, {"error": "unauthorized"})


def test_local_run_onboards_a_tenant_whose_key_then_gets_answers(run: LocalRun) -> None:
    def admin(path: str, body: dict[str, object]) -> dict[str, Any]:
        status, answer = send_json(run.base_url + path, "POST", body)
        assert status in (200, 201), answer
        return answer  # type: ignore[no-any-return]

    # Given a tenant onboarded and a widget key created through the admin API (fake ThunderPhone behind it)
    admin("/admin/tenants", {"tenant_id": "initech", "display_name": "Initech", "timezone": "Europe/Paris"})
    key = admin("/admin/tenants/initech/keys", {"name": "Main site", "allowed_domains": ["initech.example"]})
    assert str(key["key"]).startswith("pk_live_")
    assert re.fullmatch(rf"{re.escape(run.base_url)}/webhooks/[A-Za-z0-9_-]{{32}}", str(key["webhook_url"]))

    # When ThunderPhone calls the key's webhook_url for a widget session
    body = sample_body(event_type="web.incoming", call_id=77, from_number="web", to_number="")
    path = str(key["webhook_url"]).removeprefix(run.base_url)
    status, answer = run_curl(curl_command(run.base_url, path, body, DEFAULT_SIGNING_SECRET))

    # Then the tenant's default profile answers, its name rendered into the prompt
    assert status == 200 and "Initech" in str(answer["prompt"])


def test_a_second_run_on_the_same_state_is_refused_in_one_sentence(run: LocalRun) -> None:
    env = local_environment(run.state_dir, free_port())
    done = subprocess.run(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"Another `make run` at {run.base_url} is using the state" in done.stderr
    assert "LOCAL_STATE_DIR=" in done.stderr


def test_a_busy_port_is_one_sentence_that_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = local_environment(tmp_path / "state", port)
        done = subprocess.run(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"Port {port} is already in use" in done.stderr and "PORT=8790 make run" in done.stderr


def test_settings_from_the_environment_win_and_json_mode_prints_the_json(tmp_path: Path) -> None:
    # Given a run with a cache that keeps nothing, printing the JSON lines as Lambda would
    with local_run(env={"CACHE_TTL_SECONDS": "0", "LOG_FORMAT": "json"}) as run:
        # Then the banner says which settings it took from the environment
        assert "CACHE_TTL_SECONDS=0," in run.banner and "CACHE_TTL_SECONDS=0 (local default)" not in run.banner
        assert "DECISION_SETTLE_SECONDS=10 (local default)" in run.banner
        pricing = next(line.strip() for line in run.banner.splitlines() if line.strip().startswith("curl "))
        assert run_curl(pricing)[0] == 200
        # And a published edit is live on the very next call (3 s of cache when the run chose)
        token = admin_token(run)
        status, settings = send_json(f"{run.base_url}/tenant/v1/settings", headers={"Authorization": token})
        variables = {**settings["variables"], "company_name": "Acme Dental Care"}
        headers = {"Authorization": token, "If-Match": f'"{settings["version"]}"'}
        status, saved = send_json(f"{run.base_url}/tenant/v1/settings", "PATCH", {"variables": variables}, headers)
        assert status == 200, saved
        assert send_json(f"{run.base_url}/tenant/v1/draft/publish", "POST", headers={"Authorization": token})[0] == 201
        path = shlex.split(pricing)[2].removeprefix(run.base_url)
        body = sample_body(event_type="web.incoming", call_id=5001, from_number="web", to_number="")
        status, answer = run_curl(curl_command(run.base_url, path, body, DEFAULT_SIGNING_SECRET))
        assert "Acme Dental Care" in answer["prompt"]
        # And the terminal shows the JSON answer lines themselves, no human lines
        line = run.wait_for_output(lambda text: '"call_id":5001' in text and '"decision"' in text)
        assert line is not None and json.loads(line)["decision"]["rule_id"] == "pricing-page"
        assert not (run.state_dir / "logs" / "switchboard.log").exists()


def test_a_restart_keeps_urls_edits_history_and_sign_ins(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = free_port()
    with local_run(state_dir=state, port=port) as first:
        saved_curls = [line.strip() for line in first.banner.splitlines() if line.strip().startswith("curl -sS http")]
        token = admin_token(first)
        before = tenant_report(first, token)["sessions"]
        assert run_curl(saved_curls[0])[0] == 200  # a widget session: its decision goes to the calls table
        history = eventually(
            lambda: (report := tenant_report(first, token))["sessions"] > before and report,
            "the widget session recorded",
            every_s=0.25,
        )
        status, settings = send_json(f"{first.base_url}/tenant/v1/settings", headers={"Authorization": token})
        variables = {**settings["variables"], "company_name": "Acme Dental Care"}
        headers = {"Authorization": token, "If-Match": f'"{settings["version"]}"'}
        assert send_json(f"{first.base_url}/tenant/v1/settings", "PATCH", {"variables": variables}, headers)[0] == 200
        status, published = send_json(
            f"{first.base_url}/tenant/v1/draft/publish", "POST", headers={"Authorization": token}
        )
        assert status == 201
        # While it runs, `make reset` refuses to pull its state away
        reset = subprocess.run(
            ["python3", "-m", "local.reset"], cwd=ROOT, env=first.env, capture_output=True, text=True, check=False
        )
        assert reset.returncode == 1 and "stop it" in reset.stderr
        assert first.stop() == 0
    assert "Stopped" in "\n".join(first.output)

    # When it is started again on the same folder
    with local_run(state_dir=state, port=port) as second:
        assert "Restored the state" in second.banner and "First start" not in second.banner
        # Then a saved curl (the pricing widget's) still answers, with the published edit live
        status, answer = run_curl(saved_curls[0])
        assert status == 200 and "Acme Dental Care" in answer["prompt"]
        # And the same webhook URLs are printed, the sign-in still works, and the history is all there
        assert [line for line in second.banner.splitlines() if "/webhooks/" in line and "curl" not in line] == [
            line for line in first.banner.splitlines() if "/webhooks/" in line and "curl" not in line
        ]
        status, versions = send_json(f"{second.base_url}/tenant/v1/versions", headers={"Authorization": token})
        assert status == 200 and published["version"] in [version["version"] for version in versions["versions"]]
        again = tenant_report(second, token)
        assert again["sessions"] >= history["sessions"] and again["minutes"] >= history["minutes"]
    # And `make reset` starts clean
    reset = subprocess.run(
        ["python3", "-m", "local.reset"], cwd=ROOT, env=second.env, capture_output=True, text=True, check=False
    )
    assert reset.returncode == 0, reset.stderr
    assert not (state / "state.json").exists()


def test_sign_runs_with_the_system_python_and_the_running_port(run: LocalRun) -> None:
    body = (
        '{"data":{"call_id":4300,"from_number":"+12125550199","to_number":"+15550100200"},"type":"telephony.incoming"}'
    )
    env = {key: value for key, value in run.env.items() if key != "PORT"}
    # -S: no site-packages, so nothing but the standard library can be imported, like a bare system Python
    done = subprocess.run(
        [sys.executable, "-S", "-m", "local.sign", body], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    org = re.search(r"^\s*org-level\s+(\S+)", run.banner, re.MULTILINE)
    assert org is not None
    assert done.stdout.startswith(
        f"curl -sS {org.group(1)} "
    )  # a phone call goes to the org-level URL, on the run's port
    status, answer = run_curl(done.stdout.strip())
    assert status == 200 and "Acme Dental" in answer["prompt"]
