"""The head's oversight of a commission: overdue and due-soon periods, approvals, counts, and the
超期督办 item of an arbitration case reaching the commission head.

Cases run through the real arbitration (and mediation) processes; time is moved by giving the
oversight and deadline services a clock set to a later day (China time).  Articles are those of
《劳动争议调解仲裁法》.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import event, select

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    CHINA,
    Staff,
    complete_step,
    drive_to,
    inbox_task,
    open_arbitration,
    step_data,
)
from tests.support import SECRET
from workflows import identity
from workflows.audit import SYSTEM, Actor
from workflows.calendar import china_today
from workflows.cases import OpenCase, PartyInput
from workflows.db import Database
from workflows.deadline_service import DeadlineService
from workflows.errors import PermissionDeniedError
from workflows.identity import create_user
from workflows.models import Deadline
from workflows.oversight import AttentionItem, OversightDeniedError, OversightService
from workflows.system import System

system = arbitration.system  # the real processes in bpmn/
staff = arbitration.staff  # clerk, arbitrator and commission head of one commission


# -- people, clock and cases --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Password hashing is not under test: the people fixtures create many accounts."""
    previous = identity.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    identity.set_password_hasher(previous)


@dataclass
class Others:
    """The head and a mediator of our commission's neighbours and colleagues."""

    other_head: Actor  # head of another commission
    mediator: Actor  # a mediator of our own commission


@pytest.fixture
def others(db: Database, staff: Staff) -> Others:
    with db.transaction() as s:

        def user(name: str, role: str, org_id: int) -> Actor:
            u, _ = create_user(
                s, username=name, display_name=name, password="correct horse battery", roles={role},
                organisation_id=org_id, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            s.flush()
            return Actor(u.id, name, frozenset({role}), org_id)

        return Others(
            other_head=user("head9", "commission_head", staff.people.other_org_id),
            mediator=user("mediator1", "mediator", staff.people.org_id),
        )


def on(day: date) -> Callable[[], datetime]:
    """A clock standing at noon of `day` in China."""
    moment = datetime.combine(day, time(12, 0), CHINA).astimezone(UTC)
    return lambda: moment


def today() -> date:
    return china_today()


def oversight(system: System, day: date) -> OversightService:
    return OversightService(system.db, on(day), due_soon_days=2)


def sweep(system: System, day: date) -> int:
    """The worker's 超期督办 sweep, run on `day`."""
    return DeadlineService(system.db, clock=on(day)).escalate_overdue()


def accept(system: System, staff: Staff, case_id: int, accepted_on: date) -> None:
    data = step_data("review_application") | {"accepted_on": accepted_on.isoformat()}
    complete_step(system, staff, case_id, "review_application", data)


def running_deadline(system: System, staff: Staff, case_id: int, rule: str) -> Any:
    [deadline] = [
        d for d in system.deadlines.for_case(staff.clerk, case_id) if d.rule == rule and d.state == "running"
    ]
    return deadline


def open_other_commission_case(system: System, staff: Staff) -> int:
    view = system.cases.open_case(
        staff.people.other_clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title="李四与另一公司经济补偿争议",
            organisation_id=staff.people.other_org_id,
            parties=[
                PartyInput("applicant", "李四", user_id=staff.people.other_worker.user_id),
                PartyInput("respondent", "另一有限公司", kind="organisation"),
            ],
        ),
    )
    return view.id


def by_rule(items: list[AttentionItem]) -> dict[tuple[int, str], AttentionItem]:
    return {(i.case_id, i.rule): i for i in items}


@dataclass
class World:
    """Case a: application under review (受理审查, art.29) since today.
    Case b: accepted ten days ago, so serving the respondent (art.30) and the tribunal notice
    (art.31-32) fall due well before a's review; the clerk has claimed the service."""

    a: int
    b: int
    accept_due: date  # a's review period
    b_due: date  # b's service and tribunal-notice periods


@pytest.fixture
def world(system: System, staff: Staff) -> World:
    a = open_arbitration(system, staff)
    b = open_arbitration(system, staff)
    accept(system, staff, b, today() - timedelta(days=10))
    system.tasks.claim(staff.clerk, inbox_task(system, staff.clerk, b, "serve_respondent").id)
    accept_due = running_deadline(system, staff, a, "arbitration.accept").due_on
    serve_due = running_deadline(system, staff, b, "arbitration.serve_respondent").due_on
    assert running_deadline(system, staff, b, "arbitration.form_tribunal").due_on == serve_due
    assert serve_due < accept_due - timedelta(days=3), "b must fall due well before a"
    return World(a, b, accept_due, serve_due)


