"""Statutory deadlines: one computation per rule (citing its article), and the service life cycle.

Expected dates are worked out by hand from the State Council schedules of 2025 and 2026
(National Day 2025-10-01..08 with make-up workdays Sun 09-28 and Sat 10-11; Labour Day
2025-05-01..05 with Sun 04-27; Spring Festival 2025-01-28..02-04 with Sun 01-26 and Sat 02-08;
Dragon Boat 2025-05-31..06-02; Qingming 2025-04-04..06; New Year 2026-01-01..03 with Sun 01-04).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import audit
from workflows.audit import SYSTEM, Actor
from workflows.calendar import CalendarNotAvailableError, WorkingCalendar
from workflows.db import Database
from workflows.deadlines import (
    DeadlineStateError,
    ExtensionNotAllowedError,
    ExtensionNotApprovedError,
    add_months,
    cancel,
    compute_due,
    escalate_overdue,
    extend,
    mark_met,
    restart,
    resume,
    start_deadline,
    status_of,
    suspend,
)
from workflows.errors import PermissionDeniedError, ValidationError
from workflows.models import AuditEvent, Case, Deadline, HumanTask, Organisation, ProcessDefinition
from workflows.statutes import RULES, StatutoryRule, UnknownRuleError, get_rule, with_overrides

D = date.fromisoformat
PLAIN = WorkingCalendar()  # package data only: independent of the bundled override table

CLERK = Actor(user_id=None, label="clerk1", roles=frozenset({"clerk"}))
SUPERVISOR = Actor(user_id=None, label="super1", roles=frozenset({"supervisor"}))
HEAD = Actor(user_id=None, label="head1", roles=frozenset({"commission_head"}))
DEPARTMENT_HEAD = Actor(user_id=None, label="head2", roles=frozenset({"department_head"}))


# ---------------------------------------------------------------------------------------------
# One computation per statutory rule
# ---------------------------------------------------------------------------------------------

# (rule, trigger date, expected due date); the id names the article
RULE_CASES = [
    pytest.param(
        "mediation.mediate", "2025-09-16", "2025-10-09", id="调解仲裁法14-mediation-15d-ends-in-national-day"
    ),
    pytest.param(
        "mediation.court_confirmation", "2025-03-03", "2025-04-02", id="民诉法205-court-confirmation-30d"
    ),
    pytest.param(
        "mediation.arbitration_review",
        "2025-09-13",
        "2025-09-28",
        id="办案规则74-78-review-15d-ends-on-make-up-sunday",
    ),
    pytest.param(
        "arbitration.limitation", "2024-02-29", "2025-02-28", id="调解仲裁法27-limitation-1y-month-end"
    ),
    pytest.param(
        "arbitration.accept", "2025-09-26", "2025-10-10", id="调解仲裁法29-accept-5wd-over-make-up-day"
    ),
    pytest.param("arbitration.serve_respondent", "2025-06-06", "2025-06-13", id="调解仲裁法30-serve-5wd"),
    pytest.param(
        "arbitration.defence", "2025-04-25", "2025-05-13", id="调解仲裁法30-defence-10wd-over-labour-day"
    ),
    pytest.param(
        "arbitration.serve_defence", "2025-01-24", "2025-02-07", id="调解仲裁法30-serve-defence-5wd-spring"
    ),
    pytest.param(
        "arbitration.form_tribunal", "2025-10-09", "2025-10-15", id="调解仲裁法31-32-tribunal-notice-5wd"
    ),
    pytest.param(
        "arbitration.recusal_decision", "2025-12-31", "2026-01-06", id="调解仲裁法33-recusal-3wd-new-year"
    ),
    pytest.param(
        "arbitration.hearing_notice", "2025-10-17", "2025-10-11", id="调解仲裁法35-hearing-notice-5wd-before"
    ),
    pytest.param(
        "arbitration.postpone_hearing_request",
        "2025-10-09",
        "2025-09-28",
        id="调解仲裁法35-postpone-3wd-before",
    ),
    pytest.param("arbitration.award", "2025-03-03", "2025-04-17", id="调解仲裁法43-award-45d"),
    pytest.param(
        "arbitration.worker_sue_final_award", "2025-06-06", "2025-06-23", id="调解仲裁法48-sue-15d-weekend"
    ),
    pytest.param(
        "arbitration.set_aside_final_award", "2025-04-01", "2025-05-06", id="调解仲裁法49-set-aside-30d"
    ),
    pytest.param(
        "arbitration.sue_non_final_award",
        "2025-09-26",
        "2025-10-11",
        id="调解仲裁法50-sue-15d-make-up-saturday",
    ),
    pytest.param("inspection.register", "2025-05-30", "2025-06-09", id="若干规定18-register-5wd-dragon-boat"),
    pytest.param("inspection.limitation", "2023-08-16", "2025-08-18", id="监察条例20-limitation-2y-weekend"),
    pytest.param("inspection.investigate", "2025-01-02", "2025-04-02", id="监察条例17-investigate-60wd"),
    pytest.param(
        "inspection.hearing_request", "2025-07-04", "2025-07-11", id="行政处罚法64-hearing-request-5wd"
    ),
    pytest.param(
        "inspection.serve_decision", "2025-07-04", "2025-07-15", id="行政处罚法61-serve-decision-7wd"
    ),
    pytest.param("administrative.reconsideration", "2025-03-01", "2025-04-30", id="行政复议法20-review-60d"),
    pytest.param(
        "administrative.lawsuit", "2025-08-31", "2026-02-28", id="行政诉讼法46-lawsuit-6m-month-end-make-up"
    ),
    pytest.param(
        "inspection.dishonesty_list_term", "2022-06-15", "2025-06-16", id="农民工条例48-blacklist-3y"
    ),
    pytest.param(
        "inspection.dishonesty_list_early_removal",
        "2025-01-15",
        "2025-07-15",
        id="人社部令45-early-removal-6m",
    ),
    pytest.param("petition.register", "2025-04-20", "2025-05-06", id="信访条例22-register-15d-labour-day"),
    pytest.param("petition.notify_acceptance", "2025-07-01", "2025-07-16", id="信访条例23-notify-15d"),
    pytest.param("petition.handle", "2025-07-01", "2025-09-01", id="信访条例33-handle-60d-weekend"),
    pytest.param(
        "petition.review_request", "2025-01-01", "2025-02-05", id="信访条例35-review-request-30d-spring"
    ),
    pytest.param("petition.review_answer", "2025-09-01", "2025-10-09", id="信访条例35-review-answer-30d"),
    pytest.param(
        "petition.re_review_request", "2025-11-03", "2025-12-03", id="信访条例36-re-review-request-30d"
    ),
    pytest.param(
        "petition.re_review_answer",
        "2025-12-02",
        "2026-01-04",
        id="信访条例36-re-review-answer-rolls-to-make-up",
    ),
    pytest.param("injury.employer_apply", "2025-02-10", "2025-03-12", id="工伤条例17-employer-apply-30d"),
    pytest.param(
        "injury.worker_apply", "2024-10-01", "2025-10-09", id="工伤条例17-worker-apply-1y-national-day"
    ),
    pytest.param("injury.accept", "2025-05-16", "2025-06-03", id="工伤条例18-accept-15d-dragon-boat"),
    pytest.param("injury.decide", "2025-02-01", "2025-04-02", id="工伤条例20-decide-60d"),
    pytest.param(
        "injury.decide_clear_case", "2025-03-20", "2025-04-07", id="工伤条例20-clear-case-15d-qingming"
    ),
    pytest.param("injury.serve_decision", "2025-09-10", "2025-09-30", id="认定办法22-serve-20d"),
    pytest.param("appraisal.conclude", "2025-08-02", "2025-10-09", id="工伤条例25-appraisal-60d"),
    pytest.param(
        "appraisal.re_appraisal_request", "2025-11-14", "2025-12-01", id="工伤条例26-re-appraisal-15d"
    ),
    pytest.param("injury_benefit.reimburse", "2025-09-19", "2025-10-23", id="经办条例21-22-reimburse-20wd"),
    pytest.param(
        "social_insurance.register", "2025-12-26", "2026-01-12", id="经办条例6-register-10wd-new-year"
    ),
    pytest.param("social_insurance.pension_claim", "2025-06-30", "2025-07-28", id="经办条例18-pension-20wd"),
]


@pytest.mark.parametrize(("rule", "trigger", "expected"), RULE_CASES)
def test_statutory_rule_due_date(rule: str, trigger: str, expected: str) -> None:
    """Each rule of law.md §1-§6 computed over real holiday schedules (article in the test id)."""
    assert compute_due(rule, D(trigger), calendar=PLAIN) == D(expected)


def test_every_registered_rule_has_a_due_date_test() -> None:
    tested = {p.values[0] for p in RULE_CASES}
    assert tested == set(RULES)


def test_award_45_days_ending_in_national_day_rolls_to_first_working_day() -> None:
    """调解仲裁法 art.43 + 民诉法 art.85: 2025-08-18 + 45 days = 10-02 (holiday) → 10-09."""
    assert compute_due("arbitration.award", D("2025-08-18"), calendar=PLAIN) == D("2025-10-09")


def test_award_deadline_extends_by_15_days_with_approval_computation() -> None:
    """调解仲裁法 art.43: 45 + 15 days from 2025-03-03 = 05-02, inside Labour Day → 05-06."""
    assert compute_due("arbitration.award", D("2025-03-03"), extension_days=15, calendar=PLAIN) == D(
        "2025-05-06"
    )


def test_inspection_60_working_days_extended_by_30_working_days() -> None:
    """监察条例 art.17: 60 + 30 working days from 立案 2025-01-02 (over Qingming, Labour Day)."""
    got = compute_due("inspection.investigate", D("2025-01-02"), extension_days=30, calendar=PLAIN)
    assert got == D("2025-05-19")


def test_period_ending_on_make_up_workday_does_not_move() -> None:
    """law.md: a make-up workday is a working day; 2025-09-13 + 15 days = Sun 09-28 (上班)."""
    assert compute_due("mediation.mediate", D("2025-09-13"), calendar=PLAIN) == D("2025-09-28")


def test_period_ending_on_ordinary_weekend_moves_to_monday() -> None:
    """民诉法 art.85: 2025-06-06 + 15 days = Sat 06-21 → Mon 06-23."""
    assert compute_due("arbitration.sue_non_final_award", D("2025-06-06"), calendar=PLAIN) == D("2025-06-23")


def test_due_date_in_a_year_without_schedule_raises() -> None:
    with pytest.raises(CalendarNotAvailableError) as err:
        compute_due("arbitration.award", D("2026-12-01"), calendar=PLAIN)  # ends 2027-01-15
    assert err.value.year == 2027


def test_override_table_makes_a_future_year_computable() -> None:
    cal = WorkingCalendar.from_mapping({"years": {"2027": {"holidays": ["2027-01-15"]}}})
    # 2026-12-01 + 45 = Fri 2027-01-15, a (configured) holiday → Mon 2027-01-18
    assert compute_due("arbitration.award", D("2026-12-01"), calendar=cal) == D("2027-01-18")


def test_compute_due_rejects_bad_input() -> None:
    with pytest.raises(UnknownRuleError):
        compute_due("arbitration.nonexistent", D("2025-03-03"))
    with pytest.raises(ValueError):
        compute_due("arbitration.award", D("2025-03-03"), extension_days=-1, calendar=PLAIN)
    with pytest.raises(ValueError):
        compute_due("arbitration.hearing_notice", D("2025-10-17"), extension_days=1, calendar=PLAIN)


def test_before_period_in_calendar_days_moves_earlier_to_a_working_day() -> None:
    rule = StatutoryRule(
        key="t.before", label="测", period=5, unit="calendar_days", legal_basis="x", article="x", trigger="x",
        direction="before",
    )  # fmt: skip
    # 2025-10-13 - 5 days = 10-08 (holiday) → back to 09-30
    assert compute_due(rule, D("2025-10-13"), calendar=PLAIN) == D("2025-09-30")


def test_add_months_takes_month_end_when_day_is_missing() -> None:
    """民法典 art.202: no corresponding day → last day of the month."""
    assert add_months(D("2025-08-31"), 6) == D("2026-02-28")
    assert add_months(D("2024-02-29"), 12) == D("2025-02-28")
    assert add_months(D("2025-01-31"), 1) == D("2025-02-28")
    assert add_months(D("2025-11-15"), 2) == D("2026-01-15")


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


def test_arbitration_3_5_10_day_periods_count_working_days_and_15_45_calendar_days() -> None:
    """law.md "Counting periods" (办案规则 art.82 [M])."""
    for rule in RULES.values():
        if rule.key.startswith("arbitration.") and rule.unit in ("working_days", "calendar_days"):
            expected = "working_days" if rule.period in (3, 5, 10) else "calendar_days"
            assert rule.unit == expected, rule.key


def test_award_rule_allows_15_days_extension_approved_by_commission_head() -> None:
    """调解仲裁法 art.43."""
    award = get_rule("arbitration.award")
    assert (award.period, award.unit, award.extension_allowed, award.extension_max) == (
        45,
        "calendar_days",
        True,
        15,
    )
    assert award.approver_role == "commission_head"
    assert award.legal_basis == "《劳动争议调解仲裁法》第四十三条"


def test_every_rule_names_its_legal_basis_and_a_chinese_label() -> None:
    for rule in RULES.values():
        assert rule.legal_basis.startswith("《"), rule.key
        assert len(rule.legal_basis) <= 200 and len(rule.key) <= 64
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.label), rule.key
        assert rule.extension_allowed == (rule.approver_role is not None), rule.key


def test_configured_override_changes_a_rule_and_rejects_unknown_fields() -> None:
    rules = with_overrides({"arbitration.accept": {"unit": "calendar_days"}})
    assert rules["arbitration.accept"].unit == "calendar_days"
    assert RULES["arbitration.accept"].unit == "working_days"
    # 2025-09-26 + 5 calendar days = 10-01 → 10-09
    assert compute_due("arbitration.accept", D("2025-09-26"), rules=rules, calendar=PLAIN) == D("2025-10-09")
    with pytest.raises(ValidationError):
        with_overrides({"arbitration.accept": {"key": "other"}})
    with pytest.raises(UnknownRuleError):
        with_overrides({"nope": {"period": 1}})


@pytest.mark.parametrize(
    "bad",
    [
        {"period": 0},
        {"unit": "weeks"},
        {"direction": "sideways"},
        {"extension_allowed": True},
        {"extension_max": 5},
        {"direction": "before", "extension_allowed": True, "approver_role": "commission_head"},
        {"extension_notice": "extension_notice"},  # a notice of an extension the law does not allow
        {"extension_allowed": True, "approver_role": "commission_head", "extension_notice": "memo"},
    ],
)
def test_invalid_rule_definition_is_rejected(bad: dict) -> None:
    fields = {
        "key": "t.x",
        "label": "测",
        "period": 5,
        "unit": "calendar_days",
        "legal_basis": "x",
        "article": "x",
    }
    with pytest.raises(ValidationError):
        StatutoryRule(**(fields | {"trigger": "x"} | bad))


# ---------------------------------------------------------------------------------------------
# Service on a database
# ---------------------------------------------------------------------------------------------


def _case(session: Session, n: int = 1) -> Case:
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
        case_number=f"劳人仲案字〔2025〕第{n}号",
        case_type="arbitration",
        year=2025,
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


def _start(session: Session, rule: str, trigger: str, n: int = 1) -> Deadline:
    return start_deadline(session, _case(session, n), rule, D(trigger), CLERK)


def _actions(session: Session, deadline: Deadline) -> list[str]:
    return list(
        session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.entity == f"deadline:{deadline.id}")
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def test_start_deadline_records_rule_basis_history_and_audit(db: Database) -> None:
    """调解仲裁法 art.43: the award period starts the day after acceptance."""
    with db.transaction() as s:
        case = _case(s)
        dl = start_deadline(s, case, "arbitration.award", D("2025-03-03"), CLERK, human_task_id="task-1")
        dl_id = dl.id
    with db.transaction() as s:
        dl = s.get_one(Deadline, dl_id)
        assert (dl.rule, dl.period, dl.unit, dl.state) == (
            "arbitration.award",
            45,
            "calendar_days",
            "running",
        )
        assert dl.legal_basis == "《劳动争议调解仲裁法》第四十三条"
        assert dl.human_task_id == "task-1"
        assert dl.started_on == D("2025-03-03") and dl.due_on == D("2025-04-17")
        [entry] = dl.history
        assert {"at", "action", "by", "reason", "due_on_before", "due_on_after"} <= set(entry)
        assert (
            entry["action"] == "started" and entry["by"] == "clerk1" and entry["due_on_after"] == "2025-04-17"
        )
        assert datetime.fromisoformat(entry["at"]).utcoffset() is not None
        assert _actions(s, dl) == ["deadline.started"]
        assert audit.verify(s) == []


def test_start_deadline_with_unknown_rule_is_refused(db: Database) -> None:
    with db.transaction() as s, pytest.raises(UnknownRuleError):
        start_deadline(s, _case(s), "arbitration.whatever", D("2025-03-03"), CLERK)


def test_suspension_stops_the_calendar_day_clock_and_resume_adds_the_span(db: Database) -> None:
    """办案规则 art.46-47 [P]: days while suspended (中止) do not count toward the award period."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")  # due 04-17
        suspend(s, dl, D("2025-03-10"), CLERK, "等待另案判决")
        assert dl.state == "suspended" and dl.suspended_since == D("2025-03-10")
        assert status_of(dl, D("2025-05-30")) == "suspended"
        resume(s, dl, D("2025-03-20"), CLERK, "另案已判决")
        # 10 days suspended: 04-27 is a Sunday but a make-up workday, so it does not move
        assert dl.suspended_days == 10 and dl.due_on == D("2025-04-27") and dl.state == "running"
        assert dl.suspended_since is None
        assert [h["action"] for h in dl.history] == ["started", "suspended", "resumed"]
        assert (
            dl.history[-1]["due_on_before"] == "2025-04-17" and dl.history[-1]["due_on_after"] == "2025-04-27"
        )
        assert _actions(s, dl) == ["deadline.started", "deadline.suspended", "deadline.resumed"]


