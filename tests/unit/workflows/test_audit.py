"""Audit trail: hash chain per case and a global chain; verify catches tampering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update

from workflows import audit
from workflows.audit import Actor, PendingEvent
from workflows.db import Database
from workflows.errors import ConflictError
from workflows.models import AuditChainHead, AuditEvent, Case, Organisation, ProcessDefinition


def _case(session, n: int = 1) -> Case:
    org = Organisation(kind="commission", name="测试仲裁委")
    session.add(org)
    session.flush()
    d = ProcessDefinition(
        process_key="p",
        version=n,
        content_hash=f"h{n}",
        bpmn_process_id="p",
        name="p",
        files={},
        deployed_at=datetime.now(UTC),
    )
    session.add(d)
    session.flush()
    now = datetime.now(UTC)
    c = Case(
        case_number=f"C-{n}",
        case_type="t",
        year=2026,
        serial=n,
        title="t",
        status="open",
        organisation_id=org.id,
        definition_id=d.id,
        created_at=now,
        updated_at=now,
        workflow_meta={},
    )
    session.add(c)
    session.flush()
    return c


ALICE = Actor(user_id=None, label="alice")


def _fill(db: Database) -> int:
    with db.transaction() as s:
        c = _case(s)
        audit.append_case_events(s, c, ALICE, [PendingEvent("case.opened", "case", None, {"status": "open"})])
        audit.append_case_events(
            s,
            c,
            ALICE,
            [
                PendingEvent("task.completed", "task:a", {"state": "open"}, {"state": "completed"}),
                PendingEvent("task.created", "task:b", None, {"state": "open"}),
            ],
        )
        audit.append_global_event(s, ALICE, "user.created", "user:1", None, {"username": "bob"})
        return c.id


def test_intact_trail_verifies_clean(db: Database) -> None:
    _fill(db)
    with db.transaction() as s:
        assert audit.verify(s) == []


def test_altered_row_is_detected(db: Database) -> None:
    case_id = _fill(db)
    with db.transaction() as s:
        s.execute(
            update(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.seq == 2)
            .values(after={"state": "cancelled"})
        )
    with db.transaction() as s:
        problems = audit.verify(s)
    assert [p.problem for p in problems] == ["content altered (hash mismatch)"]
    assert problems[0].seq == 2


def test_removed_middle_row_is_detected(db: Database) -> None:
    case_id = _fill(db)
    with db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.seq == 2))
    with db.transaction() as s:
        problems = audit.verify(s)
    assert any("missing" in p.problem for p in problems)


def test_removed_last_row_is_detected_by_the_case_head(db: Database) -> None:
    case_id = _fill(db)
    with db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.seq == 3))
    with db.transaction() as s:
        problems = audit.verify(s)
    assert any("chain head" in p.problem for p in problems)


def test_removed_global_row_is_detected(db: Database) -> None:
    _fill(db)
    with db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.chain == "global"))
    with db.transaction() as s:
        assert any(p.chain == "global" for p in audit.verify(s))


def test_case_head_moves_with_each_event(db: Database) -> None:
    case_id = _fill(db)
    with db.transaction() as s:
        c = s.get(Case, case_id)
        assert c is not None and c.audit_seq == 3 and len(c.audit_head) == 64


def _chain(db: Database, chain: str) -> list[tuple[int, str, str]]:
    with db.transaction() as s:
        rows = s.execute(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq))
        return [(e.seq, e.action, e.prev_hash) for e in rows.scalars()]


def test_a_chain_of_its_own_holds_every_event_of_a_transaction_in_order_and_verifies(db: Database) -> None:
    with db.transaction() as s:
        for n in range(3):
            audit.append_chain_event(s, "labour_contract:1", ALICE, f"step.{n}", "labour_contract:1")
    with db.transaction() as s:
        audit.append_chain_event(s, "labour_contract:1", ALICE, "step.3", "labour_contract:1")
        head = s.get(AuditChainHead, "labour_contract:1")
        assert head is not None and head.seq == 4
    assert [seq for seq, _, _ in _chain(db, "labour_contract:1")] == [1, 2, 3, 4]
    with db.transaction() as s:
        assert audit.verify(s) == []


def test_expiring_the_session_loses_neither_event_nor_head(db: Database) -> None:
    with db.transaction() as s:
        audit.append_chain_event(s, "labour_contract:2", ALICE, "drafted", "labour_contract:2")
        s.flush()
        audit.append_chain_event(s, "labour_contract:2", ALICE, "sent", "labour_contract:2")
        s.expire_all()  # the head row's unflushed seq and hash are discarded from the row itself
    with db.transaction() as s:
        audit.append_chain_event(s, "labour_contract:2", ALICE, "signed", "labour_contract:2")
        s.expire_all()
        audit.append_chain_event(s, "labour_contract:2", ALICE, "signed", "labour_contract:2")
    with db.transaction() as s:
        audit.append_chain_event(s, "labour_contract:2", ALICE, "sealed", "labour_contract:2")
    assert [(seq, action) for seq, action, _ in _chain(db, "labour_contract:2")] == [
        (1, "drafted"), (2, "sent"), (3, "signed"), (4, "signed"), (5, "sealed"),
    ]  # fmt: skip
    with db.transaction() as s:
        assert audit.verify(s) == []


def test_a_rolled_back_savepoint_takes_its_events_and_leaves_the_head_before_it(db: Database) -> None:
    with db.transaction() as s:
        audit.append_chain_event(s, "labour_contract:3", ALICE, "drafted", "labour_contract:3")
        try:
            with s.begin_nested():
                audit.append_chain_event(s, "labour_contract:3", ALICE, "refused", "labour_contract:3")
                raise ValueError("the row failed")
        except ValueError:
            pass
        audit.append_chain_event(s, "labour_contract:3", ALICE, "sent", "labour_contract:3")
    assert [(seq, action) for seq, action, _ in _chain(db, "labour_contract:3")] == [
        (1, "drafted"),
        (2, "sent"),
    ]
    with db.transaction() as s:
        assert audit.verify(s) == []


def test_starting_a_chain_that_exists_fails_instead_of_forking_it(db: Database) -> None:
    with db.transaction() as s:
        audit.append_chain_event(
            s, "labour_contract:4", ALICE, "drafted", "labour_contract:4", new_chain=True
        )
    with pytest.raises(ConflictError), db.transaction() as s:
        audit.append_chain_event(
            s, "labour_contract:4", ALICE, "drafted", "labour_contract:4", new_chain=True
        )
    assert [seq for seq, _, _ in _chain(db, "labour_contract:4")] == [1]
