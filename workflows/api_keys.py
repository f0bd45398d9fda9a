"""Employers' API keys: HR systems create, send and track labour contracts through the API.

A key is `lcek_<key_id>_<secret>`: `key_id` (public, 10 characters) finds the row, the secret
(256 random bits) proves possession.  Only HMAC-SHA256(app secret key, whole key) is stored.  A
slow password hash (Argon2) buys nothing for a 256-bit random secret — nobody can guess it,
however fast each try is — and would cost tens of milliseconds of CPU on every API call; keying
the hash with the app secret means a leaked database alone cannot even check a guess.  (Rotating
LABORCASE_SECRET_KEY therefore retires every key: issue new ones.)  The prefix differs from the
`lck_` system keys of `workflows.identity` so the two never get mixed up.

A key belongs to one employer and acts for one of its agents — the audit trail names that person
— with only its scopes (`contracts:read`, `contracts:write`, `contracts:send`) and only on that
employer's contracts.  It stops working when revoked, past its expiry, or when the agent is
disabled or no longer an agent of that employer.  Keys are issued by the employer's agent (for
themselves) or an administrator; issue and revocation are audited.  Keys cannot manage keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.audit import Actor, append_global_event
from workflows.errors import (
    AuthenticationError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import EmployerApiKey, Organisation, User
from workflows.roles import ADMIN, EMPLOYER_AGENT

KEY_PREFIX = "lcek_"
READ, WRITE, SEND = "contracts:read", "contracts:write", "contracts:send"
TEMPLATES_WRITE = "templates:write"  # revise the employer's contract templates (reading them: READ)
SCOPES = (READ, WRITE, SEND, TEMPLATES_WRITE)
SCOPE_LABELS = {
    READ: "查看劳动合同",
    WRITE: "起草和作废劳动合同",
    SEND: "向劳动者发送劳动合同",
    TEMPLATES_WRITE: "修改劳动合同模板",
}
DEFAULT_TTL = timedelta(days=365)
MAX_TTL = timedelta(days=731)
LAST_USED_EVERY = timedelta(minutes=1)  # write last use at most this often per key
_KEY_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no "_": the separator
_KEY_ID_LENGTH = 10

KEY_INVALID = "API 密钥无效"
KEY_REVOKED = "API 密钥已吊销"
KEY_EXPIRED = "API 密钥已过期"
KEY_HOLDER_GONE = "API 密钥所属经办人已停用或不再代表该用人单位"


class InsufficientScopeError(PermissionDeniedError):
    """The key is valid but was not given the scope this call needs."""

    code = "insufficient_scope"

    def __init__(self, scope: str):
        super().__init__(f"API 密钥没有「{scope}」权限（{SCOPE_LABELS.get(scope, scope)}）")
        self.scope = scope


@dataclass(frozen=True)
class KeyView:
    """A key as listed: never its secret."""

    key_id: str
    employer_id: int
    user_id: int
    label: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `key` is shown this once and never stored."""

    key: str
    view: KeyView


