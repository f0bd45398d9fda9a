"""Electronic labour contracts end to end on real components (dev PKI, our TSA, local store)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.contract_support import sample_clauses
from workflows import audit
from workflows.contract_clauses import CLAUSES, check_clauses
from workflows.contracts import ContractStateError
from workflows.db import Database
from workflows.deadline_service import DeadlineService
from workflows.errors import PermissionDeniedError, ValidationError
from workflows.minimum_wages import MinimumWages
from workflows.models import Case, LabourContract, LabourUseFiling, Timer
from workflows.runtime import utcnow
from workflows.worker import run_worker

from .contract_fixtures import (
    DESK,
    PHONE,
    WORKER_PHONE,
    Setup,
    build,
    conclude,
    draft,
    worker_proves_identity,
)


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(db, signing, local_store, tmp_path)


# -- mandatory clauses (劳动合同法 art.17) ------------------------------------------------------


@pytest.mark.parametrize("clause", CLAUSES, ids=lambda c: c.key)
def test_a_contract_lacking_a_mandatory_clause_is_refused_naming_it(clause: object) -> None:
    key = clause.key  # type: ignore[attr-defined]
    clauses = sample_clauses()
    del clauses[key]
    with pytest.raises(ValidationError) as caught:
        check_clauses(clauses)
    expected = f"缺少必备条款：{clause.citation}"  # type: ignore[attr-defined]
    assert expected in caught.value.message
    assert [(p.pointer, p.message) for p in caught.value.problems] == [(f"/clauses/{key}", expected)]


def test_the_pay_clause_is_named_with_its_item_of_article_17() -> None:
    clauses = sample_clauses()
    clauses["pay"] = {}
    with pytest.raises(ValidationError, match="缺少必备条款：劳动报酬（劳动合同法第十七条第一款第六项）"):
        check_clauses(clauses)


def test_probation_longer_than_the_term_allows_is_refused_art_19() -> None:
    clauses = sample_clauses()
    clauses["term"] = {
        "kind": "fixed",
        "start_date": "2027-01-01",
        "end_date": "2027-06-30",
        "probation_months": 2,
    }
    with pytest.raises(ValidationError) as caught:
        check_clauses(clauses)
    assert caught.value.problems[0].pointer == "/clauses/term/probation_months"
    assert "不得超过 1 个月" in caught.value.problems[0].message


def test_task_based_contracts_take_no_probation() -> None:
    clauses = sample_clauses()
    clauses["term"] = {
        "kind": "task",
        "start_date": "2027-01-01",
        "task_description": "某项目",
        "probation_months": 1,
    }
    with pytest.raises(ValidationError, match="不得约定试用期"):
        check_clauses(clauses)


def test_pay_below_the_local_minimum_wage_is_refused() -> None:
    clauses = sample_clauses()
    clauses["pay"]["monthly_amount"] = "2000"
    clauses["pay"]["probation_amount"] = "1900"
    with pytest.raises(ValidationError) as caught:
        check_clauses(clauses, wages=MinimumWages.load())
    pointers = {p.pointer for p in caught.value.problems}
    assert "/clauses/pay/monthly_amount" in pointers and "/clauses/pay/probation_amount" in pointers
    assert "低于当地月最低工资标准 2540.00 元" in caught.value.problems[0].message


def test_an_unknown_region_only_warns_that_the_minimum_wage_was_not_checked() -> None:
    clauses = sample_clauses()
    clauses["job"]["region_code"] = "650102"
    checked = check_clauses(clauses, wages=MinimumWages.load())
    assert checked.warnings and "650102" in checked.warnings[0]


def test_pay_must_be_paid_at_least_monthly() -> None:
    clauses = sample_clauses()
    clauses["pay"]["pay_period"] = "quarterly"
    with pytest.raises(ValidationError) as caught:
        check_clauses(clauses)
    assert caught.value.problems[0].pointer == "/clauses/pay/pay_period"


def test_the_service_refuses_a_draft_lacking_a_clause(setup: Setup) -> None:
    clauses = sample_clauses()
    del clauses["working_time"]
    with pytest.raises(ValidationError) as caught:
        setup.service.create_draft(
            setup.parties.agent,
            template_id=setup.template_id,
            worker_user_id=setup.parties.worker.user_id or 0,
            clauses=clauses,
            due_at=utcnow() + timedelta(days=3),
        )
    assert caught.value.problems[0].pointer == "/clauses/working_time"
    assert "工作时间和休息休假（劳动合同法第十七条第一款第五项）" in caught.value.message


# -- the flow -------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["worker_first", "employer_first"])
def test_full_flow_concludes_with_both_signatures_evidence_and_filing(
    setup: Setup, db: Database, signing: Signing, order: str
) -> None:
    svc, p = setup.service, setup.parties
    contract_id = draft(setup, order)
    preview = svc.preview(p.agent, contract_id)
    conclude(setup, contract_id, order)

    final = svc.download(p.worker, contract_id)
    assert final.startswith(preview)  # signatures are incremental updates of the previewed bytes
    report = signing.verifier.verify(final)
    assert report.valid, report
    signers = {s.field_name: (s.signer, s.organisation) for s in report.signatures}
    assert signers == {
        "WorkerSignature": ("王小明", None),
        "EmployerSeal": ("北京某某科技有限公司", "北京某某科技有限公司"),
    }
    assert all(s.timestamp is not None and s.level == "B-T" for s in report.signatures)
    assert signing.sealer.organisation not in {s.organisation for s in report.signatures}

    events = svc.events(contract_id)
    actions = [e.action.removeprefix("labour_contract.") for e in events]
    signing_steps = ["employer_sealed", "identity_verified", "worker_signed"]
    if order == "worker_first":
        signing_steps = ["identity_verified", "worker_signed", "employer_sealed"]
    assert actions == [
        "drafted",
        "sent",
        *signing_steps,
        "concluded",
        "certificate_issued",
        "labour_use_filed",
    ]
    by_action = {e.action.removeprefix("labour_contract."): e.after or {} for e in events}
    assert by_action["identity_verified"]["identity_method"] == "real_name+sms_code"
    assert by_action["identity_verified"]["client_ip"] == PHONE.ip
    assert by_action["worker_signed"]["user_agent"] == PHONE.user_agent
    assert by_action["employer_sealed"]["client_ip"] == DESK.ip
    assert by_action["concluded"]["document_sha256"] == __import__("hashlib").sha256(final).hexdigest()
    assert {e.chain for e in events} == {f"labour_contract:{contract_id}"}
    with db.transaction() as s:
        assert audit.verify(s) == []
        contract = s.get(LabourContract, contract_id)
        assert contract is not None and contract.state == "concluded"
        filing = s.execute(
            select(LabourUseFiling).where(LabourUseFiling.contract_id == contract_id)
        ).scalar_one()
        assert (filing.employer_id, filing.position, filing.term_kind) == (
            p.employer_id,
            "软件工程师",
            "fixed",
        )
        assert filing.resident_id_masked == "110101********1233"

    certificate = svc.certificate(p.worker, contract_id)
    assert certificate.startswith(b"%PDF-") and contract.certificate_sha256 is not None


def test_the_completion_certificate_lists_every_step_up_to_the_conclusion(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps of earlier transactions and of the concluding one (written with the same flush as
    the certificate's own record) alike."""
    rendered: list[dict[str, Any]] = []
    original = setup.service.renderer.render_certificate

    def spy(data: dict[str, Any]) -> bytes:
        rendered.append(data)
        return original(data)

    monkeypatch.setattr(setup.service.renderer, "render_certificate", spy)
    contract_id = draft(setup, "worker_first")
    conclude(setup, contract_id, "worker_first")
    [data] = rendered
    steps = [e["action"].removeprefix("labour_contract.") for e in data["events"]]
    assert steps == ["drafted", "sent", "identity_verified", "worker_signed", "employer_sealed", "concluded"]
    identity = data["events"][2]
    assert (identity["identity_method"], identity["client_ip"]) == ("real_name+sms_code", PHONE.ip)
    assert [s["field_name"] for s in data["signatures"]] == ["WorkerSignature", "EmployerSeal"]