# -- (a) periods needing attention --------------------------------------------------------------


def test_overdue_periods_are_listed_most_overdue_first_with_basis_step_and_holder(
    system: System, staff: Staff, world: World
) -> None:
    day = world.accept_due + timedelta(days=3)
    items = oversight(system, day).attention(staff.commission_head)
    assert [(i.case_id, i.rule) for i in items][2:] == [(world.a, "arbitration.accept")]
    assert {(i.case_id, i.rule) for i in items[:2]} == {
        (world.b, "arbitration.serve_respondent"),
        (world.b, "arbitration.form_tribunal"),
    }
    assert [i.days_overdue for i in items] == [(day - world.b_due).days] * 2 + [3]
    assert all(i.status == "overdue" for i in items)

    found = by_rule(items)
    serve = found[(world.b, "arbitration.serve_respondent")]
    assert (serve.rule_label, serve.article, serve.legal_basis) == (
        "送达仲裁申请书副本期限",
        "调解仲裁法第30条",
        "《劳动争议调解仲裁法》第三十条",
    )
    assert serve.due_on == world.b_due
    assert serve.case_number == system.cases.get_case(staff.clerk, world.b).case_number
    assert (serve.step_title, serve.holder_id, serve.holder_name) == (
        "送达仲裁申请书副本",
        staff.clerk.user_id,
        "clerk1",
    )
    tribunal = found[(world.b, "arbitration.form_tribunal")]
    assert tribunal.step_title == "组成仲裁庭" and tribunal.step_role == "commission_head"
    assert tribunal.holder_id is None and tribunal.holder_name is None
    assert tribunal.step_task_id == inbox_task(system, staff.commission_head, world.b, "form_tribunal").id


