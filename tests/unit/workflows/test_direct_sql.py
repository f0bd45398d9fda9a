"""Hot-path statements on the raw cursor: same rows, same errors, same events as through the session."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.db import Database
from workflows.direct_sql import DirectStatement, WriteBatch, persistent
from workflows.errors import ConflictError
from workflows.models import AuditEvent

_EVENTS = cast(Table, AuditEvent.__table__)
_INSERT = DirectStatement(insert(_EVENTS))
_READ = DirectStatement(
    select(_EVENTS.c.seq, _EVENTS.c.at, _EVENTS.c.after)
    .where(_EVENTS.c.chain == bindparam("b_chain"))
    .order_by(_EVENTS.c.seq)
)
_RELABEL = DirectStatement(
    update(_EVENTS)
    .where(_EVENTS.c.chain == bindparam("b_chain"), _EVENTS.c.action == "made")
    .values(action="relabelled", actor_label=bindparam("b_label"))
)
AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def _row(seq: int, chain: str = "test", **after: Any) -> dict[str, Any]:
    return {
        "chain": chain,
        "seq": seq,
        "case_id": None,
        "actor_id": None,
        "actor_label": "测试",
        "at": AT,
        "action": "made",
        "entity": "thing",
        "before": None,
        "after": {"n": seq, "名称": "仲裁", **after},
        "prev_hash": "0" * 64,
        "hash": f"{seq:064d}",
    }


def test_rows_inserted_in_one_statement_read_back_with_their_types(db: Database) -> None:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.transaction() as s:
            assert _INSERT.insert_rows(s, [_row(1), _row(2), _row(3)]) == 3
        with db.transaction() as s:
            rows = _READ.all(s, {"b_chain": "test"})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # JSON and timestamps come back as SQLAlchemy returns them, on both backends
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][2] == {"n": 1, "名称": "仲裁"}
    assert rows[0][1].replace(tzinfo=UTC) == AT
    # one multi-VALUES INSERT, seen by before_cursor_execute listeners (statement meters)
    assert sum(1 for sql in seen if sql.startswith("INSERT INTO audit_event")) == 1
    with db.transaction() as s:
        orm_row = s.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one()
        assert orm_row.after == {"n": 2, "名称": "仲裁"} and orm_row.action == "made"


def test_update_counts_rows_and_uses_the_values_fixed_in_the_statement(db: Database) -> None:
    with db.transaction() as s:
        _INSERT.insert_rows(s, [_row(1), _row(2), _row(1, chain="other")])
        assert _RELABEL.execute(s, {"b_chain": "test", "b_label": "新"}) == 2
        assert _RELABEL.execute(s, {"b_chain": "test", "b_label": "新"}) == 0  # `action == "made"` holds
    with db.transaction() as s:
        labels = s.execute(select(AuditEvent.chain, AuditEvent.action, AuditEvent.actor_label)).all()
    assert sorted(labels) == [
        ("other", "made", "测试"),
        ("test", "relabelled", "新"),
        ("test", "relabelled", "新"),
    ]


def test_driver_errors_become_sqlalchemy_errors_and_conflicts(db: Database) -> None:
    with db.transaction() as s:
        _INSERT.insert_rows(s, [_row(1)])
    with pytest.raises(IntegrityError), db.engine.connect() as conn, Session(conn) as s:
        _INSERT.execute(s, _row(1))
    # through a unit of work, a duplicate is the clean conflict every other writer gets
    with pytest.raises(ConflictError), db.transaction() as s:
        _INSERT.insert_rows(s, [_row(2), _row(1)])
    with db.transaction() as s:
        assert [r[0] for r in _READ.all(s, {"b_chain": "test"})] == [1]  # nothing half-written


def test_a_parameter_sqlalchemy_would_fill_in_must_be_given(db: Database) -> None:
    things = Table(
        "thing", MetaData(), Column("id", Integer, primary_key=True), Column("made", String, default="x")
    )
    with pytest.raises(ValueError, match=r"'made' .* must be given"), db.transaction() as s:
        DirectStatement(insert(things)).execute(s, {"id": 1})  # no column defaults are run here
    with pytest.raises(ValueError, match="expanding"), db.transaction() as s:
        DirectStatement(
            select(_EVENTS.c.id).where(_EVENTS.c.seq.in_(bindparam("b_seqs", expanding=True)))
        ).all(s, {"b_seqs": [1]})


def test_batch_sends_writes_in_order_at_flush_and_checks_row_counts(db: Database) -> None:
    with db.transaction() as s:
        batch = WriteBatch(s)
        batch.add_rows(_INSERT, [_row(1), _row(2)])
        batch.add(
            _RELABEL, {"b_chain": "test", "b_label": "批"}, rows=2, otherwise=lambda: ConflictError("x")
        )
        batch.add_rows(_INSERT, [])  # nothing to write: no statement
        assert _READ.all(s, {"b_chain": "test"}) == []  # queued, not sent
        batch.flush()
        assert [r[0] for r in _READ.all(s, {"b_chain": "test"})] == [1, 2]
        batch.flush()  # an empty flush sends nothing
    with db.transaction() as s:
        assert {r[0] for r in s.execute(select(AuditEvent.action))} == {"relabelled"}


def test_batch_raises_the_named_error_when_a_check_fails_and_the_step_rolls_back(db: Database) -> None:
    with pytest.raises(ConflictError, match="moved on"), db.transaction() as s:
        batch = WriteBatch(s)
        batch.add_rows(_INSERT, [_row(1)])
        batch.add(
            _RELABEL,
            {"b_chain": "test", "b_label": "批"},
            rows=2,
            otherwise=lambda: ConflictError("moved on"),
        )
        batch.flush()
    with db.transaction() as s:
        assert _READ.all(s, {"b_chain": "test"}) == []


def test_batch_error_inside_the_pipeline_is_a_clean_conflict(db: Database) -> None:
    with db.transaction() as s:
        _INSERT.insert_rows(s, [_row(1)])
    with pytest.raises(ConflictError), db.transaction() as s:
        batch = WriteBatch(s)
        batch.add_rows(_INSERT, [_row(2)])
        batch.add_rows(_INSERT, [_row(1)])  # duplicate (chain, seq): fails at the sync
        batch.add(_RELABEL, {"b_chain": "test", "b_label": "批"})
        batch.flush()
    with db.transaction() as s:
        assert [(r[0], r[2]["n"]) for r in _READ.all(s, {"b_chain": "test"})] == [(1, 1)]
        assert {r[0] for r in s.execute(select(AuditEvent.action))} == {"made"}


def _statements(db: Database) -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", record)


def test_independent_writes_go_out_as_one_statement_on_postgresql_with_the_same_effect(db: Database) -> None:
    with db.transaction() as s:
        _INSERT.insert_rows(s, [_row(1), _row(2), _row(1, chain="other")])
    seen, stop = _statements(db)
    try:
        with db.transaction() as s:
            batch = WriteBatch(s, independent=True)
            batch.add_rows(_INSERT, [_row(3, chain="third"), _row(4, chain="third", 比例="50%")])
            batch.add(
                _RELABEL, {"b_chain": "test", "b_label": "批"}, rows=2, otherwise=lambda: ConflictError("x")
            )
            batch.add(_RELABEL, {"b_chain": "other", "b_label": "另"})
            batch.flush()
    finally:
        stop()
    writes = [sql for sql in seen if sql.startswith(("WITH", "INSERT", "UPDATE"))]
    if db.is_postgres:
        assert len(writes) == 1 and writes[0].startswith("WITH w0 AS (INSERT INTO audit_event")
    else:
        assert len(writes) == 3  # no such statement in SQLite: one after the other
    with db.transaction() as s:
        rows = s.execute(
            select(AuditEvent.chain, AuditEvent.seq, AuditEvent.action, AuditEvent.actor_label)
        ).all()
        after = s.execute(select(AuditEvent.after).where(AuditEvent.seq == 4)).scalar_one()
    assert sorted(rows) == [
        ("other", 1, "relabelled", "另"),
        ("test", 1, "relabelled", "批"),
        ("test", 2, "relabelled", "批"),
        ("third", 3, "made", "测试"),
        ("third", 4, "made", "测试"),
    ]
    assert after == {"n": 4, "名称": "仲裁", "比例": "50%"}  # a percent sign in a value is just a value


def test_independent_writes_check_each_row_count_and_roll_back_together(db: Database) -> None:
    with db.transaction() as s:
        _INSERT.insert_rows(s, [_row(1)])
    with pytest.raises(ConflictError, match="moved on"), db.transaction() as s:
        batch = WriteBatch(s, independent=True)
        batch.add_rows(_INSERT, [_row(1, chain="other")])
        batch.add(
            _RELABEL,
            {"b_chain": "test", "b_label": "批"},
            rows=2,  # only one row is there to relabel
            otherwise=lambda: ConflictError("moved on"),
        )
        batch.flush()
    with pytest.raises(ConflictError), db.transaction() as s:
        batch = WriteBatch(s, independent=True)
        batch.add_rows(_INSERT, [_row(2)])
        batch.add_rows(_INSERT, [_row(1)])  # duplicate (chain, seq)
        batch.flush()
    with db.transaction() as s:
        assert s.execute(select(AuditEvent.chain, AuditEvent.seq, AuditEvent.action)).all() == [
            ("test", 1, "made")
        ]


def test_a_row_read_directly_becomes_a_session_object_as_if_the_orm_had_loaded_it(db: Database) -> None:
    with db.transaction() as s:
        _INSERT.insert_rows(s, [_row(1), _row(2)])
    columns = list(_EVENTS.c)
    whole = DirectStatement(select(*columns).where(_EVENTS.c.seq == bindparam("b_seq")))
    with db.transaction() as s:
        [row] = whole.all(s, {"b_seq": 1})
        seen, stop = _statements(db)
        try:
            made = persistent(s, AuditEvent, {c.key: v for c, v in zip(columns, row, strict=True)})
            assert made is not None and made in s and not s.dirty and not s.new
            assert made.after == {"n": 1, "名称": "仲裁"} and made.actor_label == "测试"
            assert s.get(AuditEvent, made.id) is made  # the identity map has it: no SELECT
        finally:
            stop()
        assert seen == []
        made.actor_label = "改"  # changes are tracked like any loaded object's
        assert made in s.dirty
        # an identity the session holds already is the session's to show
        loaded = s.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one()
        [row2] = whole.all(s, {"b_seq": 2})
        assert persistent(s, AuditEvent, {c.key: v for c, v in zip(columns, row2, strict=True)}) is None
        assert loaded in s
    with db.transaction() as s:
        assert s.execute(select(AuditEvent.actor_label).where(AuditEvent.seq == 1)).scalar_one() == "改"


def test_reads_see_the_sessions_pending_changes_as_a_session_query_would(db: Database) -> None:
    with Session(db.engine, autoflush=True) as s, s.begin():  # the units of work here do not autoflush
        s.add(AuditEvent(**_row(1)))  # pending: not flushed yet
        assert [r[0] for r in _READ.all(s, {"b_chain": "test"})] == [1]
        s.add(AuditEvent(**_row(3)))
        with s.no_autoflush:  # and not where the session says not to
            assert [r[0] for r in _READ.all(s, {"b_chain": "test"})] == [1]
