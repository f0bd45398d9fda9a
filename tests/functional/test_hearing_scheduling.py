"""Scheduling the hearing through rooms and arbitrators' calendars (调解仲裁法 art.35).

The arbitration process is driven to `notify_hearing` through the services (as in
test_arbitration_process); the hearing is then scheduled with `HearingService.schedule`, which
books a room and the tribunal for a half-day session and completes the task in one transaction.
Whoever the process offers `notify_hearing` to (clerk or the tribunal) schedules it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from documents import Renderer
from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    BPMN_DIR,
    CHINA,
    Staff,
    complete_step,
    drive_to,
    open_arbitration,
    process_data,
    step_data,
)
from tests.support import fixture_system
from tests.unit.workflows.issuing_fixtures import FakeSealer, FakeVerifier
from workflows.access import CaseAccessDeniedError
from workflows.audit import SYSTEM, Actor, verify
from workflows.calendar import default_calendar
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.demo import DEMO_ROOMS, load_demo
from workflows.errors import PermissionDeniedError, ValidationError
from workflows.hearings import (
    HearingConflictError,
    HearingService,
    RoomView,
    TribunalNotResolvedError,
)
from workflows.identity import actor_for_user
from workflows.models import (
    AuditEvent,
    HearingBooking,
    HearingBookingArbitrator,
    HumanTask,
    IssuedDocument,
    User,
    UserRole,
)
from workflows.ports import DocumentAdapters, DocumentStore
from workflows.system import System, build_system

staff = arbitration.staff  # clerk, arbitrator and commission head of make_people's commission

#: tribunals of the cases below (names as form_tribunal records them)
TRIBUNAL_A = ("李首席", "王仲裁", "赵仲裁")
TRIBUNAL_B = ("钱首席", "孙仲裁", "周仲裁")
ARBITRATORS = (*TRIBUNAL_A, *TRIBUNAL_B, "吴仲裁")


def scheduling_system(db: Database, tmp_path: Path, store: DocumentStore) -> System:
    """The real arbitration process, issuing documents (requested in the step; never sealed here)."""
    base = fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)
    adapters = DocumentAdapters(Renderer(), FakeSealer(), store, FakeVerifier(), "https://lc.test/v")
    return build_system(base.settings, database=db, documents=adapters)


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: DocumentStore) -> System:
    return scheduling_system(db, tmp_path, local_store)


def add_arbitrator(s: Session, username: str, name: str, org_id: int) -> int:
    """An arbitrator account that never logs in here (no password hashing: it costs 0.4 s each)."""
    user = User(
        username=username, display_name=name, password_hash="!", organisation_id=org_id,
        created_at=datetime.now(UTC), roles=[UserRole(role="arbitrator")],
    )  # fmt: skip
    s.add(user)
    s.flush()
    return user.id


@pytest.fixture
def arbitrators(db: Database, staff: Staff) -> dict[str, int]:
    """Arbitrator accounts of the commission, displayed under the names the tribunals use."""
    with db.transaction() as s:
        return {
            name: add_arbitrator(s, f"arb{i}", name, staff.people.org_id)
            for i, name in enumerate(ARBITRATORS)
        }


@pytest.fixture
def hearings(system: System) -> HearingService:
    return system.hearings


@pytest.fixture
def rooms(hearings: HearingService, staff: Staff) -> list[RoomView]:
    org = staff.people.org_id
    return [
        hearings.add_room(SYSTEM, "第一仲裁庭", organisation_id=org, address="示范路1号3楼", position=1),
        hearings.add_room(SYSTEM, "第二仲裁庭", organisation_id=org, position=2),
    ]


def china_today() -> date:
    return datetime.now(CHINA).date()


def tribunal_data(names: Sequence[str]) -> dict[str, Any]:
    return {
        **step_data("form_tribunal"),
        "tribunal_kind": "collegiate",
        "presiding_arbitrator": names[0],
        "other_arbitrators": list(names[1:]),
    }


def case_at_notify_hearing(system: System, staff: Staff, tribunal: Sequence[str] = TRIBUNAL_A) -> int:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "form_tribunal")
    complete_step(system, staff, case_id, "form_tribunal", tribunal_data(tribunal))
    drive_to(system, staff, case_id, "notify_hearing")
    return case_id


def notify_task(system: System, staff: Staff, case_id: int) -> tuple[str, Actor]:
    """The case's open notify_hearing task and a user of the role it is offered to."""
    [task] = [
        t for t in system.cases.get_case(staff.clerk, case_id).open_tasks if t["name"] == "notify_hearing"
    ]
    return str(task["id"]), staff.for_role(str(task["candidate_role"]))


