"""Worker self-registration: resident ID check digit, SMS one-time codes (hashed, expiring, counted,
used once, rate limited), duplicate refusal, evidence of the real-name check, all-or-nothing writes."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import func, select

from workflows import identity, registration
from workflows.audit import verify as verify_audit
from workflows.db import Database
from workflows.errors import ConflictError, RateLimitedError, SmsUnavailableError, ValidationError
from workflows.identity import authenticate, resident_id_check_char
from workflows.models import AuditEvent, PhoneChallenge, RealNameVerification, User
from workflows.registration import (
    MAX_ATTEMPTS,
    RegistrationService,
    code_hash,
    mask_phone,
    mask_resident_id,
    name_problem,
    normalise_phone,
)

SECRET = "unit-test-secret-key"
PASSWORD = "correct horse battery"
PHONE = "13800138000"
OTHER_PHONE = "13900139000"


def resident_id(first17: str = "11010119900307123") -> str:
    """A resident ID with the right GB 11643 check character."""
    return first17 + resident_id_check_char(first17)


RID = resident_id()
OTHER_RID = resident_id("44030619851120456")


def bad_check_digit(rid: str) -> str:
    wrong = "0" if rid[-1] != "0" else "1"
    return rid[:17] + wrong


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingSms:
    """The SmsSender port, keeping what was sent; `fail` makes the gateway refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail: Exception | None = None

    def send(self, phone: str, text: str) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((phone, text))

    def last_code(self, phone: str) -> str:
        text = next(t for p, t in reversed(self.sent) if p == phone)
        match = re.search(r"\b(\d{6})\b", text)
        assert match, text
        return match.group(1)


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    previous = identity.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    identity.set_password_hasher(previous)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()


@pytest.fixture
def service(db: Database, sms: RecordingSms, clock: Clock) -> RegistrationService:
    return RegistrationService(db, sms, secret_key=SECRET, clock=clock)


def sign_up(service: RegistrationService, sms: RecordingSms, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "name": "刘劳动者",
        "resident_id": RID,
        "phone": PHONE,
        "password": PASSWORD,
        "client_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPhone)",
    }
    fields.update(overrides)
    if "code" not in fields:
        fields["code"] = sms.last_code(normalise_phone(fields["phone"]))
    return service.register_worker(**fields)


