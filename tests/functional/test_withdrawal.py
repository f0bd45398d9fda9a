"""The applicant withdraws the arbitration application before the award (办案规则: 撤回仲裁申请)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    BPMN_DIR,
    Staff,
    complete_step,
    drive_to,
    open_arbitration,
)
from tests.support import fixture_system
from workflows.access import CaseAccessDeniedError
from workflows.audit import verify
from workflows.db import Database
from workflows.errors import ConflictError, PermissionDeniedError, ValidationError
from workflows.models import AuditEvent, Deadline, HumanTask, Timer
from workflows.system import System

staff = arbitration.staff  # clerk, arbitrator, commission head and tests.support's people


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)


def test_applicant_withdraws_while_the_defence_is_awaited_and_everything_open_ends(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    complete_step(system, staff, case_id, "serve_respondent")  # the defence timer now waits
    system.withdrawal.withdraw(staff.worker, case_id, "已与单位和解，撤回仲裁申请")

    view = system.cases.get_case(staff.clerk, case_id)
    assert view.status == "withdrawn" and view.open_tasks == []
    with db.transaction() as s:
        tasks = s.execute(select(HumanTask.name, HumanTask.state).where(HumanTask.case_id == case_id)).all()
        assert dict(tasks)["form_tribunal"] == "cancelled"  # the head's open item went with it
        assert {t.state for t in s.scalars(select(Timer).where(Timer.case_id == case_id))} == {"cancelled"}
        running = s.scalars(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.state.in_(("running", "suspended")))
        ).all()
        assert running == []  # 组庭 period ended with its task
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)))
        assert {"case.withdrawn", "case.closed", "task.cancelled", "timer.cancelled"} <= set(actions)
        assert verify(s) == []
    assert [t for t in system.tasks.inbox(staff.commission_head) if t.case_id == case_id] == []


def test_staff_record_a_written_withdrawal_but_the_respondent_side_cannot_withdraw(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    with pytest.raises(CaseAccessDeniedError):  # another worker does not see the case
        system.withdrawal.withdraw(staff.people.other_worker, case_id, "撤回")
    with pytest.raises(PermissionDeniedError):  # staff of another commission
        system.withdrawal.withdraw(staff.people.other_clerk, case_id, "撤回")
    with pytest.raises(ValidationError) as err:
        system.withdrawal.withdraw(staff.clerk, case_id, " ")
    assert [p.pointer for p in err.value.problems] == ["/reason"]
    system.withdrawal.withdraw(staff.clerk, case_id, "申请人当面递交书面撤回申请")
    assert system.cases.get_case(staff.clerk, case_id).status == "withdrawn"


def test_no_withdrawal_once_the_case_is_decided_or_withdrawn(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "approve_award")
    with pytest.raises(ConflictError):  # the award is out
        system.withdrawal.withdraw(staff.worker, case_id, "不服裁决")
    other = open_arbitration(system, staff)
    system.withdrawal.withdraw(staff.worker, other, "撤回")
    with pytest.raises(ConflictError):
        system.withdrawal.withdraw(staff.worker, other, "再次撤回")
