"""Cold-start benchmark: a fresh interpreter answering its first signed call, against a bare reference.

Both sides run as fresh processes, alternating, against the same moto server on loopback (AWS = HTTP round
trips, no network), and answer the same signed VIP phone call:
- switchboard: imports `functions.webhook.handler` (the Lambda INIT) and calls `lambda_handler` once;
- bare: plain boto3 (one session, two clients) making the same AWS calls, an HMAC check and a json.dumps;
- bare plus models: the same, after importing the pydantic models the webhook validates with (what pydantic
  alone costs a cold start, before any of Switchboard's own work).
The figure is wall time from spawning the process to its answer (interpreter start-up included on both
sides, as Lambda's INIT includes it). Run again with each child held to a 1024 MB Lambda's CPU share
(1024/1769 of a vCPU) by a cgroup CPU quota, where the machine allows one.

Prints the figures and returns them for bench/__main__.py; not a test: nothing here asserts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNS = 9
LAMBDA_1024_MB_CPU = 1024 / 1769  # Lambda gives one full vCPU at 1,769 MB, in proportion below it

SWITCHBOARD = """
import json, sys, time
from functions.webhook.handler import lambda_handler
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "webhook", 1024, "cold-bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:webhook"
    def get_remaining_time_in_millis(self): return 3000
event = json.load(open(sys.argv[1]))
response = lambda_handler(event, Context())
sys.stdout.write("ANSWER " + response["body"] + "\\n"); sys.stdout.flush()
"""

# The bare reference: what any handler answering this call must do, written as plainly as boto3 allows.
BARE = """
import hashlib, hmac, json, sys, zlib
import boto3
plan = json.load(open(sys.argv[1]))
session = boto3.session.Session()
dynamodb, secrets = session.client("dynamodb"), session.client("secretsmanager")
event = plan["event"]
body = event["body"].encode()
secret = secrets.get_secret_value(SecretId=plan["signing_secret"])["SecretString"]
if secret.startswith(("[", "{")):  # rotation: a list of secrets, current first
    parsed = json.loads(secret)
    secret = (parsed["secrets"] if isinstance(parsed, dict) else parsed)[0]
expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
assert hmac.compare_digest(expected, event["headers"]["x-thunderphone-signature"])
call = json.loads(body)
items = [dynamodb.get_item(TableName=plan["table"], Key=key).get("Item") for key in plan["keys"]]
config = json.loads(zlib.decompress(items[1]["config"]["B"]))
tools = json.loads(secrets.get_secret_value(SecretId=plan["tool_secret"])["SecretString"])
answer = {"prompt": str(config)[:200], "call": call["data"]["call_id"], "n": len(tools)}
sys.stdout.write("ANSWER " + json.dumps(answer) + "\\n")
sys.stdout.flush()
"""

# The floor pydantic sets: the bare reference after importing the modules of the models the webhook validates its
# first answer with (importing them builds them), and nothing else of Switchboard's.
WEBHOOK_MODELS = (
    "functions.thunderphone.events",
    "functions.thunderphone.agent_config",
    "functions.tenant_config.models",
    "functions.webhook_routes.model",
)
BARE_WITH_MODELS = f"import {', '.join(WEBHOOK_MODELS)}\n" + BARE


def cpu_quota_runner(fraction: float) -> tuple[Callable[[], None] | None, str]:
    """A preexec function putting the child in a cgroup limited to `fraction` of a CPU, or None and why not."""
    period_us = 100_000
    quota_us = int(period_us * fraction)
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    try:
        if v2.exists() and "cpu" in v2.read_text().split():
            group = Path("/sys/fs/cgroup/switchboard-bench")
            group.mkdir(exist_ok=True)
            (group / "cpu.max").write_text(f"{quota_us} {period_us}")
        else:
            group = Path("/sys/fs/cgroup/cpu/switchboard-bench")
            group.mkdir(exist_ok=True)
            (group / "cpu.cfs_period_us").write_text(str(period_us))
            (group / "cpu.cfs_quota_us").write_text(str(quota_us))
    except OSError as exc:
        return None, f"no cgroup CPU quota on this machine ({type(exc).__name__})"
    procs = group / "cgroup.procs"

    def enter() -> None:
        procs.write_text(str(os.getpid()))

    return enter, f"cgroup {group} at {quota_us}/{period_us} us"


def run_child(code: str, plan_file: str, env: dict[str, str], preexec: Callable[[], None] | None) -> float:
    """Milliseconds from spawn to the answer's line on stdout."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, plan_file],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=preexec,  # noqa: PLW1509 - only writes the child's pid into a cgroup
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    while line and not line.startswith(b"ANSWER "):  # metric lines (EMF) come first
        line = child.stdout.readline()
    elapsed = (time.perf_counter() - started) * 1000
    _, errors = child.communicate()
    if b'"prompt"' not in line:
        raise SystemExit(f"cold benchmark child did not answer with a config: {line[:300]!r} {errors[-2000:]!r}")
    return elapsed


def figures(samples: list[float]) -> dict[str, float]:
    return {"best_ms": round(min(samples), 1), "median_ms": round(statistics.median(samples), 1), "n": len(samples)}


def compare(event_file: str, plan_file: str, env: dict[str, str], preexec: Callable[[], None] | None) -> dict[str, Any]:
    ours: list[float] = []
    bare: list[float] = []
    floor: list[float] = []
    for _ in range(RUNS):  # alternating, so drift on the machine hits every side alike
        ours.append(run_child(SWITCHBOARD, event_file, env, preexec))
        bare.append(run_child(BARE, plan_file, env, preexec))
        floor.append(run_child(BARE_WITH_MODELS, plan_file, env, preexec))
    return {
        "switchboard": figures(ours),
        "bare_boto3": figures(bare),
        "ratio_best": round(min(ours) / min(bare), 2),
        "ratio_median": round(statistics.median(ours) / statistics.median(bare), 2),
        "bare_boto3_plus_webhook_pydantic_models": {
            **figures(floor),
            "ratio_best": round(min(floor) / min(bare), 2),
            "ratio_median": round(statistics.median(floor) / statistics.median(bare), 2),
        },
    }


def measure(event: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """`event`: the signed API Gateway event; `plan`: what the bare reference reads (table, keys, secrets).
    The moto server and the function environment must already be up (os.environ)."""
    # Our code compiled, as the deployed asset ships it (infra/bundling.py) and as the venv's packages are.
    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(root / "functions")],
        check=True,
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "POWERTOOLS_LOG_LEVEL": "INFO"}
    env.pop("CALLS_TABLE_NAME", None)  # the first answer without a decision-log write (see bench/webhook.py)
    with tempfile.TemporaryDirectory() as folder:
        event_file, plan_file = Path(folder) / "event.json", Path(folder) / "plan.json"
        event_file.write_text(json.dumps(event))
        plan_file.write_text(json.dumps({**plan, "event": event}))
        results: dict[str, Any] = {"full_cpu": compare(str(event_file), str(plan_file), env, None)}
        preexec, how = cpu_quota_runner(LAMBDA_1024_MB_CPU)
        results["lambda_1024mb_cpu_share"] = (
            {"how": how, **compare(str(event_file), str(plan_file), env, preexec)} if preexec else {"how": how}
        )
    return results
