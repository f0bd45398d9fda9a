"""Users and authentication: passwords, one-time codes, access tokens, API keys.

- Passwords are hashed with Argon2id (argon2-cffi); a hash made with older
  parameters is replaced at the next successful login.
- Staff log in with password + TOTP.  The TOTP secret is encrypted at rest with
  Fernet under a key derived (HKDF/SHA-256) from the application secret key, so
  a copy of the database alone cannot mint codes.
- The API authenticates people with short-lived signed access tokens
  (itsdangerous): stateless, no database round trip per request.  Systems
  (courts, HR systems) use long-lived API keys of which only the SHA-256 is kept.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.audit import SYSTEM, Actor, append_global_event
from workflows.errors import AuthenticationError, FieldProblem, NotFoundError, ValidationError
from workflows.models import ApiToken, Organisation, User, UserRole
from workflows.roles import EMPLOYER_AGENT, is_staff, requires_totp, unknown_roles

ACCESS_TOKEN_SALT = "laborcase-access"
TOTP_ISSUER = "Laborcase"
API_KEY_PREFIX = "lck_"
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256  # Argon2 accepts more; this bounds the work an attacker can ask for

BAD_CREDENTIALS = "用户名或密码错误"
TOTP_REQUIRED = "请输入动态口令（一次性验证码）"
TOTP_INVALID = "动态口令错误或已过期"
TOTP_NOT_ENROLLED = "账户尚未绑定动态口令，请联系管理员"
TOTP_UNREADABLE = "动态口令无法校验，请联系管理员"
ACCOUNT_DISABLED = "账户已停用"
TOKEN_EXPIRED = "登录已过期，请重新登录"
TOKEN_INVALID = "访问令牌无效"
API_KEY_INVALID = "API 密钥无效或已吊销"

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,79}$")
_PHONE = re.compile(r"^\+?[0-9][0-9-]{4,19}$")


# ---------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------

_hasher = PasswordHasher()
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def set_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Use other Argon2 parameters (e.g. `argon2.profiles.CHEAPEST` in tests); returns the old hasher.

    Existing hashes keep verifying; they are re-hashed with the new parameters at the next login.
    """
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string with salt and parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches; a malformed hash never matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _dummy_verify(password: str) -> None:
    """Spend the time of one real verification, so unknown users are not told apart by timing."""
    key = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    dummy = _dummy_hashes.get(key)
    if dummy is None:
        dummy = _dummy_hashes[key] = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(dummy, password)


def password_problems(password: str) -> list[FieldProblem]:
    """Policy: at least 10 characters, not only digits (a phone number or a date is not a password)."""
    problems: list[FieldProblem] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(FieldProblem("/password", f"密码至少需要 {PASSWORD_MIN_LENGTH} 个字符"))
    elif len(password) > PASSWORD_MAX_LENGTH:
        problems.append(FieldProblem("/password", f"密码不能超过 {PASSWORD_MAX_LENGTH} 个字符"))
    if password.isdigit():
        problems.append(FieldProblem("/password", "密码不能全部为数字"))
    elif not password.strip():
        problems.append(FieldProblem("/password", "密码不能只包含空白字符"))
    return problems


def check_password_policy(password: str) -> None:
    """Raise ValidationError (pointer "/password") if the password breaks the policy."""
    problems = password_problems(password)
    if problems:
        raise ValidationError("密码不符合要求", problems)


# ---------------------------------------------------------------------------
# Resident identity numbers (GB 11643-1999)
# ---------------------------------------------------------------------------

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK[total % 11]


def is_valid_resident_id(value: str) -> bool:
    """18-character citizen identity number: 17 digits, a real birth date, and the right check char.

    A trailing lower-case "x" is accepted (normalise with `.upper()` before storing).
    """
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born > date.today():
        return False
    return resident_id_check_char(value[:17]) == value[17].upper()


# ---------------------------------------------------------------------------
# Unified social credit codes of organisations (GB 32100-2015)
# ---------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character (MOD 31) of the first 17 characters of a 统一社会信用代码."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("need exactly 17 characters of the USCC alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(value: str) -> str:
    """Upper case, without the spaces and hyphens people type or copy along."""
    return re.sub(r"[\s\-]", "", value).upper()