def first_days(hearings: HearingService, n: int) -> list[date]:
    """The first n working days on which a hearing noticed today may be held (法35)."""
    earliest = hearings.earliest_hearing_date(china_today())
    assert earliest is not None
    cal = default_calendar()
    return [earliest, *(cal.add_working_days(earliest, i) for i in range(1, n))]


def bookings_of(db: Database, case_id: int) -> list[tuple[int, date, str]]:
    with db.transaction() as s:
        return [
            (b.room_id, b.hearing_date, b.session)
            for b in s.execute(select(HearingBooking).where(HearingBooking.case_id == case_id)).scalars()
        ]


def task_state(db: Database, task_id: str) -> str:
    with db.transaction() as s:
        task = s.get(HumanTask, task_id)
        assert task is not None
        return task.state


def actions(db: Database, case_id: int) -> list[str]:
    """The case's audit trail as "action" and "action entity", in order (each event twice)."""
    with db.transaction() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.entity)
            .where(AuditEvent.case_id == case_id)
            .order_by(AuditEvent.seq)
        ).all()
    return [item for action, entity in rows for item in (action, f"{action} {entity}")]


# -- scheduling ---------------------------------------------------------------------------------


def test_scheduling_books_room_and_tribunal_completes_the_task_and_requests_the_hearing_notice_art_35(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff)
    task_id, actor = notify_task(system, staff, case_id)
    [day] = first_days(hearings, 1)
    served = china_today()

    view = hearings.scheduling(actor, task_id)
    assert [m.name for m in view.tribunal] == list(TRIBUNAL_A)
    assert [m.role for m in view.tribunal] == ["presiding", "member", "member"]
    assert view.earliest_date == day and view.current is None
    assert "第三十五条" in view.legal_basis

    done = hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=day, session="pm", served_on=served
    )

    assert done.booking.room_name == "第一仲裁庭" and done.booking.time == "14:00"
    assert {a.user_id for a in done.booking.arbitrators} == {arbitrators[n] for n in TRIBUNAL_A}
    assert task_state(db, task_id) == "completed"
    assert "conduct_hearing" in {t["name"] for t in system.cases.get_case(staff.clerk, case_id).open_tasks}
    data = process_data(system, db, case_id)
    assert (data["hearing_date"], data["hearing_time"]) == (day.isoformat(), "14:00")
    assert data["hearing_place"] == "第一仲裁庭（示范路1号3楼）"
    assert data["hearing_notice_served_on"] == served.isoformat()
    assert data["hearing_room_id"] == rooms[0].id
    with db.transaction() as s:
        [notice] = s.execute(
            select(IssuedDocument).where(
                IssuedDocument.case_id == case_id, IssuedDocument.document_type == "hearing_notice"
            )
        ).scalars()
        assert notice.state == "pending"
        assert (notice.data["hearing_date"], notice.data["hearing_place"]) == (
            day.isoformat(),
            "第一仲裁庭（示范路1号3楼）",
        )
        # the rows carry the booking's date and session for the database's own double-booking check
        held = s.execute(select(HearingBookingArbitrator)).scalars().all()
        assert {(a.hearing_date, a.session) for a in held} == {(day, "pm")}
        assert verify(s) == []
    trail = actions(db, case_id)
    assert trail.index("hearing.booked") < trail.index(f"task.completed task:{task_id}")

    week = hearings.calendar(staff.clerk, day - timedelta(days=day.weekday()), day + timedelta(days=6))
    booked = week.room_booking(rooms[0].id, day, "pm")
    assert booked is not None and booked.case_id == case_id
    assert week.room_booking(rooms[0].id, day, "am") is None
    assert week.arbitrator_booking(arbitrators["王仲裁"], day, "pm") == booked
    assert week.arbitrator_booking(arbitrators["钱首席"], day, "pm") is None


