"""Webhook benchmark: warm and cache-miss latency, cold import cost, AWS calls per request.

Runs the real handler in-process against the moto server of the local run (AWS over loopback HTTP).
Prints the figures and writes bench/results/webhook.json. Not a test: nothing here asserts.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import cold, warm
from bench.figures import summary

RESULTS = Path(__file__).parent / "results" / "webhook.json"
SIGNING_SECRET = "whsec_bench"


def import_seconds(statement: str, runs: int = 7) -> float:
    """Median wall time of `statement` in a fresh interpreter (what a Lambda cold start pays)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"}
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def main() -> dict[str, Any]:
    """Start moto, seed the demo tenant, measure, write the results file."""
    from local import emulator
    from local.examples import sample_body
    from tests.fixtures import tenants as demo
    from tests.fixtures.apigw import LambdaContext, to_event

    server, _ = emulator.start_moto()
    os.environ.update(emulator.function_environment())
    os.environ["CACHE_TTL_SECONDS"] = "60"  # the deployed default: warm means warm for the whole run
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"  # as deployed: the answer lines are the decision log
    calls_table = os.environ.pop("CALLS_TABLE_NAME")  # first without the decision log
    tokens = emulator.provision(signing_secret=SIGNING_SECRET, thunderphone_api_key="sk_live_bench")
    try:
        import boto3

        from functions.common import dynamo, table
        from functions.thunderphone.signing import sign
        from functions.webhook import handler
        from functions.webhook.dependencies import deps

        def event(body: bytes, path: str) -> dict[str, Any]:
            headers = {"content-type": "application/json", "x-thunderphone-signature": sign(body, SIGNING_SECRET)}
            return to_event("POST", path, headers, body, "127.0.0.1")

        def vip_body(call_id: int) -> bytes:
            return sample_body(
                event_type="telephony.incoming",
                call_id=call_id,
                from_number=demo.VIP_CALLER,
                to_number=demo.DEMO_NUMBER,
            )

        def signed(body: bytes) -> tuple[bytes, str]:
            return body, sign(body, SIGNING_SECRET)

        def vip_call(call_id: int) -> dict[str, Any]:
            return event(vip_body(call_id), f"/webhooks/{tokens['key']}")

        web = sample_body(event_type="web.incoming", call_id=2, from_number="web", to_number="")
        vip_event, web_event = vip_call(1), event(web, f"/webhooks/{tokens['pricing']}")
        cold_figures = cold.measure(vip_call(3), cold_plan(tokens["key"]))
        context: Any = LambdaContext(function_name="webhook", remaining_ms=3000)  # duck-typed, as Powertools reads it
        calls: Counter[str] = Counter()

        def count(model: Any, **_: Any) -> None:
            calls[f"{model.service_model.service_name}.{model.name}"] += 1

        def timed(evt: dict[str, Any]) -> float:
            started = time.perf_counter()
            response = handler.lambda_handler(evt, context)
            elapsed = (time.perf_counter() - started) * 1000
            if response["statusCode"] != 200 or response["body"] == "{}":
                raise SystemExit(f"benchmark request did not get a config: {response}")
            return elapsed

        # Each request's log line (the decision log) and EMF metrics are written, as in Lambda, to /dev/null.
        with quiet_stdout():
            deps.store.client.meta.events.register("before-call", count)
            deps.secrets.client.meta.events.register("before-call", count)
            figures = measure(timed, vip_event, web_event, calls, deps.store)

            # New calls (a fresh call_id each, as every real call has): answered from the caches alone.
            new_calls = [vip_call(call_id) for call_id in range(10_000, 10_500)]
            calls.clear()
            figures["new_calls"] = [timed(evt) for evt in new_calls]
            figures["new_call_aws_calls"] = sum(calls.values()) / len(new_calls)

            os.environ["CALLS_TABLE_NAME"] = calls_table  # the decision recorder's
            reader = boto3.client("dynamodb")

            def decided(call_id: int) -> bool:
                key = dynamo.key(table.tenant_pk(demo.TENANT_ID), table.call_sk(call_id))
                item = reader.get_item(TableName=calls_table, Key=key).get("Item")
                return item is not None and "decided_at" in item

            figures["decision_delay"] = warm.decision_delay(lambda call_id: timed(vip_call(call_id)), decided)
        figures["http"] = warm.compare(
            lambda call_id: signed(vip_body(call_id)), f"/webhooks/{tokens['key']}", SIGNING_SECRET
        )
    finally:
        server.stop()
    return report(figures | {"cold": cold_figures})


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """stdout to /dev/null at the file-descriptor level: Powertools' log handler holds the real sys.stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            with contextlib.redirect_stdout(sink):
                yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def cold_plan(route_token: str) -> dict[str, Any]:
    """What the bare cold-start reference reads: the same items and secrets as the handler's first answer."""
    from functions.common import dynamo, table
    from local import emulator
    from tests.fixtures import tenants as demo

    keys = [
        (table.route_pk(route_token), table.ROUTE_SK),
        (table.tenant_pk(demo.TENANT_ID), table.LIVE_SK),
        (table.tenant_pk(demo.TENANT_ID), table.customer_sk(demo.VIP_CALLER)),
    ]
    return {
        "table": emulator.TABLE_NAME,
        "keys": [dynamo.key(pk, sk) for pk, sk in keys],
        "signing_secret": emulator.SIGNING_SECRET_NAME,
        "tool_secret": emulator.TOOL_SECRET_PREFIX + demo.TENANT_ID,
    }