def is_valid_uscc(value: str) -> bool:
    """18 characters of the code alphabet ending in the right check character (normalise first)."""
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    return uscc_check_char(value[:17]) == value[17]


# ---------------------------------------------------------------------------
# TOTP secrets, encrypted at rest
# ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise ValueError("the application secret key is empty")
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"laborcase", info=b"laborcase/totp-secret/v1"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_totp_secret(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode("ascii")).decode("ascii")


def decrypt_totp_secret(token: str, secret_key: str) -> str:
    """Raises cryptography.fernet.InvalidToken if the key is not the one it was encrypted with."""
    return _fernet(secret_key).decrypt(token.encode("ascii")).decode("ascii")


def totp_provisioning_uri(secret: str, username: str, issuer: str = TOTP_ISSUER) -> str:
    """otpauth:// URI for enrolment in an authenticator app (shown once, as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def _totp_ok(secret: str, code: str) -> bool:
    code = code.replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return False
    return pyotp.TOTP(secret).verify(code, valid_window=1)


# ---------------------------------------------------------------------------
# User management
# ---------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: kept and looked up in lower case."""
    return username.strip().lower()


def _user_snapshot(user: User, roles: Iterable[str]) -> dict[str, Any]:
    """What the audit trail records about a user: never the password, its hash or the TOTP secret."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(roles),
        "organisation_id": user.organisation_id,
        "active": user.active,
        "totp_enrolled": user.totp_secret_enc is not None,
        "resident_id_recorded": user.resident_id is not None,
        "phone_recorded": user.phone is not None,
    }


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    organisation_id: int | None = None,
    actor: Actor,
    secret_key: str,
    resident_id: str | None = None,
    phone: str | None = None,
    supervisor_id: int | None = None,
) -> tuple[User, str | None]:
    """Create an account; returns the user and, for staff, the TOTP secret to enrol (shown once).

    Every invalid field is reported at once (ValidationError with JSON pointers).  Staff and
    employer agents must belong to an organisation, since case access follows it.
    """
    role_set = frozenset(roles)
    name = normalise_username(username)
    problems: list[FieldProblem] = []
    if not _USERNAME.match(name):
        problems.append(
            FieldProblem(
                "/username", "用户名须为 3–80 个字符，只能包含字母、数字和 . _ @ -，以字母或数字开头"
            )
        )
    elif session.execute(select(User.id).where(func.lower(User.username) == name)).first() is not None:
        problems.append(FieldProblem("/username", "用户名已被使用"))
    display = display_name.strip()
    if not display or len(display) > 120:
        problems.append(FieldProblem("/display_name", "姓名不能为空，且不超过 120 个字符"))
    problems += password_problems(password)
    if not role_set:
        problems.append(FieldProblem("/roles", "至少需要一个角色"))
    elif bad := unknown_roles(role_set):
        problems.append(FieldProblem("/roles", f"未知角色：{', '.join(bad)}"))
    if organisation_id is None:
        if is_staff(role_set) or EMPLOYER_AGENT in role_set:
            problems.append(FieldProblem("/organisation_id", "工作人员和用人单位经办人必须属于一个机构"))
    elif session.get(Organisation, organisation_id) is None:
        problems.append(FieldProblem("/organisation_id", "机构不存在"))
    rid = resident_id.strip().upper() if resident_id else None
    if rid is not None and not is_valid_resident_id(rid):
        problems.append(FieldProblem("/resident_id", "公民身份号码无效（长度、出生日期或校验码不符）"))
    tel = phone.strip() if phone else None
    if tel is not None and not _PHONE.match(tel):
        problems.append(FieldProblem("/phone", "电话号码格式无效"))
    if supervisor_id is not None and session.get(User, supervisor_id) is None:
        problems.append(FieldProblem("/supervisor_id", "上级用户不存在"))
    if problems:
        raise ValidationError("用户信息有误", problems)

    totp_secret = pyotp.random_base32() if requires_totp(role_set) else None
    user = User(
        username=name,
        display_name=display,
        password_hash=hash_password(password),
        totp_secret_enc=encrypt_totp_secret(totp_secret, secret_key) if totp_secret else None,
        organisation_id=organisation_id,
        resident_id=rid,
        phone=tel,
        active=True,
        supervisor_id=supervisor_id,
        created_at=datetime.now(UTC),
        roles=[UserRole(role=r) for r in sorted(role_set)],
    )
    try:
        with session.begin_nested():  # a concurrent insert of the same name loses cleanly
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise ValidationError("用户信息有误", [FieldProblem("/username", "用户名已被使用")]) from exc
    append_global_event(
        session, actor, "user.created", f"user:{user.id}", None, _user_snapshot(user, role_set)
    )
    return user, totp_secret


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def set_password(session: Session, user_id: int, password: str, *, actor: Actor) -> None:
    """Replace a user's password (policy enforced); the audit event records only that it changed."""
    check_password_policy(password)
    user = _get_user(session, user_id)
    user.password_hash = hash_password(password)
    append_global_event(session, actor, "user.password_set", f"user:{user.id}", None, {"password": "changed"})