@dataclass(frozen=True)
class KeyCaller:
    """An authenticated key: the actor it acts as and what it may do."""

    key_id: str
    actor: Actor
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise InsufficientScopeError(scope)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _hash(secret_key: str, key: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()


def _view(row: EmployerApiKey) -> KeyView:
    return KeyView(
        key_id=row.key_id,
        employer_id=row.employer_id,
        user_id=row.user_id,
        label=row.label,
        scopes=tuple(row.scopes or ()),
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
        last_used_at=_aware(row.last_used_at) if row.last_used_at else None,
        last_used_ip=row.last_used_ip,
    )


def _is_admin(actor: Actor) -> bool:
    return actor.is_system or ADMIN in actor.roles


def _may_manage(actor: Actor, employer_id: int) -> None:
    if _is_admin(actor):
        return
    if EMPLOYER_AGENT in actor.roles and actor.organisation_id == employer_id:
        return
    raise PermissionDeniedError("只有本单位经办人或系统管理员可以管理 API 密钥")


def _is_agent_of(user: User | None, employer_id: int) -> bool:
    return (
        user is not None
        and user.active
        and user.organisation_id == employer_id
        and EMPLOYER_AGENT in user.role_codes
    )


def issue_key(
    session: Session,
    actor: Actor,
    *,
    secret_key: str,
    label: str,
    scopes: Sequence[str],
    employer_id: int | None = None,
    agent_user_id: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedKey:
    """Issue a key for an employer, acting for one of its agents (the issuing agent by default)."""
    now = now or datetime.now(UTC)
    employer_id = employer_id if employer_id is not None else actor.organisation_id
    if employer_id is None:
        raise ValidationError("须指明用人单位", [FieldProblem("/employer_id", "须指明用人单位")])
    _may_manage(actor, employer_id)
    if not _is_admin(actor):
        if agent_user_id not in (None, actor.user_id):
            raise PermissionDeniedError("经办人只能为本人签发 API 密钥")
        agent_user_id = actor.user_id
    problems: list[FieldProblem] = []
    label = (label or "").strip()
    if not label or len(label) > 120:
        problems.append(FieldProblem("/label", "名称不能为空，且不超过 120 个字符"))
    unknown = [s for s in scopes if s not in SCOPES]
    if isinstance(scopes, str) or not scopes or unknown:
        problems.append(FieldProblem("/scopes", f"权限范围须为 {', '.join(SCOPES)} 中的一项或多项"))
    expires_at = _aware(expires_at) if expires_at is not None else now + DEFAULT_TTL
    if expires_at <= now or expires_at > now + MAX_TTL:
        problems.append(FieldProblem("/expires_at", "有效期须在现在之后、两年以内"))
    org = session.get(Organisation, employer_id)
    if org is None or org.kind != "employer":
        problems.append(FieldProblem("/employer_id", "须为已登记的用人单位"))
    agent = session.get(User, agent_user_id) if agent_user_id is not None else None
    if not _is_agent_of(agent, employer_id):
        problems.append(FieldProblem("/agent_user_id", "须为该用人单位在职的经办人账号"))
    if problems:
        raise ValidationError("API 密钥信息有误", problems)
    assert agent is not None
    key_id = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(_KEY_ID_LENGTH))
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    row = EmployerApiKey(
        key_id=key_id,
        employer_id=employer_id,
        user_id=agent.id,
        label=label,
        scopes=sorted(set(scopes)),
        secret_hash=_hash(secret_key, key),
        created_by=actor.user_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    append_global_event(
        session,
        actor,
        "employer_api_key.issued",
        f"employer_api_key:{key_id}",
        None,
        {
            "employer_id": employer_id,
            "user_id": agent.id,
            "label": label,
            "scopes": row.scopes,
            "expires_at": expires_at,
        },
    )
    return IssuedKey(key=key, view=_view(row))


def revoke_key(session: Session, actor: Actor, key_id: str, *, now: datetime | None = None) -> KeyView:
    """Revoke a key for good (idempotent); another employer's key is reported as absent."""
    row = session.execute(
        select(EmployerApiKey).where(EmployerApiKey.key_id == key_id).with_for_update()
    ).scalar_one_or_none()
    if row is None or not (_is_admin(actor) or actor.organisation_id == row.employer_id):
        raise NotFoundError("api key", key_id)
    _may_manage(actor, row.employer_id)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = now or datetime.now(UTC), actor.user_id
        append_global_event(
            session,
            actor,
            "employer_api_key.revoked",
            f"employer_api_key:{key_id}",
            {"revoked": False},
            {"revoked": True, "employer_id": row.employer_id},
        )
    return _view(row)


def list_keys(session: Session, actor: Actor, employer_id: int | None = None) -> list[KeyView]:
    """An employer's keys, newest first (the actor's own employer unless an administrator asks)."""
    employer_id = employer_id if employer_id is not None and _is_admin(actor) else actor.organisation_id
    if employer_id is None:
        raise ValidationError("须指明用人单位", [FieldProblem("/employer_id", "须指明用人单位")])
    _may_manage(actor, employer_id)
    rows = session.execute(
        select(EmployerApiKey)
        .where(EmployerApiKey.employer_id == employer_id)
        .order_by(EmployerApiKey.id.desc())
    ).scalars()
    return [_view(r) for r in rows]


def parse_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not sep or len(key_id) != _KEY_ID_LENGTH or not secret or len(secret) > 100:
        return None
    return key_id


def authenticate_key(
    session: Session,
    key: str,
    *,
    secret_key: str,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> KeyCaller:
    """The caller behind a presented key; AuthenticationError (401) if it is not good now."""
    now = now or datetime.now(UTC)
    key_id = parse_key(key)
    row = (
        session.execute(select(EmployerApiKey).where(EmployerApiKey.key_id == key_id)).scalar_one_or_none()
        if key_id
        else None
    )
    presented = _hash(secret_key, key)
    if row is None or not hmac.compare_digest(presented, row.secret_hash):
        raise AuthenticationError(KEY_INVALID)
    if row.revoked_at is not None:
        raise AuthenticationError(KEY_REVOKED)
    if _aware(row.expires_at) <= now:
        raise AuthenticationError(KEY_EXPIRED)
    agent = session.get(User, row.user_id)
    if not _is_agent_of(agent, row.employer_id):
        raise AuthenticationError(KEY_HOLDER_GONE)
    assert agent is not None
    if row.last_used_at is None or now - _aware(row.last_used_at) >= LAST_USED_EVERY:
        row.last_used_at, row.last_used_ip = now, (client_ip or None)
    actor = Actor(
        user_id=agent.id,
        label=f"{agent.display_name}（API 密钥 {row.key_id}）"[:120],
        roles=frozenset({EMPLOYER_AGENT}),  # never more than an agent, whatever else the user is
        organisation_id=row.employer_id,
    )
    return KeyCaller(key_id=row.key_id, actor=actor, scopes=frozenset(row.scopes or ()))
