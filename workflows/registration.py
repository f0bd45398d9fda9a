"""Worker self-registration for the portal: real name and resident ID, phone proven by an SMS code.

- `request_phone_code` makes a 6-digit code, keeps only its HMAC (instance secret key) with an
  expiry and a wrong-try counter, and hands the text to the `SmsSender` port once the row has
  committed.  The code is never stored in clear (which is why it does not go through the
  outbox); a failed hand-over marks the row so it can never be redeemed.  Sending is limited
  per phone: one a minute, five an hour.
- `register_worker` validates every field, redeems the code exactly once (a conditional UPDATE
  whose row count decides a race), creates the account with role `worker` and records the
  evidence of the check (a `real_name_verification` row and a global audit event) — all in one
  transaction.  Wrong codes, and refusals that would reveal an existing registration, count
  as tries in a transaction of their own so the count survives the refusal; after five tries
  the code is dead, which bounds guessing and probing for registered resident IDs.

The check is what the portal itself can establish: a well-formed resident ID (GB 11643 check
digit, real birth date) declared with a name, by the holder of a mainland mobile number.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.audit import Actor, append_global_event
from workflows.db import Database
from workflows.errors import FieldProblem, RateLimitedError, SmsUnavailableError, ValidationError
from workflows.identity import actor_for_user, create_user, is_valid_resident_id, password_problems
from workflows.models import PhoneChallenge, RealNameVerification, User, UserRole
from workflows.ports import SmsSender
from workflows.roles import WORKER
from workflows.runtime import Clock, utcnow

SIGNUP = "signup"
CONTRACT_SIGNING = "contract_signing"  # a worker proves identity before signing a labour contract
PURPOSES = frozenset({SIGNUP, CONTRACT_SIGNING})
METHOD = "resident_id+sms"

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
PHONE_WINDOW = timedelta(hours=1)
PHONE_MAX_PER_WINDOW = 5

NAME_MAX_LENGTH = 50
_NAME_SEPARATORS = "·•・ "  # the middle dot of minority and transliterated names, and spaces
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_CODE = re.compile(r"^[0-9]{6}$")

SMS_TEXT = (
    "【劳动人事争议仲裁】您的注册验证码为 {code}，{minutes} 分钟内有效。请勿告诉他人；如非本人操作，请忽略。"
)
SMS_TEXTS = {
    SIGNUP: SMS_TEXT,
    CONTRACT_SIGNING: (
        "【电子劳动合同】您正在签署劳动合同，验证码为 {code}，{minutes} 分钟内有效。"
        "请勿告诉他人；如非本人操作，请忽略。"
    ),
}

# The actor of the `user.created` event: nobody is logged in while an account signs itself up.
SELF_SIGNUP = Actor(user_id=None, label="portal-signup")

RESIDENT_ID_TAKEN = "该身份证号已注册，请直接登录"
PHONE_TAKEN = "该手机号已注册，请直接登录"


@dataclass(frozen=True)
class CodeSent:
    """What the caller may tell the person: where the code went and the timings."""

    phone_masked: str
    expires_in: int  # seconds the code stays valid
    resend_after: int  # seconds until another code may be asked for


@dataclass(frozen=True)
class RegisteredWorker:
    user_id: int
    username: str  # the phone number: workers log in with it
    actor: Actor


class _CountedRefusal(Exception):
    """Refuse with `error`, and count one try on the challenge (in its own transaction)."""

    def __init__(self, challenge_id: int, error: ValidationError):
        super().__init__(error.message)
        self.challenge_id = challenge_id
        self.error = error


# ---------------------------------------------------------------------------
# Field rules
# ---------------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """Digits only, without the +86 / 0086 country prefix ("+86 138-0013-8000" -> "13800138000").

    Full-width digits, as Chinese input methods often type them, become ASCII (NFKC).
    """
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits


def is_mobile_phone(phone: str) -> bool:
    """A mainland mobile number: 11 digits starting 13–19."""
    return bool(_MOBILE.match(phone))


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "*" * len(phone)


def mask_resident_id(resident_id: str) -> str:
    """Region code and the last four kept, birth date hidden: 110101********123X."""
    return resident_id[:6] + "*" * 8 + resident_id[-4:]


def name_problem(name: str) -> str | None:
    """Why a name cannot be a resident's legal name, or None."""
    if not 2 <= len(name) <= NAME_MAX_LENGTH:
        return f"姓名须为 2–{NAME_MAX_LENGTH} 个字"
    if (
        not all(ch.isalpha() or ch in _NAME_SEPARATORS for ch in name)
        or name[0] in _NAME_SEPARATORS
        or name[-1] in _NAME_SEPARATORS
    ):
        return "姓名只能包含文字和间隔号「·」"
    return None


