"""The mediation process (bpmn/mediation, 调解仲裁法 ch.2) driven through the services.

Articles are those of 《劳动争议调解仲裁法》.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support import SECRET, People, fixture_system, make_people
from workflows.audit import SYSTEM, Actor
from workflows.calendar import default_calendar
from workflows.cases import CaseView, OpenCase, PartyInput
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.errors import PermissionDeniedError, ValidationError
from workflows.identity import create_user
from workflows.models import Case, Organisation
from workflows.system import System
from workflows.tasks import TaskView

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class Mediation:
    people: People
    org_id: int  # the mediation body (调解组织)
    mediator: Actor
    other_mediator: Actor  # of another mediation body


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)


@pytest.fixture
def med(db: Database) -> Mediation:
    people = make_people(db)
    with db.transaction() as s:
        body = Organisation(kind="mediation_body", name="某公司劳动争议调解委员会")
        other = Organisation(kind="mediation_body", name="某街道劳动争议调解委员会")
        s.add_all([body, other])
        s.flush()

        def user(name: str, org_id: int) -> Actor:
            u, _ = create_user(
                s, username=name, display_name=name, password="correct horse battery", roles={"mediator"},
                organisation_id=org_id, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            s.flush()
            return Actor(u.id, name, frozenset({"mediator"}), org_id)

        return Mediation(people, body.id, user("mediator1", body.id), user("mediator2", other.id))


def open_mediation(system: System, med: Mediation, **data: Any) -> int:
    view = system.cases.open_case(
        med.mediator,
        OpenCase(
            process_key="mediation",
            case_type="mediation",
            title="张三与某科技有限公司加班费争议调解",
            organisation_id=med.org_id,
            parties=[
                PartyInput("applicant", "张三", user_id=med.people.worker.user_id),
                PartyInput("respondent", "某科技有限公司", kind="organisation"),
            ],
            data=data,
        ),
    )
    return view.id


def view_of(system: System, med: Mediation, case_id: int) -> CaseView:
    return system.cases.get_case(med.mediator, case_id)


def open_names(system: System, med: Mediation, case_id: int) -> set[str]:
    return {t["name"] for t in view_of(system, med, case_id).open_tasks}


def inbox_task(system: System, actor: Actor, case_id: int, name: str) -> TaskView:
    [task] = [t for t in system.tasks.inbox(actor) if t.case_id == case_id and t.name == name]
    return task


def complete(system: System, med: Mediation, case_id: int, name: str, data: dict[str, Any]) -> None:
    task = inbox_task(system, med.mediator, case_id, name)
    system.tasks.claim(med.mediator, task.id)
    system.tasks.complete(med.mediator, task.id, data)


def process_data(system: System, db: Database, case_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return system.runtime.load(s, case, system.definitions.get(s, case.definition_id)).data


def pointers(error: ValidationError) -> list[str]:
    return sorted({p.pointer for p in error.problems})


def china_date(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(CHINA).date()


AGREEMENT = {"mediation_result": "agreement", "mediation_summary": "双方就加班费数额达成一致"}


def test_signed_agreement_ends_mediation_with_a_mediation_agreement_art_14(
    system: System, med: Mediation, db: Database
) -> None:
    """调解协议书 signed by both parties and the mediator is binding (法14)."""
    case_id = open_mediation(system, med)
    assert open_names(system, med, case_id) == {"mediate"}
    assert process_data(system, db, case_id)["stage"] == "mediating"
    complete(system, med, case_id, "mediate", AGREEMENT)
    assert open_names(system, med, case_id) == {"record_agreement"}
    complete(
        system,
        med,
        case_id,
        "record_agreement",
        {
            "agreement_terms": "公司于2026年12月31日前支付加班费8000元",
            "performance_due_on": "2026-12-31",
            "agreement_signed": True,
            "agreement_signed_on": datetime.now(CHINA).date().isoformat(),
        },
    )
    view = view_of(system, med, case_id)
    assert view.status == "closed" and view.open_tasks == []
    assert [(d["rule"], d["state"]) for d in view.deadlines] == [("mediation.mediate", "met")]
    data = process_data(system, db, case_id)
    assert data["stage"] == "agreement"
    assert "may_apply_for_arbitration" not in data


def test_no_agreement_tells_the_party_they_may_apply_for_arbitration_art_14(
    system: System, med: Mediation, db: Database
) -> None:
    case_id = open_mediation(system, med)
    with pytest.raises(ValidationError) as err:  # the reason is recorded
        complete(
            system,
            med,
            case_id,
            "mediate",
            {"mediation_result": "no_agreement", "mediation_summary": "两次调解"},
        )
    assert pointers(err.value) == ["/no_agreement_reason"]
    complete(
        system,
        med,
        case_id,
        "mediate",
        {
            "mediation_result": "no_agreement",
            "mediation_summary": "两次调解",
            "no_agreement_reason": "差距过大",
        },
    )
    assert view_of(system, med, case_id).status == "closed"
    data = process_data(system, db, case_id)
    assert data["stage"] == "no_agreement" and data["may_apply_for_arbitration"] is True
    assert "申请仲裁" in data["stage_label"]


def test_refusal_to_sign_counts_as_no_agreement_art_14(system: System, med: Mediation, db: Database) -> None:
    """The agreement binds only once both parties sign (法14); a refusal leaves the way to arbitration."""
    case_id = open_mediation(system, med)
    complete(system, med, case_id, "mediate", AGREEMENT)
    with pytest.raises(ValidationError) as err:
        complete(
            system,
            med,
            case_id,
            "record_agreement",
            {"agreement_terms": "支付8000元", "agreement_signed": False},
        )
    assert pointers(err.value) == ["/refusal_note"]
    complete(
        system,
        med,
        case_id,
        "record_agreement",
        {"agreement_terms": "支付8000元", "agreement_signed": False, "refusal_note": "公司代表拒绝签字"},
    )
    data = process_data(system, db, case_id)
    assert data["stage"] == "no_agreement" and data["may_apply_for_arbitration"] is True


def test_mediation_due_in_15_calendar_days_art_14(system: System, med: Mediation) -> None:
    """15 calendar days from receipt of the application (法14), rolled past rest days (民诉法85)."""
    case_id = open_mediation(system, med)
    view = view_of(system, med, case_id)
    [task] = view.open_tasks
    [deadline] = view.deadlines
    received = china_date(inbox_task(system, med.mediator, case_id, "mediate").created_at)
    assert deadline["rule"] == "mediation.mediate" and deadline["state"] == "running"
    assert "第十四条" in deadline["legal_basis"]
    assert deadline["due_on"] == compute_due("mediation.mediate", received)
    assert deadline["due_on"] == default_calendar().roll_to_working_day(received + timedelta(days=15))
    due_at = task["due_at"] if task["due_at"].tzinfo else task["due_at"].replace(tzinfo=UTC)
    assert due_at.astimezone(CHINA).date() == deadline["due_on"]


def test_oral_application_is_recorded_as_such_art_12(system: System, med: Mediation, db: Database) -> None:
    assert process_data(system, db, open_mediation(system, med))["application_mode"] == "written"
    assert (
        process_data(system, db, open_mediation(system, med, application_mode="oral"))["application_mode"]
        == "oral"
    )


def test_only_a_mediator_of_the_mediation_body_may_mediate(system: System, med: Mediation) -> None:
    case_id = open_mediation(system, med)
    task = inbox_task(system, med.mediator, case_id, "mediate")
    assert not [t for t in system.tasks.inbox(med.other_mediator) if t.case_id == case_id]
    for outsider in (med.people.worker, med.people.clerk, med.other_mediator):
        with pytest.raises(PermissionDeniedError):
            system.tasks.complete(outsider, task.id, AGREEMENT)
    assert open_names(system, med, case_id) == {"mediate"}