def set_active(session: Session, user_id: int, active: bool, *, actor: Actor) -> None:
    """Enable or disable an account; disabled accounts can no longer log in or use API keys."""
    user = _get_user(session, user_id)
    if user.active == active:
        return
    before = {"active": user.active}
    user.active = active
    append_global_event(
        session,
        actor,
        "user.activated" if active else "user.deactivated",
        f"user:{user.id}",
        before,
        {"active": active},
    )


def reset_totp(session: Session, user_id: int, *, actor: Actor, secret_key: str) -> str:
    """Give the user a new TOTP secret (lost phone); returns it once for enrolment."""
    user = _get_user(session, user_id)
    secret = pyotp.random_base32()
    user.totp_secret_enc = encrypt_totp_secret(secret, secret_key)
    append_global_event(session, actor, "user.totp_reset", f"user:{user.id}", None, {"totp_enrolled": True})
    return secret


def actor_for_user(user: User) -> Actor:
    """The Actor services see for a user: id, display name, roles, organisation."""
    return Actor(
        user_id=user.id,
        label=user.display_name,
        roles=user.role_codes,
        organisation_id=user.organisation_id,
    )


# ---------------------------------------------------------------------------
# Login
# ---------------------------------------------------------------------------


def authenticate(
    session: Session,
    username: str,
    password: str,
    totp_code: str | None,
    secret_key: str,
    require_totp_for_staff: bool = True,
) -> Actor:
    """Check password (and, for staff, the one-time code); return the Actor.

    Unknown user and wrong password give the same message and take the same time.  A stale
    password hash is upgraded here, so call inside a transaction that commits.
    """
    name = normalise_username(username)
    user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        _dummy_verify(password)
        raise AuthenticationError(BAD_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        raise AuthenticationError(BAD_CREDENTIALS)
    if not user.active:
        raise AuthenticationError(ACCOUNT_DISABLED)
    if require_totp_for_staff and requires_totp(user.role_codes):
        if user.totp_secret_enc is None:
            raise AuthenticationError(TOTP_NOT_ENROLLED)
        if not totp_code or not totp_code.strip():
            raise AuthenticationError(TOTP_REQUIRED)
        try:
            secret = decrypt_totp_secret(user.totp_secret_enc, secret_key)
        except InvalidToken as exc:  # the secret key changed since enrolment
            raise AuthenticationError(TOTP_UNREADABLE) from exc
        if not _totp_ok(secret, totp_code):
            raise AuthenticationError(TOTP_INVALID)
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return actor_for_user(user)


# ---------------------------------------------------------------------------
# Access tokens (stateless, for the API and the portal)
# ---------------------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise ValueError("the application secret key is empty")
    return URLSafeTimedSerializer(secret_key, salt=ACCESS_TOKEN_SALT)


def issue_access_token(actor: Actor, secret_key: str, ttl_seconds: int) -> str:
    """Signed, timestamped token carrying the actor; the reader enforces the age limit.

    `ttl_seconds` is recorded in the token so a reader never accepts it for longer than issued.
    Tokens are not revocable: keep the TTL short (deactivation takes effect at expiry).
    """
    if actor.user_id is None:
        raise ValueError("access tokens are issued to users, never to the system actor")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    payload = {
        "u": actor.user_id,
        "n": actor.label,
        "r": sorted(actor.roles),
        "o": actor.organisation_id,
        "t": ttl_seconds,
    }
    return _serializer(secret_key).dumps(payload)


def read_access_token(token: str, secret_key: str, max_age: int) -> Actor:
    """The Actor of a valid token; AuthenticationError if expired, tampered or malformed."""
    serializer = _serializer(secret_key)
    try:
        payload, issued = serializer.loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise AuthenticationError(TOKEN_EXPIRED) from exc
    except BadSignature as exc:
        raise AuthenticationError(TOKEN_INVALID) from exc
    if not isinstance(payload, dict):
        raise AuthenticationError(TOKEN_INVALID)
    user_id, label, roles, org, ttl = (payload.get(k) for k in ("u", "n", "r", "o", "t"))
    if (
        not isinstance(user_id, int)
        or isinstance(user_id, bool)
        or not isinstance(label, str)
        or not isinstance(roles, list)
        or not all(isinstance(r, str) for r in roles)
        or not (org is None or (isinstance(org, int) and not isinstance(org, bool)))
        or not isinstance(ttl, int)
    ):
        raise AuthenticationError(TOKEN_INVALID)
    if (datetime.now(UTC) - issued).total_seconds() > ttl:
        raise AuthenticationError(TOKEN_EXPIRED)
    return Actor(user_id=user_id, label=label, roles=frozenset(roles), organisation_id=org)


# ---------------------------------------------------------------------------
# API keys (for systems)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiKeyInfo:
    """An authenticated API key: whose it is and what it may be used for."""

    key_id: int
    actor: Actor
    scopes: tuple[str, ...]


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, user_id: int, label: str, scopes: Sequence[str], *, actor: Actor = SYSTEM
) -> str:
    """Create a key for a (system) user; returns the plain key once, stores only its SHA-256."""
    user = _get_user(session, user_id)
    problems: list[FieldProblem] = []
    if not label.strip() or len(label.strip()) > 120:
        problems.append(FieldProblem("/label", "名称不能为空，且不超过 120 个字符"))
    if isinstance(scopes, str) or not all(isinstance(s, str) and s for s in scopes):
        problems.append(FieldProblem("/scopes", "权限范围须为非空字符串列表"))
    if problems:
        raise ValidationError("API 密钥信息有误", problems)
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_key_hash(key),
        label=label.strip(),
        scopes=sorted(set(scopes)),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    append_global_event(
        session,
        actor,
        "api_key.created",
        f"api_key:{row.id}",
        None,
        {"user_id": user.id, "label": row.label, "scopes": row.scopes},
    )
    return key


