"""A retry after ThunderPhone failed a key creation: once the attempt has ended with an unknown outcome
(5xx, timeout), the next retry reconciles at once (adopts the marked key, else creates it), never minting
a second key; a retry while an attempt is really running, or crashed less than a lease ago, still waits.

In-memory ports and the real ThunderPhone resources over the fake API (in-process, no sockets)."""

from __future__ import annotations

import pytest

from functions.provisioning.errors import RequestInProgress
from functions.provisioning.key_records import Reservation, has_marker
from functions.provisioning.service import keys as service
from functions.thunderphone.client import ThunderPhonePaymentRequired, ThunderPhoneUnavailable
from tests.fixtures.thunderphone import FakeThunderPhone
from tests.unit.provisioning.fakes import BASE, REQUEST, Clock, crashed, keys_of, routes_of, with_hook

CREATE = ("POST", "/v1/publishable-key")
IDEMPOTENCY_KEY = "onboard-7"


def create(deps: service.KeyDeps) -> tuple[int, bool]:
    view, made = service.create_key("acme", REQUEST, idempotency_key=IDEMPOTENCY_KEY, webhook_base=BASE, deps=deps)
    return view.id, made


def claim(deps: service.KeyDeps) -> Reservation:
    [only] = keys_of(deps).reservations.values()
    return only


def marked_keys(fake: FakeThunderPhone, deps: service.KeyDeps) -> list[int]:
    """ThunderPhone's keys that carry this request's marker."""
    marker = claim(deps).marker
    return [key["id"] for key in fake.keys.values() if has_marker(key["name"], marker)]


def failed_attempt(deps: service.KeyDeps) -> None:
    with pytest.raises(ThunderPhoneUnavailable):
        create(deps)
    assert claim(deps).state == "unknown"  # ended, outcome unknown: the next retry need not wait


