"""Use cases on statutory deadlines: read them, suspend/resume/restart/extend, sweep overdue ones.

The period arithmetic lives in `workflows.deadlines`; this layer adds what every command needs:
the case row locked (so two clerks cannot extend the same period twice at once), case-level
access, and one transaction per command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import deadlines
from workflows.access import require_case_access
from workflows.audit import SYSTEM, Actor
from workflows.calendar import china_today
from workflows.db import Database
from workflows.errors import NotFoundError
from workflows.models import Case, Deadline
from workflows.runtime import Clock, DocumentPolicy
from workflows.task_deadlines import follow_deadline


@dataclass(frozen=True)
class DeadlineView:
    id: int
    case_id: int
    rule: str
    legal_basis: str
    human_task_id: str | None
    started_on: date
    due_on: date
    state: str
    status: str
    extension_days: int
    suspended_days: int
    history: list[dict[str, Any]]


def view_of(deadline: Deadline, today: date, due_soon_days: int) -> DeadlineView:
    return DeadlineView(
        id=deadline.id,
        case_id=deadline.case_id,
        rule=deadline.rule,
        legal_basis=deadline.legal_basis,
        human_task_id=deadline.human_task_id,
        started_on=deadline.started_on,
        due_on=deadline.due_on,
        state=deadline.state,
        status=deadlines.status_of(deadline, today, due_soon_days),
        extension_days=deadline.extension_days,
        suspended_days=deadline.suspended_days,
        history=list(deadline.history or []),
    )


class DeadlineService:
    def __init__(
        self, db: Database, clock: Clock, due_soon_days: int = 2, documents: DocumentPolicy | None = None
    ):
        self.db = db
        self.clock = clock
        self.due_soon_days = due_soon_days
        #: issues the written notice of an extension where the rule requires one (None: no documents)
        self.documents = documents

    def today(self) -> date:
        return china_today(self.clock())

    def for_case(self, actor: Actor, case_id: int) -> list[DeadlineView]:
        with self.db.transaction() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError("case", case_id)
            require_case_access(s, actor, case, "read")
            rows = s.scalars(select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id))
            today = self.today()
            return [view_of(d, today, self.due_soon_days) for d in rows]

    def suspend(self, actor: Actor, deadline_id: int, on_date: date, reason: str) -> DeadlineView:
        """中止: the period stops running from `on_date` (e.g. a party's force majeure)."""
        return self._command(
            actor, deadline_id, lambda s, c, d: deadlines.suspend(s, d, on_date, actor, reason)
        )

    def resume(self, actor: Actor, deadline_id: int, on_date: date, reason: str) -> DeadlineView:
        """中止 ends: the period runs on, lengthened by the suspended days."""
        return self._command(
            actor, deadline_id, lambda s, c, d: deadlines.resume(s, d, on_date, actor, reason)
        )

    def restart(self, actor: Actor, deadline_id: int, on_date: date, reason: str) -> DeadlineView:
        """重新计算: the whole period starts again from `on_date` (e.g. claims amended)."""
        return self._command(
            actor, deadline_id, lambda s, c, d: deadlines.restart(s, d, on_date, actor, reason)
        )

    def extend(self, actor: Actor, deadline_id: int, days: int, reason: str) -> DeadlineView:
        """延长 with the actor's approval; the rule says who may approve and how long at most,
        and whether the parties get a written notice (issued in the same transaction)."""

        def change(s: Session, case: Case, deadline: Deadline) -> Deadline:
            deadlines.extend(s, deadline, days, actor, actor, reason)
            notice = deadlines.rule_of(deadline).extension_notice
            if notice and self.documents is not None:
                data = {
                    "accepted_on": deadline.started_on.isoformat(),
                    "extension_days": days,
                    "new_deadline": deadline.due_on.isoformat(),
                    "extension_reason": reason,
                }
                self.documents.task_issues(s, case, notice, data, actor)
            return deadline

        return self._command(actor, deadline_id, change)

    def escalate_overdue(self) -> int:
        """超期督办 sweep, run by workers; safe to run from many at once."""
        with self.db.transaction() as s:
            return len(deadlines.escalate_overdue(s, self.today(), SYSTEM))

    def _command(
        self, actor: Actor, deadline_id: int, change: Callable[[Session, Case, Deadline], Deadline]
    ) -> DeadlineView:
        with self.db.transaction() as s:
            deadline = s.get(Deadline, deadline_id)
            if deadline is None:
                raise NotFoundError("deadline", deadline_id)
            case = s.execute(select(Case).where(Case.id == deadline.case_id).with_for_update()).scalar_one()
            require_case_access(s, actor, case, "write")
            s.refresh(deadline)  # re-read under the case lock
            change(s, case, deadline)
            follow_deadline(s, deadline)
            case.updated_at = self.clock()  # bumps the case version: cached views go stale
            s.flush()
            return view_of(deadline, self.today(), self.due_soon_days)