def clean_name(name: str) -> str:
    return " ".join(name.split())


def clean_resident_id(resident_id: str) -> str:
    """Upper-case X, full-width characters made ASCII."""
    return unicodedata.normalize("NFKC", resident_id).strip().upper()


def clean_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip()


def signup_problems(name: str, resident_id: str, phone: str, code: str, password: str) -> list[FieldProblem]:
    """Everything wrong with the fields of a sign-up on their own (no database, no code check)."""
    name, rid, tel, code = (
        clean_name(name),
        clean_resident_id(resident_id),
        normalise_phone(phone),
        clean_code(code),
    )
    problems: list[FieldProblem] = []
    if bad_name := name_problem(name):
        problems.append(FieldProblem("/name", bad_name))
    if not (rid.isascii() and is_valid_resident_id(rid)):
        problems.append(FieldProblem("/resident_id", "公民身份号码无效（长度、出生日期或校验码不符）"))
    if not is_mobile_phone(tel):
        problems.append(FieldProblem("/phone", "请输入 11 位中国大陆手机号码"))
    if not _CODE.match(code):
        problems.append(FieldProblem("/code", "请输入短信中的 6 位验证码"))
    return problems + password_problems(password)


def _keyed_hash(secret_key: str, *parts: str) -> str:
    if not secret_key:
        raise ValueError("the application secret key is empty")
    message = "\x00".join(parts).encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def code_hash(secret_key: str, phone: str, purpose: str, code: str) -> str:
    """HMAC-SHA256 of a code bound to its phone and purpose: a copy of the table reveals no code."""
    return _keyed_hash(secret_key, "laborcase/phone-code/v1", phone, purpose, code)


def resident_id_digest(secret_key: str, resident_id: str) -> str:
    """Keyed digest of a resident ID, unique per self-registered account."""
    return _keyed_hash(secret_key, "laborcase/resident-id/v1", resident_id)


