"""The demo tenant's week of history, made the way real calls make it, on a fresh local state only.

Each call is a signed `*.incoming` event through the webhook's handler, with the webhook's clock set to the call's
start, so that business hours, the A/B bucket and the decision's time are that moment's; its decision reaches the
calls table through the answer line's subscription, as every answer's does. Then its completion (start and end
times, `duration_seconds`, billable minutes and cost) and, for some, a grade go through the outcome queue and the
outcome recorder. The week: phone calls in and out of business hours, widget sessions on the tenant's key and on
its pricing page, both variants of the greeting test, the VIP customer Jane Doe, and one late morning when the
tenant's CRM credential was missing from its secret, so the calls that offer booking fell back.

The same week every time (seeded random, relative to today), in a few seconds."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as daytime
from random import Random
from typing import Any, Literal
from zoneinfo import ZoneInfo

from local.examples import completion_data, event_body, iso_z, sample_body
from tests.fixtures import tenants as demo

SEED = 23
DAYS = 7  # the console's default report: today and the six days before (UTC)
FIRST_CALL_ID = 880_000_001  # far from the ids the printed examples and the tests use
ZONE = ZoneInfo("America/New_York")  # the demo tenant's
AREAS = ("212", "347", "646", "718", "917")  # callers: fictional 555-01xx numbers of New York
JOHN_SMITH = "+14155550123"  # a known customer of the demo tenant (tests/fixtures/tenants.py)
# Per weekday (Monday 0): how many calls of each kind, as (fewest, most).
PHONE_OPEN = {0: (6, 9), 1: (6, 9), 2: (6, 9), 3: (6, 9), 4: (6, 9), 5: (2, 4), 6: (0, 0)}
PHONE_CLOSED = {0: (1, 2), 1: (1, 2), 2: (1, 2), 3: (1, 2), 4: (1, 2), 5: (1, 1), 6: (1, 2)}
WEB_KEY = {0: (2, 4), 1: (2, 4), 2: (2, 4), 3: (2, 4), 4: (2, 4), 5: (1, 2), 6: (1, 2)}
WEB_PRICING = {0: (1, 3), 1: (1, 3), 2: (1, 3), 3: (1, 3), 4: (1, 3), 5: (1, 2), 6: (0, 1)}
# The demo's business hours in minutes of the day (tests/fixtures/tenants.py), per weekday.
OPEN = dict.fromkeys(range(5), (9 * 60, 17 * 60 + 30)) | {5: (10 * 60, 14 * 60)}
# The A/B story: the warm greeting (B) keeps more callers and is graded higher.
FAILED_SHARE = {"A": 0.18, "B": 0.05}
GRADE_MEAN = {"A": 71, "B": 83}
GRADED_SHARE = 0.5
STATIC_AGENT = {"product": "spark", "voice": "en-US-James1"}  # what answers when the router falls back
WAIT_S = 120.0  # how long the seed waits for the recorders before going on without them

Kind = Literal["open", "closed", "web", "pricing", "vip", "customer"]


@dataclass(frozen=True)
class DemoCall:
    call_id: int
    kind: Kind
    caller: str  # E.164, or "web" for a widget session
    start: datetime  # UTC
    seconds: int  # how long it lasted, if it completed
    draws: tuple[float, float, float]  # fixed chances: did it fail, was it graded, how well
    outage: bool = False  # made while the tenant's CRM credential was missing

    @property
    def web(self) -> bool:
        return self.caller == "web"

    @property
    def route(self) -> str:
        """Which of the demo's webhook URLs ThunderPhone calls: phone numbers go to the org-level endpoint."""
        return "pricing" if self.kind == "pricing" else "key" if self.web else "org"


