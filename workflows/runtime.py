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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.definitions import DEADLINE_FROM_PROPERTY, DEADLINE_PROPERTY, LoadedDefinition
from workflows.engine import Engine, Run, StoredState, TaskRow, diff_states
from workflows.errors import EngineError
from workflows.models import Case, HumanTask, Timer, WorkflowTask

# Core tables: the hot path writes with plain Core statements, not ORM bulk operations,
# which cost several times more Python per statement.
_WORKFLOW_TASK = cast(Table, WorkflowTask.__table__)
_HUMAN_TASK = cast(Table, HumanTask.__table__)
_TIMER = cast(Table, Timer.__table__)


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
    def __init__(self, engine: Engine, deadlines: DeadlinePolicy | None = None, clock: Clock = utcnow):
        self.engine = engine
        self.deadlines = deadlines
        self.clock = clock

    # -- loading -----------------------------------------------------------

    def read_state(self, session: Session, case: Case) -> StoredState:
        rows = session.execute(
            select(
                WorkflowTask.task_id, WorkflowTask.workflow_key, WorkflowTask.state, WorkflowTask.doc
            ).where(WorkflowTask.case_id == case.id)
        ).all()
        tasks = {r.task_id: TaskRow(r.workflow_key, r.state, r.doc) for r in rows}
        return StoredState(meta=_engine_meta(case.workflow_meta), tasks=tasks)

    def load(self, session: Session, case: Case, definition: LoadedDefinition) -> Run:
        return self.engine.load(definition.process, self.read_state(session, case))

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
    ) -> StepResult:
        now = self.clock()
        before = run.loaded
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

        result = StepResult(completed=run.completed)
        audit: list[PendingEvent] = list(events)

        # 1. the case row (written at flush, with the optimistic version check; the
        #    services already hold its row lock, so writers of one case queue up)
        case.workflow_meta = meta
        case.updated_at = now
        if run.completed and case.status != "closed":
            audit.append(PendingEvent("case.closed", "case", {"status": case.status}, {"status": "closed"}))
            case.status = "closed"
            case.closed_at = now

        # 2. engine task rows: only what changed
        diff = diff_states(before, after)
        if diff.upserts:
            self._upsert_tasks(session, case.id, diff.upserts)
        if diff.deletes:
            session.execute(
                delete(_WORKFLOW_TASK).where(
                    _WORKFLOW_TASK.c.case_id == case.id, _WORKFLOW_TASK.c.task_id.in_(diff.deletes)
                )
            )

        # 3. inbox items
        new_ids = [tid for tid in ready if tid not in old_human]
        gone_ids = [tid for tid in old_human if tid not in ready and tid != closed_task_id]
        for tid in new_ids:
            result.opened.append(self._open_task(session, case, definition, ready[tid], actor, now))
        if result.opened:
            session.add_all(result.opened)
            audit.extend(
                PendingEvent("task.opened", f"task:{t.id}", None, {"name": t.name, "role": t.candidate_role})
                for t in result.opened
            )
        if gone_ids:
            session.execute(
                update(_HUMAN_TASK)
                .where(_HUMAN_TASK.c.id.in_(gone_ids), _HUMAN_TASK.c.state == "open")
                .values(state="cancelled", completed_at=now)
            )
            for tid in gone_ids:
                audit.append(
                    PendingEvent("task.cancelled", f"task:{tid}", {"state": "open"}, {"state": "cancelled"})
                )
                if self.deadlines is not None and old_human[tid]:
                    self.deadlines.task_closed(session, case, tid, "cancelled", actor)
            result.cancelled = gone_ids
        if closed_task_id is not None and self.deadlines is not None and old_human.get(closed_task_id):
            self.deadlines.task_closed(session, case, closed_task_id, "completed", actor)

        # 4. timers
        started = [t for tid, t in waiting.items() if tid not in old_timers]
        stopped = [tid for tid in old_timers if tid not in waiting]
        if started:
            session.execute(
                insert(_TIMER),
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
            result.timers_started = len(started)
            audit.extend(
                PendingEvent(
                    "timer.started", f"timer:{t.task_id}", None, {"name": t.name, "due_at": t.due_at}
                )
                for t in started
            )
        if stopped:
            states = run.task_states(stopped)
            fired = [tid for tid in stopped if states.get(tid) == "COMPLETED"]
            cancelled = [tid for tid in stopped if tid not in fired]
            if fired:
                session.execute(
                    update(_TIMER)
                    .where(
                        _TIMER.c.case_id == case.id, _TIMER.c.task_id.in_(fired), _TIMER.c.state == "waiting"
                    )
                    .values(state="fired", fired_at=now, fired_by=worker or actor.label)
                )
                audit.extend(
                    PendingEvent("timer.fired", f"timer:{tid}", {"state": "waiting"}, {"state": "fired"})
                    for tid in fired
                )
            if cancelled:
                session.execute(
                    update(_TIMER)
                    .where(
                        _TIMER.c.case_id == case.id,
                        _TIMER.c.task_id.in_(cancelled),
                        _TIMER.c.state == "waiting",
                    )
                    .values(state="cancelled")
                )
                audit.extend(
                    PendingEvent(
                        "timer.cancelled", f"timer:{tid}", {"state": "waiting"}, {"state": "cancelled"}
                    )
                    for tid in cancelled
                )
        if fired_timer_id is not None:
            # a cycle timer keeps its task waiting: this row is done even though the task is not
            session.execute(
                update(_TIMER)
                .where(_TIMER.c.id == fired_timer_id, _TIMER.c.state == "waiting")
                .values(state="fired", fired_at=now, fired_by=worker or actor.label)
            )

        # 5. audit trail (moves the head on the case row, flushed at commit)
        append_case_events(session, case, actor, audit, at=now)
        return result

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

    def _upsert_tasks(self, session: Session, case_id: int, rows: dict[str, TaskRow]) -> None:
        values = [
            {
                "case_id": case_id,
                "task_id": tid,
                "workflow_key": r.workflow_key,
                "state": r.state,
                "doc": r.doc,
            }
            for tid, r in rows.items()
        ]
        dialect = session.get_bind().dialect.name
        stmt: Any = pg_insert(_WORKFLOW_TASK) if dialect == "postgresql" else sqlite_insert(_WORKFLOW_TASK)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_WORKFLOW_TASK.c.case_id, _WORKFLOW_TASK.c.task_id],
            set_={
                "workflow_key": stmt.excluded.workflow_key,
                "state": stmt.excluded.state,
                "doc": stmt.excluded.doc,
            },
        )
        session.execute(stmt, values)


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