def test_suspension_of_working_day_period_counts_only_working_days(db: Database) -> None:
    """调解仲裁法 art.29 in working days: 2 used (09-28, 09-29), suspended over National Day, 3 left."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.accept", "2025-09-26")  # due 10-10
        suspend(s, dl, D("2025-09-29"), CLERK, "公告送达")
        resume(s, dl, D("2025-10-09"), CLERK, "公告期满")
        assert dl.suspended_days == 2  # 09-30 and 10-09 were working days
        assert dl.due_on == D("2025-10-13")  # 10-10, Sat 10-11 (make-up), 10-13


def test_suspend_and_resume_refuse_wrong_state_dates_and_missing_reason(db: Database) -> None:
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        with pytest.raises(DeadlineStateError):
            resume(s, dl, D("2025-03-10"), CLERK, "未中止")
        with pytest.raises(ValidationError):
            suspend(s, dl, D("2025-03-10"), CLERK, "  ")
        with pytest.raises(ValidationError):
            suspend(s, dl, D("2025-04-18"), CLERK, "已届满后中止")
        with pytest.raises(ValidationError):
            suspend(s, dl, D("2025-03-01"), CLERK, "早于起算日")
        suspend(s, dl, D("2025-03-10"), CLERK, "中止")
        with pytest.raises(DeadlineStateError):
            suspend(s, dl, D("2025-03-11"), CLERK, "重复中止")
        with pytest.raises(ValidationError):
            resume(s, dl, D("2025-03-09"), CLERK, "早于中止日")
        hearing = start_deadline(
            s, s.get_one(Case, dl.case_id), "arbitration.hearing_notice", D("2025-10-17"), CLERK
        )
        with pytest.raises(DeadlineStateError):
            suspend(s, hearing, D("2025-10-10"), CLERK, "倒算期间")


def test_restart_counts_the_full_period_afresh_after_supplement(db: Database) -> None:
    """law.md §2: missing materials — the acceptance clock restarts on completion (重新计算)."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.accept", "2025-09-01")
        assert dl.due_on == D("2025-09-08")
        suspend(s, dl, D("2025-09-02"), CLERK, "通知补正")
        restart(s, dl, D("2025-09-26"), CLERK, "补正材料已齐")
        assert (dl.started_on, dl.due_on, dl.state) == (D("2025-09-26"), D("2025-10-10"), "running")
        assert dl.suspended_days == 0 and dl.suspended_since is None
        assert dl.history[-1]["action"] == "restarted" and dl.history[-1]["due_on_before"] == "2025-09-08"


