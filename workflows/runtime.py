"""Load a case's workflow, let the engine take a step, save only what changed.

This is the one place where engine state meets the database.  Every service
that moves a case (task completion, message, timer, opening) goes through
`CaseRuntime.load` → engine step → `CaseRuntime.save` inside one transaction.

Callers load the case row with a row lock, so writers of one case queue up and
each sees the state its predecessor committed; saving also bumps the case's
version (an optimistic check for clients holding an old view).  It writes the
changed task rows, the inbox items that appeared or vanished,
the timers that started or stopped waiting, and the audit events.  Which inbox
items and timers exist is kept in the small workflow meta document, so no
extra reads are needed to diff them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    ScalarSelect,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflows.audit import EVENT_INSERT, Actor, PendingEvent, case_event_rows
from workflows.case_writes import write_case_row
from workflows.definitions import DEADLINE_FROM_PROPERTY, DEADLINE_PROPERTY, LoadedDefinition
from workflows.direct_sql import DirectStatement, WriteBatch
from workflows.engine import Engine, Run, StoredState, TaskRow, diff_states
from workflows.errors import EngineError
from workflows.models import Case, HumanTask, Timer, WorkflowTask

# Core tables: the hot path writes with plain Core statements, not ORM bulk operations,
# which cost several times more Python per statement.
_WORKFLOW_TASK = cast(Table, WorkflowTask.__table__)
_HUMAN_TASK = cast(Table, HumanTask.__table__)
_TIMER = cast(Table, Timer.__table__)

# The statements of every step, built once (building one costs as much CPU as running it).
_STORED_TASK = select(
    _WORKFLOW_TASK.c.task_id, _WORKFLOW_TASK.c.workflow_key, _WORKFLOW_TASK.c.state, _WORKFLOW_TASK.c.doc
)
_READ_TASKS = DirectStatement(_STORED_TASK.where(_WORKFLOW_TASK.c.case_id == bindparam("b_case")))
_DELETE_TASKS: dict[int, DirectStatement] = {}  # per number of rows, built on first use
_INSERT_HUMAN_TASKS = DirectStatement(insert(_HUMAN_TASK))
_CANCEL_HUMAN_TASKS = (
    update(_HUMAN_TASK)
    .where(_HUMAN_TASK.c.id.in_(bindparam("b_ids", expanding=True)), _HUMAN_TASK.c.state == "open")
    .values(state="cancelled", completed_at=bindparam("b_now"))
)
_INSERT_TIMERS = insert(_TIMER)
_STOP_TIMERS = (
    update(_TIMER)
    .where(
        _TIMER.c.case_id == bindparam("b_case"),
        _TIMER.c.task_id.in_(bindparam("b_ids", expanding=True)),
        _TIMER.c.state == "waiting",
    )
    .values(state=bindparam("b_state"), fired_at=bindparam("b_fired_at"), fired_by=bindparam("b_fired_by"))
)
_FIRE_TIMER_ROW = (
    update(_TIMER)
    .where(_TIMER.c.id == bindparam("b_id"), _TIMER.c.state == "waiting")
    .values(state="fired", fired_at=bindparam("b_now"), fired_by=bindparam("b_by"))
)
_UPSERT_TASKS: dict[str, DirectStatement] = {}  # per dialect, built on first use


def _upsert_statement(dialect: str) -> DirectStatement:
    stmt = _UPSERT_TASKS.get(dialect)
    if stmt is None:
        base: Any = pg_insert(_WORKFLOW_TASK) if dialect == "postgresql" else sqlite_insert(_WORKFLOW_TASK)
        stmt = _UPSERT_TASKS[dialect] = DirectStatement(
            base.on_conflict_do_update(
                index_elements=[_WORKFLOW_TASK.c.case_id, _WORKFLOW_TASK.c.task_id],
                set_={
                    "workflow_key": base.excluded.workflow_key,
                    "state": base.excluded.state,
                    "doc": base.excluded.doc,
                },
            )
        )
    return stmt


def _delete_tasks(n: int) -> DirectStatement:
    """DELETE of `n` engine task rows of a case (one statement per row count: no expanding IN)."""
    stmt = _DELETE_TASKS.get(n)
    if stmt is None:
        stmt = _DELETE_TASKS[n] = DirectStatement(
            delete(_WORKFLOW_TASK).where(
                _WORKFLOW_TASK.c.case_id == bindparam("b_case"),
                _WORKFLOW_TASK.c.task_id.in_([bindparam(f"b_id_{i}") for i in range(n)]),
            )
        )
    return stmt


class DeadlinePolicy(Protocol):
    """How statutory deadlines attach to inbox items (implemented by workflows.deadlines)."""

    def task_opened(
        self,
        session: Session,
        case: Case,
        task: HumanTask,
        rule: str,
        actor: Actor,
        now: datetime,
        trigger: date | None = None,
    ) -> datetime | None: ...

    def task_closed(self, session: Session, case: Case, task_id: str, outcome: str, actor: Actor) -> None: ...


class DocumentPolicy(Protocol):
    """How a process step issues formal documents (implemented by workflows.issuing)."""

    def task_issues(
        self, session: Session, case: Case, document_type: str, data: Mapping[str, Any], actor: Actor
    ) -> None:
        """Request the document in the step's transaction (it is sealed and stored afterwards)."""
        ...