def plan_week(now: datetime, rng: Random) -> list[DemoCall]:
    """The week's calls, oldest first: from the first day of a 7-day report (UTC) to a quarter of an hour ago."""
    today = now.astimezone(ZONE).date()
    earliest = datetime.combine(now.astimezone(UTC).date() - timedelta(days=DAYS - 1), daytime(), tzinfo=UTC)
    latest = now - timedelta(minutes=15)
    slots: list[tuple[Kind, datetime]] = []
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        weekday = day.weekday()
        opening = OPEN.get(weekday)
        if opening is not None:
            slots += [("open", _at(day, rng.randint(*opening))) for _ in range(rng.randint(*PHONE_OPEN[weekday]))]
        slots += [("closed", _at(day, _closed(rng, opening))) for _ in range(rng.randint(*PHONE_CLOSED[weekday]))]
        slots += [("web", _at(day, rng.randint(7 * 60, 23 * 60))) for _ in range(rng.randint(*WEB_KEY[weekday]))]
        pricing = rng.randint(*WEB_PRICING[weekday])
        slots += [("pricing", _at(day, rng.randint(8 * 60, 22 * 60))) for _ in range(pricing)]
    slots = [(kind, start) for kind, start in slots if earliest <= start <= latest]
    known: list[Kind] = ["vip", "vip", "vip", "customer", "customer"]
    open_calls = [index for index, (kind, _) in enumerate(slots) if kind == "open"]
    for index, kind in zip(rng.sample(open_calls, min(len(known), len(open_calls))), known, strict=False):
        slots[index] = (kind, slots[index][1])
    outage_day = _outage_day(today)
    outage: list[tuple[Kind, datetime]] = [("open", _at(outage_day, rng.randint(11 * 60, 12 * 60 + 30))) for _ in "abc"]
    outage.append(("web", _at(outage_day, rng.randint(11 * 60, 12 * 60 + 30))))
    planned = sorted([(start, kind, False) for kind, start in slots] + [(start, kind, True) for kind, start in outage])
    strangers = [f"+1{rng.choice(AREAS)}55501{number:02d}" for number in rng.sample(range(100), 30)]
    calls = []
    for index, (start, kind, in_outage) in enumerate(planned):
        caller = _caller(kind, rng, strangers)
        calls.append(
            DemoCall(
                call_id=FIRST_CALL_ID + index,
                kind=kind,
                caller=caller,
                start=start,
                seconds=_seconds(kind, caller, rng),
                draws=(rng.random(), rng.random(), rng.random()),
                outage=in_outage,
            )
        )
    return calls


