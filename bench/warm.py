"""Warm benchmark over HTTP: new calls (a fresh call_id each) answered by the local HTTP front, against a bare
stdlib server doing the least any webhook must (read the body, check the HMAC, parse it, answer JSON).

Both servers run as their own processes on loopback, behind the same `http.server.ThreadingHTTPServer`; one
client process alternates between them in rounds over keep-alive connections, so drift on the machine hits
both alike. A third, the front with a handler that answers at once, shows what the front itself costs. The
front runs the real webhook handler with its caches warm (AWS = the moto server), writing its
log lines (the decision log) to /dev/null as Lambda writes them to CloudWatch.

Then the decision log's delay: how long after an answer its decision can be queried in the calls table, with
the recorder fed the way `make run` feeds it (tests/fixtures/decisions.py, delivering every 0.5 s).

Prints nothing itself; returns the figures for bench/webhook.py. Not a test: nothing here asserts.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.figures import summary

ROUNDS = 6
PER_ROUND = 400
WARMUP = 200

# The local front with the real handler; each response says how long the handler itself took (HANDLER_TIME),
# so that the figures split into what the front costs and what the handler does inside it.
HANDLER_TIME = "x-bench-handler-us"
FRONT = f"""
import os, sys, time
from http.server import ThreadingHTTPServer
from functions.webhook.handler import lambda_handler
from local.server import make_request_handler
def timed(event, context):
    started = time.perf_counter()
    response = lambda_handler(event, context)
    response["headers"]["{HANDLER_TIME}"] = str(round((time.perf_counter() - started) * 1e6))
    return response
server = ThreadingHTTPServer(("127.0.0.1", 0), make_request_handler([("webhook", "/webhooks", timed)]))
fd = int(os.environ["BENCH_PORT_FD"]); os.write(fd, f"{{server.server_address[1]}}\\n".encode()); os.close(fd)
server.serve_forever()
"""

# The front alone: the same local HTTP front and API Gateway event, with a handler that answers at once (what the
# front itself costs, so that the rest of the difference is the webhook handler's).
FRONT_ONLY = FRONT.replace(
    "from functions.webhook.handler import lambda_handler",
    "lambda_handler = lambda event, context: "
    "{'statusCode': 200, 'headers': {'Content-Type': 'application/json'}, 'body': '{\"prompt\": \"hi\"}'}",
)

# The bare reference: what any webhook server must do per call, and nothing else.
BARE = """
import hashlib, hmac, json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
SECRET = os.environ["BENCH_SIGNING_SECRET"].encode()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("x-thunderphone-signature", "")):
            self.send_response(401); self.send_header("content-length", "0"); self.end_headers(); return
        call = json.loads(body)["data"]
        answer = json.dumps({"prompt": "You are the receptionist. Caller " + call["from_number"][-4:]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args): pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
fd = int(os.environ["BENCH_PORT_FD"]); os.write(fd, f"{server.server_address[1]}\\n".encode()); os.close(fd)
server.serve_forever()
"""


def start_server(code: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """A server process; it writes its port to the pipe BENCH_PORT_FD names (its stdout is its log, thrown away)."""
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**env, "BENCH_PORT_FD": str(write_fd)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        port = pipe.readline().strip()
    if not port:
        process.kill()
        raise SystemExit("benchmark server did not start")
    return process, int(port)


class Client:
    def __init__(self, port: int, path: str, make_body: Callable[[int], tuple[bytes, str]]) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port)
        self._connection.connect()
        self._connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._path = path
        self._make_body = make_body
        self.handler_ms: list[float] = []  # what the server's HANDLER_TIME header said, when it says it

    def call(self, call_id: int) -> float:
        body, signature = self._make_body(call_id)
        headers = {"content-type": "application/json", "x-thunderphone-signature": signature}
        started = time.perf_counter()
        self._connection.request("POST", self._path, body=body, headers=headers)
        response = self._connection.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200 or b'"prompt"' not in payload:
            raise SystemExit(f"warm benchmark request did not get a config: {response.status} {payload[:200]!r}")
        handler_us = response.getheader(HANDLER_TIME)
        if handler_us is not None:
            self.handler_ms.append(int(handler_us) / 1000)
        return elapsed


def compare(make_body: Callable[[int], tuple[bytes, str]], front_path: str, signing_secret: str) -> dict[str, Any]:
    env = {**os.environ, "BENCH_SIGNING_SECRET": signing_secret, "CACHE_TTL_SECONDS": "600"}
    env.pop("CALLS_TABLE_NAME", None)
    codes = {"front": FRONT, "bare": BARE, "empty": FRONT_ONLY}
    servers = {name: start_server(code, env) for name, code in codes.items()}
    try:
        clients = {
            "front": Client(servers["front"][1], front_path, make_body),
            "bare": Client(servers["bare"][1], "/webhooks/bare", make_body),
            "empty": Client(servers["empty"][1], front_path, make_body),
        }
        call_id = 1_000_000
        for _ in range(WARMUP):  # caches, connections, the interpreters' own warm-up
            for client in clients.values():
                call_id += 1
                client.call(call_id)
        samples: dict[str, list[float]] = {name: [] for name in clients}
        clients["front"].handler_ms.clear()  # the warm-up's are not figures
        for _ in range(ROUNDS):
            for name, client in clients.items():
                for _ in range(PER_ROUND):
                    call_id += 1
                    samples[name].append(client.call(call_id))
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=10)
    front, bare, empty = summary(samples["front"]), summary(samples["bare"]), summary(samples["empty"])
    return {
        "local_http_front": front,
        "webhook_handler_inside_the_front": summary(clients["front"].handler_ms),
        "bare_stdlib_hmac_json": bare,
        "ratio_p50": round(front["p50_ms"] / bare["p50_ms"], 2),
        "ratio_p99": round(front["p99_ms"] / bare["p99_ms"], 2),
        "local_http_front_with_a_handler_answering_at_once": {
            **empty,
            "ratio_p50": round(empty["p50_ms"] / bare["p50_ms"], 2),
            "ratio_p99": round(empty["p99_ms"] / bare["p99_ms"], 2),
        },
    }


def decision_delay(answer: Callable[[int], object], decided: Callable[[int], bool], calls: int = 40) -> dict[str, Any]:
    """Answer `calls` new calls one by one, polling the calls table until each decision can be read."""
    from tests.fixtures.decisions import DecisionSubscription

    subscription = DecisionSubscription(interval_s=0.5).start()
    delays: list[float] = []
    try:
        for call_id in range(2_000_000, 2_000_000 + calls):
            answer(call_id)
            answered = time.perf_counter()
            while not decided(call_id):
                if time.perf_counter() - answered > 10:
                    raise SystemExit(f"decision for call {call_id} never became queryable")
                time.sleep(0.01)
            delays.append((time.perf_counter() - answered) * 1000)
    finally:
        subscription.stop()
    return {
        "how": "local run's emulated subscription, delivering every 0.5 s; polled every 10 ms",
        **summary(delays),
    }