def test_restart_drops_a_previous_extension(db: Database) -> None:
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        extend(s, dl, 15, CLERK, HEAD, "案情复杂")
        restart(s, dl, D("2025-03-20"), CLERK, "增加仲裁请求")
        # 2025-03-20 + 45 = 05-04 (Labour Day) → 05-06
        assert dl.extension_days == 0 and dl.due_on == D("2025-05-06")
    with db.transaction() as s, pytest.raises(DeadlineStateError):
        dl = _start(s, "arbitration.award", "2025-03-03", n=2)
        mark_met(s, dl, D("2025-04-01"), CLERK)
        restart(s, dl, D("2025-04-02"), CLERK, "已结案")


def test_award_deadline_extends_by_15_days_with_approval(db: Database) -> None:
    """调解仲裁法 art.43: 45 days, extendable by at most 15 with the commission head's approval."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        extend(s, dl, 15, CLERK, HEAD, "案情复杂，经仲裁委员会主任批准")
        assert dl.extension_days == 15 and dl.due_on == D("2025-05-06")
        entry = dl.history[-1]
        assert entry["action"] == "extended" and entry["approved_by"] == "head1" and entry["days"] == 15
        assert (entry["due_on_before"], entry["due_on_after"]) == ("2025-04-17", "2025-05-06")
        assert _actions(s, dl)[-1] == "deadline.extended"


def test_award_extensions_add_up_to_the_statutory_maximum_only(db: Database) -> None:
    """调解仲裁法 art.43: the total extension may not exceed 15 days."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        with pytest.raises(ExtensionNotAllowedError):
            extend(s, dl, 16, CLERK, HEAD, "超过上限")
        extend(s, dl, 10, CLERK, HEAD, "第一次延长")
        with pytest.raises(ExtensionNotAllowedError) as err:
            extend(s, dl, 6, CLERK, HEAD, "合计超过上限")
        assert err.value.problems[0].pointer == "/days"
        extend(s, dl, 5, CLERK, HEAD, "第二次延长")
        assert dl.extension_days == 15 and dl.due_on == D("2025-05-06")
        with pytest.raises(ExtensionNotAllowedError):
            extend(s, dl, 0, CLERK, HEAD, "零天")


