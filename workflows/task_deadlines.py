"""Statutory deadlines attached to inbox items.

A user task whose BPMN properties name a deadline rule (`deadline="arbitration.accept"`)
starts that statutory period when it opens; its due date becomes the task's due
time (end of the last day, China time).  Completing the task meets the deadline;
a task withdrawn by the process cancels it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.audit import Actor
from workflows.deadlines import cancel, mark_met, start_deadline
from workflows.models import Case, Deadline, HumanTask

OPEN_STATES = ("running", "suspended", "overdue")


class StatutoryDeadlines:
    """Implements runtime.DeadlinePolicy with the statutory deadline service."""

    def __init__(self, timezone: str = "Asia/Shanghai"):
        self.tz = ZoneInfo(timezone)

    def task_opened(
        self,
        session: Session,
        case: Case,
        task: HumanTask,
        rule: str,
        actor: Actor,
        now: datetime,
        trigger: date | None = None,
    ) -> datetime | None:
        start = trigger or now.astimezone(self.tz).date()
        deadline = start_deadline(session, case, rule, start, actor, human_task_id=task.id)
        return datetime.combine(deadline.due_on, time(23, 59, 59), self.tz).astimezone(UTC)

    def task_closed(self, session: Session, case: Case, task_id: str, outcome: str, actor: Actor) -> None:
        deadlines = session.execute(
            select(Deadline).where(
                Deadline.case_id == case.id,
                Deadline.human_task_id == task_id,
                Deadline.state.in_(OPEN_STATES),
            )
        ).scalars()
        today = datetime.now(self.tz).date()
        for deadline in deadlines:
            if outcome == "completed":
                mark_met(session, deadline, today, actor)
                continue
            cancel(session, deadline, actor, "任务已由流程撤回（task withdrawn by the process）")
