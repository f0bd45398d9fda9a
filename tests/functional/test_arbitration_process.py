"""The arbitration process (bpmn/arbitration, 调解仲裁法 ch.3) driven through the services.

Cases move only through `cases.open_case`, `tasks.claim/complete`, `messages.deliver` and
`timers.run_due`; the database is read directly only to assert what the services left behind.
Articles are those of 《劳动争议调解仲裁法》 unless said otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.support import SECRET, People, fixture_system, make_people
from workflows.audit import SYSTEM, Actor, verify
from workflows.calendar import default_calendar
from workflows.cases import CaseView, ClaimInput, OpenCase, PartyInput
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.errors import MessageNotExpectedError, PermissionDeniedError, ValidationError
from workflows.identity import create_user
from workflows.models import Case, HumanTask, Timer
from workflows.system import System
from workflows.tasks import TaskView

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
CHINA = ZoneInfo("Asia/Shanghai")


# -- people and system --------------------------------------------------------------------------


@dataclass
class Staff:
    people: People
    arbitrator: Actor
    commission_head: Actor

    @property
    def clerk(self) -> Actor:
        return self.people.clerk

    @property
    def worker(self) -> Actor:
        return self.people.worker

    def for_role(self, role: str) -> Actor:
        return {"clerk": self.clerk, "arbitrator": self.arbitrator, "commission_head": self.commission_head}[
            role
        ]


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)


@pytest.fixture
def staff(db: Database) -> Staff:
    people = make_people(db)
    with db.transaction() as s:

        def user(name: str, role: str) -> Actor:
            u, _ = create_user(
                s, username=name, display_name=name, password="correct horse battery", roles={role},
                organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            s.flush()
            return Actor(u.id, name, frozenset({role}), people.org_id)

        return Staff(people, user("arbitrator1", "arbitrator"), user("head1", "commission_head"))


# -- form data of each step on the main path ----------------------------------------------------


def today() -> str:
    return datetime.now(CHINA).date().isoformat()


def step_data(name: str) -> dict[str, Any]:
    """Valid form data for the main path (accept, defence received, mediation fails, award)."""
    steps: dict[str, dict[str, Any]] = {
        "review_application": {
            "acceptance_decision": "accept",
            "accepted_on": today(),
            "review_note": "材料齐全，属于本委管辖",
        },
        "serve_respondent": {"respondent_service_method": "direct", "respondent_served_on": today()},
        "serve_defence": {"defence_copy_service_method": "electronic", "defence_copy_served_on": today()},
        "form_tribunal": {
            "tribunal_kind": "collegiate",
            "presiding_arbitrator": "李首席",
            "other_arbitrators": ["王仲裁", "赵仲裁"],
            "tribunal_notice_served_on": today(),
        },
        "notify_hearing": {
            "hearing_date": (datetime.now(CHINA).date() + timedelta(days=14)).isoformat(),
            "hearing_time": "09:30",
            "hearing_place": "第一仲裁庭",
            "hearing_notice_served_on": today(),
        },
        "conduct_hearing": {"hearing_outcome": "held", "hearing_held_on": today()},
        "mediate": {"tribunal_mediation_result": "no_agreement", "mediation_note": "被申请人不同意调解方案"},
        "draft_award": {
            "award_scope": "full",
            "award_items": [
                {
                    "claim": "支付拖欠工资",
                    "category": "labour_remuneration",
                    "ruling": "granted",
                    "amount": 12000,
                }
            ],
            "award_reasoning": "被申请人未足额支付劳动报酬，证据充分。",
        },
        "approve_award": {"award_approval": "approve"},
    }
    return steps[name]


LANE_OF = {
    "review_application": "clerk",
    "serve_respondent": "clerk",
    "serve_defence": "clerk",
    "form_tribunal": "commission_head",
    "notify_hearing": "arbitrator",
    "conduct_hearing": "arbitrator",
    "mediate": "arbitrator",
    "serve_mediation_statement": "clerk",
    "draft_award": "arbitrator",
    "approve_award": "commission_head",
    "revise_award": "arbitrator",
}
MAIN_PATH = list(LANE_OF)


# -- driving helpers ----------------------------------------------------------------------------


def open_arbitration(system: System, staff: Staff, **data: Any) -> int:
    view = system.cases.open_case(
        staff.clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title="张三与某科技有限公司劳动报酬争议",
            organisation_id=staff.people.org_id,
            parties=[
                PartyInput("applicant", "张三", user_id=staff.worker.user_id),
                PartyInput("respondent", "某科技有限公司", kind="organisation", uscc="91310000MA1FL8XQ2B"),
            ],
            claims=[ClaimInput("wage_arrears", "支付2026年8月至10月拖欠工资")],
            data=data,
        ),
    )
    return view.id


def case_view(system: System, staff: Staff, case_id: int) -> CaseView:
    return system.cases.get_case(staff.clerk, case_id)


def open_names(system: System, staff: Staff, case_id: int) -> set[str]:
    return {t["name"] for t in case_view(system, staff, case_id).open_tasks}


def inbox_task(system: System, actor: Actor, case_id: int, name: str) -> TaskView:
    found = [t for t in system.tasks.inbox(actor) if t.case_id == case_id and t.name == name]
    assert len(found) == 1, f"{actor.label} should see exactly one open {name}: {found}"
    return found[0]


def complete(
    system: System, actor: Actor, case_id: int, name: str, data: Mapping[str, Any] | None = None
) -> None:
    task = inbox_task(system, actor, case_id, name)
    system.tasks.claim(actor, task.id)
    system.tasks.complete(actor, task.id, dict(step_data(name) if data is None else data))


def complete_step(
    system: System, staff: Staff, case_id: int, name: str, data: Mapping[str, Any] | None = None
) -> None:
    complete(system, staff.for_role(LANE_OF[name]), case_id, name, data)


def drive_to(system: System, staff: Staff, case_id: int, target: str) -> None:
    """Follow the main path until `target` is open; the defence arrives by message when awaited."""
    for _ in range(30):
        names = open_names(system, staff, case_id)
        if target in names:
            return
        if not names:  # only the defence wait is left
            system.messages.deliver(staff.clerk, "defence_received", {"summary": "不同意"}, case_id=case_id)
            continue
        complete_step(system, staff, case_id, min(names, key=MAIN_PATH.index))
    raise AssertionError(f"{target} never opened")


def process_data(system: System, db: Database, case_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return system.runtime.load(s, case, system.definitions.get(s, case.definition_id)).data


def opened_task_names(db: Database, case_id: int) -> list[str]:
    """Every inbox item the case ever had, in opening order."""
    with db.transaction() as s:
        return list(
            s.execute(
                select(HumanTask.name)
                .where(HumanTask.case_id == case_id)
                .order_by(HumanTask.created_at, HumanTask.id)
            ).scalars()
        )


def timers(db: Database, case_id: int) -> list[Timer]:
    with db.transaction() as s:
        rows = list(s.execute(select(Timer).where(Timer.case_id == case_id).order_by(Timer.id)).scalars())
        s.expunge_all()
        return rows


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def pointers(error: ValidationError) -> list[str]:
    """The JSON pointers of a validation error, each once.

    (workflows/forms.py lists every missing field once per missing field, hence the set.)
    """
    return sorted({p.pointer for p in error.problems})


def deadlines_for(view: CaseView, rule: str) -> list[dict[str, Any]]:
    return [d for d in view.deadlines if d["rule"] == rule]


def assert_statutory_deadline(
    system: System, staff: Staff, case_id: int, task_name: str, rule: str, article: str, trigger: date
) -> dict[str, Any]:
    """The open task is due at the end of the rule's last day (China time); its Deadline cites the article."""
    view = case_view(system, staff, case_id)
    [task] = [t for t in view.open_tasks if t["name"] == task_name]
    [deadline] = [d for d in deadlines_for(view, rule) if d["state"] == "running"]
    assert article in deadline["legal_basis"]
    assert deadline["due_on"] == compute_due(rule, trigger)
    assert task["due_at"] is not None
    due_at = aware(task["due_at"]).astimezone(CHINA)
    assert (due_at.date(), due_at.hour, due_at.minute) == (deadline["due_on"], 23, 59)
    return deadline


