"""Load benchmark: many tenants and customers, concurrent signed calls mixed with completions and unsigned
floods, through the local HTTP front (`make run`'s server and handlers) against moto.

    python -m bench.load [--tenants 1000] [--customers 100000] [--seconds 30] [--clients 16]

Prints and writes bench/results/load.json: throughput, p50/p99 per kind of request, answers by outcome and
fallback reason, lost outcome events (completions acknowledged with a 2xx but not stored once the queue is
drained: must be 0), and memory (the process's peak RSS, and each cache's size against its bound).
A reference in the same run: a bare stdlib server doing HMAC + JSON on the same machine and clients.
Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import logging
import os
import platform
import random
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.figures import summary

RESULTS = Path(__file__).parent / "results" / "load.json"
SIGNING_SECRET = "whsec_bench_load"


class Tenant:
    def __init__(self, tenant_id: str, token: str, callers: list[str]) -> None:
        self.tenant_id = tenant_id
        self.path = f"/webhooks/{token}"
        self.callers = callers


def seed(n_tenants: int, n_customers: int) -> list[Tenant]:
    """Tenants (published: the LIVE item publishing writes, and one key route each) and their customers.

    Written straight into the in-process moto backend: 100,000 items through moto's HTTP front would take
    the bench longer than the load itself. The items are the ones the tools write (`to_item`,
    `published_item`), so the router reads exactly what it reads in production."""
    from datetime import UTC, datetime

    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from functions.common import dynamo, table
    from functions.tenant_config.items import to_item
    from functions.tenant_config.live import Snapshot, compile_snapshot, published_item
    from functions.tenant_config.models import AgentProfile, Customer, RoutingRule
    from functions.tenant_config.models import Tenant as TenantModel
    from functions.webhook_routes.model import Route, new_token, route_id
    from functions.webhook_routes.repository import route_item
    from local import emulator

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][emulator.REGION]
    now = datetime.now(UTC)
    per_tenant = max(1, n_customers // n_tenants)
    profiles = {
        "main": AgentProfile(
            profile_id="main",
            prompt="You are the assistant of {{ tenant.name }}. It is {{ call.weekday }} {{ call.local_time }}.",
            voice="en-US-Ava1",
            version=1,
        ),
        "vip": AgentProfile(
            profile_id="vip",
            prompt='You look after {{ customer.name | default("our guest") }}, a {{ customer.segment }} customer.',
            voice="en-US-Ava1",
            version=1,
        ),
    }
    rules = {"vip": RoutingRule(rule_id="vip", priority=10, when={"segments": ["vip"]}, profile_id="vip", version=1)}
    tenants: list[Tenant] = []
    for index in range(n_tenants):
        tenant_id = f"t{index:05d}"
        settings = TenantModel(tenant_id=tenant_id, display_name=f"Tenant {index}", default_profile_id="main")
        live = published_item(
            tenant_id,
            table.LIVE_SK,
            1,
            compile_snapshot(Snapshot(settings, profiles, rules)),
            published_at=now,
            published_by="bench",
            restored_from=None,
            settings=settings,
        )
        backend.put_item(emulator.TABLE_NAME, dynamo.to_attributes(live))
        callers = [f"+1555{index:05d}{n:03d}" for n in range(per_tenant)]
        for n, caller in enumerate(callers):
            customer = Customer(customer_id=caller, name=f"Customer {n}", segment="vip" if n % 10 == 0 else "regular")
            backend.put_item(emulator.TABLE_NAME, dynamo.to_attributes(to_item(tenant_id, customer)))
        token = new_token()
        route = Route(route_id=route_id(token), kind="key", tenant_id=tenant_id, created_at=now)
        backend.put_item(emulator.TABLE_NAME, dynamo.to_attributes(route_item(route)))
        tenants.append(Tenant(tenant_id, token, callers))
    return tenants


def signed(body: bytes) -> dict[str, str]:
    signature = hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-ThunderPhone-Signature": signature}


def body_of(event_type: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "data": data}, separators=(",", ":"), sort_keys=True).encode()


class Load:
    """Client threads, each with one keep-alive connection, drawing a mix of requests until the deadline."""

    def __init__(self, port: int, tenants: list[Tenant], seconds: float, clients: int) -> None:
        self.port = port
        self.tenants = tenants
        self.deadline = time.monotonic() + seconds
        self.clients = clients
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"incoming": [], "completion": [], "unsigned": []}
        self.statuses: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.completions_acknowledged: dict[int, str] = {}  # call_id -> tenant
        self.next_call = 10_000_000

    def call_id(self) -> int:
        with self.lock:
            self.next_call += 1
            return self.next_call

    def run(self) -> float:
        threads = [threading.Thread(target=self.client, args=(seed,)) for seed in range(self.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        answered: list[tuple[Tenant, int]] = []
        while time.monotonic() < self.deadline:
            draw = rng.random()
            if draw < 0.15:  # an unsigned flood request
                tenant = rng.choice(self.tenants)
                self.send(connection, "unsigned", tenant.path, body_of("telephony.incoming", {"call_id": 1}), {})
            elif draw < 0.35 and answered:  # the completion of a call answered earlier
                tenant, call_id = answered.pop(rng.randrange(len(answered)))
                data = {
                    "call_id": call_id,
                    "status": "completed",
                    "direction": "inbound",
                    "duration_seconds": rng.randint(10, 900),
                    "billable_minutes": rng.randint(1, 15),
                    "billing_total_cents": rng.randint(5, 500),
                }
                body = body_of("telephony.complete", data)
                status = self.send(connection, "completion", tenant.path, body, signed(body))
                if 200 <= status < 300:
                    with self.lock:
                        self.completions_acknowledged[call_id] = tenant.tenant_id
            else:  # a new phone call: a known customer most of the time
                tenant = rng.choice(self.tenants)
                caller = rng.choice(tenant.callers) if rng.random() < 0.8 else f"+1999{rng.randrange(10**7):07d}"
                call_id = self.call_id()
                body = body_of("telephony.incoming", {"call_id": call_id, "from_number": caller, "to_number": ""})
                status = self.send(connection, "incoming", tenant.path, body, signed(body))
                if status == 200:
                    answered.append((tenant, call_id))
        connection.close()

    def send(
        self, connection: http.client.HTTPConnection, kind: str, path: str, body: bytes, headers: dict[str, str]
    ) -> int:
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            status, payload = 599, b""
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latency[kind].append(elapsed)
            self.statuses[f"{kind} {status}"] += 1
            if kind == "incoming" and status == 200:
                self.answers["config" if payload not in (b"{}", b"") else "fallback"] += 1
        return status


class ReasonCounter:
    """Counts the webhook's answers by outcome and reason from their log lines (functions/webhook/answer_log.py)."""

    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()
        self._lock = threading.Lock()  # the front's request threads write lines at once

    def __call__(self, line: str) -> None:
        parsed = json.loads(line)
        with self._lock:
            self.reasons[f"{parsed.get('outcome', '?')}: {parsed.get('reason', '?')}"] += 1


