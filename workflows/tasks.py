"""Inbox use cases: list, claim, unclaim, reassign and complete user tasks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from workflows.access import may_act_on_task, require_case_access, visible_cases_filter
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.case_writes import write_task_completed
from workflows.collective import collective_first
from workflows.db import Database
from workflows.deadlines import ESCALATION_HEAD_ROLES, ESCALATION_TASK, escalation_roles
from workflows.definitions import Definitions
from workflows.direct_sql import DirectStatement, WriteBatch, persistent
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    TaskNotOpenError,
    UnknownTaskError,
    ValidationError,
)
from workflows.forms import validate_form
from workflows.models import Case, CaseParty, HumanTask, User, UserRole
from workflows.roles import STAFF_ROLES
from workflows.runtime import CaseRuntime

_LOAD = (
    select(HumanTask, Case)
    .join(Case, Case.id == HumanTask.case_id)
    .where(HumanTask.id == bindparam("b_task"))
)
_LOAD_LOCKED = _LOAD.with_for_update()
# the same, locked, as plain rows for a step (see `_load_step`)
_TASK_TABLE = cast(Table, HumanTask.__table__)
_CASE_TABLE = cast(Table, Case.__table__)
_TASK_KEYS = tuple(sa_inspect(HumanTask).get_property_by_column(c).key for c in _TASK_TABLE.c)
_CASE_KEYS = tuple(sa_inspect(Case).get_property_by_column(c).key for c in _CASE_TABLE.c)
_LOCKED = (
    select(*_TASK_TABLE.c, *_CASE_TABLE.c)
    .join_from(_TASK_TABLE, _CASE_TABLE, _CASE_TABLE.c.id == _TASK_TABLE.c.case_id)
    .where(_TASK_TABLE.c.id == bindparam("b_task"))
    .with_for_update()
)
_LOCK_ROWS = DirectStatement(_LOCKED)
# PostgreSQL: with the case's engine rows and the case version the statement's snapshot saw
_CASE_AS_SEEN = _CASE_TABLE.alias("case_as_seen")
_LOCK_ROWS_AND_STATE = DirectStatement(
    _LOCKED.add_columns(
        select(_CASE_AS_SEEN.c.version).where(_CASE_AS_SEEN.c.id == _TASK_TABLE.c.case_id).scalar_subquery(),
        CaseRuntime.stored_tasks_json(_TASK_TABLE.c.case_id),
    )
)
_CASE_VERSION = len(_TASK_KEYS) + _CASE_KEYS.index("version")


@dataclass(frozen=True)
class TaskView:
    id: str
    case_id: int
    case_number: str
    name: str
    title: str
    candidate_role: str | None
    assignee_id: int | None
    state: str
    due_at: datetime | None
    created_at: datetime
    form_key: str | None
    form_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Completion:
    task_id: str
    case_id: int
    case_version: int
    opened_task_ids: list[str]
    case_closed: bool


#: What a supervisor records when handling an overdue item (超期督办).
ESCALATION_FORM: Mapping[str, Any] = {
    "type": "object",
    "title": "超期督办",
    "properties": {
        "instruction": {"type": "string", "title": "督办意见", "minLength": 2, "maxLength": 2000},
        "responsible_user_id": {"type": "integer", "title": "责任人"},
    },
    "required": ["instruction"],
    "additionalProperties": False,
}


def _view(task: HumanTask, case_number: str, schema: Mapping[str, Any] | None = None) -> TaskView:
    return TaskView(
        id=task.id,
        case_id=task.case_id,
        case_number=case_number,
        name=task.name,
        title=task.title,
        candidate_role=task.candidate_role,
        assignee_id=task.assignee_id,
        state=task.state,
        due_at=task.due_at,
        created_at=task.created_at,
        form_key=task.form_key,
        form_schema=schema,
    )


class TaskService:
    def __init__(self, db: Database, definitions: Definitions, runtime: CaseRuntime):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime

    # -- queries -----------------------------------------------------------

    def inbox(
        self,
        actor: Actor,
        *,
        role: str | None = None,
        mine: bool = False,
        state: str = "open",
        limit: int = 100,
    ) -> list[TaskView]:
        """Tasks the actor may act on: offered to their roles, assigned to them, or theirs as a party."""
        stmt = select(HumanTask, Case.case_number).join(Case, Case.id == HumanTask.case_id)
        stmt = stmt.where(HumanTask.state == state, visible_cases_filter(actor))
        if mine:
            stmt = stmt.where(HumanTask.assignee_id == actor.user_id)
        else:
            roles = sorted(actor.roles & STAFF_ROLES)
            party_roles = sorted(actor.roles - STAFF_ROLES)
            offered = [HumanTask.assignee_id == actor.user_id]
            if roles:
                offered.append(
                    and_(
                        HumanTask.candidate_role.in_(roles),
                        HumanTask.organisation_id == actor.organisation_id,
                    )
                )
            if party_roles:
                offered.append(HumanTask.candidate_role.in_(party_roles))
            head_of = sorted(t for t, role in ESCALATION_HEAD_ROLES.items() if role in actor.roles)
            if head_of:  # 超期督办 items of these case types reach the head of the body too
                offered.append(
                    and_(
                        HumanTask.name == ESCALATION_TASK,
                        HumanTask.organisation_id == actor.organisation_id,
                        Case.case_type.in_(head_of),
                    )
                )
            stmt = stmt.where(or_(*offered))
        if role:
            stmt = stmt.where(HumanTask.candidate_role == role)
        # collective disputes first (法7: handled with priority), then by due date
        stmt = stmt.order_by(
            collective_first(), HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at
        ).limit(min(limit, 500))
        with self.db.transaction() as s:
            return [_view(t, number) for t, number in s.execute(stmt).all()]

    def get_task(self, actor: Actor, task_id: str) -> TaskView:
        with self.db.transaction() as s:
            task, case = self._load(s, task_id)
            require_case_access(s, actor, case, "read")
            if task.name == ESCALATION_TASK:
                return _view(task, case.case_number, ESCALATION_FORM)
            definition = self.definitions.get(s, case.definition_id)
            _, schema = definition.form_for(task.name)
            return _view(task, case.case_number, schema)

    # -- commands ----------------------------------------------------------

    def claim(self, actor: Actor, task_id: str) -> TaskView:
        with self.db.transaction() as s:
            task, case = self._load_open(s, actor, task_id)
            self._check_may_act(s, actor, task, case)
            if task.assignee_id == actor.user_id:
                return _view(task, case.case_number)
            if task.assignee_id is not None:
                raise ConflictError(f"task {task_id} is already claimed by someone else")
            return self._assign(s, actor, task, case, actor.user_id, "task.claimed")

    def unclaim(self, actor: Actor, task_id: str) -> TaskView:
        with self.db.transaction() as s:
            task, case = self._load_open(s, actor, task_id)
            if task.assignee_id != actor.user_id and not self._supervises(actor):
                raise PermissionDeniedError("only the assignee or a supervisor may release a task")
            return self._assign(s, actor, task, case, None, "task.unclaimed")

    def reassign(self, actor: Actor, task_id: str, user_id: int) -> TaskView:
        with self.db.transaction() as s:
            task, case = self._load_open(s, actor, task_id)
            if task.assignee_id != actor.user_id and not self._supervises(actor):
                raise PermissionDeniedError("only the assignee or a supervisor may reassign a task")
            target = s.get(User, user_id)
            if target is None or not target.active:
                raise NotFoundError("user", user_id)
            has_role = s.execute(
                select(exists().where(UserRole.user_id == user_id, UserRole.role == task.candidate_role))
            ).scalar()
            if not has_role or target.organisation_id != case.organisation_id:
                raise PermissionDeniedError(
                    f"user {user_id} cannot take a {task.candidate_role} task of this case"
                )
            return self._assign(s, actor, task, case, user_id, "task.reassigned")

    def complete(self, actor: Actor, task_id: str, data: Mapping[str, Any]) -> Completion:
        """Validate the form, run the engine, save: exactly once, whoever else tries at the same time.

        Fields the form marks `readOnly` are the system's to fill (e.g. the hearing room, booked
        through the hearing calendar): a client that sends one is refused."""
        with self.db.transaction() as s:
            return self.complete_in(s, actor, task_id, data, system_fields=False)

    def complete_in(
        self, s: Session, actor: Actor, task_id: str, data: Mapping[str, Any], *, system_fields: bool = True
    ) -> Completion:
        """`complete` inside the caller's transaction, so a use case can change more in the same
        unit of work (e.g. book the hearing room that the form names): all or nothing.  Such a
        use case may fill the form's `readOnly` fields (`system_fields`); a client may not."""
        task, case, engine_rows = self._load_step(s, actor, task_id)
        self._check_may_act(s, actor, task, case)
        if task.assignee_id is not None and task.assignee_id != actor.user_id:
            raise ConflictError(f"task {task_id} is claimed by another user")
        if task.name == ESCALATION_TASK:
            return self._complete_escalation(s, actor, task, case, data)
        definition = self.definitions.get(s, case.definition_id)
        form_key, schema = definition.form_for(task.name)
        if not system_fields:
            _refuse_read_only(schema, data)
        clean = (
            validate_form(schema, data, schema_key=f"{definition.id}:{form_key}") if schema else dict(data)
        )
        run = self.runtime.load(s, case, definition, engine_rows)
        run.complete_user_task(task.id, clean)
        batch = WriteBatch(s, independent=True)  # the inbox item goes out with the step's writes
        write_task_completed(s, task, actor.user_id, clean, self.runtime.clock(), batch)
        result = self.runtime.save(
            s,
            case,
            definition,
            run,
            actor,
            [
                PendingEvent(
                    "task.completed",
                    f"task:{task.id}",
                    {"state": "open"},
                    {"state": "completed", "name": task.name, "data": clean},
                )
            ],
            closed_task_id=task.id,
            batch=batch,
        )
        return Completion(task.id, case.id, case.version, [t.id for t in result.opened], result.completed)

    def _complete_escalation(
        self, s: Session, actor: Actor, task: HumanTask, case: Case, data: Mapping[str, Any]
    ) -> Completion:
        """A 超期督办 item is the platform's, not the process's: record the supervisor's instruction."""
        clean = validate_form(ESCALATION_FORM, data, schema_key="platform:overdue_escalation")
        now = self.runtime.clock()
        task.state, task.completed_at, task.completed_by, task.result = (
            "completed",
            now,
            actor.user_id,
            clean,
        )
        if task.assignee_id is None:
            task.assignee_id = actor.user_id
        case.updated_at = now  # bumps the case version
        append_case_events(
            s,
            case,
            actor,
            [
                PendingEvent(
                    "escalation.handled",
                    f"task:{task.id}",
                    {"state": "open"},
                    {"state": "completed", "name": task.name, "data": clean},
                )
            ],
        )
        s.flush()
        return Completion(task.id, case.id, case.version, [], case.status == "closed")

    # -- helpers -----------------------------------------------------------

    def _load(self, s: Session, task_id: str, lock: bool = False) -> tuple[HumanTask, Case]:
        # locked: both rows, so a second writer waits, then re-reads both as committed
        row = s.execute(_LOAD_LOCKED if lock else _LOAD, {"b_task": task_id}).first()
        if row is None:
            raise UnknownTaskError(task_id)
        return row[0], row[1]

    def _load_open(self, s: Session, actor: Actor, task_id: str) -> tuple[HumanTask, Case]:
        """The task and its case, both locked.  Staff need write access to the case; a party
        only its own case (read access) — whether it may act on this task is `_check_may_act`'s call.
        """
        task, case = self._load(s, task_id, lock=True)
        self._require_open(s, actor, task, case)
        return task, case

    def _load_step(self, s: Session, actor: Actor, task_id: str) -> tuple[HumanTask, Case, list[Any] | None]:
        """As `_load_open`, with the case's engine task rows where they came with the lock
        (else None: `runtime.load` reads them).

        On PostgreSQL one statement locks the task and case rows and reads the engine rows.
        Those it reads with the snapshot it took when it started.  Where it had to wait for
        the lock, the case may have changed since, and the rows with it: every step that
        writes engine rows writes the case row's version too.  So the rows count only when
        the version the snapshot saw is the one locked; otherwise `runtime.load` reads them
        again, after the lock."""
        postgres = s.get_bind().dialect.name == "postgresql"
        locked = (_LOCK_ROWS_AND_STATE if postgres else _LOCK_ROWS).all(s, {"b_task": task_id})
        if not locked:
            raise UnknownTaskError(task_id)
        row, n, m = locked[0], len(_TASK_KEYS), len(_TASK_KEYS) + len(_CASE_KEYS)
        engine_rows = None
        if postgres and row[m] == row[_CASE_VERSION]:
            engine_rows = row[m + 1] or []
        task = persistent(s, HumanTask, dict(zip(_TASK_KEYS, row[:n], strict=True)))
        case = persistent(s, Case, dict(zip(_CASE_KEYS, row[n:m], strict=True)))
        if task is None or case is None:  # the unit of work holds them already: its objects count
            task, case = self._load(s, task_id)  # locked above
        self._require_open(s, actor, task, case)
        return task, case, engine_rows

    @staticmethod
    def _require_open(s: Session, actor: Actor, task: HumanTask, case: Case) -> None:
        require_case_access(s, actor, case, "write" if actor.roles & STAFF_ROLES else "read")
        if task.state != "open":
            raise TaskNotOpenError(task.id, task.state)

    def _check_may_act(self, s: Session, actor: Actor, task: HumanTask, case: Case) -> None:
        if task.name == ESCALATION_TASK and actor.roles & escalation_roles(case.case_type):
            return  # a 超期督办 item: its roles may act; case access (same body) is checked on load
        is_party = False
        if actor.user_id is not None and not (actor.roles & STAFF_ROLES):
            is_party = bool(
                s.execute(
                    select(exists().where(CaseParty.case_id == case.id, CaseParty.user_id == actor.user_id))
                ).scalar()
            )
        if not may_act_on_task(actor, task.candidate_role, task.assignee_id, is_party):
            raise PermissionDeniedError(f"task {task.id} is for role {task.candidate_role}")

    @staticmethod
    def _supervises(actor: Actor) -> bool:
        return bool(actor.roles & {"supervisor", "commission_head", "admin"}) or actor.is_system

    def _assign(
        self, s: Session, actor: Actor, task: HumanTask, case: Case, user_id: int | None, action: str
    ) -> TaskView:
        before = task.assignee_id
        task.assignee_id = user_id
        case.updated_at = self.runtime.clock()  # bumps the case version
        append_case_events(
            s,
            case,
            actor,
            [PendingEvent(action, f"task:{task.id}", {"assignee_id": before}, {"assignee_id": user_id})],
        )
        return _view(task, case.case_number)


def _refuse_read_only(schema: Mapping[str, Any] | None, data: Mapping[str, Any]) -> None:
    props = (schema or {}).get("properties", {})
    kept = [name for name in data if props.get(name, {}).get("readOnly")]
    if kept:
        raise ValidationError(
            "该字段由系统填写",
            [FieldProblem(f"/{name}", "set by the system, not by the form") for name in kept],
        )
