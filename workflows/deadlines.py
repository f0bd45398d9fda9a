"""Statutory deadline service: start, suspend, resume, restart, extend, meet and escalate periods.

A deadline is data with history (law.md "Counting periods"): the row keeps what the due date is
computed from — trigger date (`started_on`), period, unit, approved extension and suspended days —
and every change appends a history entry and an audit event to the case's chain.

Counting: a period starts the day after the triggering event.  A working-day period counts
working days only.  A calendar-day, month or year period that ends on a rest day (statutory
holiday or ordinary weekend) ends on the first working day after it; a make-up workday is a
working day (民诉法 art.85).  A "before" period (hearing notice) ends the given number of units
before the event, moved earlier to a working day.  While suspended (中止) the clock stops: on
resume the days in (suspended_since, resumed_on] — working days for a working-day rule — are
added.  A restart (重新计算) counts the full period afresh from the day after the restart date.

Dates are dates in China time; timestamps (history, escalated_at) are timezone-aware UTC.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import dataclasses
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflows.audit import SYSTEM, Actor, PendingEvent, append_case_events
from workflows.calendar import WorkingCalendar, default_calendar
from workflows.errors import ConflictError, FieldProblem, PermissionDeniedError, ValidationError
from workflows.models import Case, Deadline, HumanTask
from workflows.statutes import StatutoryRule, UnknownRuleError, get_rule

Status = Literal["running", "due_soon", "overdue", "suspended", "met", "cancelled"]
OPEN_STATES: tuple[str, ...] = ("running", "suspended", "overdue")
ESCALATION_TASK = "overdue_escalation"
ESCALATION_ROLE = "supervisor"
#: Case types whose 超期督办 item is also offered to the head of the body (case type -> role):
#: the head of an arbitration commission answers for its time limits (and approves extensions, 法43).
ESCALATION_HEAD_ROLES: Mapping[str, str] = MappingProxyType({"arbitration": "commission_head"})


def escalation_roles(case_type: str) -> frozenset[str]:
    """The roles a 超期督办 item of a case of this type is offered to (within the case's body)."""
    head = ESCALATION_HEAD_ROLES.get(case_type)
    return frozenset({ESCALATION_ROLE, head} if head else {ESCALATION_ROLE})


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class DeadlineStateError(ConflictError):
    """The deadline is in a state that does not allow this action (e.g. resuming a running period)."""

    code = "deadline_state"

    def __init__(self, deadline: Deadline, action: str, message: str | None = None):
        super().__init__(
            message or f"期限 {deadline.id}（{deadline.rule}）处于 {deadline.state} 状态，不能{action}"
        )
        self.deadline_id = deadline.id
        self.state = deadline.state
        self.action = action


class ExtensionNotAllowedError(ValidationError):
    """The rule allows no extension, or the requested days exceed its statutory maximum."""

    code = "extension_not_allowed"

    def __init__(self, deadline: Deadline, message: str, problems: list[FieldProblem] | None = None):
        super().__init__(message, problems or [FieldProblem("/days", message)])
        self.deadline_id = deadline.id
        self.rule = deadline.rule


class ExtensionNotApprovedError(PermissionDeniedError):
    """The approver does not hold the role the rule requires (e.g. commission_head for 法43)."""

    code = "extension_not_approved"

    def __init__(self, deadline: Deadline, required_role: str, approver: Actor):
        super().__init__(
            f"延长{deadline.rule}须经持有 {required_role} 角色的负责人批准，{approver.label} 无此权限"
        )
        self.deadline_id = deadline.id
        self.required_role = required_role
        self.approver = approver.label


# ---------------------------------------------------------------------------------------------
# Pure computation
# ---------------------------------------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    """Same day `months` later; the month's last day when it has no such day (民法典 art.202)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    last = _stdlib_calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def _rule(rule: StatutoryRule | str, rules: Mapping[str, StatutoryRule] | None) -> StatutoryRule:
    return rule if isinstance(rule, StatutoryRule) else get_rule(rule, rules)


def compute_due(
    rule: StatutoryRule | str,
    trigger_date: date,
    extension_days: int = 0,
    suspended_days: int = 0,
    *,
    calendar: WorkingCalendar | None = None,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> date:
    """Last day of the period that `trigger_date` starts (pure; raises CalendarNotAvailableError).

    Extension and suspended days are in the rule's day unit (working days for a working-day rule).
    """
    r = _rule(rule, rules)
    cal = calendar or default_calendar()
    if extension_days < 0 or suspended_days < 0:
        raise ValueError("extension_days and suspended_days must not be negative")
    extra = extension_days + suspended_days
    if r.direction == "before":
        if extra:
            raise ValueError(f"{r.key} counts back from an event: it cannot be extended or suspended")
        if r.unit == "working_days":
            return cal.add_working_days(trigger_date, -r.period)
        return cal.roll_back_to_working_day(_shift(r, trigger_date, -r.period))
    if r.unit == "working_days":
        return cal.add_working_days(trigger_date, r.period + extra)
    return cal.roll_to_working_day(_shift(r, trigger_date, r.period) + timedelta(days=extra))


def _shift(r: StatutoryRule, d: date, n: int) -> date:
    if r.unit == "years":
        return add_months(d, 12 * n)
    if r.unit == "months":
        return add_months(d, n)
    return d + timedelta(days=n)


def _span(r: StatutoryRule, start: date, end: date, cal: WorkingCalendar) -> int:
    """Days of (start, end] in the rule's day unit."""
    if r.day_unit == "working_days":
        return cal.working_days_between(start, end)
    return (end - start).days


def status_of(deadline: Deadline, today: date, due_soon_days: int = 2) -> Status:
    """What an inbox shows: due_soon when at most `due_soon_days` calendar days remain."""
    if deadline.state in ("met", "cancelled", "suspended", "overdue"):
        return deadline.state  # type: ignore[return-value]
    if today > deadline.due_on:
        return "overdue"
    if (deadline.due_on - today).days <= due_soon_days:
        return "due_soon"
    return "running"


# ---------------------------------------------------------------------------------------------
# Service
# ---------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _snapshot(d: Deadline) -> dict[str, Any]:
    return {
        "rule": d.rule,
        "state": d.state,
        "started_on": _iso(d.started_on),
        "due_on": _iso(d.due_on),
        "extension_days": d.extension_days,
        "suspended_days": d.suspended_days,
        "suspended_since": _iso(d.suspended_since),
    }


def _record(
    session: Session,
    deadline: Deadline,
    case: Case | None,
    actor: Actor,
    action: str,
    reason: str,
    before: dict[str, Any] | None,
    due_before: date | None,
    *,
    on: date | None = None,
    at: datetime | None = None,
    **extra: Any,
) -> None:
    """Append the history entry and the audit event of one change (the row must have an id)."""
    at = at or _now()
    entry: dict[str, Any] = {
        "at": at.isoformat(),
        "action": action,
        "by": actor.label,
        "by_id": actor.user_id,
        "reason": reason,
        "due_on_before": _iso(due_before),
        "due_on_after": _iso(deadline.due_on),
    }
    if on is not None:
        entry["on"] = on.isoformat()
    entry.update(extra)
    deadline.history = [*(deadline.history or []), entry]
    if case is None:
        case = session.get(Case, deadline.case_id)
        if case is None:  # pragma: no cover - the foreign key guarantees it
            raise ConflictError(f"deadline {deadline.id} has no case")
    after = _snapshot(deadline) | {k: v for k, v in entry.items() if k not in ("at", "by", "by_id")}
    append_case_events(
        session,
        case,
        actor,
        [PendingEvent(f"deadline.{action}", f"deadline:{deadline.id}", before, after)],
        at,
    )


def _require_state(deadline: Deadline, action: str, *states: str) -> None:
    if deadline.state not in states:
        raise DeadlineStateError(deadline, action)


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise ValidationError("须说明理由", [FieldProblem("/reason", "理由不能为空")])


def start_deadline(
    session: Session,
    case: Case,
    rule_key: str,
    trigger_date: date,
    actor: Actor,
    human_task_id: str | None = None,
    *,
    calendar: WorkingCalendar | None = None,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> Deadline:
    """Start the statutory period `rule_key` on `case`, triggered on `trigger_date`."""
    rule = get_rule(rule_key, rules)
    due = compute_due(rule, trigger_date, calendar=calendar)
    deadline = Deadline(
        case_id=case.id,
        rule=rule.key,
        legal_basis=rule.legal_basis,
        human_task_id=human_task_id,
        started_on=trigger_date,
        period=rule.period,
        unit=rule.unit,
        extension_days=0,
        suspended_days=0,
        suspended_since=None,
        due_on=due,
        state="running",
        escalated_at=None,
        history=[],
    )
    session.add(deadline)
    session.flush()
    cal = calendar or default_calendar()
    provisional = sorted({y for y in range(trigger_date.year, due.year + 1) if cal.is_provisional(y)})
    extra: dict[str, Any] = {"provisional_calendar_years": provisional} if provisional else {}
    _record(session, deadline, case, actor, "started", rule.label, None, None, on=trigger_date, **extra)
    return deadline


def _recompute(deadline: Deadline, cal: WorkingCalendar, rules: Mapping[str, StatutoryRule] | None) -> date:
    """Due date from the row's own period and unit (a restarted or reconfigured rule keeps its row)."""
    rule = _row_rule(deadline, rules)
    return compute_due(
        rule, deadline.started_on, deadline.extension_days, deadline.suspended_days, calendar=cal
    )


def rule_of(deadline: Deadline, rules: Mapping[str, StatutoryRule] | None = None) -> StatutoryRule:
    """The rule a deadline row runs under (with the period and unit it was started with)."""
    return _row_rule(deadline, rules)


def _row_rule(deadline: Deadline, rules: Mapping[str, StatutoryRule] | None) -> StatutoryRule:
    """The registry rule, with the period and unit the row was started with."""
    rule = get_rule(deadline.rule, rules)
    if rule.period == deadline.period and rule.unit == deadline.unit:
        return rule
    return dataclasses.replace(rule, period=deadline.period, unit=deadline.unit)  # type: ignore[arg-type]


def suspend(
    session: Session,
    deadline: Deadline,
    on_date: date,
    actor: Actor,
    reason: str,
    *,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> Deadline:
    """中止: the clock stops after `on_date` (that day still counts) until resumed."""
    _require_state(deadline, "中止", "running")
    _require_reason(reason)
    if _row_rule(deadline, rules).direction == "before":
        raise DeadlineStateError(deadline, "中止", f"{deadline.rule} 按开庭日倒算，不能中止；请重新计算")
    if on_date < deadline.started_on or on_date > deadline.due_on:
        raise ValidationError(
            "中止日期须在期间之内",
            [FieldProblem("/on_date", f"应在 {deadline.started_on} 至 {deadline.due_on} 之间")],
        )
    before = _snapshot(deadline)
    deadline.state = "suspended"
    deadline.suspended_since = on_date
    _record(session, deadline, None, actor, "suspended", reason, before, deadline.due_on, on=on_date)
    return deadline


def resume(
    session: Session,
    deadline: Deadline,
    on_date: date,
    actor: Actor,
    reason: str,
    *,
    calendar: WorkingCalendar | None = None,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> Deadline:
    """恢复: the clock runs again after `on_date`, with the days already used kept."""
    _require_state(deadline, "恢复", "suspended")
    _require_reason(reason)
    since = deadline.suspended_since
    if since is None or on_date < since:
        raise ValidationError("恢复日期不能早于中止日期", [FieldProblem("/on_date", f"应不早于 {since}")])
    cal = calendar or default_calendar()
    rule = _row_rule(deadline, rules)
    before, due_before = _snapshot(deadline), deadline.due_on
    span = _span(rule, since, on_date, cal)
    deadline.suspended_days += span
    deadline.suspended_since = None
    deadline.state = "running"
    deadline.due_on = _recompute(deadline, cal, rules)
    _record(
        session,
        deadline,
        None,
        actor,
        "resumed",
        reason,
        before,
        due_before,
        on=on_date,
        suspended_since=since.isoformat(),
        suspended_span=span,
    )
    return deadline


def restart(
    session: Session,
    deadline: Deadline,
    on_date: date,
    actor: Actor,
    reason: str,
    *,
    calendar: WorkingCalendar | None = None,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> Deadline:
    """重新计算: the full period counts afresh from the day after `on_date`.

    Extension and suspension of the old count are dropped (a new count needs a new approval),
    and a past escalation is cleared so that missing the new period is escalated again.
    """
    _require_state(deadline, "重新计算", *OPEN_STATES)
    _require_reason(reason)
    cal = calendar or default_calendar()
    before, due_before = _snapshot(deadline), deadline.due_on
    previous_escalation = deadline.escalated_at
    deadline.started_on = on_date
    deadline.extension_days = 0
    deadline.suspended_days = 0
    deadline.suspended_since = None
    deadline.state = "running"
    deadline.escalated_at = None
    deadline.due_on = _recompute(deadline, cal, rules)
    extra: dict[str, Any] = {}
    if previous_escalation is not None:
        extra["previous_escalated_at"] = previous_escalation.isoformat()
    _record(session, deadline, None, actor, "restarted", reason, before, due_before, on=on_date, **extra)
    return deadline


def extend(
    session: Session,
    deadline: Deadline,
    days: int,
    actor: Actor,
    approved_by: Actor,
    reason: str,
    *,
    calendar: WorkingCalendar | None = None,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> Deadline:
    """延长: add `days` (rule's day unit) with the written approval of the rule's approver role.

    Several extensions may be granted while their sum stays within the statutory maximum.
    """
    _require_state(deadline, "延长", "running", "suspended")
    _require_reason(reason)
    rule = _row_rule(deadline, rules)
    if not rule.extension_allowed:
        raise ExtensionNotAllowedError(deadline, f"{rule.label}（{rule.article}）依法不得延长")
    if days <= 0:
        raise ExtensionNotAllowedError(deadline, "延长天数须为正整数")
    if rule.extension_max is not None and deadline.extension_days + days > rule.extension_max:
        raise ExtensionNotAllowedError(
            deadline,
            f"{rule.label}最多延长{rule.extension_max}日（{rule.article}），"
            f"已延长{deadline.extension_days}日，不能再延长{days}日",
        )
    required = rule.approver_role or "commission_head"
    if required not in approved_by.roles:
        raise ExtensionNotApprovedError(deadline, required, approved_by)
    cal = calendar or default_calendar()
    before, due_before = _snapshot(deadline), deadline.due_on
    deadline.extension_days += days
    deadline.due_on = _recompute(deadline, cal, rules)
    _record(
        session,
        deadline,
        None,
        actor,
        "extended",
        reason,
        before,
        due_before,
        days=days,
        approved_by=approved_by.label,
        approved_by_id=approved_by.user_id,
    )
    return deadline


def mark_met(session: Session, deadline: Deadline, on_date: date, actor: Actor) -> Deadline:
    """The act the period was for was done on `on_date` (late if after the due date)."""
    _require_state(deadline, "标记完成", *OPEN_STATES)
    before = _snapshot(deadline)
    late = on_date > deadline.due_on
    deadline.state = "met"
    deadline.suspended_since = None
    _record(
        session,
        deadline,
        None,
        actor,
        "met",
        "逾期完成" if late else "按期完成",
        before,
        deadline.due_on,
        on=on_date,
        late=late,
    )
    return deadline


def cancel(session: Session, deadline: Deadline, actor: Actor, reason: str) -> Deadline:
    """The period no longer applies (case withdrawn, task withdrawn by the process)."""
    _require_state(deadline, "撤销", *OPEN_STATES)
    _require_reason(reason)
    before = _snapshot(deadline)
    deadline.state = "cancelled"
    _record(session, deadline, None, actor, "cancelled", reason, before, deadline.due_on)
    return deadline


def escalate_overdue(
    session: Session,
    today: date,
    actor: Actor = SYSTEM,
    *,
    rules: Mapping[str, StatutoryRule] | None = None,
) -> list[Deadline]:
    """超期督办: mark running deadlines past their due date overdue and open one inbox item each,
    offered to the body's supervisors and, for an arbitration case, to its commission head too
    (`escalation_roles`); whoever of them handles it first closes it.

    Idempotent: `escalated_at` is set once and escalated rows are skipped; on PostgreSQL rows are
    locked with SKIP LOCKED so concurrent workers never escalate the same deadline twice.
    """
    rows = (
        session.execute(
            select(Deadline)
            .where(
                Deadline.due_on < today,
                Deadline.escalated_at.is_(None),
                or_(Deadline.state == "running", Deadline.state == "overdue"),
            )
            .order_by(Deadline.due_on, Deadline.id)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    escalated: list[Deadline] = []
    for deadline in rows:
        case = session.get(Case, deadline.case_id)
        if case is None:  # pragma: no cover - the foreign key guarantees it
            continue
        now = _now()
        label = _label(deadline.rule, rules)
        task = HumanTask(
            id=str(uuid.uuid4()),
            case_id=case.id,
            organisation_id=case.organisation_id,
            name=ESCALATION_TASK,
            title=f"超期督办：{case.case_number} {label}已于{deadline.due_on.isoformat()}届满"[:200],
            candidate_role=ESCALATION_ROLE,
            state="open",
            created_at=now,
        )
        session.add(task)
        before = _snapshot(deadline)
        deadline.state = "overdue"
        deadline.escalated_at = now
        _record(
            session,
            deadline,
            case,
            actor,
            "escalated",
            f"超期督办：{label}逾期未完成",
            before,
            deadline.due_on,
            on=today,
            at=now,
            escalation_task_id=task.id,
            offered_to=sorted(escalation_roles(case.case_type)),
        )
        escalated.append(deadline)
    session.flush()
    return escalated


def _label(rule_key: str, rules: Mapping[str, StatutoryRule] | None = None) -> str:
    """The Chinese label of a registered rule, or its key for a rule no longer registered."""
    try:
        return get_rule(rule_key, rules).label
    except UnknownRuleError:
        return rule_key