def test_the_worker_cannot_sign_without_proving_identity(setup: Setup) -> None:
    contract_id = draft(setup)
    setup.service.send(setup.parties.agent, contract_id)
    with pytest.raises(PermissionDeniedError, match="核验身份"):
        setup.service.worker_sign(setup.parties.worker, contract_id, PHONE)


def test_a_wrong_code_is_refused_and_recorded_nowhere(setup: Setup) -> None:
    svc, p = setup.service, setup.parties
    contract_id = draft(setup)
    svc.send(p.agent, contract_id)
    svc.request_signing_code(p.worker, contract_id, PHONE)
    with pytest.raises(ValidationError) as caught:
        svc.verify_worker_identity(p.worker, contract_id, "000000" if True else "", PHONE)
    assert caught.value.problems[0].pointer == "/code"
    assert "labour_contract.identity_verified" not in [e.action for e in svc.events(contract_id)]


def test_in_employer_first_order_the_worker_waits_for_the_seal(setup: Setup) -> None:
    contract_id = draft(setup, "employer_first")
    setup.service.send(setup.parties.agent, contract_id)
    with pytest.raises(ContractStateError):
        setup.service.request_signing_code(setup.parties.worker, contract_id, PHONE)


def test_the_worker_declines_with_a_reason(setup: Setup) -> None:
    svc, p = setup.service, setup.parties
    contract_id = draft(setup)
    svc.send(p.agent, contract_id)
    with pytest.raises(ValidationError):
        svc.decline(p.worker, contract_id, "  ")
    svc.decline(p.worker, contract_id, "工资与面试时约定的不一致", PHONE)
    events = svc.events(contract_id)
    assert events[-1].action == "labour_contract.declined"
    assert (events[-1].after or {})["reason"] == "工资与面试时约定的不一致"
    assert (events[-1].after or {})["client_ip"] == PHONE.ip
    with pytest.raises(ContractStateError):
        svc.employer_seal(p.agent, contract_id)


