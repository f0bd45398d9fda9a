"""A party of a failed (or unperformed) mediation applies for arbitration (法14, 法15).

The arbitration case carries the mediation's parties, claims and evidence over and is linked to it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from integrations.storage.local import LocalFolderDocumentStore
from tests.functional import test_mediation_process as mediation
from tests.functional.test_mediation_process import BPMN_DIR, Mediation, complete, process_data
from tests.support import fixture_system
from tests.unit.workflows.test_evidence import image_bytes, pdf_bytes
from workflows import continuation
from workflows.access import CaseAccessDeniedError
from workflows.audit import Actor, verify
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.continuation import ArbitrationApplication
from workflows.db import Database
from workflows.errors import ConflictError, PermissionDeniedError, ValidationError
from workflows.evidence import EvidenceService, Upload
from workflows.models import Case, CaseLink, Deadline, Evidence, Organisation, StoredFile
from workflows.system import System

med = mediation.med  # the mediation bodies, their mediators and tests.support's people


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: LocalFolderDocumentStore) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR, store=local_store)


def open_mediation(system: System, med: Mediation) -> int:
    view = system.cases.open_case(
        med.mediator,
        OpenCase(
            process_key="mediation",
            case_type="mediation",
            title="张三与某科技有限公司加班费争议调解",
            organisation_id=med.org_id,
            parties=[
                PartyInput(
                    "applicant", "张三", resident_id="11010519491231002X", user_id=med.people.worker.user_id
                ),
                PartyInput("respondent", "某科技有限公司", kind="organisation", uscc="91310000MA1FL8XQ2B"),
            ],
            claims=[ClaimInput("overtime_pay", "2026年加班费", Decimal("8000.00"))],
        ),
    )
    return view.id


def fail_mediation(system: System, med: Mediation, case_id: int) -> None:
    outcome = {
        "mediation_result": "no_agreement",
        "mediation_summary": "两次调解",
        "no_agreement_reason": "差距过大",
    }
    complete(system, med, case_id, "mediate", outcome)


def apply(system: System, actor: Actor, case_id: int, commission_id: int, **kw: Any) -> Any:
    return system.continuation.apply_for_arbitration(
        actor, ArbitrationApplication(case_id, commission_id, **kw)
    )


def test_failed_mediation_continues_as_arbitration_with_parties_and_claims_art_14(
    system: System, med: Mediation, db: Database
) -> None:
    case_id = open_mediation(system, med)
    fail_mediation(system, med, case_id)
    worker = med.people.worker
    arbitration = apply(system, worker, case_id, med.people.org_id)

    assert arbitration.case_type == "arbitration" and arbitration.organisation_id == med.people.org_id
    assert [(p["role"], p["name"]) for p in arbitration.parties] == [
        ("applicant", "张三"),
        ("respondent", "某科技有限公司"),
    ]
    assert [(c["claim_type"], c["description"]) for c in arbitration.claims] == [
        ("overtime_pay", "2026年加班费")
    ]
    assert Decimal(str(arbitration.claims[0]["amount"])) == Decimal("8000.00")
    assert {t["name"] for t in arbitration.open_tasks} == {"review_application"}  # the commission reviews it
    with db.transaction() as s:
        [link] = s.execute(select(CaseLink).where(CaseLink.to_case_id == case_id)).scalars()
        assert (link.from_case_id, link.relation) == (arbitration.id, "continues")
        assert verify(s) == []
    mediation_view = system.cases.get_case(med.mediator, case_id)
    assert mediation_view.status == "closed"
    # the worker sees the arbitration case; a second application is refused
    assert system.cases.get_case(worker, arbitration.id).id == arbitration.id
    with pytest.raises(ConflictError):
        apply(system, worker, case_id, med.people.org_id)


def test_mediation_still_within_its_fifteen_days_cannot_be_taken_to_arbitration_yet_art_14(
    system: System, med: Mediation, db: Database
) -> None:
    case_id = open_mediation(system, med)
    with pytest.raises(ConflictError, match="第十四条"):
        apply(system, med.people.worker, case_id, med.people.org_id)
    # fifteen days pass without agreement: the party may go to arbitration (mediation still open)
    with db.transaction() as s:
        [deadline] = s.execute(select(Deadline).where(Deadline.case_id == case_id)).scalars()
        deadline.due_on = deadline.due_on - timedelta(days=20)
    assert apply(system, med.people.worker, case_id, med.people.org_id).case_type == "arbitration"


def test_only_a_party_may_apply_and_only_to_a_commission(
    system: System, med: Mediation, db: Database
) -> None:
    case_id = open_mediation(system, med)
    fail_mediation(system, med, case_id)
    with pytest.raises(PermissionDeniedError):  # the mediator is staff, not a party
        apply(system, med.mediator, case_id, med.people.org_id)
    with pytest.raises(CaseAccessDeniedError):  # another worker does not even see the case
        apply(system, med.people.other_worker, case_id, med.people.org_id)
    with pytest.raises(ValidationError) as err:  # a mediation body is not an arbitration commission
        apply(system, med.people.worker, case_id, med.org_id)
    assert [p.pointer for p in err.value.problems] == ["/commission_id"]
    with db.transaction() as s:  # nothing half-written by the refusals
        assert s.execute(select(CaseLink)).first() is None
        assert s.get(Organisation, med.org_id) is not None


# -- evidence carried over ----------------------------------------------------------------------


def evidence_of(system: System) -> EvidenceService:
    assert system.evidence is not None
    return system.evidence


def stored_objects(store: LocalFolderDocumentStore) -> int:
    return sum(1 for p in store.root.rglob("*") if p.is_file())


def test_arbitration_case_holds_the_mediation_evidence_for_applicant_and_commission_art_14(
    system: System, med: Mediation, db: Database, local_store: LocalFolderDocumentStore
) -> None:
    case_id = open_mediation(system, med)
    worker, mediator, evidence = med.people.worker, med.mediator, evidence_of(system)
    payslip, chat, record = pdf_bytes(), image_bytes("PNG"), pdf_bytes(2)
    [own] = evidence.submit(
        worker, case_id, [Upload("工资条.pdf", payslip, "证明加班费未发")], purpose="application"
    )
    respondent_id = system.cases.get_case(mediator, case_id).parties[1]["id"]
    [theirs] = evidence.submit(  # handed in at the mediation body by the company
        mediator, case_id, [Upload("考勤聊天记录.png", chat, "证明已安排调休")], party_id=respondent_id
    )
    [agency] = evidence.submit(mediator, case_id, [Upload("调解笔录.pdf", record)])  # the body's own
    fail_mediation(system, med, case_id)
    objects = stored_objects(local_store)

    arbitration = apply(system, worker, case_id, med.people.org_id)

    carried = evidence.for_case(worker, arbitration.id)
    assert [(e.filename, e.sha256, e.purpose, e.description) for e in carried] == [
        (v.filename, v.sha256, v.purpose, v.description) for v in (own, theirs, agency)
    ]
    # who handed each in and when stays as it was; the parties are the new case's own
    assert [(e.submitted_by, e.submitted_at) for e in carried] == [
        (v.submitted_by, v.submitted_at) for v in (own, theirs, agency)
    ]
    applicant, respondent = arbitration.parties
    assert [(e.party_id, e.party_role, e.party_name) for e in carried] == [
        (applicant["id"], "applicant", "张三"),
        (respondent["id"], "respondent", "某科技有限公司"),
        (None, None, None),
    ]
    assert {e.id for e in carried}.isdisjoint({own.id, theirs.id, agency.id})
    # the bytes are not copied: the same content-addressed objects serve both cases
    assert stored_objects(local_store) == objects
    # readable by the applicant and by staff of the commission, byte for byte
    clerk = med.people.clerk
    assert [e.id for e in evidence.for_case(clerk, arbitration.id)] == [e.id for e in carried]
    for reader in (worker, clerk):
        for item, data in zip(carried, (payslip, chat, record), strict=True):
            assert evidence.content(reader, item.id, arbitration.id)[1] == data
    # and by no one else: another worker, another commission, the mediator of the old case
    for stranger in (med.people.other_worker, med.people.other_clerk, mediator):
        with pytest.raises(CaseAccessDeniedError):
            evidence.for_case(stranger, arbitration.id)
        with pytest.raises(CaseAccessDeniedError):
            evidence.content(stranger, carried[0].id, arbitration.id)
    # still the mediation's evidence too, unchanged
    assert [e.id for e in evidence.for_case(mediator, case_id)] == [own.id, theirs.id, agency.id]
    files = system.cases.documents(clerk, arbitration.id)
    assert [(f["kind"], f["sha256"]) for f in files] == [("evidence", e.sha256) for e in carried]
    history = system.cases.history(clerk, arbitration.id)
    moved = [e for e in history if e["action"] == "evidence.carried_over"]
    assert [(e["entity"], e["actor"]) for e in moved] == [(f"evidence:{e.id}", worker.label) for e in carried]
    assert {e["after"]["from_case"] for e in moved} == {system.cases.get_case(mediator, case_id).case_number}
    with db.transaction() as s:
        assert verify(s) == []


def test_evidence_is_carried_in_the_same_transaction_as_the_arbitration_case(
    system: System, med: Mediation, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_mediation(system, med)
    evidence_of(system).submit(med.people.worker, case_id, [Upload("工资条.pdf", pdf_bytes())])
    fail_mediation(system, med, case_id)
    carry = continuation._carry_evidence

    def carry_then_crash(*args: Any) -> Any:
        carry(*args)
        raise RuntimeError("the process dies after carrying the evidence")

    monkeypatch.setattr(continuation, "_carry_evidence", carry_then_crash)
    with pytest.raises(RuntimeError):
        apply(system, med.people.worker, case_id, med.people.org_id)
    with db.transaction() as s:  # no arbitration case, no link, no evidence or file rows of one
        assert s.execute(select(Case.id).where(Case.case_type == "arbitration")).first() is None
        assert s.execute(select(CaseLink)).first() is None
        assert {e.case_id for e in s.execute(select(Evidence)).scalars()} == {case_id}
        assert {f.case_id for f in s.execute(select(StoredFile)).scalars()} == {case_id}
    monkeypatch.undo()  # the party tries again: everything arrives at once
    arbitration = apply(system, med.people.worker, case_id, med.people.org_id)
    assert len(evidence_of(system).for_case(med.people.worker, arbitration.id)) == 1


def test_collective_mediation_continues_with_its_elected_representatives_art_7(
    system: System, med: Mediation, db: Database
) -> None:
    workers = [PartyInput("applicant", "张三", user_id=med.people.worker.user_id)] + [
        PartyInput("applicant", f"工人{i}") for i in range(2, 13)
    ]
    mediation_case = system.cases.open_case(
        med.mediator,
        OpenCase(
            process_key="mediation",
            case_type="mediation",
            title="张三等十二人与某科技有限公司工资争议调解",
            organisation_id=med.org_id,
            parties=[*workers, PartyInput("respondent", "某科技有限公司", kind="organisation")],
            claims=[ClaimInput("wages", "2026年9月工资", Decimal("96000.00"))],
        ),
    )
    assert mediation_case.collective
    ids = [p["id"] for p in mediation_case.parties if p["role"] == "applicant"]
    elected = system.collective.elect_representatives(med.mediator, mediation_case.id, ids[1:4])
    fail_mediation(system, med, mediation_case.id)

    arbitration = apply(system, med.people.worker, mediation_case.id, med.people.org_id)

    # 法7: representatives are elected to take part in mediation and arbitration alike
    assert (arbitration.collective, arbitration.applicant_count) == (True, 12)
    carried = system.collective.status(med.people.clerk, arbitration.id).representatives
    assert [(r.name, r.recorded_by, r.recorded_at) for r in carried] == [
        (r.name, med.mediator.label, r.recorded_at) for r in elected.representatives
    ]
    new_ids = [p["id"] for p in arbitration.parties if p["role"] == "applicant"]
    assert [r.party_id for r in carried] == new_ids[1:4]
    assert process_data(system, db, arbitration.id)["collective"] is True  # never a sole arbitrator
    history = system.cases.history(med.people.clerk, arbitration.id)
    assert [
        e["after"]["names"] for e in history if e["action"] == "collective.representatives_carried_over"
    ] == [["工人2", "工人3", "工人4"]]