def test_extension_refused_for_a_period_the_law_does_not_extend(db: Database) -> None:
    """调解仲裁法 art.29: the 5-day acceptance period has no extension."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.accept", "2025-09-26")
        with pytest.raises(ExtensionNotAllowedError):
            extend(s, dl, 5, CLERK, HEAD, "想延长")
        assert dl.extension_days == 0 and len(dl.history) == 1


def test_extension_not_approved_by_the_commission_head_is_refused(db: Database) -> None:
    """调解仲裁法 art.43: extension needs the commission head's (仲裁委员会主任) written approval."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        with pytest.raises(ExtensionNotApprovedError) as err:
            extend(s, dl, 15, CLERK, SUPERVISOR, "主管批准")
        assert isinstance(err.value, PermissionDeniedError) and err.value.required_role == "commission_head"
        assert dl.due_on == D("2025-04-17")


def test_inspection_extension_needs_the_department_head(db: Database) -> None:
    """监察条例 art.17: 60 working days, +30 with the head's approval."""
    with db.transaction() as s:
        dl = _start(s, "inspection.investigate", "2025-01-02")
        with pytest.raises(ExtensionNotApprovedError):
            extend(s, dl, 30, CLERK, HEAD, "非本机关负责人")
        extend(s, dl, 30, CLERK, DEPARTMENT_HEAD, "情况复杂")
        assert dl.due_on == D("2025-05-19")