def test_period_within_two_days_of_its_end_is_due_soon_and_earlier_ones_are_not_listed(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    due = running_deadline(system, staff, case_id, "arbitration.accept").due_on
    assert oversight(system, due - timedelta(days=3)).attention(staff.commission_head) == []
    [soon] = oversight(system, due - timedelta(days=1)).attention(staff.commission_head)
    assert (soon.status, soon.days_left, soon.days_overdue) == ("due_soon", 1, -1)
    [last_day] = oversight(system, due).attention(staff.commission_head)
    assert (last_day.status, last_day.days_left) == ("due_soon", 0)
    [late] = oversight(system, due + timedelta(days=1)).attention(staff.commission_head)
    assert (late.status, late.days_overdue) == ("overdue", 1)  # before any sweep marked it


def test_met_periods_are_no_longer_listed(system: System, staff: Staff, world: World) -> None:
    day = world.accept_due + timedelta(days=1)
    complete_step(system, staff, world.b, "serve_respondent")
    rules = {(i.case_id, i.rule) for i in oversight(system, day).attention(staff.commission_head)}
    assert rules == {(world.b, "arbitration.form_tribunal"), (world.a, "arbitration.accept")}


def test_escalated_period_links_its_escalation_item_until_it_is_handled(
    system: System, staff: Staff, world: World
) -> None:
    day = world.b_due + timedelta(days=1)
    assert sweep(system, day) == 2
    items = oversight(system, day).attention(staff.commission_head)
    assert {i.escalation_state for i in items} == {"open"}
    serve = by_rule(items)[(world.b, "arbitration.serve_respondent")]
    assert serve.escalation_task_id is not None
    system.tasks.complete(staff.commission_head, serve.escalation_task_id, {"instruction": "今日内送达"})
    after = by_rule(oversight(system, day).attention(staff.commission_head))
    assert after[(world.b, "arbitration.serve_respondent")].escalation_state == "completed"
    assert after[(world.b, "arbitration.form_tribunal")].escalation_state == "open"


# -- (b) approvals ------------------------------------------------------------------------------


def test_pending_approvals_are_the_heads_lane_tasks_with_case_number_and_age(
    system: System, staff: Staff, world: World
) -> None:
    c = open_arbitration(system, staff)
    drive_to(system, staff, c, "approve_award")
    approve = inbox_task(system, staff.commission_head, c, "approve_award")
    system.tasks.claim(staff.commission_head, approve.id)

    approvals = oversight(system, today() + timedelta(days=3)).pending_approvals(staff.people.supervisor)
    assert [(p.case_id, p.name) for p in approvals] == [(world.b, "form_tribunal"), (c, "approve_award")]
    tribunal, award = approvals
    assert tribunal.task_id == inbox_task(system, staff.commission_head, world.b, "form_tribunal").id
    assert tribunal.case_number == system.cases.get_case(staff.clerk, world.b).case_number
    assert (tribunal.age_days, tribunal.assignee_name) == (3, None)
    assert tribunal.due_at is not None  # the tribunal notice has its statutory period (art.31-32)
    assert (award.title, award.assignee_name, award.age_days) == ("审批裁决书", "head1", 3)

    complete_step(system, staff, c, "approve_award")
    left = oversight(system, today()).pending_approvals(staff.commission_head)
    assert [p.name for p in left] == ["form_tribunal"]


# -- (c) summary --------------------------------------------------------------------------------


def test_summary_counts_periods_by_state_and_open_approvals_and_escalations(
    system: System, staff: Staff, world: World
) -> None:
    paused = open_arbitration(system, staff)
    deadline = running_deadline(system, staff, paused, "arbitration.accept")
    system.deadlines.suspend(staff.clerk, deadline.id, today(), "申请人因不可抗力无法补充材料")
    drafting = open_arbitration(system, staff)
    drive_to(system, staff, drafting, "draft_award")  # the 45-day award period runs (art.43)

    day = world.accept_due - timedelta(days=1)
    summary = oversight(system, day).summary(staff.commission_head)
    assert (summary.overdue, summary.due_soon, summary.running, summary.suspended) == (2, 1, 1, 1)
    assert (summary.approvals, summary.open_escalations) == (1, 0)

    assert sweep(system, day) == 2
    after = oversight(system, day).summary(staff.commission_head)
    assert (after.overdue, after.open_escalations) == (2, 2)


# -- extension (法43) ---------------------------------------------------------------------------


def test_award_period_extension_is_offered_to_the_head_until_the_maximum_is_used(
    system: System, staff: Staff
) -> None:
    """法43: up to fifteen more days, approved by the commission head, before the period ends."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    award = running_deadline(system, staff, case_id, "arbitration.award")

    [item] = oversight(system, award.due_on - timedelta(days=1)).attention(staff.commission_head)
    assert (item.rule, item.may_extend, item.extension_room) == ("arbitration.award", True, 15)
    [seen_by_supervisor] = oversight(system, award.due_on).attention(staff.people.supervisor)
    assert seen_by_supervisor.may_extend is False  # not the approver of this rule

    extended = system.deadlines.extend(staff.commission_head, award.id, 15, "案情复杂，需补充调查")
    assert oversight(system, award.due_on - timedelta(days=1)).attention(staff.commission_head) == []
    [used_up] = oversight(system, extended.due_on).attention(staff.commission_head)
    assert (used_up.extension_days, used_up.extension_room, used_up.may_extend) == (15, 0, False)


def test_expired_award_period_is_not_offered_for_extension(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    award = running_deadline(system, staff, case_id, "arbitration.award")
    [item] = oversight(system, award.due_on + timedelta(days=1)).attention(staff.commission_head)
    assert (item.status, item.may_extend, item.extension_room) == ("overdue", False, 15)


# -- access -------------------------------------------------------------------------------------


def test_head_of_another_commission_sees_nothing_of_ours(
    system: System, staff: Staff, world: World, others: Others
) -> None:
    theirs = open_other_commission_case(system, staff)
    task = inbox_task(system, staff.people.other_clerk, theirs, "review_application")
    system.tasks.claim(staff.people.other_clerk, task.id)
    system.tasks.complete(staff.people.other_clerk, task.id, step_data("review_application"))
    day = world.accept_due + timedelta(days=10)
    assert sweep(system, day) > 0

    ours = oversight(system, day).board(staff.commission_head)
    assert {i.case_id for i in ours.attention} == {world.a, world.b}
    assert {p.case_id for p in ours.approvals} == {world.b}
    assert (ours.summary.overdue, ours.summary.approvals, ours.summary.open_escalations) == (3, 1, 3)

    their_board = oversight(system, day).board(others.other_head)
    assert {i.case_id for i in their_board.attention} == {theirs}
    assert [(p.case_id, p.name) for p in their_board.approvals] == [(theirs, "form_tribunal")]
    assert (their_board.summary.overdue, their_board.summary.approvals) == (2, 1)
    assert their_board.summary.open_escalations == 2


@pytest.mark.parametrize("who", ["clerk", "arbitrator", "worker", "head_without_organisation"])
def test_only_heads_and_supervisors_of_a_body_may_see_its_oversight(
    system: System, staff: Staff, world: World, who: str
) -> None:
    actor = {
        "clerk": staff.clerk,
        "arbitrator": staff.arbitrator,
        "worker": staff.worker,
        "head_without_organisation": Actor(
            staff.commission_head.user_id, "head", frozenset({"commission_head"}), organisation_id=None
        ),
    }[who]
    service = oversight(system, world.accept_due)
    for read in (service.board, service.attention, service.pending_approvals, service.summary):
        with pytest.raises(OversightDeniedError) as denied:
            read(actor)
        assert isinstance(denied.value, PermissionDeniedError)
    assert service.board(staff.people.supervisor).summary.overdue == 2


# -- statements per page ------------------------------------------------------------------------


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_board_reads_any_number_of_cases_in_the_same_few_statements(
    system: System, staff: Staff, world: World, statements: list[str]
) -> None:
    day = world.accept_due + timedelta(days=2)
    sweep(system, day)
    service = oversight(system, day)

    def statements_for_board() -> tuple[int, int]:
        statements.clear()
        board = service.board(staff.commission_head)
        return len(statements), len(board.attention) + len(board.approvals)

    few, rows_before = statements_for_board()
    for _ in range(4):
        more = open_arbitration(system, staff)
        accept(system, staff, more, today() - timedelta(days=10))
        system.tasks.claim(staff.clerk, inbox_task(system, staff.clerk, more, "serve_respondent").id)
    sweep(system, day)
    many, rows_after = statements_for_board()
    assert rows_after >= rows_before + 4 * 3  # two periods and one approval more per case
    assert many == few <= 6


# -- 超期督办 reaches the commission head -------------------------------------------------------


def test_overdue_arbitration_step_is_escalated_to_the_commission_head_as_well(
    system: System, staff: Staff, others: Others, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    due = running_deadline(system, staff, case_id, "arbitration.accept").due_on
    assert sweep(system, due + timedelta(days=1)) == 1

    [for_head] = [t for t in system.tasks.inbox(staff.commission_head) if t.name == "overdue_escalation"]
    assert for_head.case_id == case_id and "超期督办" in for_head.title
    assert [t.id for t in system.tasks.inbox(staff.people.supervisor)] == [for_head.id]
    assert all(t.name != "overdue_escalation" for t in system.tasks.inbox(others.other_head))
    assert all(t.name != "overdue_escalation" for t in system.tasks.inbox(staff.clerk))
    with db.transaction() as s:
        deadline = s.execute(select(Deadline).where(Deadline.case_id == case_id)).scalar_one()
        assert deadline.history[-1]["offered_to"] == ["commission_head", "supervisor"]

    with pytest.raises(PermissionDeniedError):  # another commission's head
        system.tasks.complete(others.other_head, for_head.id, {"instruction": "请尽快办理"})
    system.tasks.claim(staff.commission_head, for_head.id)
    done = system.tasks.complete(staff.commission_head, for_head.id, {"instruction": "今日内作出受理决定"})
    assert done.case_id == case_id
    assert system.tasks.inbox(staff.people.supervisor) == []
    actions = [e["action"] for e in system.cases.history(staff.commission_head, case_id)]
    assert actions[-1] == "escalation.handled"


def test_escalation_of_a_mediation_case_stays_with_the_supervisor(
    system: System, staff: Staff, others: Others
) -> None:
    view = system.cases.open_case(
        others.mediator,
        OpenCase(
            process_key="mediation",
            case_type="mediation",
            title="张三与某科技有限公司加班费争议调解",
            organisation_id=staff.people.org_id,
            parties=[
                PartyInput("applicant", "张三", user_id=staff.worker.user_id),
                PartyInput("respondent", "某科技有限公司", kind="organisation"),
            ],
        ),
    )
    due = running_deadline(system, staff, view.id, "mediation.mediate").due_on
    assert sweep(system, due + timedelta(days=1)) == 1
    [item] = system.tasks.inbox(staff.people.supervisor)
    assert item.name == "overdue_escalation" and item.case_id == view.id
    assert all(t.id != item.id for t in system.tasks.inbox(staff.commission_head))
    with pytest.raises(PermissionDeniedError):
        system.tasks.complete(staff.commission_head, item.id, {"instruction": "请尽快调解"})
    system.tasks.complete(staff.people.supervisor, item.id, {"instruction": "请尽快调解"})