def test_the_employer_voids_before_the_worker_signs_but_not_after(setup: Setup) -> None:
    svc, p = setup.service, setup.parties
    first = draft(setup)
    svc.send(p.agent, first)
    svc.void(p.agent, first, "岗位取消", DESK)
    assert svc.events(first)[-1].action == "labour_contract.voided"
    with pytest.raises(ContractStateError):
        svc.request_signing_code(p.worker, first, PHONE)

    second = draft(setup)
    svc.send(p.agent, second)
    worker_proves_identity(setup, second)
    svc.worker_sign(p.worker, second, PHONE)
    with pytest.raises(ContractStateError):
        svc.void(p.agent, second, "改变主意")


def test_open_contracts_expire_when_the_signing_deadline_timer_fires(setup: Setup, db: Database) -> None:
    svc, p = setup.service, setup.parties
    waiting, drafted = draft(setup), draft(setup)
    svc.send(p.agent, waiting)
    assert setup.timers.run_due(utcnow()) == 0  # nothing due yet
    later = utcnow() + timedelta(days=8)  # past the reminder and the deadline
    assert setup.timers.run_due(later) == 2
    with db.transaction() as s:
        states = {c.id: c.state for c in s.execute(select(LabourContract)).scalars()}
        case = s.get(Case, s.get(LabourContract, waiting).case_id)  # type: ignore[union-attr]
        assert case is not None and case.status == "closed" and case.closed_at is not None
    assert states == {waiting: "expired", drafted: "draft"}  # drafts are not sent: no timers
    actions = [e.action for e in svc.events(waiting)]
    assert actions[-2:] == ["labour_contract.reminded", "labour_contract.expired"]
    with pytest.raises(ContractStateError):
        svc.request_signing_code(p.worker, waiting, PHONE)