def opened_on(system: System, staff: Staff, case_id: int, name: str) -> date:
    task = inbox_task(system, staff.for_role(LANE_OF.get(name, "clerk")), case_id, name)
    return aware(task.created_at).astimezone(CHINA).date()


class ManualClock:
    """The services' clock, moved by hand so that days pass between two steps of a case."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock(system: System) -> ManualClock:
    """Monday 2 March 2026, 09:00 China time, for the case services and the deadline service.

    (The engine's own timers still run on the real clock: see the defence-wait tests.)
    """
    manual = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA).astimezone(UTC))
    system.runtime.clock = manual
    system.deadlines.clock = manual
    return manual


def accept(system: System, staff: Staff, case_id: int, accepted_on: date) -> None:
    data = {**step_data("review_application"), "accepted_on": accepted_on.isoformat()}
    complete_step(system, staff, case_id, "review_application", data)


# -- the main path ------------------------------------------------------------------------------


def test_happy_path_from_application_to_approved_award(system: System, staff: Staff, db: Database) -> None:
    case_id = open_arbitration(system, staff)
    assert open_names(system, staff, case_id) == {"review_application"}
    assert process_data(system, db, case_id)["stage"] == "application_received"

    complete_step(system, staff, case_id, "review_application")
    # service on the respondent and forming the tribunal both run from acceptance (法30, 法31-32)
    assert open_names(system, staff, case_id) == {"serve_respondent", "form_tribunal"}
    assert process_data(system, db, case_id)["stage"] == "accepted"

    complete_step(system, staff, case_id, "serve_respondent")
    complete_step(system, staff, case_id, "form_tribunal")
    assert open_names(system, staff, case_id) == set()  # waiting for the defence
    [wait] = timers(db, case_id)
    assert wait.state == "waiting"

    delivery = system.messages.deliver(
        staff.clerk, "defence_received", {"summary": "工资已按约定支付", "file_ids": [7]}, case_id=case_id
    )
    assert delivery.opened_task_ids and not delivery.case_closed
    assert timers(db, case_id)[0].state == "cancelled"
    complete_step(system, staff, case_id, "serve_defence")
    assert open_names(system, staff, case_id) == {"notify_hearing"}
    assert process_data(system, db, case_id)["stage"] == "hearing"

    for name in ("notify_hearing", "conduct_hearing", "mediate"):
        complete_step(system, staff, case_id, name)
    assert open_names(system, staff, case_id) == {"draft_award"}
    assert process_data(system, db, case_id)["stage"] == "award_drafting"
    complete_step(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "approve_award")

    view = case_view(system, staff, case_id)
    assert view.status == "closed" and view.open_tasks == []
    data = process_data(system, db, case_id)
    assert data["stage"] == "awarded" and data["final_award"] is True
    assert data["defence_status"] == "received"
    assert data["defence"] == {"summary": "工资已按约定支付", "file_ids": [7]}
    assert sorted(opened_task_names(db, case_id)) == sorted(
        [
            *("review_application", "serve_respondent", "form_tribunal", "serve_defence", "notify_hearing"),
            *("conduct_hearing", "mediate", "draft_award", "approve_award"),
        ]
    )
    # every statutory period the case started was met, none is left running
    assert {(d["rule"], d["state"]) for d in view.deadlines} == {
        ("arbitration.accept", "met"),
        ("arbitration.serve_respondent", "met"),
        ("arbitration.form_tribunal", "met"),
        ("arbitration.serve_defence", "met"),
        ("arbitration.award", "met"),
    }
    with db.transaction() as s:
        assert verify(s) == []


def test_returned_award_is_revised_and_resubmitted(system: System, staff: Staff, db: Database) -> None:
    """A returned draft goes back to the tribunal; the 45-day period of 法43 is not started again."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "approve_award")
    with pytest.raises(ValidationError) as err:  # returning needs a reason
        complete_step(system, staff, case_id, "approve_award", {"award_approval": "return"})
    assert pointers(err.value) == ["/approval_comment"]
    complete_step(
        system,
        staff,
        case_id,
        "approve_award",
        {"award_approval": "return", "approval_comment": "裁决理由需补充"},
    )
    assert open_names(system, staff, case_id) == {"revise_award"}
    complete_step(system, staff, case_id, "revise_award", step_data("draft_award"))
    assert open_names(system, staff, case_id) == {"approve_award"}
    complete_step(system, staff, case_id, "approve_award")

    view = case_view(system, staff, case_id)
    assert view.status == "closed"
    assert [d["state"] for d in deadlines_for(view, "arbitration.award")] == ["met"]
    assert process_data(system, db, case_id)["stage"] == "awarded"


# -- acceptance review: refuse, supplement ------------------------------------------------------


def test_refusal_needs_ground_and_reason_and_ends_the_case_art_29(
    system: System, staff: Staff, db: Database
) -> None:
    """不予受理 is issued with reasons (法29) and ends the process; nothing else opens."""
    case_id = open_arbitration(system, staff)
    with pytest.raises(ValidationError) as err:
        complete_step(system, staff, case_id, "review_application", {"acceptance_decision": "refuse"})
    assert pointers(err.value) == ["/refusal_ground", "/refusal_reason"]

    complete_step(
        system,
        staff,
        case_id,
        "review_application",
        {
            "acceptance_decision": "refuse",
            "refusal_ground": "limitation_expired",
            "refusal_reason": "申请人于2024年离职，至申请之日已超过一年仲裁时效。",
        },
    )
    view = case_view(system, staff, case_id)
    assert view.status == "closed" and view.open_tasks == []
    assert [(d["rule"], d["state"]) for d in view.deadlines] == [("arbitration.accept", "met")]
    data = process_data(system, db, case_id)
    assert data["stage"] == "refused"
    assert "人民法院" in data["stage_label"]
    assert opened_task_names(db, case_id) == ["review_application"]


def _request_supplement(system: System, staff: Staff, case_id: int) -> None:
    complete_step(
        system,
        staff,
        case_id,
        "review_application",
        {"acceptance_decision": "supplement", "supplement_items": ["身份证复印件", "劳动合同或工资流水"]},
    )


def test_supplement_loop_repeats_review_with_a_fresh_acceptance_period(
    system: System, staff: Staff, db: Database
) -> None:
    """补正: the applicant is told all items at once; the 5-day review (法29) counts again from resubmission.

    The resubmission is completed by the system actor: a worker cannot complete their own
    task yet (see test_applicant_completes_own_supplement_task).
    """
    case_id = open_arbitration(system, staff)
    _request_supplement(system, staff, case_id)
    assert open_names(system, staff, case_id) == {"supplement_application"}
    data = process_data(system, db, case_id)
    assert (data["stage"], data["supplement_rounds"]) == ("awaiting_supplement", 1)
    # the applicant sees the request in their inbox; other workers do not
    task = inbox_task(system, staff.worker, case_id, "supplement_application")
    assert task.candidate_role == "worker" and task.due_at is None
    assert not [t for t in system.tasks.inbox(staff.people.other_worker) if t.case_id == case_id]
    with pytest.raises(ValidationError) as err:
        system.tasks.complete(SYSTEM, task.id, {"supplement_description": ""})
    assert pointers(err.value) == ["/supplement_description"]
    system.tasks.complete(SYSTEM, task.id, {"supplement_description": "已补交身份证复印件和工资流水"})

    assert open_names(system, staff, case_id) == {"review_application"}
    view = case_view(system, staff, case_id)
    assert [d["state"] for d in deadlines_for(view, "arbitration.accept")] == ["met", "running"]
    assert_statutory_deadline(
        system, staff, case_id, "review_application", "arbitration.accept", "第二十九条",
        opened_on(system, staff, case_id, "review_application"),
    )  # fmt: skip

    # a second round, then acceptance
    _request_supplement(system, staff, case_id)
    task = inbox_task(system, staff.worker, case_id, "supplement_application")
    system.tasks.complete(SYSTEM, task.id, {"supplement_description": "已补交劳动合同"})
    complete_step(system, staff, case_id, "review_application")
    assert open_names(system, staff, case_id) == {"serve_respondent", "form_tribunal"}
    assert process_data(system, db, case_id)["supplement_rounds"] == 2
    assert len(deadlines_for(case_view(system, staff, case_id), "arbitration.accept")) == 3


def test_applicant_completes_own_supplement_task(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    _request_supplement(system, staff, case_id)
    task = inbox_task(system, staff.worker, case_id, "supplement_application")
    system.tasks.complete(staff.worker, task.id, {"supplement_description": "已补交"})
    assert open_names(system, staff, case_id) == {"review_application"}


# -- defence: message or timer ------------------------------------------------------------------


def test_defence_message_before_service_is_refused(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    with pytest.raises(MessageNotExpectedError):
        system.messages.deliver(staff.clerk, "defence_received", {}, case_id=case_id)


def test_defence_message_is_recorded_and_copy_served_within_five_working_days_art_30(
    system: System, staff: Staff, db: Database
) -> None:
    """答辩书 arrives as message defence_received; its copy goes to the applicant within 5 days (法30)."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "serve_respondent")
    complete_step(system, staff, case_id, "serve_respondent")
    served_at = datetime.now(UTC)
    [wait] = timers(db, case_id)
    # the default wait: 10 working days are 14 calendar days in an ordinary fortnight, plus one
    assert wait.state == "waiting" and wait.name == "答辩期届满"
    assert abs(aware(wait.due_at) - (served_at + timedelta(days=15))) < timedelta(minutes=1)

    system.messages.deliver(SYSTEM, "defence_received", {"summary": "不同意申请人的请求"}, case_id=case_id)
    assert [t.state for t in timers(db, case_id)] == ["cancelled"]
    data = process_data(system, db, case_id)
    assert data["defence_status"] == "received" and data["defence"] == {"summary": "不同意申请人的请求"}
    assert "serve_defence" in open_names(system, staff, case_id)
    assert_statutory_deadline(
        system, staff, case_id, "serve_defence", "arbitration.serve_defence", "第三十条",
        opened_on(system, staff, case_id, "serve_defence"),
    )  # fmt: skip
    with pytest.raises(MessageNotExpectedError):  # a second defence is not awaited
        system.messages.deliver(staff.clerk, "defence_received", {}, case_id=case_id)


def test_missing_defence_does_not_stop_the_case_when_the_wait_ends_art_30(
    system: System, staff: Staff, db: Database
) -> None:
    """No 答辩书 by the end of the wait: the timer ends it and the case goes on (法30).

    The wait is a process variable (`defence_wait`, default P15D); here it is one second so that
    the timer worker fires it in real time: the engine compares timers with the real clock.
    """
    case_id = open_arbitration(system, staff, defence_wait="PT1S")
    drive_to(system, staff, case_id, "serve_respondent")
    complete_step(system, staff, case_id, "serve_respondent")
    [wait] = timers(db, case_id)
    assert wait.state == "waiting"
    time.sleep(1.2)
    assert system.timers.run_due() == 1

    assert [t.state for t in timers(db, case_id)] == ["fired"]
    data = process_data(system, db, case_id)
    assert data["defence_status"] == "not_received" and "defence" not in data
    assert open_names(system, staff, case_id) == {"form_tribunal"}  # no copy to serve
    with pytest.raises(MessageNotExpectedError):  # the wait is over
        system.messages.deliver(staff.clerk, "defence_received", {}, case_id=case_id)
    complete_step(system, staff, case_id, "form_tribunal")
    assert open_names(system, staff, case_id) == {"notify_hearing"}
    assert "serve_defence" not in opened_task_names(db, case_id)


def test_timer_worker_run_with_a_later_now_ends_the_defence_wait(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "serve_respondent")
    complete_step(system, staff, case_id, "serve_respondent")
    system.timers.run_due(now=datetime.now(UTC) + timedelta(days=30))
    assert process_data(system, db, case_id).get("defence_status") == "not_received"


# -- hearing and mediation ----------------------------------------------------------------------


def test_mediation_statement_signed_by_both_ends_the_case_art_42(
    system: System, staff: Staff, db: Database
) -> None:
    """调解书 takes effect when both parties sign for it (法42): no award is made."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "mediate")
    with pytest.raises(ValidationError) as err:  # an agreement needs its terms
        complete_step(system, staff, case_id, "mediate", {"tribunal_mediation_result": "agreement"})
    assert pointers(err.value) == ["/mediation_statement_terms"]
    complete_step(
        system,
        staff,
        case_id,
        "mediate",
        {
            "tribunal_mediation_result": "agreement",
            "mediation_statement_terms": "被申请人于十日内支付工资一万元",
        },
    )
    assert open_names(system, staff, case_id) == {"serve_mediation_statement"}
    complete_step(
        system,
        staff,
        case_id,
        "serve_mediation_statement",
        {"mediation_statement_signed": True, "mediation_statement_signed_on": today()},
    )
    view = case_view(system, staff, case_id)
    assert view.status == "closed"
    assert process_data(system, db, case_id)["stage"] == "mediated"
    names = opened_task_names(db, case_id)
    assert "draft_award" not in names and "approve_award" not in names
    assert not deadlines_for(view, "arbitration.award")


def test_party_backing_out_before_signing_leads_to_an_award_art_42(system: System, staff: Staff) -> None:
    """调解书送达前一方反悔的，仲裁庭应当及时作出裁决 (法42)."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "mediate")
    complete_step(
        system,
        staff,
        case_id,
        "mediate",
        {"tribunal_mediation_result": "agreement", "mediation_statement_terms": "分期支付"},
    )
    with pytest.raises(ValidationError) as err:  # backing out is explained
        complete_step(
            system, staff, case_id, "serve_mediation_statement", {"mediation_statement_signed": False}
        )
    assert pointers(err.value) == ["/backout_note"]
    complete_step(
        system,
        staff,
        case_id,
        "serve_mediation_statement",
        {"mediation_statement_signed": False, "backout_note": "被申请人拒绝签收调解书"},
    )
    assert open_names(system, staff, case_id) == {"draft_award"}


def test_applicant_absent_from_hearing_is_treated_as_withdrawal_art_36(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "conduct_hearing")
    complete_step(
        system,
        staff,
        case_id,
        "conduct_hearing",
        {"hearing_outcome": "applicant_absent", "hearing_held_on": today()},
    )
    assert case_view(system, staff, case_id).status == "closed"
    assert process_data(system, db, case_id)["stage"] == "withdrawn"
    assert "mediate" not in opened_task_names(db, case_id)


def test_respondent_absent_from_hearing_goes_to_default_award_art_36(
    system: System, staff: Staff, db: Database
) -> None:
    """被申请人拒不到庭: default award, no mediation can be tried without them."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "conduct_hearing")
    complete_step(
        system,
        staff,
        case_id,
        "conduct_hearing",
        {"hearing_outcome": "respondent_absent", "hearing_held_on": today()},
    )
    assert open_names(system, staff, case_id) == {"draft_award"}
    assert "mediate" not in opened_task_names(db, case_id)
    complete_step(system, staff, case_id, "draft_award", {**step_data("draft_award"), "default_award": True})
    complete_step(system, staff, case_id, "approve_award")
    assert process_data(system, db, case_id)["stage"] == "awarded"


# -- statutory deadlines ------------------------------------------------------------------------


def test_acceptance_due_in_five_working_days_art_29(system: System, staff: Staff) -> None:
    """受理审查: 5 working days from receipt of the application (法29; working days: 办案规则82)."""
    case_id = open_arbitration(system, staff)
    received = opened_on(system, staff, case_id, "review_application")
    deadline = assert_statutory_deadline(
        system, staff, case_id, "review_application", "arbitration.accept", "第二十九条", received
    )
    assert default_calendar().working_days_between(received, deadline["due_on"]) == 5
    complete_step(system, staff, case_id, "review_application")
    assert deadlines_for(case_view(system, staff, case_id), "arbitration.accept")[0]["state"] == "met"


def test_service_on_respondent_due_in_five_working_days_after_acceptance_art_30(
    system: System, staff: Staff
) -> None:
    """仲裁申请书副本 served within 5 working days of acceptance (法30)."""
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    accepted = opened_on(system, staff, case_id, "serve_respondent")
    deadline = assert_statutory_deadline(
        system, staff, case_id, "serve_respondent", "arbitration.serve_respondent", "第三十条", accepted
    )
    assert default_calendar().working_days_between(accepted, deadline["due_on"]) == 5


def test_tribunal_notice_due_in_five_working_days_after_acceptance_art_31_32(
    system: System, staff: Staff
) -> None:
    """仲裁庭组成情况 notified within 5 working days of acceptance (法31-32), in parallel with service."""
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    accepted = opened_on(system, staff, case_id, "form_tribunal")
    deadline = assert_statutory_deadline(
        system, staff, case_id, "form_tribunal", "arbitration.form_tribunal", "第三十一条", accepted
    )
    assert default_calendar().working_days_between(accepted, deadline["due_on"]) == 5


def test_award_due_in_45_calendar_days_after_acceptance_art_43(system: System, staff: Staff) -> None:
    """裁决: 45 calendar days from acceptance (法43), rolled to a working day (民诉法85).

    Here the whole case runs on one day; test_award_period_counts_from_acceptance_not_from_
    drafting_art_43 lets weeks pass between acceptance and drafting.
    """
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    accepted = opened_on(system, staff, case_id, "serve_respondent")
    drive_to(system, staff, case_id, "draft_award")
    deadline = assert_statutory_deadline(
        system, staff, case_id, "draft_award", "arbitration.award", "第四十三条", accepted
    )
    assert deadline["due_on"] >= accepted + timedelta(days=45)
    assert default_calendar().is_working_day(deadline["due_on"])


def test_award_period_counts_from_acceptance_not_from_drafting_art_43(
    system: System, staff: Staff, clock: ManualClock
) -> None:
    """调解仲裁法 art.43: 仲裁庭裁决劳动争议案件，应当自仲裁委员会受理仲裁申请之日起四十五日内结束.

    The drafting task opens three weeks after acceptance, yet its period is 45 calendar days from
    the acceptance date recorded with the decision (`deadlineFrom="accepted_on"`), ending on a
    working day (民诉法 art.85); the approved extension of at most 15 days also counts from there.
    """
    accepted = date(2026, 3, 2)
    case_id = open_arbitration(system, staff)
    accept(system, staff, case_id, accepted)
    clock.advance(days=23)  # service, defence, tribunal, hearing and mediation take three weeks
    drive_to(system, staff, case_id, "draft_award")

    drafting_opened = opened_on(system, staff, case_id, "draft_award")
    assert drafting_opened == date(2026, 3, 25)
    deadline = assert_statutory_deadline(
        system, staff, case_id, "draft_award", "arbitration.award", "第四十三条", accepted
    )
    assert deadline["due_on"] == date(2026, 4, 16) == accepted + timedelta(days=45)  # a Thursday
    # counted from the task's opening it would end on 9 May (a make-up workday)
    assert deadline["due_on"] != compute_due("arbitration.award", drafting_opened)
    [row] = [d for d in system.deadlines.for_case(staff.clerk, case_id) if d.id == deadline["id"]]
    assert row.started_on == accepted and row.status == "running"

    # 延期 (法43): at most 15 more days, approved by the commission head, still from acceptance
    extended = system.deadlines.extend(staff.commission_head, deadline["id"], 15, "案情复杂，需要延期")
    assert extended.due_on == compute_due("arbitration.award", accepted, extension_days=15)
    # day 60 is 1 May (劳动节): the period ends on the first working day after the holiday
    assert extended.due_on == date(2026, 5, 6)


def test_service_and_tribunal_notice_count_from_the_recorded_acceptance_date_art_30_32(
    system: System, staff: Staff, db: Database, clock: ManualClock
) -> None:
    """法30 and 法31-32 run from acceptance: an acceptance entered two days late counts from its date."""
    accepted = date(2026, 3, 2)  # Monday
    case_id = open_arbitration(system, staff)
    clock.advance(days=2)  # the decision is recorded on Wednesday 4 March
    accept(system, staff, case_id, accepted)
    assert opened_on(system, staff, case_id, "serve_respondent") == date(2026, 3, 4)
    service = assert_statutory_deadline(
        system, staff, case_id, "serve_respondent", "arbitration.serve_respondent", "第三十条", accepted
    )
    tribunal = assert_statutory_deadline(
        system, staff, case_id, "form_tribunal", "arbitration.form_tribunal", "第三十一条", accepted
    )
    assert service["due_on"] == tribunal["due_on"] == date(2026, 3, 9)  # 5 working days after 2 March
    assert process_data(system, db, case_id)["accepted_on"] == "2026-03-02"


def test_acceptance_needs_its_date_and_only_acceptance_has_one(system: System, staff: Staff) -> None:
    """受理日期 is required to accept (the periods of 法30-32 and 法43 count from it), refused otherwise."""
    case_id = open_arbitration(system, staff)
    with pytest.raises(ValidationError) as err:
        complete_step(system, staff, case_id, "review_application", {"acceptance_decision": "accept"})
    assert pointers(err.value) == ["/accepted_on"]
    with pytest.raises(ValidationError) as err:
        complete_step(
            system,
            staff,
            case_id,
            "review_application",
            {
                "acceptance_decision": "refuse",
                "refusal_ground": "no_jurisdiction",
                "refusal_reason": "用人单位所在地与劳动合同履行地均不在本委辖区。",
                "accepted_on": today(),
            },
        )
    assert pointers(err.value) == ["/accepted_on"]
    assert open_names(system, staff, case_id) == {"review_application"}


def test_tasks_without_a_statutory_rule_have_no_due_date(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "notify_hearing")
    [task] = [t for t in case_view(system, staff, case_id).open_tasks if t["name"] == "notify_hearing"]
    assert task["due_at"] is None


# -- forms and who may act ----------------------------------------------------------------------


def test_form_data_failing_the_schema_is_rejected_with_pointers(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    task = inbox_task(system, staff.clerk, case_id, "serve_respondent")
    version = case_view(system, staff, case_id).version
    with pytest.raises(ValidationError) as err:
        system.tasks.complete(
            staff.clerk,
            task.id,
            {"respondent_service_method": "pigeon", "respondent_served_on": "2026-13-45", "extra": 1},
        )
    assert pointers(err.value) == ["/extra", "/respondent_served_on", "/respondent_service_method"]
    with pytest.raises(ValidationError) as err:
        system.tasks.complete(staff.clerk, task.id, {})
    assert pointers(err.value) == ["/respondent_served_on", "/respondent_service_method"]
    # nothing moved
    view = case_view(system, staff, case_id)
    assert view.version == version
    assert {t["name"] for t in view.open_tasks} == {"serve_respondent", "form_tribunal"}


def test_each_missing_field_is_reported_once(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    task = inbox_task(system, staff.clerk, case_id, "review_application")
    with pytest.raises(ValidationError) as err:
        system.tasks.complete(staff.clerk, task.id, {"acceptance_decision": "refuse"})
    assert sorted(p.pointer for p in err.value.problems) == ["/refusal_ground", "/refusal_reason"]


def test_worker_cannot_complete_a_clerk_task(system: System, staff: Staff) -> None:
    """A party never acts on staff work.  (Today the case-level check refuses the worker even
    before the role check: see test_applicant_completes_own_supplement_task; the role check
    itself is covered by test_only_the_lane_role_may_complete_a_task.)"""
    case_id = open_arbitration(system, staff)
    task = inbox_task(system, staff.clerk, case_id, "review_application")
    assert task.id not in {t.id for t in system.tasks.inbox(staff.worker)}
    with pytest.raises(PermissionDeniedError):
        system.tasks.complete(staff.worker, task.id, step_data("review_application"))
    assert open_names(system, staff, case_id) == {"review_application"}


def test_only_the_lane_role_may_complete_a_task(system: System, staff: Staff) -> None:
    """Staff of the right commission but the wrong role are refused; so is a clerk of another commission."""
    case_id = open_arbitration(system, staff)
    task = inbox_task(system, staff.clerk, case_id, "review_application")
    with pytest.raises(PermissionDeniedError, match="clerk"):
        system.tasks.complete(staff.arbitrator, task.id, step_data("review_application"))
    with pytest.raises(PermissionDeniedError):
        system.tasks.complete(staff.people.other_clerk, task.id, step_data("review_application"))
    complete_step(system, staff, case_id, "review_application")
    tribunal = inbox_task(system, staff.commission_head, case_id, "form_tribunal")
    with pytest.raises(PermissionDeniedError, match="commission_head"):
        system.tasks.complete(staff.clerk, tribunal.id, step_data("form_tribunal"))
