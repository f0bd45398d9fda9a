"""A party of a failed (or unperformed) mediation applies for arbitration (法14, 法15).

The arbitration case carries the mediation's parties and claims over and is linked to it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.functional import test_mediation_process as mediation
from tests.functional.test_mediation_process import BPMN_DIR, Mediation, complete
from tests.support import fixture_system
from workflows.access import CaseAccessDeniedError
from workflows.audit import Actor, verify
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.continuation import ArbitrationApplication
from workflows.db import Database
from workflows.errors import ConflictError, PermissionDeniedError, ValidationError
from workflows.models import CaseLink, Deadline, Organisation
from workflows.system import System

med = mediation.med  # the mediation bodies, their mediators and tests.support's people


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)


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