def test_create_key_5xx_after_thunderphone_made_it_retry_adopts_it_at_once(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    # Given ThunderPhone made the key, then answered 500
    fake.fail_next(500, method="POST", after_work=True)
    failed_attempt(deps)
    [made_first] = fake.keys.values()
    # When the operator retries at once (same Idempotency-Key, no clock advance)
    key_id, made = create(deps)
    # Then that key is adopted and recorded; ThunderPhone holds exactly one key with the marker
    assert (key_id, made) == (made_first["id"], True)
    assert marked_keys(fake, deps) == [key_id]
    assert fake.count(*CREATE) == 1
    assert claim(deps).state == "done"
    record = keys_of(deps).get_key("acme", key_id)
    assert record is not None and record.webhook_url == made_first["webhook_url"]
    assert create(deps) == (key_id, False)


def test_create_key_5xx_before_thunderphone_made_it_retry_creates_it_at_once(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    # Given ThunderPhone answered 503 without making the key
    fake.fail_next(503, method="POST")
    failed_attempt(deps)
    assert fake.keys == {}
    [opened] = routes_of(deps).routes.values()
    # When retried at once; Then the key is created now, once, under the URL the reservation holds
    key_id, made = create(deps)
    assert made
    assert marked_keys(fake, deps) == [key_id] == list(fake.keys)
    record = keys_of(deps).get_key("acme", key_id)
    assert record is not None and record.route_id == opened.route_id
    assert list(routes_of(deps).routes) == [opened.route_id]


def test_create_key_timeout_retry_reconciles_at_once(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    # Given ThunderPhone made the key but its answer came after the client's timeout
    fake.delay_next(5)
    failed_attempt(deps)
    # When retried at once; Then the key is adopted, not made again
    key_id, made = create(deps)
    assert made
    assert marked_keys(fake, deps) == [key_id] == list(fake.keys)
    assert fake.count(*CREATE) == 1


def test_create_key_reconciling_retry_that_fails_leaves_the_claim_ready_for_the_next(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    fake.fail_next(503, method="POST")
    failed_attempt(deps)
    # When the retry's own look-up at ThunderPhone fails too; Then it also ends as unknown
    fake.fail_next(503, method="GET")
    failed_attempt(deps)
    # And the third try creates the key at once
    key_id, made = create(deps)
    assert made
    assert marked_keys(fake, deps) == [key_id]


def test_create_key_two_retries_read_the_ended_claim_together_one_wins(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    # Given an attempt that ended unknown (nothing made)
    fake.fail_next(503, method="POST")
    failed_attempt(deps)
    # When two retries both read the ended claim before either takes it over (the second runs to the end
    # between the first's read and its take-over)
    store = keys_of(deps)
    reserve = store.reserve
    other: list[tuple[int, bool]] = []

    def read_then_race(*args: object, **kwargs: object) -> Reservation | None:
        existing = reserve(*args, **kwargs)  # type: ignore[arg-type]
        store.reserve = reserve  # type: ignore[method-assign]
        other.append(create(deps))
        return existing

    store.reserve = read_then_race  # type: ignore[method-assign]
    # Then the take-over is conditional on the ended state and lease: the first retry lost, and says so
    with pytest.raises(RequestInProgress):
        create(deps)
    assert other[0][1] is True
    assert marked_keys(fake, deps) == [other[0][0]] == list(fake.keys)
    assert create(deps) == (other[0][0], False)


def test_create_key_retry_arriving_while_a_reconciling_retry_runs_is_refused(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    fake.fail_next(503, method="POST")
    failed_attempt(deps)
    refused: list[Exception] = []

    def third_call() -> None:
        with pytest.raises(RequestInProgress) as caught:
            create(deps)
        refused.append(caught.value)

    # When a retry arrives while another one, having taken the claim over, is creating the key
    key_id, made = create(with_hook(deps, third_call))
    # Then the late one got request_in_progress; one key
    assert len(refused) == 1
    assert made
    assert marked_keys(fake, deps) == [key_id] == list(fake.keys)


def test_create_key_retry_while_the_first_attempt_is_running_is_refused(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    refused: list[Exception] = []

    def retry_now() -> None:
        assert claim(deps).state == "pending"
        with pytest.raises(RequestInProgress) as caught:
            create(deps)
        refused.append(caught.value)

    # When the operator retries while the first attempt is about to create the key
    key_id, made = create(with_hook(deps, retry_now))
    # Then the retry got request_in_progress (nothing ended, nothing to reconcile), and one key was made
    assert len(refused) == 1
    assert refused[0].code == "request_in_progress"
    assert made
    assert list(fake.keys) == [key_id]


def test_create_key_crashed_attempt_still_waits_for_its_lease(
    deps: service.KeyDeps, clock: Clock, fake: FakeThunderPhone
) -> None:
    # Given an attempt that died without marking its end
    crashed(deps, key=IDEMPOTENCY_KEY)
    assert claim(deps).state == "pending"
    # When retried within its lease: refused; after it: taken over and created once
    with pytest.raises(RequestInProgress):
        create(deps)
    clock.advance(61)
    key_id, made = create(deps)
    assert made
    assert list(fake.keys) == [key_id]


def test_create_key_failure_that_cannot_be_marked_falls_back_to_the_lease(
    deps: service.KeyDeps, clock: Clock, fake: FakeThunderPhone
) -> None:
    # Given ThunderPhone failed the create and the store failed the mark too
    fake.fail_next(503, method="POST")
    keys_of(deps).fail_mark = 1
    with pytest.raises(ThunderPhoneUnavailable):  # the caller sees ThunderPhone's error, not the store's
        create(deps)
    assert claim(deps).state == "pending"
    # Then retries wait for the lease, as after a crash
    with pytest.raises(RequestInProgress):
        create(deps)
    clock.advance(61)
    key_id, _ = create(deps)
    assert list(fake.keys) == [key_id]


def test_create_key_late_failure_never_marks_a_claim_another_attempt_holds(
    deps: service.KeyDeps, clock: Clock, fake: FakeThunderPhone
) -> None:
    # Given a first attempt that outlives its lease (misconfigured), while a retry takes over and finishes
    finished: list[tuple[int, bool]] = []

    def outlived() -> None:
        clock.advance(61)
        finished.append(create(deps))
        fake.fail_next(503, method="POST")  # the first attempt's own create then fails

    with pytest.raises(ThunderPhoneUnavailable):
        create(with_hook(deps, outlived))
    # Then its end-of-attempt mark, conditional on its own lease, left the finished claim alone
    assert claim(deps).state == "done"
    assert claim(deps).key_id == finished[0][0]
    assert list(fake.keys) == [finished[0][0]]
    assert create(deps) == (finished[0][0], False)


def test_create_key_lease_grows_with_every_take_over(deps: service.KeyDeps, fake: FakeThunderPhone) -> None:
    # Given a failed attempt and a failed retry in the same second
    fake.fail_next(503, method="POST", times=2)
    failed_attempt(deps)
    first = claim(deps).lease_until
    failed_attempt(deps)
    # Then each attempt held its own lease (an attempt can only ever mark or take over its own)
    assert claim(deps).lease_until > first


def test_create_key_refused_after_a_reconciling_take_over_releases_the_claim(
    deps: service.KeyDeps, fake: FakeThunderPhone
) -> None:
    fake.fail_next(503, method="POST")
    failed_attempt(deps)
    fake.fail_next(402, method="POST")
    with pytest.raises(ThunderPhonePaymentRequired):  # definitely not made: the claim and URL go
        create(deps)
    assert keys_of(deps).reservations == {}
    assert not any(route.active for route in routes_of(deps).routes.values())
    key_id, made = create(deps)
    assert made
    assert list(fake.keys) == [key_id]