def test_petition_handling_extends_by_at_most_30_days(db: Database) -> None:
    """信访条例 art.33-34: 60 days from acceptance, +≤30 with the body head's approval."""
    with db.transaction() as s:
        dl = _start(s, "petition.handle", "2025-07-01")  # due Mon 09-01 (08-30 is a Saturday)
        with pytest.raises(ExtensionNotAllowedError):
            extend(s, dl, 31, CLERK, DEPARTMENT_HEAD, "超过30日")
        extend(s, dl, 30, CLERK, DEPARTMENT_HEAD, "情况复杂")
        assert dl.due_on == D("2025-09-29")  # 07-01 + 90 days


def test_employer_injury_application_extension_has_no_fixed_cap(db: Database) -> None:
    """工伤条例 art.17: 30 days, 遇有特殊情况 extendable with the department's consent (no cap)."""
    with db.transaction() as s:
        dl = _start(s, "injury.employer_apply", "2025-02-10")  # due 03-12
        with pytest.raises(ExtensionNotApprovedError):
            extend(s, dl, 60, CLERK, HEAD, "仲裁委无权批准")
        extend(s, dl, 60, CLERK, DEPARTMENT_HEAD, "特殊情况")
        assert dl.due_on == D("2025-05-12")  # 02-10 + 90 = Sun 05-11 → Mon 05-12