def revoke_api_key(session: Session, key_id: int, *, actor: Actor) -> None:
    """Revoke a key for good (idempotent)."""
    row = session.get(ApiToken, key_id)
    if row is None:
        raise NotFoundError("api_key", key_id)
    if row.revoked_at is not None:
        return
    row.revoked_at = datetime.now(UTC)
    append_global_event(
        session, actor, "api_key.revoked", f"api_key:{row.id}", {"revoked": False}, {"revoked": True}
    )


def api_key_info(session: Session, key: str) -> ApiKeyInfo:
    """Look up a presented key; AuthenticationError if unknown, revoked or its user is disabled."""
    if not key.startswith(API_KEY_PREFIX):
        raise AuthenticationError(API_KEY_INVALID)
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _key_hash(key))
    ).first()
    if row is None:
        raise AuthenticationError(API_KEY_INVALID)
    token, user = row
    if token.revoked_at is not None or not user.active:
        raise AuthenticationError(API_KEY_INVALID)
    return ApiKeyInfo(key_id=token.id, actor=actor_for_user(user), scopes=tuple(token.scopes or ()))


def actor_for_api_key(session: Session, key: str) -> Actor:
    """The Actor behind a valid API key (see `api_key_info` for its scopes)."""
    return api_key_info(session, key).actor