def measure(
    timed: Any, vip_event: dict[str, Any], web_event: dict[str, Any], calls: Counter[str], store: Any
) -> dict[str, Any]:
    first_call_ms = timed(vip_event)
    cold_calls = dict(calls)
    calls.clear()
    for _ in range(50):  # warm-up (the widget's URL has a route of its own: its first lookup is cold)
        timed(vip_event)
        timed(web_event)
    calls.clear()
    warm_phone = [timed(vip_event) for _ in range(2000)]
    warm_web = [timed(web_event) for _ in range(2000)]
    warm_calls = sum(calls.values()) / 4000
    misses: list[float] = []
    calls.clear()
    for _ in range(300):
        store._configs.clear()
        store._customers.clear()
        misses.append(timed(vip_event))
    return {
        "first_call_ms": first_call_ms,
        "cold_calls": cold_calls,
        "warm_phone": warm_phone,
        "warm_web": warm_web,
        "warm_calls": warm_calls,
        "misses": misses,
        "miss_calls": {key: value / 300 for key, value in calls.items()},
    }


def report(figures: dict[str, Any]) -> dict[str, Any]:
    results = {
        "what": "webhook handler in-process; AWS = moto server on loopback (HTTP round trips, no network)",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "first_request_ms (cold caches, warm interpreter)": round(figures["first_call_ms"], 1),
        "warm_cache_hit_phone_vip": summary(figures["warm_phone"]),
        "warm_cache_hit_web_widget": summary(figures["warm_web"]),
        "cache_miss_phone_vip (configuration+plan BatchGetItem and customer GetItem, in parallel)": summary(
            figures["misses"]
        ),
        "aws_calls_first_request": figures["cold_calls"],
        "aws_calls_per_warm_request": figures["warm_calls"],
        "aws_calls_per_cache_miss": figures["miss_calls"],
        "warm_new_call (fresh call_id, decision logged, not written)": summary(figures["new_calls"]),
        "aws_calls_per_new_call": figures["new_call_aws_calls"],
        "warm_new_call_over_http (fresh process each side, keep-alive loopback)": figures["http"],
        "decision_queryable_after_answer": figures["decision_delay"],
        "cold_answer (fresh process: spawn to first answer)": figures["cold"],
        "cold_import_s": {
            "import boto3": round(import_seconds("import boto3"), 3),
            "import functions.webhook.handler": round(import_seconds("import functions.webhook.handler"), 3),
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return results


if __name__ == "__main__":
    main()