def test_overdue_deadline_cannot_be_extended_and_met_closes_it(db: Database) -> None:
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        escalate_overdue(s, D("2025-04-18"))
        with pytest.raises(DeadlineStateError):
            extend(s, dl, 15, CLERK, HEAD, "逾期后延长")
        mark_met(s, dl, D("2025-04-20"), CLERK)
        assert dl.state == "met" and dl.history[-1]["late"] is True
        with pytest.raises(DeadlineStateError):
            mark_met(s, dl, D("2025-04-21"), CLERK)


def test_mark_met_on_time(db: Database) -> None:
    with db.transaction() as s:
        dl = _start(s, "arbitration.accept", "2025-09-26")
        mark_met(s, dl, D("2025-10-09"), CLERK)
        assert (
            dl.state == "met" and dl.history[-1]["late"] is False and dl.history[-1]["reason"] == "按期完成"
        )
        assert status_of(dl, D("2025-12-01")) == "met"
        assert _actions(s, dl) == ["deadline.started", "deadline.met"]


def test_cancel_closes_an_open_deadline_with_a_reason(db: Database) -> None:
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")
        with pytest.raises(ValidationError):
            cancel(s, dl, CLERK, "")
        cancel(s, dl, CLERK, "申请人撤回仲裁申请")
        assert status_of(dl, D("2025-03-04")) == "cancelled"
        with pytest.raises(DeadlineStateError):
            suspend(s, dl, D("2025-03-05"), CLERK, "已撤销")


