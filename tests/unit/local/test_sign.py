"""`python3 -m local.sign` from the repository's root, with nothing but the standard library (python -S: no
site-packages), reading the webhook URLs and the port the local run kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from functions.thunderphone.signing import sign

ROOT = Path(__file__).resolve().parents[3]
TOKENS = {"key": "k" * 32, "pricing": "p" * 32, "org": "o" * 32}
PHONE = '{"data":{"call_id":7,"from_number":"+12125550142","to_number":"+15550100200"},"type":"telephony.incoming"}'
WEB = '{"data":{"call_id":8,"from_number":"web","to_number":""},"type":"web.incoming"}'


def run_sign(folder: Path, *args: str, port: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PORT", "THUNDERPHONE_WEBHOOK_SECRET")}
    env |= {"LOCAL_STATE_DIR": str(folder)} | ({"PORT": port} if port else {})
    return subprocess.run(
        [sys.executable, "-S", "-m", "local.sign", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def kept(folder: Path, *, running_on: int | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "state.json").write_text(json.dumps({"format": 1, "tokens": TOKENS}))
    if running_on is not None:  # this test's own process stands in for the running server
        run = {"pid": os.getpid(), "port": running_on, "base_url": f"http://127.0.0.1:{running_on}"}
        (folder / "run.json").write_text(json.dumps(run))
    return folder


def test_a_phone_call_is_signed_for_the_org_level_url_of_the_running_port(tmp_path: Path) -> None:
    done = run_sign(kept(tmp_path, running_on=8791), PHONE)
    assert done.returncode == 0, done.stderr
    expected = f"curl -sS http://127.0.0.1:8791/webhooks/{TOKENS['org']} -H 'Content-Type: application/json' "
    assert done.stdout.startswith(expected)
    assert f"X-ThunderPhone-Signature: {sign(PHONE.encode(), 'whsec_local_demo_secret')}" in done.stdout


def test_a_widget_session_goes_to_the_key_and_port_wins_over_the_running_server(tmp_path: Path) -> None:
    done = run_sign(kept(tmp_path, running_on=8791), WEB, port="8795")
    assert done.stdout.startswith(f"curl -sS http://127.0.0.1:8795/webhooks/{TOKENS['key']} "), done.stderr
    chosen = run_sign(kept(tmp_path / "not-running"), WEB, "--route", "pricing")
    assert chosen.stdout.startswith(f"curl -sS http://127.0.0.1:8787/webhooks/{TOKENS['pricing']} ")


def test_without_a_kept_state_it_says_what_to_do(tmp_path: Path) -> None:
    done = run_sign(tmp_path / "nothing-yet", WEB)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "start `make run` once" in done.stderr and "--path /webhooks/<token>" in done.stderr
    given = run_sign(tmp_path / "nothing-yet", WEB, "--path", "/webhooks/abc")
    assert given.stdout.startswith("curl -sS http://127.0.0.1:8787/webhooks/abc ")