#: A domain effect of a process step: runs in the step's transaction when a task marked
#: `effect="<name>"` completes, with the case row (locked by the caller), the data the task
#: completed with and the actor of the step.  It may change domain rows and queue outbox work;
#: it must not change the workflow (the step is already decided).
EffectHandler = Callable[[Session, Case, Mapping[str, Any], Actor], None]


@dataclass
class StepResult:
    opened: list[HumanTask] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    timers_started: int = 0
    completed: bool = False


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class CaseRuntime:
    def __init__(
        self,
        engine: Engine,
        deadlines: DeadlinePolicy | None = None,
        clock: Clock = utcnow,
        documents: DocumentPolicy | None = None,
    ):
        self.engine = engine
        self.deadlines = deadlines
        self.clock = clock
        #: None: this installation issues no documents (tasks marked `issues` just complete)
        self.documents = documents
        self.effects: dict[str, EffectHandler] = {}

    def register_effect(self, name: str, handler: EffectHandler) -> None:
        """Make `effect="<name>"` tasks run `handler` (the composition root wires the domain in)."""
        self.effects[name] = handler

    # -- loading -----------------------------------------------------------

    def read_state(
        self, session: Session, case: Case, rows: Sequence[Sequence[Any]] | None = None
    ) -> StoredState:
        """The case's stored workflow; `rows` when they were read already (`stored_tasks_json`)."""
        if rows is None:
            rows = _READ_TASKS.all(session, {"b_case": case.id})
        tasks = {task_id: TaskRow(key, state, doc) for task_id, key, state, doc in rows}
        return StoredState(meta=_engine_meta(case.workflow_meta), tasks=tasks)

    @staticmethod
    def stored_tasks_json(case_id: ColumnElement[Any]) -> ScalarSelect[Any]:
        """The engine task rows of case `case_id` as one JSON array of [task id, workflow key,
        state, doc] (null for none; PostgreSQL): a column for the statement that locks the case,
        so a step reads its rows in that round trip and hands them to `load`."""
        row = func.json_build_array(*_STORED_TASK.selected_columns)
        rows = select(func.json_agg(row, type_=JSON)).where(_WORKFLOW_TASK.c.case_id == case_id)
        return rows.scalar_subquery()

    def load(
        self,
        session: Session,
        case: Case,
        definition: LoadedDefinition,
        rows: Sequence[Sequence[Any]] | None = None,
    ) -> Run:
        return self.engine.load(definition.process, self.read_state(session, case, rows))

    # -- saving ------------------------------------------------------------

    def save(
        self,
        session: Session,
        case: Case,
        definition: LoadedDefinition,
        run: Run,
        actor: Actor,
        events: Sequence[PendingEvent] = (),
        *,
        closed_task_id: str | None = None,
        fired_timer_id: int | None = None,
        worker: str | None = None,
        closed_as: str = "closed",
        batch: WriteBatch | None = None,
    ) -> StepResult:
        """Write what the step changed: engine task rows, inbox items, timers, audit events
        and, last, the case row (version-checked: ConflictError if another writer got there).
        A step that ends the process closes the case with status `closed_as`.

        The hot writes go out together (one round trip on PostgreSQL), with those the caller
        queued in `batch`; the queue is flushed before anything else touches the session."""
        batch = batch if batch is not None else WriteBatch(session, independent=True)
        now = self.clock()
        before = run.loaded
        issuing = self.documents is not None and definition.issuing_tasks
        issued = run.newly_completed(definition.issuing_tasks.keys()) if issuing else []
        effects = run.newly_completed(definition.effect_tasks.keys()) if definition.effect_tasks else []
        after = run.snapshot()
        old_meta = case.workflow_meta or {}
        old_human: dict[str, str] = dict(old_meta.get("human", {}))
        old_timers: dict[str, str] = dict(old_meta.get("timers", {}))

        ready = {t.id: t for t in run.ready_user_tasks()}
        waiting = {t.task_id: t for t in run.waiting_timers()}
        meta = dict(after.meta)
        # open inbox items and the deadline rule each carries ("" for none)
        meta["human"] = {tid: t.properties.get(DEADLINE_PROPERTY, "") for tid, t in ready.items()}
        meta["timers"] = {tid: t.due_at.isoformat() for tid, t in waiting.items()}
        # where the case stands in plain words, as the process's scripts record it (stage / stage_label)
        meta["stage"] = run.values("stage", "stage_label")

        result = StepResult(completed=run.completed)
        audit: list[PendingEvent] = list(events)
        closing = run.completed and case.closed_at is None
        if closing:
            audit.append(PendingEvent("case.closed", "case", {"status": case.status}, {"status": closed_as}))

        # 1. engine task rows: only what changed
        diff = diff_states(before, after)
        if diff.upserts:
            batch.add_rows(
                _upsert_statement(session.get_bind().dialect.name), _task_rows(case.id, diff.upserts)
            )
        if diff.deletes:
            ids = list(diff.deletes)
            batch.add(
                _delete_tasks(len(ids)), {"b_case": case.id, **{f"b_id_{i}": t for i, t in enumerate(ids)}}
            )

        # 2. inbox items
        new_ids = [tid for tid in ready if tid not in old_human]
        gone_ids = [tid for tid in old_human if tid not in ready and tid != closed_task_id]
        if self.deadlines is not None and any(
            ready[tid].properties.get(DEADLINE_PROPERTY) for tid in new_ids
        ):
            batch.flush()  # the deadline policy reads and writes through the session
        for tid in new_ids:
            result.opened.append(self._open_task(session, case, definition, ready[tid], actor, now))
        if result.opened:
            batch.add_rows(_INSERT_HUMAN_TASKS, [_human_task_row(t) for t in result.opened])
            audit.extend(
                PendingEvent("task.opened", f"task:{t.id}", None, {"name": t.name, "role": t.candidate_role})
                for t in result.opened
            )
        if gone_ids or (
            closed_task_id is not None and self.deadlines is not None and old_human.get(closed_task_id)
        ):
            batch.flush()  # cancelling items and the deadline policy go through the session
        if gone_ids:
            session.execute(_CANCEL_HUMAN_TASKS, {"b_ids": gone_ids, "b_now": now})
            for tid in gone_ids:
                audit.append(
                    PendingEvent("task.cancelled", f"task:{tid}", {"state": "open"}, {"state": "cancelled"})
                )
                if self.deadlines is not None and old_human[tid]:
                    self.deadlines.task_closed(session, case, tid, "cancelled", actor)
            result.cancelled = gone_ids
        if closed_task_id is not None and self.deadlines is not None and old_human.get(closed_task_id):
            self.deadlines.task_closed(session, case, closed_task_id, "completed", actor)

        # 3. timers
        if waiting.keys() != old_timers.keys() or fired_timer_id is not None:
            batch.flush()
        audit.extend(self._save_timers(session, case, run, waiting, old_timers, now, worker or actor.label))
        result.timers_started = sum(1 for tid in waiting if tid not in old_timers)
        if fired_timer_id is not None:
            # a cycle timer keeps its task waiting: this row is done even though the task is not
            session.execute(
                _FIRE_TIMER_ROW, {"b_id": fired_timer_id, "b_now": now, "b_by": worker or actor.label}
            )

        # 4. formal documents the step issues (requested now, sealed and stored by the worker)
        if (self.documents is not None and issued) or effects:
            batch.flush()
        if self.documents is not None:
            for task in issued:
                self.documents.task_issues(
                    session, case, definition.issuing_tasks[task.name], task.data, actor
                )

        # 5. domain effects of the step, in the order their tasks completed
        for task in effects:
            name = definition.effect_tasks[task.name]
            handler = self.effects.get(name)
            if handler is None:
                raise EngineError(f"no handler is registered for effect {name!r}", task=task.name)
            handler(session, case, task.data, actor)
            audit.append(PendingEvent("effect.applied", f"task:{task.id}", None, {"effect": name}))

        # 6. audit trail, then the case row: new meta, audit head, version
        rows, seq, head = case_event_rows(case.id, case.audit_seq, case.audit_head, actor, audit, now)
        batch.add_rows(EVENT_INSERT, rows)
        changes: dict[str, Any] = {
            "workflow_meta": meta,
            "updated_at": now,
            "audit_seq": seq,
            "audit_head": head,
        }
        if closing:
            changes.update(status=closed_as, closed_at=now)
        write_case_row(session, case, batch=batch, **changes)
        batch.flush()
        return result

    def _save_timers(
        self,
        session: Session,
        case: Case,
        run: Run,
        waiting: dict[str, Any],
        old_timers: dict[str, str],
        now: datetime,
        by: str,
    ) -> list[PendingEvent]:
        """Timer rows for timers that started or stopped waiting; their audit events."""
        events: list[PendingEvent] = []
        started = [t for tid, t in waiting.items() if tid not in old_timers]
        stopped = [tid for tid in old_timers if tid not in waiting]
        if started:
            session.execute(
                _INSERT_TIMERS,
                [
                    {
                        "case_id": case.id,
                        "task_id": t.task_id,
                        "name": t.name,
                        "due_at": t.due_at,
                        "state": "waiting",
                        "attempts": 0,
                    }
                    for t in started
                ],
            )
            events.extend(
                PendingEvent(
                    "timer.started", f"timer:{t.task_id}", None, {"name": t.name, "due_at": t.due_at}
                )
                for t in started
            )
        if stopped:
            states = run.task_states(stopped)
            fired = [tid for tid in stopped if states.get(tid) == "COMPLETED"]
            cancelled = [tid for tid in stopped if tid not in fired]
            for ids, state, at, who in ((fired, "fired", now, by), (cancelled, "cancelled", None, None)):
                if not ids:
                    continue
                session.execute(
                    _STOP_TIMERS,
                    {"b_case": case.id, "b_ids": ids, "b_state": state, "b_fired_at": at, "b_fired_by": who},
                )
                events.extend(
                    PendingEvent(f"timer.{state}", f"timer:{tid}", {"state": "waiting"}, {"state": state})
                    for tid in ids
                )
        return events

    def _open_task(
        self,
        session: Session,
        case: Case,
        definition: LoadedDefinition,
        ready: Any,
        actor: Actor,
        now: datetime,
    ) -> HumanTask:
        form_key, _ = definition.form_for(ready.name)
        task = HumanTask(
            id=ready.id,
            case_id=case.id,
            organisation_id=case.organisation_id,
            name=ready.name,
            title=ready.title,
            candidate_role=ready.lane,
            state="open",
            form_key=form_key,
            created_at=now,
        )
        rule = ready.properties.get(DEADLINE_PROPERTY)
        if rule and self.deadlines is not None:
            trigger = _trigger_date(ready, ready.properties.get(DEADLINE_FROM_PROPERTY))
            task.due_at = self.deadlines.task_opened(session, case, task, rule, actor, now, trigger)
        return task


