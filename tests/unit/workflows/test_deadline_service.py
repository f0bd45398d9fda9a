"""Deadline use cases: access-checked changes, and the overdue sweep feeding the supervisor's inbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.support import People, fixture_system, make_people
from workflows.cases import OpenCase
from workflows.db import Database
from workflows.deadline_service import DeadlineService
from workflows.deadlines import start_deadline
from workflows.errors import PermissionDeniedError, ValidationError
from workflows.models import Case
from workflows.system import System
from workflows.worker import run_worker


@pytest.fixture
def world(db: Database, tmp_path: Path) -> tuple[System, People, int, int]:
    system = fixture_system(db, tmp_path)
    people = make_people(db)
    case = system.cases.open_case(
        people.clerk, OpenCase("loop_process", "arbitration", "工资", people.org_id)
    )
    with db.transaction() as s:
        row = s.get_one(Case, case.id)
        # 劳动争议调解仲裁法 art.29: five days to decide on acceptance; started long ago
        deadline = start_deadline(s, row, "arbitration.accept", date(2025, 9, 26), people.clerk)
        deadline_id = deadline.id
    return system, people, case.id, deadline_id


def test_overdue_acceptance_art_29_is_escalated_once_and_handled_by_a_supervisor(
    world: tuple[System, People, int, int], db: Database
) -> None:
    system, people, case_id, _ = world
    service = DeadlineService(db, clock=lambda: datetime(2025, 10, 14, 2, tzinfo=UTC))
    assert service.escalate_overdue() == 1
    assert service.escalate_overdue() == 0
    [item] = system.tasks.inbox(people.supervisor)
    assert item.name == "overdue_escalation" and item.case_id == case_id
    assert system.tasks.inbox(people.clerk) == [] or all(
        t.name != "overdue_escalation" for t in system.tasks.inbox(people.clerk)
    )
    with pytest.raises(PermissionDeniedError):
        system.tasks.complete(people.clerk, item.id, {"instruction": "请尽快办理"})
    with pytest.raises(ValidationError) as bad:
        system.tasks.complete(people.supervisor, item.id, {"instruction": ""})
    assert bad.value.problems[0].pointer == "/instruction"
    done = system.tasks.complete(people.supervisor, item.id, {"instruction": "请于今日内作出受理决定"})
    assert done.case_id == case_id
    assert system.tasks.get_task(people.supervisor, item.id).state == "completed"
    actions = [e["action"] for e in system.cases.history(people.supervisor, case_id)]
    assert "deadline.escalated" in actions and actions[-1] == "escalation.handled"


def test_extension_needs_the_approving_role_and_other_orgs_cannot_touch_it(
    world: tuple[System, People, int, int], db: Database
) -> None:
    system, people, _, deadline_id = world
    with pytest.raises(PermissionDeniedError):
        system.deadlines.suspend(people.other_clerk, deadline_id, date(2025, 9, 29), "不可抗力")
    view = system.deadlines.suspend(people.clerk, deadline_id, date(2025, 9, 29), "当事人因不可抗力中止")
    assert view.state == "suspended"
    with pytest.raises(ValidationError):
        system.deadlines.resume(people.clerk, deadline_id, date(2025, 10, 9), "")
    resumed = system.deadlines.resume(people.clerk, deadline_id, date(2025, 10, 9), "中止事由消除")
    assert resumed.state == "running" and resumed.due_on > date(2025, 10, 10)
    assert [h["action"] for h in resumed.history] == ["started", "suspended", "resumed"]


def test_worker_loop_runs_the_overdue_sweep(world: tuple[System, People, int, int], db: Database) -> None:
    system, people, _, _ = world
    sweeps = DeadlineService(db, clock=lambda: datetime(2025, 10, 14, 2, tzinfo=UTC))
    calls = iter(range(3))
    run_worker(system.timers, sweeps, poll_seconds=0, should_stop=lambda: next(calls, None) is None)
    assert [t.name for t in system.tasks.inbox(people.supervisor)] == ["overdue_escalation"]