def test_status_is_due_soon_within_two_days_and_overdue_after_the_due_date(db: Database) -> None:
    with db.transaction() as s:
        dl = _start(s, "arbitration.award", "2025-03-03")  # due 04-17
        assert status_of(dl, D("2025-04-10")) == "running"
        assert status_of(dl, D("2025-04-14")) == "running"
        assert status_of(dl, D("2025-04-15")) == "due_soon"
        assert status_of(dl, D("2025-04-17")) == "due_soon"
        assert status_of(dl, D("2025-04-18")) == "overdue"
        assert status_of(dl, D("2025-04-12"), due_soon_days=5) == "due_soon"


def test_escalation_opens_one_supervisor_item_and_is_idempotent(db: Database) -> None:
    """超期督办: an overdue statutory period is escalated to a supervisor exactly once."""
    with db.transaction() as s:
        late = _start(s, "arbitration.accept", "2025-09-26", n=1)  # due 10-10
        on_time = _start(s, "arbitration.award", "2025-09-26", n=2)  # due 11-10
        paused = _start(s, "arbitration.defence", "2025-09-01", n=3)
        suspend(s, paused, D("2025-09-02"), CLERK, "中止")
        done = _start(s, "arbitration.serve_respondent", "2025-09-01", n=4)
        mark_met(s, done, D("2025-09-03"), CLERK)
        late_id, on_time_id, org_id = late.id, on_time.id, s.get_one(Case, late.case_id).organisation_id
    with db.transaction() as s:
        first = escalate_overdue(s, D("2025-10-14"))
        assert [d.id for d in first] == [late_id]
    with db.transaction() as s:
        assert escalate_overdue(s, D("2025-10-14")) == []
        assert escalate_overdue(s, D("2025-10-20")) == []
        late = s.get_one(Deadline, late_id)
        assert late.state == "overdue" and late.escalated_at is not None
        assert s.get_one(Deadline, on_time_id).state == "running"
        [task] = s.execute(select(HumanTask)).scalars().all()
        assert (task.name, task.candidate_role, task.state) == ("overdue_escalation", "supervisor", "open")
        assert task.organisation_id == org_id and task.case_id == late.case_id and len(task.id) == 36
        assert (
            "劳人仲案字〔2025〕第1号" in task.title
            and "受理审查期限" in task.title
            and "超期督办" in task.title
        )
        assert [h["action"] for h in late.history] == ["started", "escalated"]
        assert late.history[-1]["escalation_task_id"] == task.id
        assert _actions(s, late) == ["deadline.started", "deadline.escalated"]
        assert audit.verify(s) == []


def test_escalation_is_not_due_on_the_last_day_itself(db: Database) -> None:
    with db.transaction() as s:
        _start(s, "arbitration.accept", "2025-09-26")  # due 10-10
        assert escalate_overdue(s, D("2025-10-10"), SYSTEM) == []
        assert s.execute(select(func.count()).select_from(HumanTask)).scalar_one() == 0


def test_restart_after_escalation_allows_escalating_the_new_period(db: Database) -> None:
    """A restarted period is a new count: missing it again is a new breach worth a new 督办."""
    with db.transaction() as s:
        dl = _start(s, "arbitration.accept", "2025-09-01")  # due 09-08
        assert len(escalate_overdue(s, D("2025-09-09"))) == 1
        restart(s, dl, D("2025-09-26"), CLERK, "补正材料已齐")
        assert dl.escalated_at is None and "previous_escalated_at" in dl.history[-1]
        assert escalate_overdue(s, D("2025-10-11")) == []
        assert len(escalate_overdue(s, D("2025-10-14"))) == 1
        assert s.execute(select(func.count()).select_from(HumanTask)).scalar_one() == 2
