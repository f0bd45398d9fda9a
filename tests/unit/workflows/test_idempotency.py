"""Idempotency-Key records: run once, replay, refuse while in flight or for another request,
forget on failure, expire after 24 hours; identical requests at once run once (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.support import SECRET, make_employer
from workflows.api_keys import READ, WRITE, issue_key
from workflows.db import Database
from workflows.errors import ValidationError
from workflows.idempotency import (
    Begun,
    IdempotencyInFlightError,
    IdempotencyKeyReusedError,
    IdempotencyService,
    Replay,
    parse_key,
    request_sha256,
)
from workflows.models import ApiIdempotencyRecord, EmployerApiKey

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PATH = "/api/v1/employer/contracts"
BODY = b'{"template_id": 1, "clauses": {"a": 1}}'


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def make_key(db: Database, username: str = "hr1", uscc: str = "91110108MA01ABCD2X") -> int:
    _, agent = make_employer(db, f"{username} 公司", uscc, username)
    with db.transaction() as s:
        issued = issue_key(s, agent, secret_key=SECRET, label="HR", scopes=[READ, WRITE], now=NOW)
        found = s.execute(
            select(EmployerApiKey.id).where(EmployerApiKey.key_id == issued.view.key_id)
        ).scalar()
        assert found is not None
        return found


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db: Database, clock: Clock) -> IdempotencyService:
    return IdempotencyService(db, clock=clock)


SHA = request_sha256("POST", PATH, BODY, is_json=True)


def test_the_first_request_runs_and_its_retries_get_its_response(
    db: Database, service: IdempotencyService
) -> None:
    key_id = make_key(db)
    begun = service.begin(key_id, "k-1", "POST", PATH, SHA)
    assert isinstance(begun, Begun)
    service.finish(begun.record_id, 201, {"id": 7}, {"Content-Type": "application/json"})
    for _ in range(2):
        replay = service.begin(key_id, "k-1", "post", PATH, SHA)
        assert replay == Replay(201, {"id": 7}, {"Content-Type": "application/json"})
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(ApiIdempotencyRecord)).scalar() == 1


def test_a_retry_while_the_first_is_running_is_a_conflict(db: Database, service: IdempotencyService) -> None:
    key_id = make_key(db)
    assert isinstance(service.begin(key_id, "k-1", "POST", PATH, SHA), Begun)
    with pytest.raises(IdempotencyInFlightError, match="仍在处理中"):
        service.begin(key_id, "k-1", "POST", PATH, SHA)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", PATH, b'{"template_id": 2}'), ("POST", PATH + "/9/send", BODY), ("PUT", PATH, BODY)],
)
def test_the_same_key_for_a_different_request_is_refused_naming_the_header(
    db: Database, service: IdempotencyService, method: str, path: str, body: bytes
) -> None:
    key_id = make_key(db)
    begun = service.begin(key_id, "k-1", "POST", PATH, SHA)
    assert isinstance(begun, Begun)
    service.finish(begun.record_id, 201, {"id": 7}, {})
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        service.begin(key_id, "k-1", method, path, request_sha256(method, path, body, is_json=True))
    assert [p.pointer for p in caught.value.problems] == ["/headers/Idempotency-Key"]
    assert "Idempotency-Key" in caught.value.message


def test_json_bodies_are_compared_by_meaning_not_spacing() -> None:
    spaced = b'{ "clauses": {"a": 1},\n  "template_id": 1 }'
    assert request_sha256("POST", PATH, spaced, is_json=True) == SHA
    assert request_sha256("POST", PATH, spaced, is_json=False) != SHA


def test_keys_are_per_api_key(db: Database, service: IdempotencyService) -> None:
    mine, theirs = make_key(db, "hr1"), make_key(db, "hr2", "91110108MA01XYZW3R")
    first = service.begin(mine, "k-1", "POST", PATH, SHA)
    assert isinstance(first, Begun)
    service.finish(first.record_id, 201, {"id": 7}, {})
    assert isinstance(service.begin(theirs, "k-1", "POST", PATH, SHA), Begun)


def test_an_abandoned_request_runs_again_on_retry(db: Database, service: IdempotencyService) -> None:
    key_id = make_key(db)
    begun = service.begin(key_id, "k-1", "POST", PATH, SHA)
    assert isinstance(begun, Begun)
    service.abandon(begun.record_id)
    again = service.begin(key_id, "k-1", "POST", PATH, SHA)
    assert isinstance(again, Begun)
    service.finish(again.record_id, 201, {"id": 8}, {})
    service.abandon(again.record_id)  # a finished record is never forgotten
    assert isinstance(service.begin(key_id, "k-1", "POST", PATH, SHA), Replay)


def test_records_expire_after_24_hours_and_are_purged(
    db: Database, service: IdempotencyService, clock: Clock
) -> None:
    key_id = make_key(db)
    old = service.begin(key_id, "old", "POST", PATH, SHA)
    assert isinstance(old, Begun)
    service.finish(old.record_id, 201, {"id": 1}, {})
    clock.now = NOW + timedelta(hours=23)
    young = service.begin(key_id, "young", "POST", PATH, SHA)
    assert isinstance(young, Begun)
    clock.now = NOW + timedelta(hours=24, seconds=1)
    # an expired key binds nothing any more: a different request may use it
    other = request_sha256("POST", PATH, b"{}", is_json=True)
    assert isinstance(service.begin(key_id, "old", "POST", PATH, other), Begun)
    clock.now = NOW + timedelta(hours=49)
    assert service.purge_expired() == 2  # "old" (renewed at +24h) and "young"
    assert service.purge_expired() == 0


@pytest.mark.parametrize(
    ("header", "key"),
    [('"8e03978e-40d5-43e8-bc93-6894a57f9324"', "8e03978e-40d5-43e8-bc93-6894a57f9324"), (" abc ", "abc")],
)
def test_the_header_is_a_structured_string_or_bare_text(header: str, key: str) -> None:
    assert parse_key(header) == key
    assert parse_key("x" * 200) == "x" * 200


@pytest.mark.parametrize(
    ("header", "says"), [("", "不能为空"), ('""', "不能为空"), ("x" * 201, "200"), ("密钥", "ASCII")]
)
def test_a_bad_header_is_refused_naming_it(header: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_key(header)
    assert says in caught.value.message
    assert [p.pointer for p in caught.value.problems] == ["/headers/Idempotency-Key"]


def test_identical_requests_at_the_same_moment_run_once(pg_db: Database) -> None:
    key_id = make_key(pg_db)
    service = IdempotencyService(pg_db)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcome = service.begin(key_id, "same", "POST", PATH, SHA)
        except IdempotencyInFlightError:
            outcomes.append("in_flight")
        else:
            outcomes.append(type(outcome).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Begun"] + ["in_flight"] * 5
