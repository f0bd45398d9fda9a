"""Oversight of a body's time limits and approvals: what its head (or a supervisor) must look at.

Three answers for the actor's own organisation, each one statement whatever the number of cases:
- deadlines needing attention: open cases' statutory periods that are overdue or due soon, with
  the rule, its legal basis, the step that runs it and who holds that step, most overdue first;
- pending approvals: open inbox items in the head's lane (组庭, 审批裁决书, …), oldest first;
- a summary: how many periods are overdue, due soon, running and suspended, how many approvals
  and 超期督办 items are open.

Nothing here changes a case: an extension is approved through `DeadlineService.extend`, a task is
completed through `TaskService`.  There are no separate extension requests to list: the head
extends a period directly (with the written notice the rule requires), so each deadline row says
whether the viewer may extend it and by how many days at most.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from workflows.audit import Actor
from workflows.calendar import china_today
from workflows.db import Database
from workflows.deadlines import ESCALATION_TASK
from workflows.errors import PermissionDeniedError
from workflows.models import Case, Deadline, HumanTask, User
from workflows.roles import COMMISSION_HEAD, SUPERVISOR
from workflows.statutes import StatutoryRule, UnknownRuleError, get_rule

#: Who may see a body's oversight view.
OVERSIGHT_ROLES: frozenset[str] = frozenset({COMMISSION_HEAD, SUPERVISOR})
#: Lanes whose open tasks are approvals awaiting the head (组成仲裁庭, 审批裁决书, …).
APPROVAL_ROLES: tuple[str, ...] = (COMMISSION_HEAD,)
MAX_ROWS = 500

Clock = Callable[[], datetime]


class OversightDeniedError(PermissionDeniedError):
    """The actor is not the head or a supervisor of a body."""

    code = "oversight_denied"

    def __init__(self, actor: Actor):
        super().__init__("仅机构负责人或科室负责人可以查看期限督办情况")
        self.user_id = actor.user_id


@dataclass(frozen=True)
class AttentionItem:
    """A statutory period of an open case that is overdue or due soon."""

    deadline_id: int
    case_id: int
    case_number: str
    case_title: str
    rule: str
    rule_label: str
    legal_basis: str
    article: str
    due_on: date
    status: str  # overdue, due_soon
    days_overdue: int  # calendar days past the due date; 0 or negative: days still left
    extension_days: int
    #: the viewer may approve an extension now (the rule allows one, they are its approver, the
    #: period is running and not yet expired, and days are left under the statutory maximum)
    may_extend: bool
    #: days still allowed under the statutory maximum (None: the law sets no maximum)
    extension_room: int | None
    step_task_id: str | None
    step_title: str | None
    step_role: str | None
    holder_id: int | None
    holder_name: str | None
    escalation_task_id: str | None
    escalation_state: str | None  # open, completed (None: not escalated)

    @property
    def days_left(self) -> int:
        return -self.days_overdue


@dataclass(frozen=True)
class PendingApproval:
    """An open task in the head's lane."""

    task_id: str
    case_id: int
    case_number: str
    case_title: str
    name: str
    title: str
    candidate_role: str | None
    assignee_id: int | None
    assignee_name: str | None
    created_at: datetime
    age_days: int
    due_at: datetime | None


@dataclass(frozen=True)
class OversightSummary:
    overdue: int
    due_soon: int
    running: int  # running and not yet due soon
    suspended: int
    approvals: int
    open_escalations: int


@dataclass(frozen=True)
class OversightBoard:
    today: date
    attention: list[AttentionItem]
    approvals: list[PendingApproval]
    summary: OversightSummary


def may_oversee(actor: Actor) -> bool:
    """Does the actor hold a role that sees its body's oversight view?"""
    return actor.organisation_id is not None and bool(actor.roles & OVERSIGHT_ROLES)


def _rule(key: str) -> StatutoryRule | None:
    try:
        return get_rule(key)
    except UnknownRuleError:
        return None


def _extension_room(rule: StatutoryRule | None, extension_days: int) -> int | None:
    """Days still allowed under the rule's statutory maximum (None: no maximum or no rule)."""
    if rule is None or rule.extension_max is None:
        return None
    return max(0, rule.extension_max - extension_days)


