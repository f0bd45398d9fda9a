"""Two clerks book the same slot for two cases at the same moment, on PostgreSQL: exactly one wins.

The loser's own check cannot see the winner's uncommitted booking; the unique constraints of
hearing_booking / hearing_booking_arbitrator make it wait for the winner and then fail, and the
service reports that as the same HearingConflictError a taken slot gives (调解仲裁法 art.35:
the tribunal schedules the hearing; a room or an arbitrator sits once per session).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_hearing_scheduling import (
    TRIBUNAL_A,
    TRIBUNAL_B,
    arbitrators,
    case_at_notify_hearing,
    china_today,
    first_days,
    notify_task,
    rooms,
    scheduling_system,
)
from workflows.audit import Actor, verify
from workflows.db import Database
from workflows.hearings import HearingConflictError, HearingService, RoomView
from workflows.models import HearingBooking, HumanTask
from workflows.ports import DocumentStore
from workflows.system import System
from workflows.tasks import Completion, TaskService

staff = arbitration.staff
__all__ = ["arbitrators", "rooms", "staff"]  # fixtures shared with the functional tests


@pytest.fixture
def db(pg_db: Database) -> Database:
    """Every fixture of this module on PostgreSQL only: real row locks and index waits."""
    return pg_db


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: DocumentStore) -> System:
    return scheduling_system(db, tmp_path, local_store)


@pytest.fixture
def hearings(system: System) -> HearingService:
    return system.hearings


class HoldBeforeCommit(TaskService):
    """The task service, except that the thread named "winner" stops after booking, before the
    task is completed and the transaction commits, until `go` is set."""

    def __init__(self, base: TaskService):
        super().__init__(base.db, base.definitions, base.runtime)
        self.booked = threading.Event()
        self.go = threading.Event()

    def complete_in(self, s: Session, actor: Actor, task_id: str, data: Mapping[str, Any]) -> Completion:
        if threading.current_thread().name == "winner":
            self.booked.set()
            assert self.go.wait(30), "the loser never queued behind the winner"
        return super().complete_in(s, actor, task_id, data)


def waiting_on_a_lock(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def book(
    outcome: dict[str, BaseException | None],
    hearings: HearingService,
    day: date,
    task_id: str,
    actor: Actor,
    room_id: int,
) -> None:
    """schedule() in this thread; what it raised (None: booked) under the thread's name."""
    name = threading.current_thread().name
    try:
        hearings.schedule(
            actor, task_id, room_id=room_id, hearing_date=day, session="am", served_on=china_today()
        )
    except BaseException as exc:
        outcome[name] = exc
    else:
        outcome[name] = None


def booked_cases(db: Database) -> list[int]:
    with db.transaction() as s:
        return list(s.execute(select(HearingBooking.case_id)).scalars())


def open_tasks(db: Database, task_ids: Sequence[str]) -> list[str]:
    with db.transaction() as s:
        return list(
            s.execute(
                select(HumanTask.id).where(HumanTask.id.in_(task_ids), HumanTask.state == "open")
            ).scalars()
        )


@pytest.mark.parametrize("contested", ["room", "arbitrator"])
def test_two_clerks_racing_for_a_slot_one_wins_the_other_gets_a_conflict_naming_what_is_taken(
    db: Database,
    system: System,
    staff: arbitration.Staff,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
    contested: str,
) -> None:
    """The loser's check runs before the winner commits; the unique index makes it wait, then fail."""
    winner_case = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    # the same room with another tribunal, or another room with 王仲裁 of the first tribunal
    loser_tribunal = TRIBUNAL_B if contested == "room" else ("吴仲裁", "孙仲裁", "王仲裁")
    loser_case = case_at_notify_hearing(system, staff, loser_tribunal)
    loser_room = rooms[0].id if contested == "room" else rooms[1].id
    [day] = first_days(hearings, 1)
    (winner_task, winner_actor), (loser_task, loser_actor) = (
        notify_task(system, staff, winner_case),
        notify_task(system, staff, loser_case),
    )
    holding = HoldBeforeCommit(system.tasks)
    hearings.tasks = holding
    outcome: dict[str, BaseException | None] = {}
    winner = threading.Thread(
        target=book, args=(outcome, hearings, day, winner_task, winner_actor, rooms[0].id), name="winner"
    )
    loser = threading.Thread(
        target=book, args=(outcome, hearings, day, loser_task, loser_actor, loser_room), name="loser"
    )
    winner.start()
    assert holding.booked.wait(30)  # booked, not committed
    loser.start()
    deadline = time.monotonic() + 30
    while waiting_on_a_lock(db) == 0:  # the loser queues behind the winner's index entry
        assert time.monotonic() < deadline and loser.is_alive(), outcome
        time.sleep(0.02)
    holding.go.set()
    winner.join(60)
    loser.join(60)

    assert outcome["winner"] is None
    error = outcome["loser"]
    assert isinstance(error, HearingConflictError), error
    assert isinstance(error.__cause__, IntegrityError)  # lost at the unique constraint, not the check
    if contested == "room":
        assert "第一仲裁庭" in error.message and error.room_id == rooms[0].id
    else:
        assert "王仲裁" in error.message and error.arbitrators == ["王仲裁"]
    assert booked_cases(db) == [winner_case]
    assert open_tasks(db, [winner_task, loser_task]) == [loser_task]
    with db.transaction() as s:
        assert verify(s) == []


def test_two_threads_booking_the_same_slot_for_two_cases_exactly_one_wins(
    db: Database,
    system: System,
    staff: arbitration.Staff,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    cases = [case_at_notify_hearing(system, staff, t) for t in (TRIBUNAL_A, TRIBUNAL_B)]
    [day] = first_days(hearings, 1)
    tasks = [notify_task(system, staff, c) for c in cases]
    outcome: dict[str, BaseException | None] = {}
    start = threading.Barrier(len(tasks))

    def at_once(task_id: str, actor: Actor) -> None:
        start.wait()
        book(outcome, hearings, day, task_id, actor, rooms[0].id)

    threads = [threading.Thread(target=at_once, args=t, name=f"clerk{i}") for i, t in enumerate(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    errors = [e for e in outcome.values() if e is not None]
    assert len(outcome) == 2 and len(errors) == 1, outcome
    assert isinstance(errors[0], HearingConflictError) and "第一仲裁庭" in errors[0].message
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(HearingBooking)).scalar_one() == 1
    assert len(open_tasks(db, [t for t, _ in tasks])) == 1