def bare_reference(seconds: float, clients: int) -> dict[str, Any]:
    """The floor: a stdlib threading server that checks the HMAC and answers JSON, under the same clients."""

    class Bare(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            expected = hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()
            given = self.headers.get("x-thunderphone-signature") or ""
            ok = hmac.compare_digest(expected, given)
            reply = json.dumps({"prompt": "hello", "voice": "en-US-Ava1"} if ok else {"error": "unauthorized"})
            self.send_response(200 if ok else 401)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply.encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bare)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tenants = [Tenant(f"t{n}", f"bare{n}", [f"+1555000{n:04d}"]) for n in range(100)]
    load = Load(server.server_address[1], tenants, seconds, clients)
    elapsed = load.run()
    server.shutdown()
    incoming = load.latency["incoming"]
    return {"requests_per_s": round(sum(map(len, load.latency.values())) / elapsed, 1), "incoming": summary(incoming)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args(argv)

    from local import emulator
    from local.server import make_request_handler

    moto_server, _ = emulator.start_moto()
    os.environ.update(emulator.function_environment())
    os.environ.update(
        {
            "CACHE_TTL_SECONDS": "60",
            "CACHE_MAX_TENANTS": "1000",
            "CACHE_MAX_CUSTOMERS": "20000",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_METRICS_NAMESPACE": "SwitchboardBench",
            "POWERTOOLS_METRICS_DISABLED": "true",  # no EMF document on stdout per request
        }
    )
    emulator.provision(signing_secret=SIGNING_SECRET, thunderphone_api_key="sk_live_bench")
    print(f"seeding {args.tenants} tenants and {args.customers} customers ...", file=sys.stderr)
    seed_started = time.perf_counter()
    tenants = seed(args.tenants, args.customers)
    seed_s = time.perf_counter() - seed_started

    from functions.common.observability import logger
    from functions.webhook import answer_log
    from functions.webhook.handler import lambda_handler as webhook_handler

    reasons = ReasonCounter()
    for handler in logger.handlers:  # the counter reads the answer lines; no JSON line reaches stdout
        handler.setLevel(logging.CRITICAL)
    drain = emulator.start_outcome_drainer() if hasattr(emulator, "start_outcome_drainer") else None

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_request_handler([("webhook", "/webhooks", webhook_handler)]))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    load = Load(server.server_address[1], tenants, args.seconds, args.clients)
    print(f"loading for {args.seconds:.0f} s with {args.clients} clients ...", file=sys.stderr)
    with answer_log.subscribed(reasons, quiet=True):
        elapsed = load.run()
    server.shutdown()

    lost = count_lost(load.completions_acknowledged, drain)
    results: dict[str, Any] = {
        "what": "local HTTP front + webhook handler in-process; AWS = moto server on loopback",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "tenants": args.tenants,
        "customers": args.customers,
        "seed_s": round(seed_s, 1),
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(sum(map(len, load.latency.values())) / elapsed, 1),
        "incoming": summary(load.latency["incoming"]),
        "completion": summary(load.latency["completion"]) if load.latency["completion"] else None,
        "unsigned": summary(load.latency["unsigned"]),
        "statuses": dict(sorted(load.statuses.items())),
        "answers_by_reason": dict(sorted(reasons.reasons.items())),
        "completions_acknowledged": len(load.completions_acknowledged),
        "completions_lost": lost,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "caches": cache_sizes(),
    }
    print("bare stdlib HMAC + JSON server, same clients ...", file=sys.stderr)
    results["bare_reference"] = bare_reference(min(args.seconds, 10.0), args.clients)
    if drain is not None:
        drain.stop()
    moto_server.stop()
    print(json.dumps(results, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return results


def count_lost(acknowledged: dict[int, str], drain: Any) -> int | None:
    """Completions answered 2xx whose completion is not in the calls table once the queue is drained."""
    import boto3

    from functions.common import table
    from local import emulator

    if drain is not None:
        drain.wait_until_empty(timeout_s=120)
    client = boto3.client("dynamodb")
    lost = 0
    for call_id, tenant_id in acknowledged.items():
        item = client.get_item(
            TableName=emulator.CALLS_TABLE_NAME,
            Key={"pk": {"S": table.tenant_pk(tenant_id)}, "sk": {"S": table.call_sk(call_id)}},
            ConsistentRead=True,
        ).get("Item")
        if not item or "completion_key" not in item:
            lost += 1
    return lost


def cache_sizes() -> dict[str, Any]:
    from functions.webhook.dependencies import deps

    sizes: Callable[[], dict[str, Any]] | None = getattr(deps.store, "cache_sizes", None)
    return sizes() if sizes is not None else {}


if __name__ == "__main__":
    main()