def _task_rows(case_id: int, rows: dict[str, TaskRow]) -> list[dict[str, Any]]:
    """The upsert parameters of changed engine task rows."""
    return [
        {"case_id": case_id, "task_id": tid, "workflow_key": r.workflow_key, "state": r.state, "doc": r.doc}
        for tid, r in rows.items()
    ]


def _human_task_row(task: HumanTask) -> dict[str, Any]:
    """The insert parameters of a new inbox item (same keys for every row: one executemany)."""
    return {
        "id": task.id,
        "case_id": task.case_id,
        "organisation_id": task.organisation_id,
        "name": task.name,
        "title": task.title,
        "candidate_role": task.candidate_role,
        "assignee_id": None,
        "state": task.state,
        "form_key": task.form_key,
        "due_at": task.due_at,
        "created_at": task.created_at,
    }


def _engine_meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    """The part of the stored meta that belongs to the engine (ours: human, timers)."""
    meta = dict(meta or {})
    meta.pop("human", None)
    meta.pop("timers", None)
    return meta


def _trigger_date(ready: Any, variable: str | None) -> date | None:
    """The day a task's statutory period counts from, when the process names it.

    `deadlineFrom="accepted_on"` makes the period run from the date held in that process
    variable (ISO 8601) — e.g. the award period from acceptance (调解仲裁法 art.43), or a
    period counted back from the hearing date — instead of from the day the task opens.
    """
    if not variable:
        return None
    raw = (ready.data or {}).get(variable)
    try:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise EngineError(
            f"deadlineFrom names {variable!r}, which holds {raw!r}, not a date", task=ready.name
        ) from None