def test_a_booked_room_is_refused_to_another_case_for_the_same_session_naming_the_room(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    first = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    second = case_at_notify_hearing(system, staff, TRIBUNAL_B)
    [day] = first_days(hearings, 1)
    task_id, actor = notify_task(system, staff, first)
    hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=day, session="am", served_on=china_today()
    )

    other_task, other_actor = notify_task(system, staff, second)
    with pytest.raises(HearingConflictError) as err:
        hearings.schedule(
            other_actor,
            other_task,
            room_id=rooms[0].id,
            hearing_date=day,
            session="am",
            served_on=china_today(),
        )
    assert "第一仲裁庭" in err.value.message and "上午" in err.value.message
    assert err.value.room_id == rooms[0].id
    assert task_state(db, other_task) == "open" and bookings_of(db, second) == []

    # the same room in the afternoon, or another room that morning, is free
    hearings.schedule(
        other_actor, other_task, room_id=rooms[0].id, hearing_date=day, session="pm", served_on=china_today()
    )
    assert bookings_of(db, second) == [(rooms[0].id, day, "pm")]


def test_an_arbitrator_already_sitting_that_session_is_refused_in_another_room_naming_them(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    first = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    shared = ("吴仲裁", "孙仲裁", "王仲裁")  # 王仲裁 also sits on the first tribunal
    second = case_at_notify_hearing(system, staff, shared)
    [day] = first_days(hearings, 1)
    task_id, actor = notify_task(system, staff, first)
    hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=day, session="am", served_on=china_today()
    )

    other_task, other_actor = notify_task(system, staff, second)
    with pytest.raises(HearingConflictError) as err:
        hearings.schedule(
            other_actor,
            other_task,
            room_id=rooms[1].id,
            hearing_date=day,
            session="am",
            served_on=china_today(),
        )
    assert "王仲裁" in err.value.message and err.value.arbitrators == ["王仲裁"]
    assert task_state(db, other_task) == "open" and bookings_of(db, second) == []
    slots = hearings.free_slots(other_actor, other_task, day, day)
    assert [(s.room_id, s.session) for s in slots] == [(rooms[0].id, "pm"), (rooms[1].id, "pm")]