def _aware(at: datetime) -> datetime:
    """SQLite hands timestamps back naive; they are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


# ---------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------


class RegistrationService:
    """Phone one-time codes and worker sign-up (see the module docstring)."""

    def __init__(self, db: Database, sms: SmsSender, *, secret_key: str, clock: Clock = utcnow):
        if not secret_key:
            raise ValueError("the application secret key is empty")
        self.db = db
        self.sms = sms
        self.secret_key = secret_key
        self.clock = clock

    # -- one-time codes ---------------------------------------------------------------------

    def request_phone_code(self, phone: str, purpose: str = SIGNUP, client_ip: str | None = None) -> CodeSent:
        """Send a fresh code to `phone`; RateLimitedError (with retry_after) when asked too often.

        A code is sent whether or not the phone is registered already, so this call reveals
        nothing about accounts; sign-up says so only after the code proves the phone is theirs.
        """
        tel = normalise_phone(phone)
        problems = []
        if not is_mobile_phone(tel):
            problems.append(FieldProblem("/phone", "请输入 11 位中国大陆手机号码"))
        if purpose not in PURPOSES:
            problems.append(FieldProblem("/purpose", f"未知用途：{purpose}"))
        if problems:
            raise ValidationError("无法发送验证码", problems)
        code = f"{secrets.randbelow(10**6):06d}"
        now = self.clock()
        with self.db.transaction() as s:
            self._serialise_phone(s, tel)
            self._check_send_rate(s, tel, now)
            row = PhoneChallenge(
                phone=tel,
                purpose=purpose,
                code_hash=code_hash(self.secret_key, tel, purpose, code),
                created_at=now,
                expires_at=now + CODE_TTL,
                attempts=0,
                send_failed=False,
                client_ip=client_ip,
            )
            s.add(row)
            s.flush()
            challenge_id = row.id
        minutes = int(CODE_TTL.total_seconds() // 60)
        try:
            self.sms.send(tel, SMS_TEXTS[purpose].format(code=code, minutes=minutes))
        except Exception as exc:
            with self.db.transaction() as s:
                s.execute(
                    update(PhoneChallenge).where(PhoneChallenge.id == challenge_id).values(send_failed=True)
                )
            if isinstance(exc, SmsUnavailableError):
                raise
            raise SmsUnavailableError("短信发送失败，请稍后重试") from exc
        return CodeSent(
            phone_masked=mask_phone(tel),
            expires_in=int(CODE_TTL.total_seconds()),
            resend_after=int(RESEND_INTERVAL.total_seconds()),
        )

    def _serialise_phone(self, s: Session, phone: str) -> None:
        """One code request per phone at a time, so concurrent requests cannot both pass the limit.

        PostgreSQL: a transaction-scoped advisory lock on the phone.  SQLite: every write
        transaction already begins IMMEDIATE, which serialises writers.
        """
        if self.db.is_postgres:
            key = int.from_bytes(
                hashlib.sha256(b"phone-code:" + phone.encode()).digest()[:8], "big", signed=True
            )
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def _check_send_rate(self, s: Session, phone: str, now: datetime) -> None:
        since = now - PHONE_WINDOW
        recent = s.execute(
            select(PhoneChallenge.created_at, PhoneChallenge.send_failed)
            .where(PhoneChallenge.phone == phone, PhoneChallenge.created_at > since)
            .order_by(PhoneChallenge.created_at)
        ).all()
        sent = [_aware(at) for at, failed in recent if not failed]
        if sent and now - sent[-1] < RESEND_INTERVAL:
            wait = _seconds(sent[-1] + RESEND_INTERVAL - now)
            raise RateLimitedError(f"验证码发送过于频繁，请 {wait} 秒后再试", wait)
        asked = [_aware(at) for at, _ in recent]
        if len(asked) >= PHONE_MAX_PER_WINDOW:
            wait = _seconds(asked[-PHONE_MAX_PER_WINDOW] + PHONE_WINDOW - now)
            raise RateLimitedError(f"该手机号一小时内获取验证码次数已达上限，请 {wait} 秒后再试", wait)

    # -- sign-up ----------------------------------------------------------------------------

    def register_worker(
        self,
        *,
        name: str,
        resident_id: str,
        phone: str,
        code: str,
        password: str,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> RegisteredWorker:
        """Create a worker account after checking resident ID, phone code and password.

        Every malformed field is reported at once (JSON pointers /name, /resident_id, /phone,
        /code, /password) before the code is looked at, so a typo costs no try.
        """
        display, rid, tel, otp = (
            clean_name(name),
            clean_resident_id(resident_id),
            normalise_phone(phone),
            clean_code(code),
        )
        problems = signup_problems(display, rid, tel, otp, password)
        if problems:
            raise ValidationError("注册信息有误", problems)

        now = self.clock()
        digest = resident_id_digest(self.secret_key, rid)
        try:
            with self.db.transaction() as s:
                challenge_id = self._redeem(s, tel, otp, now)
                self._refuse_if_registered(s, challenge_id, rid, tel, digest)
                return self._create(
                    s, display, rid, tel, password, digest, challenge_id, now, client_ip, user_agent
                )
        except _CountedRefusal as refusal:
            self._count_try(refusal.challenge_id)
            raise refusal.error from None

    def verify_phone_code(self, phone: str, code: str, purpose: str) -> int:
        """Redeem the newest code sent to `phone` for `purpose` (once); returns the challenge's id.

        ValidationError (pointer /code) when it does not match, has expired or was used; a
        wrong code counts as a try in a transaction of its own.
        """
        tel, otp = normalise_phone(phone), clean_code(code)
        if not _CODE.match(otp):
            raise ValidationError("验证码无效", [FieldProblem("/code", "请输入短信中的 6 位验证码")])
        try:
            with self.db.transaction() as s:
                return self._redeem(s, tel, otp, self.clock(), purpose)
        except _CountedRefusal as refusal:
            self._count_try(refusal.challenge_id)
            raise refusal.error from None

    def _redeem(self, s: Session, phone: str, code: str, now: datetime, purpose: str = SIGNUP) -> int:
        """Mark the newest code of `phone` used, if it matches; returns its row id."""

        def refuse(message: str) -> ValidationError:
            return ValidationError("验证码无效", [FieldProblem("/code", message)])

        challenge = s.execute(
            select(PhoneChallenge)
            .where(
                PhoneChallenge.phone == phone,
                PhoneChallenge.purpose == purpose,
                PhoneChallenge.send_failed.is_(False),
            )
            .order_by(PhoneChallenge.created_at.desc(), PhoneChallenge.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if challenge is None:
            raise refuse("请先获取短信验证码")
        if challenge.consumed_at is not None:
            raise refuse("验证码已使用，请重新获取")
        if challenge.attempts >= MAX_ATTEMPTS:
            raise refuse("验证码错误次数过多，请重新获取")
        if _aware(challenge.expires_at) <= now:
            raise refuse("验证码已过期，请重新获取")
        if not hmac.compare_digest(challenge.code_hash, code_hash(self.secret_key, phone, purpose, code)):
            left = MAX_ATTEMPTS - challenge.attempts - 1
            message = f"验证码错误，还可尝试 {left} 次" if left > 0 else "验证码错误次数过多，请重新获取"
            raise _CountedRefusal(challenge.id, refuse(message))
        # The row count decides a race: a concurrent redeemer waits for this transaction and,
        # if it commits, finds consumed_at set and updates nothing.
        result = cast(
            CursorResult[Any],
            s.execute(
                update(PhoneChallenge)
                .where(
                    PhoneChallenge.id == challenge.id,
                    PhoneChallenge.consumed_at.is_(None),
                    PhoneChallenge.attempts < MAX_ATTEMPTS,
                    PhoneChallenge.expires_at > now,
                )
                .values(consumed_at=now),
                execution_options={"synchronize_session": False},
            ),
        )
        if result.rowcount != 1:
            raise refuse("验证码已使用，请重新获取")
        return challenge.id

    def _refuse_if_registered(self, s: Session, challenge_id: int, rid: str, phone: str, digest: str) -> None:
        """Tell a proven phone holder that the ID or phone has an account (and count it as a try)."""
        problems = []
        rid_taken = (
            s.execute(
                select(RealNameVerification.id).where(RealNameVerification.resident_id_digest == digest)
            ).first()
            or s.execute(
                select(User.id)
                .join(UserRole, UserRole.user_id == User.id)
                .where(User.resident_id == rid, UserRole.role == WORKER)
            ).first()
        )
        if rid_taken:
            problems.append(FieldProblem("/resident_id", RESIDENT_ID_TAKEN))
        if s.execute(
            select(User.id).where(or_(User.phone == phone, func.lower(User.username) == phone))
        ).first():
            problems.append(FieldProblem("/phone", PHONE_TAKEN))
        if problems:
            raise _CountedRefusal(challenge_id, ValidationError("已注册", problems))

    def _create(
        self,
        s: Session,
        name: str,
        rid: str,
        phone: str,
        password: str,
        digest: str,
        challenge_id: int,
        now: datetime,
        client_ip: str | None,
        user_agent: str | None,
    ) -> RegisteredWorker:
        try:
            user, _ = create_user(
                s,
                username=phone,
                display_name=name,
                password=password,
                roles={WORKER},
                actor=SELF_SIGNUP,
                secret_key=self.secret_key,
                resident_id=rid,
                phone=phone,
            )
        except ValidationError as exc:
            if any(p.pointer == "/username" for p in exc.problems):  # lost a race for the phone
                raise ValidationError("已注册", [FieldProblem("/phone", PHONE_TAKEN)]) from exc
            raise
        evidence = RealNameVerification(
            user_id=user.id,
            method=METHOD,
            verified_at=now,
            name=name,
            resident_id_masked=mask_resident_id(rid),
            resident_id_digest=digest,
            phone=phone,
            phone_challenge_id=challenge_id,
            client_ip=client_ip,
            user_agent=user_agent[:300] if user_agent else None,
        )
        try:
            with s.begin_nested():  # a concurrent sign-up with the same resident ID loses here
                s.add(evidence)
                s.flush()
        except IntegrityError as exc:
            raise ValidationError("已注册", [FieldProblem("/resident_id", RESIDENT_ID_TAKEN)]) from exc
        actor = actor_for_user(user)
        append_global_event(
            s,
            actor,
            "user.real_name_verified",
            f"user:{user.id}",
            None,
            {
                "method": METHOD,
                "verified_at": now,
                "name": name,
                "resident_id_masked": evidence.resident_id_masked,
                "phone_masked": mask_phone(phone),
                "client_ip": client_ip,
                "user_agent": evidence.user_agent,
                "evidence_id": evidence.id,
                "phone_challenge_id": challenge_id,
            },
        )
        return RegisteredWorker(user_id=user.id, username=user.username, actor=actor)

    def _count_try(self, challenge_id: int) -> None:
        with self.db.transaction() as s:
            s.execute(
                update(PhoneChallenge)
                .where(PhoneChallenge.id == challenge_id, PhoneChallenge.consumed_at.is_(None))
                .values(attempts=PhoneChallenge.attempts + 1),
                execution_options={"synchronize_session": False},
            )