def _at(day: date, minute: int) -> datetime:
    local = datetime.combine(day, daytime(minute // 60, minute % 60), tzinfo=ZONE)
    return local.astimezone(UTC)


def _closed(rng: Random, opening: tuple[int, int] | None) -> int:
    if opening is None:
        return rng.randint(10 * 60, 18 * 60)  # Sunday: closed all day
    before, after = (7 * 60 + 30, opening[0] - 15), (opening[1] + 15, 21 * 60 + 30)
    low, high = before if rng.random() < 0.3 else after
    return rng.randint(low, high)


def _outage_day(today: date) -> date:
    """The weekday before yesterday or earlier, within the week: a late morning of it was the CRM outage."""
    day = today - timedelta(days=2)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _caller(kind: Kind, rng: Random, strangers: list[str]) -> str:
    if kind in ("web", "pricing"):
        return "web"
    if kind == "vip":
        return demo.VIP_CALLER
    if kind == "customer":
        return JOHN_SMITH
    return rng.choice(strangers)


def _seconds(kind: Kind, caller: str, rng: Random) -> int:
    if caller == "web":
        return rng.randint(30, 300)
    if kind == "closed":
        return rng.randint(40, 150)
    if kind == "vip":
        return rng.randint(180, 600)
    return rng.randint(80, 420)


@dataclass(frozen=True)
class Answered:
    """What the router decided for a call, as its answer line says, and the agent ThunderPhone then ran."""

    call: DemoCall
    outcome: str  # "config" or "fallback"
    rule_id: str | None
    variant: str | None
    product: str
    voice: str

    @property
    def failed(self) -> bool:
        return self.call.draws[0] < FAILED_SHARE.get(self.variant or "", 0.06)

    @property
    def score(self) -> int | None:
        """A grade (0-100) for about half of the completed calls."""
        if self.failed or self.call.draws[1] >= GRADED_SHARE:
            return None
        spread = (self.call.draws[2] - 0.5) * 30
        return max(0, min(100, round(GRADE_MEAN.get(self.variant or "", 80) + spread)))


@dataclass(frozen=True)
class Seeded:
    calls: int
    phone: int
    web: int
    fallbacks: int
    completions: int
    grades: int
    seconds: float
    complete: bool  # every decision and outcome was recorded within WAIT_S

    def summary(self) -> str:
        text = (
            f"{self.calls} calls ({self.phone} phone, {self.web} web, {self.fallbacks} fell back), "
            f"{self.completions} completions, {self.grades} grades"
        )
        return text if self.complete else text + " (some were still being recorded: see the log)"


class ReplayClock:
    """The webhook's clock while the week is replayed: the moment each event is sent."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def webhook_clock(clock: ReplayClock) -> Iterator[None]:
    """The webhook answers as of `clock` until the block ends (functions/webhook/dependencies.py: `now`)."""
    from functions.webhook.dependencies import deps

    deps.now = clock
    try:
        yield
    finally:
        del deps.now


def seed_week(*, tokens: dict[str, str], signing_secret: str, now: datetime | None = None) -> Seeded:
    """Replays the week through the webhook; waits for the recorders to store it (at most WAIT_S each)."""
    import boto3

    from functions.calls.read_model import CallsReader
    from functions.webhook import answer_log
    from functions.webhook.dependencies import deps
    from functions.webhook.handler import lambda_handler
    from local.emulator import CALLS_TABLE_NAME, TOOL_SECRET_PREFIX
    from tests.fixtures.apigw import LambdaContext, signed_event
    from tests.fixtures.outcomes import waiting

    began = time.monotonic()
    now = now or datetime.now(UTC)
    calls = plan_week(now, Random(SEED))
    clock = ReplayClock()
    lines: dict[int, dict[str, Any]] = {}
    bodies: dict[int, dict[str, Any]] = {}

    def send(call: DemoCall, body: bytes, at: datetime) -> dict[str, Any]:
        clock.now = at
        event = signed_event(f"/webhooks/{tokens[call.route]}", body, secret=signing_secret)
        context: Any = LambdaContext(aws_request_id=str(uuid.uuid4()))  # what Powertools reads of Lambda's
        response: dict[str, Any] = lambda_handler(event, context)
        return response

    def answered(line: str) -> None:
        parsed = json.loads(line)
        if isinstance(parsed.get("call_id"), int):
            lines[parsed["call_id"]] = parsed

    def incoming(call: DemoCall) -> None:
        event_type = "web.incoming" if call.web else "telephony.incoming"
        to_number = "" if call.web else demo.DEMO_NUMBER
        body = sample_body(event_type=event_type, call_id=call.call_id, from_number=call.caller, to_number=to_number)
        response = send(call, body, call.start)
        bodies[call.call_id] = json.loads(response.get("body") or "{}")

    with answer_log.subscribed(answered):
        with webhook_clock(clock), crm_key_missing(boto3.client("secretsmanager"), TOOL_SECRET_PREFIX + demo.TENANT_ID):
            for call in calls:
                if call.outage:
                    incoming(call)
        deps.reset()  # the rest of the week ran on other containers: no cache remembers the outage's secret
        with webhook_clock(clock):
            for call in calls:
                if not call.outage:
                    incoming(call)
            dynamodb = boto3.client("dynamodb")
            decided = _wait(lambda: _decided(dynamodb, calls[-1]))  # lines are delivered in order: the last is last
            results = [_answered(call, lines.get(call.call_id, {}), bodies.get(call.call_id, {})) for call in calls]
            for result in results:
                _send_outcomes(result, send)
            sqs, queue_url = boto3.client("sqs"), os.environ["OUTCOME_QUEUE_URL"]
            drained = _wait(lambda: waiting(sqs, queue_url) == 0)
    graded = sum(result.score is not None for result in results)
    recorded = _recorded(CallsReader(dynamodb, CALLS_TABLE_NAME), calls, now)
    kinds = Counter("web" if call.web else "phone" for call in calls)
    return Seeded(
        calls=len(calls),
        phone=kinds["phone"],
        web=kinds["web"],
        fallbacks=sum(result.outcome == "fallback" for result in results),
        completions=len(calls),
        grades=graded,
        seconds=time.monotonic() - began,
        complete=decided and drained and _all_stored(recorded, len(calls), graded),
    )


@contextmanager
def crm_key_missing(secrets: Any, name: str) -> Iterator[None]:
    """The outage: the tenant's tool secret holds its CRM credential under another name, so the profiles whose
    booking tool needs `crm_api_key` fall back (`tool_secret_unavailable`). Run before any other call, so that no
    webhook cache holds the secret yet."""
    kept = secrets.get_secret_value(SecretId=name)["SecretString"]
    renamed = {f"{key}_old": value for key, value in json.loads(kept).items()}
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps(renamed))
    try:
        yield
    finally:
        secrets.put_secret_value(SecretId=name, SecretString=kept)


def _answered(call: DemoCall, line: dict[str, Any], body: dict[str, Any]) -> Answered:
    served = line.get("outcome") == "config"
    agent = {"product": body.get("product", "spark"), "voice": body.get("voice", "")} if served else STATIC_AGENT
    return Answered(
        call=call,
        outcome=str(line.get("outcome", "fallback")),
        rule_id=line.get("rule_id"),
        variant=line.get("variant"),
        product=str(agent["product"]),
        voice=str(agent["voice"]),
    )


def _send_outcomes(result: Answered, send: Callable[[DemoCall, bytes, datetime], dict[str, Any]]) -> None:
    """The call's completion as it ends, and a grade a few minutes later (ThunderPhone's, 0-100)."""
    call = result.call
    seconds = call.seconds // 5 if result.failed else call.seconds
    end = call.start + timedelta(seconds=seconds)
    data = completion_data(
        call_id=call.call_id,
        web=call.web,
        from_number=call.caller,
        to_number="" if call.web else demo.DEMO_NUMBER,
        start=call.start,
        end=end,
        product=result.product,
        voice=result.voice,
        status="failed" if result.failed else "completed",
        end_reason="error" if result.failed else ("agent_end" if call.draws[2] < 0.3 else "caller_hangup"),
    )
    _delivered(send(call, event_body("web.complete" if call.web else "telephony.complete", data), end))
    if result.score is not None:
        graded_at = end + timedelta(minutes=3)
        grade = {
            "call_id": call.call_id,
            "graded_at": iso_z(graded_at),
            "grade": {"score": result.score, "call_outcome": _call_outcome(result), "grader_model": "demo-grader"},
            "report": {"outcome_label": _call_outcome(result).replace("_", " ")},
        }
        _delivered(send(call, event_body("call.graded", grade), graded_at))


def _call_outcome(result: Answered) -> str:
    if result.call.kind == "pricing":
        return "question_answered"
    if result.rule_id == "after-hours":
        return "message_taken"
    return "appointment_booked" if (result.score or 0) >= 75 else "no_booking"


def _delivered(response: dict[str, Any]) -> None:
    if response.get("statusCode") != 200:
        raise RuntimeError(f"the webhook did not accept a demo outcome event: {response.get('body')}")


def _decided(dynamodb: Any, call: DemoCall) -> bool:
    from functions.common import dynamo, table
    from local.emulator import CALLS_TABLE_NAME

    key = (table.tenant_pk(demo.TENANT_ID), table.call_sk(call.call_id))
    item = dynamo.get(dynamodb, CALLS_TABLE_NAME, *key, consistent=True)
    return item is not None and "decided_at" in item


def _recorded(reader: Any, calls: list[DemoCall], now: datetime) -> Counter[str]:
    """How many of the week's calls have their decision, completion and grade in the calls table."""
    ids = {call.call_id for call in calls}
    counts: Counter[str] = Counter()
    for record in reader.tenant_calls(demo.TENANT_ID, calls[0].start, now + timedelta(hours=1)):
        if record.call_id in ids:
            counts["decided"] += record.has_decision
            counts["completed"] += record.has_completion
            counts["graded"] += record.grade_key is not None
    return counts


def _all_stored(counts: Counter[str], calls: int, graded: int) -> bool:
    return counts["decided"] >= calls and counts["completed"] >= calls and counts["graded"] >= graded


def _wait(done: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