def test_the_database_itself_refuses_a_second_booking_of_a_room_or_an_arbitrator(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    """The unique constraints hold whatever code writes the rows (two clerks racing: see
    tests/integration/test_concurrent_hearing_booking.py)."""
    first = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    second = case_at_notify_hearing(system, staff, TRIBUNAL_B)
    day = first_days(hearings, 1)[0]
    now = datetime.now(UTC)

    def insert(case_id: int, room_id: int, names: Sequence[str], session: str = "am", at: date = day) -> None:
        with db.sessions() as s, s.begin():  # no ConflictError mapping: what the database says
            booking = HearingBooking(
                case_id=case_id, room_id=room_id, hearing_date=at, session=session, booked_at=now,
                arbitrators=[HearingBookingArbitrator(user_id=arbitrators[n], role="member") for n in names],
            )  # fmt: skip
            s.add(booking)

    insert(first, rooms[0].id, ["李首席"])
    with pytest.raises(IntegrityError):
        insert(second, rooms[0].id, ["钱首席"])  # the room
    with pytest.raises(IntegrityError):
        insert(second, rooms[1].id, ["李首席"])  # the arbitrator
    with pytest.raises(IntegrityError):
        insert(second, rooms[1].id, [], session="ev")  # only am and pm exist
    insert(second, rooms[1].id, ["李首席"], session="pm")
    with db.sessions() as s, s.begin():
        booking = s.execute(select(HearingBooking).where(HearingBooking.case_id == second)).scalar_one()
        # an arbitrator row cannot claim another date than its booking's (composite foreign key)
        s.add(
            HearingBookingArbitrator(
                booking_id=booking.id, user_id=arbitrators["钱首席"], hearing_date=day + timedelta(days=1),
                session="pm", role="member",
            )
        )  # fmt: skip
        with pytest.raises(IntegrityError):
            s.flush()


# -- the five days of 法35, past dates, rest days -----------------------------------------------


def test_a_hearing_fewer_than_five_working_days_after_the_notice_is_served_is_refused_art_35(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff)
    task_id, actor = notify_task(system, staff, case_id)
    served = china_today()
    [earliest] = first_days(hearings, 1)
    cal = default_calendar()
    too_early = cal.previous_working_day(earliest)
    assert (
        compute_due("arbitration.hearing_notice", too_early)
        < served
        <= compute_due("arbitration.hearing_notice", earliest)
    )

    with pytest.raises(ValidationError) as err:
        hearings.schedule(
            actor, task_id, room_id=rooms[0].id, hearing_date=too_early, session="am", served_on=served
        )
    [problem] = err.value.problems
    assert problem.pointer == "/hearing_date"
    assert "第三十五条" in problem.message and "5日（工作日）" in problem.message
    # served after the last day the earliest date allows (not "the next working day": served on a
    # rest day, that day and the next working day allow the same hearing dates)
    with pytest.raises(ValidationError):
        hearings.schedule(
            actor, task_id, room_id=rooms[0].id, hearing_date=earliest, session="am",
            served_on=compute_due("arbitration.hearing_notice", earliest) + timedelta(days=1),
        )  # fmt: skip
    assert task_state(db, task_id) == "open" and bookings_of(db, case_id) == []
    assert [s.hearing_date for s in hearings.free_slots(actor, task_id, too_early, earliest)] == [
        earliest
    ] * 4

    hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=earliest, session="am", served_on=served
    )
    assert task_state(db, task_id) == "completed"


def test_a_past_date_a_rest_day_a_bad_session_room_or_service_date_is_refused_with_pointers(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff)
    task_id, actor = notify_task(system, staff, case_id)
    cal = default_calendar()
    [earliest] = first_days(hearings, 1)
    rest_day = next(
        earliest + timedelta(days=i) for i in range(1, 30) if cal.is_rest_day(earliest + timedelta(days=i))
    )
    foreign = hearings.add_room(SYSTEM, "外委仲裁庭", organisation_id=staff.people.other_org_id)

    def problems(**kw: Any) -> dict[str, str]:
        args = {"room_id": rooms[0].id, "hearing_date": earliest, "session": "am", "served_on": china_today()}
        with pytest.raises(ValidationError) as err:
            hearings.schedule(actor, task_id, **{**args, **kw})
        return {p.pointer: p.message for p in err.value.problems}

    assert "早于今天" in problems(hearing_date=china_today() - timedelta(days=1))["/hearing_date"]
    assert "休息日" in problems(hearing_date=rest_day)["/hearing_date"]
    assert set(problems(session="evening")) == {"/session"}
    assert set(problems(served_on=china_today() - timedelta(days=1))) == {"/served_on"}  # not yet issued
    assert set(problems(room_id=foreign.id)) == {"/room_id"}
    assert task_state(db, task_id) == "open" and bookings_of(db, case_id) == []


# -- rescheduling -------------------------------------------------------------------------------


