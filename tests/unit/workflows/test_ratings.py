"""Service ratings (好差评): ratable steps come from the case's completed steps; 1-5, once, 差评 says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.correspondence_support import PortalCase, cheap_hashing, make_portal_case  # noqa: F401 (autouse)
from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import Staff, complete_step, drive_to
from workflows.access import CaseAccessDeniedError
from workflows.audit import verify
from workflows.db import Database
from workflows.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import ServiceRating
from workflows.ratings import checked

staff = arbitration.staff


@pytest.fixture
def pc(db: Database, tmp_path: Path, staff: Staff) -> PortalCase:
    return make_portal_case(db, tmp_path, staff)


def steps_of(pc: PortalCase, who: str) -> list[str]:
    actor = {"worker": pc.worker, "agent": pc.agent}[who]
    return [s.step for s in pc.system.ratings.steps(actor, pc.case_id)]


def acceptance_task(pc: PortalCase) -> str:
    [step] = [s for s in pc.system.ratings.steps(pc.worker, pc.case_id) if s.step == "acceptance"]
    return step.task_id


def test_nothing_is_ratable_before_the_commission_completes_a_service_step(pc: PortalCase) -> None:
    assert steps_of(pc, "worker") == [] and steps_of(pc, "agent") == []
    assert pc.system.ratings.steps(pc.clerk, pc.case_id) == []  # staff do not rate


def test_a_request_for_missing_materials_is_not_a_ratable_decision(pc: PortalCase) -> None:
    complete_step(
        pc.system,
        pc.staff,
        pc.case_id,
        "review_application",
        {"acceptance_decision": "supplement", "supplement_items": ["工资条原件"]},
    )
    assert steps_of(pc, "worker") == []


def test_acceptance_decision_is_ratable_by_the_applicant_once_made(pc: PortalCase) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    [step] = pc.system.ratings.steps(pc.worker, pc.case_id)
    assert (step.step, step.label, step.rating) == ("acceptance", "受理审查", None)
    assert step.completed_at is not None
    assert steps_of(pc, "agent") == []  # the respondent was not served by the decision itself


def test_hearing_and_award_become_ratable_for_both_sides_when_completed(pc: PortalCase) -> None:
    drive_to(pc.system, pc.staff, pc.case_id, "mediate")  # the hearing was held
    assert steps_of(pc, "worker") == ["acceptance", "hearing"]
    assert steps_of(pc, "agent") == ["hearing"]
    drive_to(pc.system, pc.staff, pc.case_id, "approve_award")
    complete_step(pc.system, pc.staff, pc.case_id, "approve_award")
    assert steps_of(pc, "worker") == ["acceptance", "hearing", "award"]
    assert steps_of(pc, "agent") == ["hearing", "award"]


def test_party_rates_a_step_and_sees_its_rating_staff_see_all(pc: PortalCase, db: Database) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    task_id = acceptance_task(pc)
    rating = pc.system.ratings.rate(pc.worker, pc.case_id, task_id, "5", "  受理很快  ")
    assert (rating.score, rating.comment, rating.party_role, rating.step) == (
        5,
        "受理很快",
        "applicant",
        "acceptance",
    )
    [step] = pc.system.ratings.steps(pc.worker, pc.case_id)
    assert step.rating == rating
    assert pc.system.ratings.for_case(pc.clerk, pc.case_id) == [rating]
    assert pc.system.ratings.for_case(pc.agent, pc.case_id) == []  # the other side's rating is not theirs
    [event] = [e for e in pc.system.cases.history(pc.clerk, pc.case_id) if e["action"] == "service.rated"]
    assert (event["entity"], event["after"]["score"], event["after"]["comment"]) == (
        f"task:{task_id}",
        5,
        "受理很快",
    )
    with db.transaction() as s:
        assert verify(s) == []


@pytest.mark.parametrize("score", [0, 6, -1, "abc", "", None, "4.5", True])
def test_score_outside_one_to_five_is_refused(pc: PortalCase, db: Database, score: object) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    with pytest.raises(ValidationError) as refused:
        pc.system.ratings.rate(pc.worker, pc.case_id, acceptance_task(pc), score, "意见")  # type: ignore[arg-type]
    assert [p.pointer for p in refused.value.problems] == ["/score"]
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(ServiceRating)).scalar_one() == 0


@pytest.mark.parametrize("score", [1, 2])
def test_a_poor_rating_must_say_why(pc: PortalCase, score: int) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    task_id = acceptance_task(pc)
    with pytest.raises(ValidationError) as refused:
        pc.system.ratings.rate(pc.worker, pc.case_id, task_id, score, "   ")
    assert [(p.pointer, p.message) for p in refused.value.problems] == [
        ("/comment", "差评请写明不满意的原因")
    ]
    rating = pc.system.ratings.rate(pc.worker, pc.case_id, task_id, score, "等了很久才受理")
    assert rating.score == score


def test_a_fair_rating_needs_no_comment_and_a_long_comment_is_refused() -> None:
    assert checked(3, "") == (3, "")
    with pytest.raises(ValidationError) as refused:
        checked(4, "字" * 501)
    assert [p.pointer for p in refused.value.problems] == ["/comment"]


def test_a_step_is_rated_once(pc: PortalCase, db: Database) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    task_id = acceptance_task(pc)
    pc.system.ratings.rate(pc.worker, pc.case_id, task_id, 4)
    with pytest.raises(ConflictError):
        pc.system.ratings.rate(pc.worker, pc.case_id, task_id, 1, "改主意了")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # and the database says so too
        row = conn.execute(select(ServiceRating.__table__)).mappings().one()
        conn.execute(ServiceRating.__table__.insert(), [{k: v for k, v in row.items() if k != "id"}])
    assert [r.score for r in pc.system.ratings.for_case(pc.clerk, pc.case_id)] == [4]


def test_strangers_staff_and_unserved_parties_cannot_rate(pc: PortalCase) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    task_id = acceptance_task(pc)
    with pytest.raises(CaseAccessDeniedError):
        pc.system.ratings.rate(pc.other_worker, pc.case_id, task_id, 5)
    with pytest.raises(CaseAccessDeniedError):
        pc.system.ratings.steps(pc.other_worker, pc.case_id)
    with pytest.raises(PermissionDeniedError):
        pc.system.ratings.rate(pc.clerk, pc.case_id, task_id, 5)
    with pytest.raises(NotFoundError):  # the acceptance decision did not serve the respondent
        pc.system.ratings.rate(pc.agent, pc.case_id, task_id, 5)
    with pytest.raises(NotFoundError):  # an open or unknown step is not ratable
        pc.system.ratings.rate(pc.worker, pc.case_id, "no-such-task", 5)
    open_task = pc.system.cases.get_case(pc.clerk, pc.case_id).open_tasks[0]["id"]
    with pytest.raises(NotFoundError):
        pc.system.ratings.rate(pc.worker, pc.case_id, open_task, 5)