def _may_extend(
    rule: StatutoryRule | None, state: str, due_on: date, extension_days: int, today: date, actor: Actor
) -> bool:
    """The rule allows an extension, the actor is its approver, the period still runs (not yet
    expired: an extension is approved before the period ends) and days are left."""
    if rule is None or not rule.extension_allowed or rule.approver_role not in actor.roles:
        return False
    if state != "running" or due_on < today:
        return False
    room = _extension_room(rule, extension_days)
    return room is None or room > 0


class OversightService:
    def __init__(self, db: Database, clock: Clock, due_soon_days: int = 2):
        self.db = db
        self.clock = clock
        self.due_soon_days = due_soon_days

    def today(self) -> date:
        return china_today(self.clock())

    # -- use cases ---------------------------------------------------------

    def board(self, actor: Actor, limit: int = 200) -> OversightBoard:
        """Everything the oversight page shows, read in one transaction (a handful of statements)."""
        org_id = self._require(actor)
        today = self.today()
        with self.db.transaction() as s:
            return OversightBoard(
                today=today,
                attention=self._attention(s, actor, org_id, today, limit),
                approvals=self._approvals(s, org_id, today, limit),
                summary=self._summary(s, org_id, today),
            )

    def attention(self, actor: Actor, limit: int = 200) -> list[AttentionItem]:
        org_id = self._require(actor)
        with self.db.transaction() as s:
            return self._attention(s, actor, org_id, self.today(), limit)

    def pending_approvals(self, actor: Actor, limit: int = 200) -> list[PendingApproval]:
        org_id = self._require(actor)
        with self.db.transaction() as s:
            return self._approvals(s, org_id, self.today(), limit)

    def summary(self, actor: Actor) -> OversightSummary:
        org_id = self._require(actor)
        with self.db.transaction() as s:
            return self._summary(s, org_id, self.today())

    # -- queries -----------------------------------------------------------

    @staticmethod
    def _require(actor: Actor) -> int:
        if not may_oversee(actor) or actor.organisation_id is None:
            raise OversightDeniedError(actor)
        return actor.organisation_id

    def _soon(self, today: date) -> date:
        return today + timedelta(days=self.due_soon_days)

    @staticmethod
    def _open_cases_of(org_id: int) -> ColumnElement[bool]:
        return and_(Case.organisation_id == org_id, Case.closed_at.is_(None))

    def _needs_attention(self, today: date) -> ColumnElement[bool]:
        return or_(
            Deadline.state == "overdue",
            and_(Deadline.state == "running", Deadline.due_on <= self._soon(today)),
        )

    def _attention(
        self, s: Session, actor: Actor, org_id: int, today: date, limit: int
    ) -> list[AttentionItem]:
        step = aliased(HumanTask)
        holder = aliased(User)
        rows = s.execute(
            select(
                Deadline.id,
                Deadline.case_id,
                Deadline.rule,
                Deadline.legal_basis,
                Deadline.due_on,
                Deadline.state,
                Deadline.extension_days,
                Deadline.escalated_at,
                Deadline.history,
                Case.case_number,
                Case.title.label("case_title"),
                step.id.label("step_id"),
                step.title.label("step_title"),
                step.state.label("step_state"),
                step.candidate_role.label("step_role"),
                step.assignee_id.label("holder_id"),
                holder.display_name.label("holder_name"),
            )
            .join(Case, Case.id == Deadline.case_id)
            .outerjoin(step, step.id == Deadline.human_task_id)
            .outerjoin(holder, holder.id == step.assignee_id)
            .where(self._open_cases_of(org_id), self._needs_attention(today))
            .order_by(Deadline.due_on, Deadline.id)
            .limit(min(limit, MAX_ROWS))
        ).all()
        escalation_ids = {
            row.id: _escalation_task_id(row.history) for row in rows if row.escalated_at is not None
        }
        states = self._task_states(s, org_id, [t for t in escalation_ids.values() if t])
        items: list[AttentionItem] = []
        for row in rows:
            rule = _rule(row.rule)
            escalation_id = escalation_ids.get(row.id)
            step_open = row.step_id is not None and row.step_state == "open"
            items.append(
                AttentionItem(
                    deadline_id=row.id,
                    case_id=row.case_id,
                    case_number=row.case_number,
                    case_title=row.case_title,
                    rule=row.rule,
                    rule_label=rule.label if rule else row.rule,
                    legal_basis=row.legal_basis,
                    article=rule.article if rule else row.legal_basis,
                    due_on=row.due_on,
                    status="overdue" if row.state == "overdue" or row.due_on < today else "due_soon",
                    days_overdue=(today - row.due_on).days,
                    extension_days=row.extension_days,
                    may_extend=_may_extend(rule, row.state, row.due_on, row.extension_days, today, actor),
                    extension_room=_extension_room(rule, row.extension_days),
                    step_task_id=row.step_id if step_open else None,
                    step_title=row.step_title if step_open else None,
                    step_role=row.step_role if step_open else None,
                    holder_id=row.holder_id if step_open else None,
                    holder_name=row.holder_name if step_open else None,
                    escalation_task_id=escalation_id,
                    escalation_state=states.get(escalation_id) if escalation_id else None,
                )
            )
        return items

    @staticmethod
    def _task_states(s: Session, org_id: int, task_ids: Sequence[str]) -> dict[str, str]:
        if not task_ids:
            return {}
        return {
            task_id: state
            for task_id, state in s.execute(
                select(HumanTask.id, HumanTask.state).where(
                    HumanTask.id.in_(sorted(set(task_ids))), HumanTask.organisation_id == org_id
                )
            ).all()
        }

    def _approvals(self, s: Session, org_id: int, today: date, limit: int) -> list[PendingApproval]:
        holder = aliased(User)
        rows = s.execute(
            select(HumanTask, holder.display_name, Case.case_number, Case.title)
            .join(Case, Case.id == HumanTask.case_id)
            .outerjoin(holder, holder.id == HumanTask.assignee_id)
            .where(self._open_cases_of(org_id), *self._approval_filter(org_id))
            .order_by(HumanTask.created_at, HumanTask.id)
            .limit(min(limit, MAX_ROWS))
        ).all()
        return [
            PendingApproval(
                task_id=task.id,
                case_id=task.case_id,
                case_number=case_number,
                case_title=case_title,
                name=task.name,
                title=task.title,
                candidate_role=task.candidate_role,
                assignee_id=task.assignee_id,
                assignee_name=assignee_name,
                created_at=task.created_at,
                age_days=max(0, (today - china_today(task.created_at)).days),
                due_at=task.due_at,
            )
            for task, assignee_name, case_number, case_title in rows
        ]

    @staticmethod
    def _approval_filter(org_id: int) -> Iterable[ColumnElement[bool]]:
        return (
            HumanTask.state == "open",
            HumanTask.organisation_id == org_id,
            HumanTask.candidate_role.in_(APPROVAL_ROLES),
        )

    def _summary(self, s: Session, org_id: int, today: date) -> OversightSummary:
        overdue = or_(Deadline.state == "overdue", and_(Deadline.state == "running", Deadline.due_on < today))
        due_soon = and_(
            Deadline.state == "running", Deadline.due_on >= today, Deadline.due_on <= self._soon(today)
        )
        running = and_(Deadline.state == "running", Deadline.due_on > self._soon(today))

        def count(condition: ColumnElement[bool]) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        approvals = (
            select(func.count())
            .select_from(HumanTask)
            .join(Case, Case.id == HumanTask.case_id)
            .where(self._open_cases_of(org_id), *self._approval_filter(org_id))
            .scalar_subquery()
        )
        escalations = (
            select(func.count())
            .select_from(HumanTask)
            .join(Case, Case.id == HumanTask.case_id)
            .where(
                self._open_cases_of(org_id),
                HumanTask.state == "open",
                HumanTask.organisation_id == org_id,
                HumanTask.name == ESCALATION_TASK,
            )
            .scalar_subquery()
        )
        row = s.execute(
            select(
                count(overdue),
                count(due_soon),
                count(running),
                count(Deadline.state == "suspended"),
                approvals,
                escalations,
            )
            .select_from(Deadline)
            .join(Case, Case.id == Deadline.case_id)
            .where(self._open_cases_of(org_id), Deadline.state.in_(("running", "suspended", "overdue")))
        ).one()
        return OversightSummary(*(int(v or 0) for v in row))


def _escalation_task_id(history: Sequence[dict[str, Any]] | None) -> str | None:
    """The 超期督办 item of the latest escalation recorded in a deadline's history."""
    for entry in reversed(history or []):
        if entry.get("action") == "escalated":
            task_id = entry.get("escalation_task_id")
            return str(task_id) if task_id else None
    return None
