"""Fairness benchmark: what other callers cost a tenant's answers, against the same answers unloaded.

    python -m bench.fairness [--misses 200] [--flood-threads 32] [--read-ms 10]

1. Made-up tokens. A tenant's cache misses (a caller not cached yet: one customer read), first alone, then
   while a flood of signed calls to made-up tokens runs beside them (each a route read that finds nothing).
   The flood runs twice: with every route read in one loader group (this code), and with a group per route
   read (how reads were grouped before; emulated by renaming the group at the loader). Goal: the misses under
   the flood within 2x of the misses alone.
2. Secret expiry. Warm answers from concurrent callers over a run spanning several expiries of the cache time
   (of the signing secret and tool credentials, as of everything else), against the same run with nothing
   expiring: their p50 and p99, and how many times the secrets were read.

The real handler runs in-process against the moto server of the local run (AWS over loopback HTTP). Every
DynamoDB read and Secrets Manager read is made `--read-ms` slower, as a real service's round trip is (moto
on loopback answers in about 2 ms, which would hide the queueing being measured). Prints the figures and
writes bench/results/fairness.json. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.figures import percentile, summary
from bench.webhook import quiet_stdout

RESULTS = Path(__file__).parent / "results" / "fairness.json"
SIGNING_SECRET = "whsec_bench_fairness"
WARMUP_MISSES = 20
SECRET_TTL_S = 2  # the cache time in the expiry run; the reference run's outlasts the run
SECRET_RUN_S = 10.0
SECRET_CALLERS = 8


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", type=int, default=200)
    parser.add_argument("--flood-threads", type=int, default=32)
    parser.add_argument("--read-ms", type=float, default=10.0)
    args = parser.parse_args(argv)

    from local import emulator

    server, _ = emulator.start_moto()
    os.environ.update(emulator.function_environment())
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"  # as deployed: the answer lines are the decision log
    os.environ.pop("CALLS_TABLE_NAME")  # no decision recording: the answers alone are measured
    tokens = emulator.provision(signing_secret=SIGNING_SECRET, thunderphone_api_key="sk_live_bench")
    try:
        with quiet_stdout():
            flood = measure_flood(tokens["key"], args.misses, args.flood_threads, args.read_ms / 1000)
            expiry = measure_secret_expiry(tokens["key"], args.read_ms / 1000)
    finally:
        server.stop()
    return report(flood, expiry, args)


class Reads:
    """The webhook's AWS calls, each made `read_s` slower (a service's round trip: it waits, holding no CPU and
    no GIL), counted by operation and by whether an answer's own thread made it (rather than the store's
    loader), with the route reads in flight and their peak."""

    def __init__(self, read_s: float) -> None:
        self.calls: Counter[str] = Counter()
        self.on_answer_threads: Counter[str] = Counter()
        self.routes_in_flight = 0
        self.routes_peak = 0
        self._read_s = read_s
        self._lock = threading.Lock()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        """botocore's before-parameter-build event: `params` are the operation's own (Key, SecretId)."""
        from functions.common import table

        route = str(params.get("Key", {}).get(table.PARTITION_KEY, {}).get("S", "")).startswith(table.ROUTE_PREFIX)
        operation = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.calls[operation] += 1
            if not threading.current_thread().name.startswith("store-loader"):
                self.on_answer_threads[operation] += 1
            if route:
                self.routes_in_flight += 1
                self.routes_peak = max(self.routes_peak, self.routes_in_flight)
        time.sleep(self._read_s)
        if route:
            with self._lock:
                self.routes_in_flight -= 1

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.on_answer_threads.clear()
            self.routes_peak = self.routes_in_flight


def configure(ttl_s: int, read_s: float) -> Reads:
    """A fresh webhook (settings from the environment) whose AWS reads each take `read_s` longer."""
    from functions.webhook.dependencies import deps

    os.environ["CACHE_TTL_SECONDS"] = str(ttl_s)
    deps.reset()
    reads = Reads(read_s)
    deps.store.client.meta.events.register("before-parameter-build", reads)
    deps.secrets.client.meta.events.register("before-parameter-build", reads)
    return reads


def signed_call(path: str, call_id: int, caller: str) -> dict[str, Any]:
    from local.examples import sample_body
    from tests.fixtures import tenants as demo
    from tests.fixtures.apigw import signed_event

    body = sample_body(event_type="telephony.incoming", call_id=call_id, from_number=caller, to_number=demo.DEMO_NUMBER)
    return signed_event(path, body, secret=SIGNING_SECRET)


def timed_answer(event: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from functions.webhook.handler import lambda_handler
    from tests.fixtures.apigw import LambdaContext

    context: Any = LambdaContext(function_name="webhook", remaining_ms=3000)  # duck-typed, as Powertools reads it
    started = time.perf_counter()
    response = lambda_handler(event, context)
    return (time.perf_counter() - started) * 1000, response


def measure_flood(key_token: str, misses: int, flood_threads: int, read_s: float) -> dict[str, Any]:
    from functions.webhook.dependencies import deps

    path = f"/webhooks/{key_token}"
    callers = (f"+1415{n:07d}" for n in range(1_000_000, 9_999_999))  # callers no cache has seen

    def misses_ms(count: int) -> list[float]:
        samples = []
        for call_id in range(count):
            elapsed, response = timed_answer(signed_call(path, 50_000 + call_id, next(callers)))
            if response["statusCode"] != 200 or response["body"] == "{}":
                raise SystemExit(f"a cache miss did not get a config: {response}")
            samples.append(elapsed)
        return samples

    runs = {"alone": (0, False), "flood_one_group_for_routes": (flood_threads, False)}
    runs["flood_a_group_per_route (as before)"] = (flood_threads, True)
    figures: dict[str, Any] = {}
    for run, (threads, group_per_route) in runs.items():
        reads = configure(600, read_s)
        timed_answer(signed_call(path, 1, next(callers)))  # the route and the configuration cached
        with group_each_route(deps.store.loader, group_per_route), flooding(threads) as flood:
            misses_ms(WARMUP_MISSES)
            reads.clear()
            samples = misses_ms(misses)
        figures[run] = {
            "miss_ms": summary(samples),
            "flood_answers": flood.answered,
            "route_reads_in_flight_at_most": reads.routes_peak,
            "reads": dict(reads.calls),
        }
    alone = figures["alone"]["miss_ms"]
    for run in list(runs)[1:]:
        flooded = figures[run]["miss_ms"]
        figures[run]["ratio_to_alone"] = {
            "p50": round(flooded["p50_ms"] / alone["p50_ms"], 2),
            "p99": round(flooded["p99_ms"] / alone["p99_ms"], 2),
        }
    return figures


@contextmanager
def group_each_route(loader: Any, enabled: bool) -> Iterator[None]:
    """Every route read in a loader group of its own, as route reads were grouped before they shared one."""
    if not enabled:
        yield
        return
    from functions.webhook.adapters import ROUTES_GROUP

    submit, numbers = loader.submit, iter(range(10**9))
    loader.submit = lambda group, run: submit(f"route:{next(numbers)}" if group == ROUTES_GROUP else group, run)
    try:
        yield
    finally:
        del loader.submit


class Flood:
    """Threads sending signed calls to made-up tokens (each a 404 once its route is read) until stopped."""

    def __init__(self, threads: int) -> None:
        self.answered = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def _run(self, offset: int) -> None:
        from functions.webhook_routes.model import new_token

        call_id = offset * 1_000_000
        while not self._stop.is_set():
            call_id += 1
            _, response = timed_answer(signed_call(f"/webhooks/{new_token()}", call_id, "+14155550100"))
            if response["statusCode"] != 404:
                raise SystemExit(f"a made-up token was not a 404: {response}")
            with self._lock:
                self.answered += 1


@contextmanager
def flooding(threads: int) -> Iterator[Flood]:
    flood = Flood(threads)
    for thread in flood._threads:
        thread.start()
    if threads:
        time.sleep(0.5)  # the flood under way before the first miss
    try:
        yield flood
    finally:
        flood._stop.set()
        for thread in flood._threads:
            thread.join()


def measure_secret_expiry(key_token: str, read_s: float) -> dict[str, Any]:
    """Warm answers from SECRET_CALLERS threads for SECRET_RUN_S: first with a cache time longer than the run
    (the reference), then with one that expires every SECRET_TTL_S (secrets, routes and items alike)."""
    figures = {"reference (nothing expires)": answers_over(key_token, 600, read_s)}
    figures[f"expiring every {SECRET_TTL_S} s"] = expiring = answers_over(key_token, SECRET_TTL_S, read_s)
    reference = figures["reference (nothing expires)"]["answers_ms"]
    expiring["ratio_to_reference"] = {
        "p50": round(expiring["answers_ms"]["p50_ms"] / reference["p50_ms"], 2),
        "p99": round(expiring["answers_ms"]["p99_ms"] / reference["p99_ms"], 2),
    }
    return {"callers": SECRET_CALLERS, "run_s": SECRET_RUN_S, **figures}


def answers_over(key_token: str, ttl_s: int, read_s: float) -> dict[str, Any]:
    from tests.fixtures import tenants as demo

    path = f"/webhooks/{key_token}"
    reads = configure(ttl_s, read_s)
    timed_answer(signed_call(path, 1, demo.VIP_CALLER))  # everything cached
    samples: list[float] = []
    lock = threading.Lock()
    ends = time.monotonic() + SECRET_RUN_S
    reads.clear()

    def caller(offset: int) -> None:
        call_id = offset * 1_000_000
        while time.monotonic() < ends:
            call_id += 1
            elapsed, response = timed_answer(signed_call(path, call_id, demo.VIP_CALLER))
            if response["statusCode"] != 200 or response["body"] == "{}":
                raise SystemExit(f"a warm answer failed: {response}")
            with lock:
                samples.append(elapsed)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(SECRET_CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "answers_ms": summary(samples) | {"p999_ms": round(percentile(samples, 0.999), 3)},
        "secret_reads": reads.calls["secretsmanager.GetSecretValue"],
        "secret_reads_on_an_answers_thread": reads.on_answer_threads["secretsmanager.GetSecretValue"],
        "table_reads": reads.calls["dynamodb.GetItem"] + reads.calls["dynamodb.BatchGetItem"],
    }


def report(flood: dict[str, Any], expiry: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    results = {
        "what": "webhook handler in-process; AWS = moto server on loopback, each read made --read-ms slower",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "read_ms_added": args.read_ms,
        "made_up_token_flood": {"flood_threads": args.flood_threads, "misses": args.misses, **flood},
        "signing_secret_expiry": expiry,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