def pointers(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {p.pointer: p.message for p in exc.value.problems}


def challenges(db: Database) -> list[PhoneChallenge]:
    with db.transaction() as s:
        return list(s.execute(select(PhoneChallenge).order_by(PhoneChallenge.id)).scalars())


def count(db: Database, model: Any) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


# -- field rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width, as input methods type it
    ],
)
def test_phone_numbers_are_normalised_to_eleven_digits(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_masks_hide_the_middle_of_phone_and_resident_id() -> None:
    assert mask_phone(PHONE) == "138****8000"
    assert mask_resident_id(RID) == RID[:6] + "********" + RID[-4:]


@pytest.mark.parametrize("name", ["张三", "买买提·艾力", "欧阳娜娜"])
def test_legal_names_including_minority_names_with_a_middle_dot_are_accepted(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize("name", ["张", "张三1", "·张三", "<script>", "x" * 51])
def test_names_with_digits_symbols_or_wrong_length_are_refused(name: str) -> None:
    assert name_problem(name) is not None


# -- one-time codes -------------------------------------------------------------------------


def test_code_is_sent_through_the_port_and_only_its_keyed_hash_is_stored(
    service: RegistrationService, sms: RecordingSms, db: Database, clock: Clock
) -> None:
    sent = service.request_phone_code("+86 138 0013 8000", client_ip="203.0.113.7")
    assert (sent.phone_masked, sent.expires_in, sent.resend_after) == ("138****8000", 300, 60)
    code = sms.last_code(PHONE)
    assert sms.sent[0][0] == PHONE and "5 分钟" in sms.sent[0][1]
    [row] = challenges(db)
    assert row.code_hash == code_hash(SECRET, PHONE, "signup", code)
    assert code not in json.dumps([str(getattr(row, c.key)) for c in PhoneChallenge.__table__.columns])
    assert row.attempts == 0 and row.consumed_at is None and row.client_ip == "203.0.113.7"
    assert row.expires_at.replace(tzinfo=UTC) == clock.now + timedelta(minutes=5)


def test_codes_are_random(service: RegistrationService, sms: RecordingSms, clock: Clock) -> None:
    codes = set()
    for i in range(5):
        service.request_phone_code(f"1380013800{i}")
        codes.add(sms.last_code(f"1380013800{i}"))
    assert len(codes) > 1


def test_a_landline_or_short_number_gets_no_code(service: RegistrationService, sms: RecordingSms) -> None:
    for bad in ("02088886666", "1380013800", "12800138000", "abc"):
        with pytest.raises(ValidationError) as exc:
            service.request_phone_code(bad)
        assert "/phone" in pointers(exc)
    assert sms.sent == []


def test_second_code_within_a_minute_is_refused_with_the_seconds_to_wait(
    service: RegistrationService, clock: Clock
) -> None:
    service.request_phone_code(PHONE)
    clock.advance(20)
    with pytest.raises(RateLimitedError) as exc:
        service.request_phone_code(PHONE)
    assert exc.value.retry_after == 40 and "40 秒" in exc.value.message
    clock.advance(40)
    service.request_phone_code(PHONE)


def test_at_most_five_codes_per_phone_per_hour(service: RegistrationService, clock: Clock) -> None:
    for _ in range(5):
        service.request_phone_code(PHONE)
        clock.advance(61)
    with pytest.raises(RateLimitedError) as exc:
        service.request_phone_code(PHONE)
    # the first of the five was sent 5 × 61 s ago; it leaves the window at 3600 s
    assert exc.value.retry_after == 3600 - 5 * 61
    service.request_phone_code(OTHER_PHONE)  # another phone is not affected
    clock.advance(exc.value.retry_after)
    service.request_phone_code(PHONE)


def test_gateway_failure_leaves_no_usable_code_and_allows_an_immediate_retry(
    service: RegistrationService, sms: RecordingSms, db: Database
) -> None:
    sms.fail = OSError("gateway down")
    with pytest.raises(SmsUnavailableError):
        service.request_phone_code(PHONE)
    [row] = challenges(db)
    assert row.send_failed
    with pytest.raises(ValidationError) as exc:
        service.register_worker(
            name="刘劳动者", resident_id=RID, phone=PHONE, code="123456", password=PASSWORD
        )
    assert pointers(exc) == {"/code": "请先获取短信验证码"}
    sms.fail = None
    service.request_phone_code(PHONE)  # no minute's wait after a failed hand-over
    assert sign_up(service, sms).username == PHONE


# -- sign-up --------------------------------------------------------------------------------


def test_worker_signs_up_with_resident_id_and_code_and_logs_in_with_phone_and_password(
    service: RegistrationService, sms: RecordingSms, db: Database, clock: Clock
) -> None:
    service.request_phone_code(PHONE, client_ip="203.0.113.7")
    clock.advance(30)
    worker = sign_up(service, sms, name=" 刘  劳动者 ", resident_id=RID.lower())
    assert worker.username == PHONE and worker.actor.roles == frozenset({"worker"})
    with db.transaction() as s:
        user = s.get(User, worker.user_id)
        assert user is not None
        assert (user.display_name, user.resident_id, user.phone) == ("刘 劳动者", RID.upper(), PHONE)
        assert user.totp_secret_enc is None  # workers need no authenticator
        evidence = s.execute(select(RealNameVerification)).scalar_one()
        actor = authenticate(s, PHONE, PASSWORD, None, SECRET)
    assert actor.user_id == worker.user_id
    assert evidence.user_id == worker.user_id and evidence.method == "resident_id+sms"
    assert evidence.resident_id_masked == mask_resident_id(RID.upper())
    assert (evidence.phone, evidence.client_ip, evidence.user_agent) == (
        PHONE,
        "203.0.113.7",
        "Mozilla/5.0 (iPhone)",
    )
    assert evidence.verified_at.replace(tzinfo=UTC) == clock.now
    [row] = challenges(db)
    assert row.consumed_at is not None and evidence.phone_challenge_id == row.id


def test_real_name_check_is_in_the_global_audit_chain_without_the_full_resident_id(
    service: RegistrationService, sms: RecordingSms, db: Database
) -> None:
    service.request_phone_code(PHONE)
    worker = sign_up(service, sms)
    with db.transaction() as s:
        rows = s.execute(select(AuditEvent).where(AuditEvent.chain == "global")).scalars()
        events = {e.action: e for e in rows}
        assert verify_audit(s) == []
    assert {"user.created", "user.real_name_verified"} <= set(events)
    check = events["user.real_name_verified"]
    assert check.actor_id == worker.user_id and check.entity == f"user:{worker.user_id}"
    assert check.after is not None
    assert check.after["method"] == "resident_id+sms"
    assert check.after["resident_id_masked"] == mask_resident_id(RID)
    assert check.after["phone_masked"] == "138****8000"
    assert check.after["client_ip"] == "203.0.113.7" and check.after["user_agent"] == "Mozilla/5.0 (iPhone)"
    everything = json.dumps([e.after for e in events.values()], ensure_ascii=False)
    assert RID not in everything and PASSWORD not in everything


def test_wrong_check_digit_is_refused_at_its_pointer_without_costing_a_try(
    service: RegistrationService, sms: RecordingSms, db: Database
) -> None:
    service.request_phone_code(PHONE)
    with pytest.raises(ValidationError) as exc:
        sign_up(service, sms, resident_id=bad_check_digit(RID))
    assert list(pointers(exc)) == ["/resident_id"] and "校验码" in pointers(exc)["/resident_id"]
    assert challenges(db)[0].attempts == 0
    assert count(db, User) == 0


def test_full_width_input_from_a_chinese_input_method_is_accepted(
    service: RegistrationService, sms: RecordingSms
) -> None:
    def wide(text: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)

    service.request_phone_code(wide(PHONE))
    worker = sign_up(service, sms, phone=wide(PHONE), resident_id=wide(RID), code=wide(sms.last_code(PHONE)))
    assert worker.username == PHONE


def test_every_malformed_field_is_reported_at_once(service: RegistrationService) -> None:
    with pytest.raises(ValidationError) as exc:
        service.register_worker(name="1", resident_id="123", phone="555", code="12", password="123")
    assert set(pointers(exc)) == {"/name", "/resident_id", "/phone", "/code", "/password"}


def test_wrong_code_counts_a_try_and_five_wrong_tries_kill_the_code(
    service: RegistrationService, sms: RecordingSms, db: Database
) -> None:
    service.request_phone_code(PHONE)
    right = sms.last_code(PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(ValidationError) as exc:
            sign_up(service, sms, code=wrong)
        left = MAX_ATTEMPTS - attempt
        assert pointers(exc)["/code"] == (
            f"验证码错误，还可尝试 {left} 次" if left else "验证码错误次数过多，请重新获取"
        )
        assert challenges(db)[0].attempts == attempt
    with pytest.raises(ValidationError) as exc:
        sign_up(service, sms, code=right)  # too late, even with the right code
    assert pointers(exc) == {"/code": "验证码错误次数过多，请重新获取"}
    assert count(db, User) == 0


def test_expired_code_is_refused(service: RegistrationService, sms: RecordingSms, clock: Clock) -> None:
    service.request_phone_code(PHONE)
    clock.advance(5 * 60)
    with pytest.raises(ValidationError) as exc:
        sign_up(service, sms)
    assert pointers(exc) == {"/code": "验证码已过期，请重新获取"}


def test_a_code_cannot_be_used_twice(service: RegistrationService, sms: RecordingSms, db: Database) -> None:
    service.request_phone_code(PHONE)
    sign_up(service, sms)
    with pytest.raises(ValidationError) as exc:
        sign_up(service, sms, resident_id=OTHER_RID)
    assert pointers(exc) == {"/code": "验证码已使用，请重新获取"}
    assert count(db, User) == 1


def test_only_the_newest_code_of_a_phone_is_valid(
    service: RegistrationService, sms: RecordingSms, clock: Clock
) -> None:
    service.request_phone_code(PHONE)
    first = sms.last_code(PHONE)
    clock.advance(61)
    service.request_phone_code(PHONE)
    if sms.last_code(PHONE) != first:
        with pytest.raises(ValidationError):
            sign_up(service, sms, code=first)
    assert sign_up(service, sms).username == PHONE


def test_registered_resident_id_is_refused_after_the_code_proves_the_phone_and_counts_a_try(
    service: RegistrationService, sms: RecordingSms, db: Database
) -> None:
    service.request_phone_code(PHONE)
    sign_up(service, sms)
    service.request_phone_code(OTHER_PHONE)
    with pytest.raises(ValidationError) as exc:
        sign_up(service, sms, phone=OTHER_PHONE)
    assert pointers(exc) == {"/resident_id": "该身份证号已注册，请直接登录"}
    other = challenges(db)[-1]
    assert other.attempts == 1 and other.consumed_at is None  # probing IDs is bounded by the tries
    assert count(db, User) == 1 and count(db, RealNameVerification) == 1


def test_registered_phone_is_refused(
    service: RegistrationService, sms: RecordingSms, db: Database, clock: Clock
) -> None:
    service.request_phone_code(PHONE)
    sign_up(service, sms)
    clock.advance(61)
    service.request_phone_code(PHONE)  # sent anyway: asking for a code reveals no account
    with pytest.raises(ValidationError) as exc:
        sign_up(service, sms, resident_id=OTHER_RID)
    assert pointers(exc) == {"/phone": "该手机号已注册，请直接登录"}
    assert count(db, User) == 1


def test_a_failure_after_the_account_row_leaves_nothing_written_and_the_code_usable(
    service: RegistrationService, sms: RecordingSms, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.request_phone_code(PHONE)
    events_before = count(db, AuditEvent)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(registration, "append_global_event", broken)
    with pytest.raises(RuntimeError):
        sign_up(service, sms)
    assert count(db, User) == 0 and count(db, RealNameVerification) == 0
    assert count(db, AuditEvent) == events_before
    [row] = challenges(db)
    assert row.consumed_at is None and row.attempts == 0
    monkeypatch.undo()
    assert sign_up(service, sms).username == PHONE


def test_two_threads_redeeming_one_code_create_exactly_one_account(
    service: RegistrationService, sms: RecordingSms, db: Database
) -> None:
    service.request_phone_code(PHONE)
    code = sms.last_code(PHONE)
    start = threading.Barrier(2)
    outcomes: list[Any] = []

    def attempt(rid: str) -> None:
        start.wait(timeout=10)
        try:
            outcomes.append(sign_up(service, sms, resident_id=rid, code=code))
        except (ValidationError, ConflictError) as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=attempt, args=(rid,)) for rid in (RID, OTHER_RID)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2
    assert sum(isinstance(o, registration.RegisteredWorker) for o in outcomes) == 1
    assert count(db, User) == 1 and count(db, RealNameVerification) == 1


def test_racing_transactions_that_both_read_the_unused_code_let_only_one_redeem_it(
    pg_db: Database, sms: RecordingSms, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both transactions see the code unused before either writes; the conditional UPDATE decides."""
    service = RegistrationService(pg_db, sms, secret_key=SECRET, clock=clock)
    service.request_phone_code(PHONE)
    code = sms.last_code(PHONE)
    both_read = threading.Barrier(2)
    real_hash = registration.code_hash

    def hash_after_both_have_read(*args: Any) -> str:
        both_read.wait(timeout=10)  # called in _redeem between the SELECT and the UPDATE
        return real_hash(*args)

    monkeypatch.setattr(registration, "code_hash", hash_after_both_have_read)
    outcomes: list[Any] = []

    def attempt(rid: str) -> None:
        try:
            outcomes.append(sign_up(service, sms, resident_id=rid, code=code))
        except ValidationError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=attempt, args=(rid,)) for rid in (RID, OTHER_RID)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [o for o in outcomes if isinstance(o, registration.RegisteredWorker)]
    losers = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1
    assert {p.pointer: p.message for p in losers[0].problems} == {"/code": "验证码已使用，请重新获取"}
    assert count(pg_db, User) == 1
