"""Employers' API keys: issued once, stored as an HMAC, bound to one employer and agent, scoped."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support import SECRET, make_employer
from workflows.api_keys import (
    KEY_EXPIRED,
    KEY_HOLDER_GONE,
    KEY_INVALID,
    KEY_REVOKED,
    READ,
    SEND,
    WRITE,
    InsufficientScopeError,
    authenticate_key,
    issue_key,
    list_keys,
    revoke_key,
)
from workflows.audit import SYSTEM, Actor
from workflows.db import Database
from workflows.errors import AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError
from workflows.identity import set_active
from workflows.models import AuditEvent, EmployerApiKey

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def employers(db: Database) -> tuple[Actor, Actor]:
    _, agent = make_employer(db, "北京某某科技有限公司", "91110108MA01ABCD2X", "hr1")
    _, other = make_employer(db, "另一家某某公司", "91110108MA01XYZW3R", "hr9")
    return agent, other


def _issue(
    db: Database,
    actor: Actor,
    scopes: list[str] | None = None,
    *,
    employer_id: int | None = None,
    agent_user_id: int | None = None,
    expires_at: datetime | None = None,
) -> str:
    with db.transaction() as s:
        issued = issue_key(
            s, actor, secret_key=SECRET, label="HR 系统", scopes=scopes or [READ, WRITE], now=NOW,
            employer_id=employer_id, agent_user_id=agent_user_id, expires_at=expires_at,
        )  # fmt: skip
        return issued.key


def _auth(db: Database, key: str, now: datetime = NOW, ip: str | None = "198.51.100.9") -> object:
    with db.transaction() as s:
        return authenticate_key(s, key, secret_key=SECRET, client_ip=ip, now=now)


def test_a_key_is_shown_once_and_only_its_hmac_is_stored(
    db: Database, employers: tuple[Actor, Actor]
) -> None:
    agent, _ = employers
    key = _issue(db, agent)
    assert key.startswith("lcek_")
    with db.transaction() as s:
        row = s.execute(select(EmployerApiKey)).scalar_one()
        assert key.startswith(f"lcek_{row.key_id}_")
        assert row.secret_hash == hmac.new(SECRET.encode(), key.encode(), hashlib.sha256).hexdigest()
        assert key not in repr(row.__dict__)
        assert (row.employer_id, row.user_id, row.scopes) == (
            agent.organisation_id,
            agent.user_id,
            [READ, WRITE],
        )
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "employer_api_key.issued")
        ).scalar_one()
        assert event.actor_id == agent.user_id and event.after is not None
        assert event.after["scopes"] == [READ, WRITE] and key not in str(event.after)


def test_a_key_acts_as_its_agent_of_its_employer_only_and_records_last_use(
    db: Database, employers: tuple[Actor, Actor]
) -> None:
    agent, _ = employers
    caller = _auth(db, _issue(db, agent))
    assert caller.actor.user_id == agent.user_id  # type: ignore[attr-defined]
    assert caller.actor.organisation_id == agent.organisation_id  # type: ignore[attr-defined]
    assert caller.actor.roles == frozenset({"employer_agent"})  # type: ignore[attr-defined]
    assert "API 密钥" in caller.actor.label  # type: ignore[attr-defined]
    with db.transaction() as s:
        row = s.execute(select(EmployerApiKey)).scalar_one()
        assert row.last_used_ip == "198.51.100.9" and row.last_used_at is not None


def test_a_key_lacking_a_scope_is_refused_that_operation(
    db: Database, employers: tuple[Actor, Actor]
) -> None:
    agent, _ = employers
    caller = _auth(db, _issue(db, agent, [READ]))
    caller.require(READ)  # type: ignore[attr-defined]
    with pytest.raises(InsufficientScopeError) as caught:
        caller.require(SEND)  # type: ignore[attr-defined]
    assert isinstance(caught.value, PermissionDeniedError) and caught.value.scope == SEND


@pytest.mark.parametrize(
    "tamper",
    [lambda k: k[:-2] + ("AA" if not k.endswith("AA") else "BB"), lambda k: k.replace("lcek_", "lck_")],
)
def test_a_wrong_or_malformed_key_is_refused(
    db: Database, employers: tuple[Actor, Actor], tamper: object
) -> None:
    key = _issue(db, employers[0])
    with pytest.raises(AuthenticationError, match=KEY_INVALID):
        _auth(db, tamper(key))  # type: ignore[operator]
    for bad in ("", "lcek_", "lcek_abc_def", "lcek_aaaaaaaaaa_x"):
        with pytest.raises(AuthenticationError, match=KEY_INVALID):
            _auth(db, bad)


def test_an_expired_key_is_refused(db: Database, employers: tuple[Actor, Actor]) -> None:
    key = _issue(db, employers[0], expires_at=NOW + timedelta(days=30))
    _auth(db, key, NOW + timedelta(days=29))
    with pytest.raises(AuthenticationError, match=KEY_EXPIRED):
        _auth(db, key, NOW + timedelta(days=30))


def test_a_revoked_key_is_refused_and_revocation_is_audited_once(
    db: Database, employers: tuple[Actor, Actor]
) -> None:
    agent, _ = employers
    key = _issue(db, agent)
    key_id = key.split("_")[1]
    with db.transaction() as s:
        assert revoke_key(s, agent, key_id, now=NOW).revoked_at == NOW
        revoke_key(s, agent, key_id)  # idempotent
    with pytest.raises(AuthenticationError, match=KEY_REVOKED):
        _auth(db, key)
    with db.transaction() as s:
        revoked = s.execute(
            select(AuditEvent).where(AuditEvent.action == "employer_api_key.revoked")
        ).scalars()
        assert len(list(revoked)) == 1


def test_another_employers_agent_can_neither_see_nor_revoke_a_key(
    db: Database, employers: tuple[Actor, Actor]
) -> None:
    agent, other = employers
    key_id = _issue(db, agent).split("_")[1]
    with db.transaction() as s:
        with pytest.raises(NotFoundError):
            revoke_key(s, other, key_id)
        assert list_keys(s, other) == []
        assert [k.key_id for k in list_keys(s, agent)] == [key_id]
    with db.transaction() as s, pytest.raises(PermissionDeniedError):
        issue_key(s, other, secret_key=SECRET, label="x", scopes=[READ], employer_id=agent.organisation_id)


def test_a_key_stops_working_when_its_agent_is_disabled(db: Database, employers: tuple[Actor, Actor]) -> None:
    agent, _ = employers
    key = _issue(db, agent)
    with db.transaction() as s:
        set_active(s, agent.user_id or 0, False, actor=SYSTEM)
    with pytest.raises(AuthenticationError, match=KEY_HOLDER_GONE):
        _auth(db, key)


def test_an_administrator_issues_a_key_naming_an_agent_of_that_employer(
    db: Database, employers: tuple[Actor, Actor]
) -> None:
    agent, other = employers
    admin = Actor(None, "system", frozenset({"system"}))
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        issue_key(
            s, admin, secret_key=SECRET, label="x", scopes=[READ],
            employer_id=agent.organisation_id, agent_user_id=other.user_id,
        )  # fmt: skip
    assert [p.pointer for p in caught.value.problems] == ["/agent_user_id"]
    key = _issue(db, admin, employer_id=agent.organisation_id, agent_user_id=agent.user_id)
    assert _auth(db, key).actor.organisation_id == agent.organisation_id  # type: ignore[attr-defined]


def test_scopes_label_and_expiry_are_checked(db: Database, employers: tuple[Actor, Actor]) -> None:
    agent, _ = employers
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        issue_key(
            s, agent, secret_key=SECRET, label=" ", scopes=["cases:read"], expires_at=NOW - timedelta(days=1),
            now=NOW,
        )  # fmt: skip
    assert sorted(p.pointer for p in caught.value.problems) == ["/expires_at", "/label", "/scopes"]
