"""Process steps issue their formal documents: 出具受理通知书 issues a 受理通知书, and so on.

The arbitration process marks the steps that issue a document (`issues` task property); the
step requests it in its own transaction (numbered, pending, audited) and the worker renders,
seals and stores it.  Here with the real renderer, seal (our TSA) and local store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from documents import Renderer
from signing.config import Signing
from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    BPMN_DIR,
    Staff,
    complete_step,
    drive_to,
    open_arbitration,
    open_names,
    step_data,
)
from tests.support import fixture_system
from workflows.audit import verify
from workflows.db import Database
from workflows.deadlines import ExtensionNotAllowedError, ExtensionNotApprovedError
from workflows.definitions import DefinitionBundle, Definitions
from workflows.engine import Engine
from workflows.errors import DefinitionError, ValidationError
from workflows.models import IssuedDocument
from workflows.ports import DocumentAdapters, DocumentStore
from workflows.roles import ALL_ROLES
from workflows.system import System, build_system

pytestmark = pytest.mark.slow

staff = arbitration.staff  # the same clerk, arbitrator and commission head fixture


@pytest.fixture
def system(db: Database, tmp_path: Path, signing: Signing, local_store: DocumentStore) -> System:
    base = fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)
    adapters = DocumentAdapters(
        Renderer(), signing.sealer, local_store, signing.verifier, "https://lc.test/v"
    )
    return build_system(base.settings, database=db, documents=adapters)


def documents_of(db: Database, case_id: int) -> list[IssuedDocument]:
    with db.transaction() as s:
        rows = list(
            s.execute(
                select(IssuedDocument).where(IssuedDocument.case_id == case_id).order_by(IssuedDocument.id)
            ).scalars()
        )
        s.expunge_all()
        return rows


def test_each_issuing_step_requests_its_document_once_and_the_worker_seals_them(
    system: System, staff: Staff, db: Database
) -> None:
    issuing = system.issuing
    assert issuing is not None
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    [notice] = documents_of(db, case_id)
    assert (notice.document_type, notice.state) == ("acceptance_notice", "pending")
    assert notice.data["accepted_on"] == step_data("review_application")["accepted_on"]

    drive_to(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "approve_award")
    assert open_names(system, staff, case_id) == set()

    # each once, though 出具受理通知书 stays in the stored task tree under later steps
    docs = documents_of(db, case_id)
    assert [d.document_type for d in docs] == [
        "acceptance_notice",
        "form_tribunal_notice",
        "hearing_notice",
        "award_document",
    ]
    assert len({d.number for d in docs}) == 4
    award = docs[-1].data
    assert award["presiding_arbitrator"] == "李首席"  # from the tribunal step, carried in the process
    assert award["award_items"][0]["claim"] == "支付拖欠工资"

    assert issuing.run_pending() == 4
    for doc in documents_of(db, case_id):
        view = issuing.get(staff.clerk, doc.id)
        assert view.state == "issued", view.last_error
        _, pdf = issuing.content(staff.clerk, doc.id)
        report = issuing.check_upload(pdf)
        assert report.record is not None and report.record.number == doc.number
        assert report.report.valid and report.report.signatures[0].intact
    with db.transaction() as s:
        assert verify(s) == []


def test_refusal_issues_a_refusal_notice_with_its_ground_art_29(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    complete_step(
        system,
        staff,
        case_id,
        "review_application",
        {
            "acceptance_decision": "refuse",
            "refusal_ground": "not_labour_dispute",
            "refusal_reason": "系民事借贷纠纷",
        },
    )
    [doc] = documents_of(db, case_id)
    assert doc.document_type == "refusal_notice" and doc.data["refusal_ground"] == "not_labour_dispute"
    assert doc.data["application_received_on"]  # the day the case was opened


def test_a_step_whose_document_cannot_be_made_fails_and_leaves_nothing_art_31(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    complete_step(system, staff, case_id, "review_application")
    # the form allows it, the 组庭通知书 does not: a tribunal of three needs two more arbitrators
    bad = {**step_data("form_tribunal"), "other_arbitrators": ["王仲裁"]}
    with pytest.raises(ValidationError) as err:
        complete_step(system, staff, case_id, "form_tribunal", bad)
    assert any(p.pointer == "/other_arbitrators" for p in err.value.problems)
    assert [d.document_type for d in documents_of(db, case_id)] == ["acceptance_notice"]
    assert "form_tribunal" in open_names(system, staff, case_id)
    complete_step(system, staff, case_id, "form_tribunal")  # corrected: issues its notice
    assert [d.document_type for d in documents_of(db, case_id)][-1] == "form_tribunal_notice"


def test_a_process_naming_an_unknown_document_type_is_refused_at_deploy() -> None:
    text = (BPMN_DIR / "arbitration" / "arbitration.bpmn").read_text()
    broken = text.replace('value="acceptance_notice"', 'value="acceptance_letter"', 1)
    forms = {
        f"forms/{p.name}": p.read_text() for p in sorted((BPMN_DIR / "arbitration" / "forms").glob("*.json"))
    }
    definitions = Definitions(Engine(), known_roles=ALL_ROLES)
    with pytest.raises(DefinitionError) as err:
        definitions.compile(DefinitionBundle("arbitration", {"arbitration.bpmn": broken, **forms}))
    assert err.value.element_id == "mark_accepted" and "acceptance_letter" in str(err.value)


def award_deadline_id(system: System, staff: Staff, case_id: int) -> int:
    [award] = [d for d in system.deadlines.for_case(staff.clerk, case_id) if d.rule == "arbitration.award"]
    return award.id


def test_award_extension_approved_by_the_head_issues_the_written_notice_art_43(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    deadline_id = award_deadline_id(system, staff, case_id)
    view = system.deadlines.extend(staff.commission_head, deadline_id, 10, "案情复杂，需补充调查")
    notice = documents_of(db, case_id)[-1]
    assert notice.document_type == "extension_notice"
    assert notice.data["extension_days"] == 10
    assert notice.data["new_deadline"] == view.due_on.isoformat()
    assert notice.data["accepted_on"] == step_data("review_application")["accepted_on"]
    [task] = [t for t in system.tasks.inbox(staff.arbitrator) if t.case_id == case_id]
    assert task.name == "draft_award" and task.due_at is not None  # the inbox item follows the period
    assert arbitration.aware(task.due_at).astimezone(arbitration.CHINA).date() == view.due_on
    assert system.issuing is not None and system.issuing.run_pending() >= 1
    assert system.issuing.get(staff.clerk, notice.id).state == "issued"


def test_extension_refused_leaves_no_notice_and_no_change_art_43(
    system: System, staff: Staff, db: Database
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    deadline_id = award_deadline_id(system, staff, case_id)
    before = documents_of(db, case_id)
    due_before = system.deadlines.for_case(staff.clerk, case_id)
    with pytest.raises(ExtensionNotApprovedError):  # the arbitrator cannot approve it
        system.deadlines.extend(staff.arbitrator, deadline_id, 10, "案情复杂")
    with pytest.raises(ExtensionNotAllowedError):  # nor may anyone go beyond fifteen days
        system.deadlines.extend(staff.commission_head, deadline_id, 16, "案情复杂")
    assert [d.id for d in documents_of(db, case_id)] == [d.id for d in before]
    assert system.deadlines.for_case(staff.clerk, case_id) == due_before