def test_rescheduling_releases_the_case_s_earlier_booking_in_the_same_transaction(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    """A postponed hearing leaves its booking until the case is scheduled again; scheduling
    releases it together with the new booking, or not at all."""
    postponed = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    other = case_at_notify_hearing(system, staff, TRIBUNAL_B)
    day1, day2 = first_days(hearings, 2)
    with db.transaction() as s:  # what the earlier, postponed scheduling left behind
        s.add(
            HearingBooking(
                case_id=postponed, room_id=rooms[1].id, hearing_date=day2, session="am",
                booked_at=datetime.now(UTC),
                arbitrators=[
                    HearingBookingArbitrator(user_id=arbitrators[n], role="member") for n in TRIBUNAL_A
                ],
            )
        )  # fmt: skip
    other_task, other_actor = notify_task(system, staff, other)
    hearings.schedule(
        other_actor, other_task, room_id=rooms[0].id, hearing_date=day1, session="am", served_on=china_today()
    )
    task_id, actor = notify_task(system, staff, postponed)
    assert hearings.scheduling(actor, task_id).current is not None

    # a refused new slot keeps the earlier booking: nothing of the attempt is left
    with pytest.raises(HearingConflictError):
        hearings.schedule(
            actor, task_id, room_id=rooms[0].id, hearing_date=day1, session="am", served_on=china_today()
        )
    assert bookings_of(db, postponed) == [(rooms[1].id, day2, "am")]
    assert "hearing.released" not in actions(db, postponed)

    # its own earlier slot counts as free, and taking another one releases it
    assert (rooms[1].id, day2, "am") in {
        (s.room_id, s.hearing_date, s.session) for s in hearings.free_slots(actor, task_id, day1, day2)
    }
    done = hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=day1, session="pm", served_on=china_today()
    )
    assert [(b.room_id, b.hearing_date, b.session) for b in done.released] == [(rooms[1].id, day2, "am")]
    assert bookings_of(db, postponed) == [(rooms[0].id, day1, "pm")]
    trail = actions(db, postponed)
    assert trail.index("hearing.released") < trail.index("hearing.booked")
    calendar = hearings.calendar(staff.clerk, day1, day2)
    assert calendar.room_booking(rooms[1].id, day2, "am") is None
    assert calendar.arbitrator_booking(arbitrators["李首席"], day2, "am") is None
    with db.transaction() as s:
        assert verify(s) == []


def test_a_granted_postponement_sends_the_case_back_and_scheduling_again_releases_the_old_slot_art_35(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    """The whole way round: scheduled, postponement asked by the applicant and granted, scheduled again."""
    case_id = case_at_notify_hearing(system, staff)
    day1, day2 = first_days(hearings, 2)
    task_id, actor = notify_task(system, staff, case_id)
    first = hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=day1, session="am", served_on=china_today()
    )
    system.party_requests.request_postponement(staff.worker, case_id, "申请人住院治疗，无法到庭")
    decision = {"postponement_decision": "granted", "postponement_reason": "申请人住院治疗"}
    arbitration.complete(system, staff.commission_head, case_id, "decide_postponement", decision)

    again, actor = notify_task(system, staff, case_id)
    assert again != task_id
    assert hearings.scheduling(actor, again).current == first.booking  # held until scheduled again
    done = hearings.schedule(
        actor, again, room_id=rooms[1].id, hearing_date=day2, session="pm", served_on=china_today()
    )
    assert done.released == (first.booking,)
    assert bookings_of(db, case_id) == [(rooms[1].id, day2, "pm")]
    assert process_data(system, db, case_id)["hearing_date"] == day2.isoformat()


# -- the tribunal, access -----------------------------------------------------------------------