def test_the_worker_is_told_reminded_and_told_of_expiry_by_text(setup: Setup) -> None:
    svc, p = setup.service, setup.parties
    contract_id = draft(setup)
    svc.send(p.agent, contract_id)
    setup.timers.run_due(utcnow() + timedelta(days=8))
    assert setup.notifications.run_pending() == 3
    assert setup.notifications.run_pending() == 0  # each text once
    texts = [m.text for m in setup.outbox.messages() if m.phone == WORKER_PHONE]
    assert "签署不收取任何费用" in texts[0] and "下载" in texts[0]
    assert "尚未签署" in texts[1]
    assert "已超过签署期限" in texts[2]


def test_a_reminder_comes_a_day_before_the_deadline_and_not_after_signing(setup: Setup, db: Database) -> None:
    svc, p = setup.service, setup.parties
    contract_id = draft(setup)
    svc.send(p.agent, contract_id)
    with db.transaction() as s:
        timers = {t.name: t for t in s.execute(select(Timer)).scalars()}
    contract_due = utcnow() + timedelta(days=7)
    due = {name: timer.due_at.replace(tzinfo=timer.due_at.tzinfo or UTC) for name, timer in timers.items()}
    assert abs((due["签署提醒"] - (contract_due - timedelta(days=1))).total_seconds()) < 60
    assert abs((due["签署截止"] - contract_due).total_seconds()) < 60
    worker_proves_identity(setup, contract_id)
    svc.worker_sign(p.worker, contract_id, PHONE)
    with db.transaction() as s:
        reminder = select(Timer).where(Timer.task_id == timers["签署提醒"].task_id)
        states = {t.name: t.state for t in s.execute(reminder).scalars()}
    assert states == {"签署提醒": "cancelled"}


def test_other_employers_and_other_workers_are_refused(setup: Setup) -> None:
    svc, p = setup.service, setup.parties
    contract_id = draft(setup)
    with pytest.raises(PermissionDeniedError):
        svc.send(p.other_agent, contract_id)
    with pytest.raises(PermissionDeniedError):
        svc.preview(p.worker, contract_id)  # a draft is the employer's until sent
    svc.send(p.agent, contract_id)
    with pytest.raises(PermissionDeniedError):
        svc.request_signing_code(p.other_worker, contract_id, PHONE)
    with pytest.raises(PermissionDeniedError):
        svc.decline(p.other_worker, contract_id, "不是我的")
    with pytest.raises(PermissionDeniedError):
        svc.preview(p.other_agent, contract_id)
    with pytest.raises(PermissionDeniedError):
        svc.worker_sign(p.agent, contract_id)


def test_a_draft_for_another_workers_resident_id_is_refused(setup: Setup) -> None:
    clauses = sample_clauses()
    clauses["worker"]["resident_id"] = "110101198501010017"
    with pytest.raises(ValidationError) as caught:
        setup.service.create_draft(
            setup.parties.agent,
            template_id=setup.template_id,
            worker_user_id=setup.parties.worker.user_id or 0,
            clauses=clauses,
            due_at=utcnow() + timedelta(days=3),
        )
    assert caught.value.problems[0].pointer == "/clauses/worker/resident_id"


def test_the_worker_loop_expires_contracts_left_unsigned(setup: Setup, db: Database) -> None:
    svc, p = setup.service, setup.parties
    waiting = draft(setup)
    svc.send(p.agent, waiting)
    setup.timers.runtime.clock = lambda: utcnow() + timedelta(days=8)  # past the signing deadline
    calls = iter(range(2))
    run_worker(
        setup.timers,
        DeadlineService(db, clock=utcnow),
        poll_seconds=0,
        should_stop=lambda: next(calls, None) is None,
        notifications=setup.notifications,
    )
    with db.transaction() as s:
        contract = s.get(LabourContract, waiting)
        assert contract is not None and contract.state == "expired"
    assert "已超过签署期限" in setup.outbox.messages()[-1].text
