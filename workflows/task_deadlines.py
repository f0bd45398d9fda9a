"""Statutory deadlines attached to inbox items.

A user task whose BPMN properties name a deadline rule (`deadline="arbitration.accept"`)
starts that statutory period when it opens; its due date becomes the task's due
time (end of the last day, China time).  Completing the task meets the deadline;
a task withdrawn by the process cancels it; extending, suspending or restarting the period
moves the task's due time with it (`follow_deadline`).
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
CHINA = ZoneInfo("Asia/Shanghai")


def end_of_day(due_on: date, tz: ZoneInfo = CHINA) -> datetime:
    """A period's last day, as the instant a task falls due (UTC)."""
    return datetime.combine(due_on, time(23, 59, 59), tz).astimezone(UTC)


def follow_deadline(session: Session, deadline: Deadline, tz: ZoneInfo = CHINA) -> None:
    """The open task a deadline runs on takes its new due time (after 延长, 重新计算, 恢复)."""
    if deadline.human_task_id is None:
        return
    task = session.get(HumanTask, deadline.human_task_id)
    if task is not None and task.state == "open":
        task.due_at = end_of_day(deadline.due_on, tz)


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
        return end_of_day(deadline.due_on, self.tz)

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