def test_a_tribunal_name_matching_no_arbitrator_or_several_is_refused_with_a_clear_error(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff, ("李首席", "王仲裁", "郑某某"))
    task_id, actor = notify_task(system, staff, case_id)
    [day] = first_days(hearings, 1)
    args: dict[str, Any] = {
        "room_id": rooms[0].id,
        "hearing_date": day,
        "session": "am",
        "served_on": china_today(),
    }

    with pytest.raises(TribunalNotResolvedError) as err:
        hearings.schedule(actor, task_id, **args)
    assert [(p.pointer, "郑某某" in p.message) for p in err.value.problems] == [
        ("/other_arbitrators/1", True)
    ]

    with db.transaction() as s:  # 郑某某 joins; a second 李首席 joins too
        for username, name in (("arb_zheng", "郑某某"), ("arb_li2", "李首席")):
            add_arbitrator(s, username, name, staff.people.org_id)
    with pytest.raises(TribunalNotResolvedError) as err:
        hearings.schedule(actor, task_id, **args)
    [problem] = err.value.problems
    assert (
        problem.pointer == "/presiding_arbitrator"
        and "arb0" in problem.message
        and "arb_li2" in problem.message
    )
    assert task_state(db, task_id) == "open" and bookings_of(db, case_id) == []


def test_only_staff_of_the_case_s_commission_may_schedule_or_see_its_calendar(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff)
    task_id, _ = notify_task(system, staff, case_id)
    [day] = first_days(hearings, 1)
    people = staff.people
    with pytest.raises(CaseAccessDeniedError):  # another commission's clerk: not even visible
        hearings.schedule(
            people.other_clerk, task_id, room_id=rooms[0].id, hearing_date=day, session="am",
            served_on=china_today(),
        )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        hearings.calendar(people.other_clerk, day, day, organisation_id=people.org_id)
    with pytest.raises(PermissionDeniedError):
        hearings.calendar(people.worker, day, day, organisation_id=people.org_id)
    with pytest.raises(PermissionDeniedError):
        hearings.rooms(people.worker, people.org_id)
    with pytest.raises(PermissionDeniedError):  # a clerk cannot add rooms
        hearings.add_room(people.clerk, "第三仲裁庭")
    assert [r.name for r in hearings.rooms(people.clerk)] == ["第一仲裁庭", "第二仲裁庭"]
    assert task_state(db, task_id) == "open"


def test_the_demo_hearing_case_is_scheduled_by_its_tribunal_name_in_a_demo_room(
    system: System, db: Database, tmp_path: Path
) -> None:
    """The demo tribunal names the demo arbitrator account by its display name, and rooms exist."""
    load_demo(system, tmp_path)
    hearings = system.hearings
    with db.transaction() as s:
        users = {u.username: actor_for_user(u) for u in s.execute(select(User)).scalars()}
        [(task_id, role)] = s.execute(
            select(HumanTask.id, HumanTask.candidate_role).where(
                HumanTask.name == "notify_hearing", HumanTask.state == "open"
            )
        ).all()
    actor = next(a for a in users.values() if role in a.roles)
    view = hearings.scheduling(actor, task_id)
    assert [(m.name, m.user_id) for m in view.tribunal] == [("李仲裁员", users["arbitrator"].user_id)]
    assert [r.name for r in view.rooms] == [name for name, _ in DEMO_ROOMS]
    assert view.earliest_date is not None
    done = hearings.schedule(
        actor,
        task_id,
        room_id=view.rooms[0].id,
        hearing_date=view.earliest_date,
        session="am",
        served_on=view.served_on,
    )
    assert done.booking.room_name == "第一仲裁庭"


def test_a_withdrawn_case_frees_its_room_and_tribunal(
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    (day,) = first_days(hearings, 1)
    task_id, actor = notify_task(system, staff, case_id)
    hearings.schedule(
        actor, task_id, room_id=rooms[0].id, hearing_date=day, session="am", served_on=china_today()
    )
    assert bookings_of(db, case_id) == [(rooms[0].id, day, "am")]
    system.withdrawal.withdraw(staff.worker, case_id, "已与单位达成和解")
    assert bookings_of(db, case_id) == []
    trail = actions(db, case_id)
    assert trail.index("hearing.released") < trail.index("case.withdrawn")
    with db.transaction() as s:
        assert verify(s) == []
