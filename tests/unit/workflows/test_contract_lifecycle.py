"""A concluded labour contract's lifecycle on real components (dev PKI, our TSA, local store):
amendment (art.35), termination by agreement (art.36) or the employer's certificate (art.50),
renewal (arts.14/44) and free stamped paper copies (指引 §7), each with its audit trail."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import func, select, update

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from workflows import audit
from workflows.contract_lifecycle import LifecycleService, effective_clauses
from workflows.contracts import ContractStateError
from workflows.db import Database
from workflows.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import (
    LabourContract,
    LabourContractPaperCopy,
    LabourUseFiling,
    PhoneChallenge,
    StoredFile,
)
from workflows.ports import Bucket
from workflows.runtime import utcnow

from .contract_fixtures import DESK, PHONE, Setup, build, draft, worker_proves_identity
from .contract_fixtures import conclude as conclude_once

OPEN_ENDED = {"kind": "open_ended", "start_date": "2027-01-01", "probation_months": 2}


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(db, signing, local_store, tmp_path)


@pytest.fixture
def life(setup: Setup) -> LifecycleService:
    return LifecycleService(setup.service)


def conclude(setup: Setup, contract_id: int, order: str) -> None:
    """Sign and seal; the worker's earlier SMS codes moved back an hour (one code a minute per phone)."""
    with setup.service.db.transaction() as s:
        s.execute(update(PhoneChallenge).values(created_at=PhoneChallenge.created_at - timedelta(hours=2)))
    conclude_once(setup, contract_id, order)


def concluded(setup: Setup, order: str = "worker_first", **changes: object) -> int:
    contract_id = draft(setup, order, **changes)
    conclude(setup, contract_id, order)
    return contract_id


def due() -> datetime:
    return utcnow() + timedelta(days=7)


def actions(setup: Setup, contract_id: int) -> list[str]:
    return [e.action.removeprefix("labour_contract.") for e in setup.service.events(contract_id)]


def row(db: Database, contract_id: int) -> LabourContract:
    with db.transaction() as s:
        found = s.get(LabourContract, contract_id)
        assert found is not None
        s.expunge(found)
        return found


def pdf_text(pdf: bytes) -> str:
    """The text of the pages (poppler's pdftotext; pages separated by form feeds)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def amend(
    life: LifecycleService, setup: Setup, contract_id: int, order: str = "worker_first", **changes: object
) -> int:
    return life.draft_amendment(
        setup.parties.agent,
        contract_id,
        changes=changes or {"pay": {"monthly_amount": "12500"}},
        effective_on=date(2027, 7, 1),
        due_at=due(),
        signing_order=order,
        client=DESK,
    ).contract_id


# -- amendment (劳动合同法 art.35) ---------------------------------------------------------------


@pytest.mark.parametrize("order", ["worker_first", "employer_first"])
def test_an_amendment_is_signed_by_both_in_either_order_and_changes_the_current_terms(
    setup: Setup, life: LifecycleService, db: Database, signing: Signing, order: str
) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    amendment_id = amend(
        life, setup, contract_id, order, pay={"monthly_amount": "12500"}, job={"position": "高级软件工程师"}
    )
    preview = setup.service.preview(p.agent, amendment_id)
    text = pdf_text(preview)
    assert "劳动合同变更协议书" in text and "变更前" in text and "变更后" in text
    assert "高级软件工程师" in text and "12,500.00" in text and "12,000.00" in text
    conclude(setup, amendment_id, order)

    amendment, original = row(db, amendment_id), row(db, contract_id)
    assert (amendment.kind, amendment.original_id, amendment.state) == ("amendment", contract_id, "concluded")
    assert amendment.contract_number != original.contract_number
    assert amendment.verification_code != original.verification_code
    assert amendment.clauses["amendment"]["changed"] == ["job", "pay"]
    assert original.clauses["pay"]["monthly_amount"] == "12000.00"  # the original text stays as signed
    with db.transaction() as s:
        terms = effective_clauses(s, contract_id)
        assert terms == effective_clauses(s, amendment_id)  # the amendment's id names the same contract
        filings = s.execute(select(func.count()).select_from(LabourUseFiling)).scalar_one()
        assert audit.verify(s) == []
    assert terms["pay"]["monthly_amount"] == "12500.00" and terms["job"]["position"] == "高级软件工程师"
    assert terms["term"] == original.clauses["term"] and "amendment" not in terms
    assert life.current_terms(p.worker, contract_id) == terms
    assert filings == 1  # the contract's only: an amendment is not a new filing

    report = signing.verifier.verify(setup.service.download(p.worker, amendment_id))
    assert report.valid and {s.field_name for s in report.signatures} == {"WorkerSignature", "EmployerSeal"}
    assert all(s.timestamp is not None for s in report.signatures)
    steps = ["identity_verified", "worker_signed", "employer_sealed"]
    if order == "employer_first":
        steps = ["employer_sealed", "identity_verified", "worker_signed"]
    assert actions(setup, amendment_id) == ["drafted", "sent", *steps, "concluded", "certificate_issued"]
    drafted = setup.service.events(amendment_id)[0].after or {}
    assert drafted["kind"] == "amendment" and drafted["original_id"] == contract_id
    original_steps = actions(setup, contract_id)
    assert original_steps[-2:] == ["amendment_drafted", "amended"]
    amended = setup.service.events(contract_id)[-1].after or {}
    assert amended["document_id"] == amendment_id and amended["changed"] == ["job", "pay"]
    assert amended["effective_on"] == "2027-07-01"

    links = life.links(p.worker, contract_id)
    assert [(d.id, d.kind, d.state) for d in links.documents] == [(amendment_id, "amendment", "concluded")]
    assert life.links(p.agent, amendment_id).original is not None
    assert life.links(p.agent, amendment_id).original.id == contract_id  # type: ignore[union-attr]


def test_amendments_apply_in_order_of_conclusion(setup: Setup, life: LifecycleService, db: Database) -> None:
    contract_id = concluded(setup)
    first = amend(life, setup, contract_id, pay={"monthly_amount": "12400"})
    conclude(setup, first, "worker_first")
    second = amend(life, setup, contract_id, pay={"payday": 15}, job={"place": "北京市朝阳区"})
    with db.transaction() as s:
        assert effective_clauses(s, contract_id)["job"]["place"] == "北京市海淀区"  # not concluded yet
    conclude(setup, second, "worker_first")
    with db.transaction() as s:
        terms = effective_clauses(s, contract_id)
    assert (terms["pay"]["monthly_amount"], terms["pay"]["payday"], terms["job"]["place"]) == (
        "12400.00",
        15,
        "北京市朝阳区",
    )
    assert row(db, second).clauses["amendment"]["before"]["pay"]["monthly_amount"] == "12400.00"


@pytest.mark.parametrize("clause", ["job", "pay", "working_time"])
def test_an_amendment_cannot_drop_a_mandatory_clause(
    setup: Setup, life: LifecycleService, db: Database, clause: str
) -> None:
    contract_id = concluded(setup)
    with pytest.raises(ValidationError) as caught:
        amend(life, setup, contract_id, **{clause: None})
    assert [p.pointer for p in caught.value.problems] == [f"/clauses/{clause}"]
    assert "缺少必备条款" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        amend(life, setup, contract_id, job={"position": ""})  # a required field blanked
    assert [p.pointer for p in caught.value.problems] == ["/clauses/job/position"]
    with db.transaction() as s:
        assert (
            s.execute(select(LabourContract.id).where(LabourContract.original_id == contract_id)).first()
            is None
        )


def test_an_amendment_cannot_pay_below_the_minimum_wage_or_change_who_the_parties_are(
    setup: Setup, life: LifecycleService
) -> None:
    contract_id = concluded(setup)
    with pytest.raises(ValidationError) as caught:
        amend(life, setup, contract_id, pay={"monthly_amount": "1000"})
    assert caught.value.problems[0].pointer == "/clauses/pay/monthly_amount"
    assert "最低工资" in caught.value.problems[0].message
    with pytest.raises(ValidationError) as caught:
        amend(life, setup, contract_id, worker={"name": "张三"}, employer={"uscc": "X"})
    assert {p.pointer for p in caught.value.problems} == {"/clauses/worker/name", "/clauses/employer/uscc"}
    with pytest.raises(ValidationError) as caught:
        amend(life, setup, contract_id, pay={"monthly_amount": "12000"})  # the same as now
    assert caught.value.problems[0].pointer == "/clauses"
    with pytest.raises(ValidationError) as caught:
        life.draft_amendment(
            setup.parties.agent, contract_id, changes={"pay": {"payday": 20}}, effective_on=date(2026, 1, 1),
            due_at=due(),
        )  # fmt: skip
    assert caught.value.problems[0].pointer == "/effective_on"


def test_only_a_concluded_contract_can_be_amended_and_one_change_at_a_time(
    setup: Setup, life: LifecycleService
) -> None:
    open_contract = draft(setup)
    with pytest.raises(ConflictError, match="尚未订立"):
        amend(life, setup, open_contract)
    contract_id = concluded(setup)
    first = amend(life, setup, contract_id)
    with pytest.raises(ConflictError, match="尚未办结"):
        amend(life, setup, contract_id, pay={"payday": 20})
    with pytest.raises(ConflictError, match="尚未办结"):
        life.draft_termination(
            setup.parties.agent, contract_id, mode="agreement", ended_on=date(2027, 6, 30), reason="协商一致",
            due_at=due(),
        )  # fmt: skip
    with pytest.raises(ConflictError):
        amend(life, setup, first)  # an amendment is not itself amended
    setup.service.void(setup.parties.agent, first, "改为下月再议", DESK)
    assert amend(life, setup, contract_id, pay={"payday": 20}) > first


# -- termination (arts.36-41, 44, 50) ---------------------------------------------------------


def test_termination_by_agreement_is_signed_by_both_and_ends_the_contract(
    setup: Setup, life: LifecycleService, db: Database, signing: Signing
) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    termination_id = life.draft_termination(
        p.agent, contract_id, mode="agreement", ended_on=date(2027, 6, 30),
        reason="乙方另有发展，双方协商一致", compensation="6000", handover="7 月 1 日前交接在研项目文档",
        due_at=due(), signing_order="employer_first", client=DESK,
    ).contract_id  # fmt: skip
    text = pdf_text(setup.service.preview(p.agent, termination_id))
    assert "解除劳动合同协议书" in text and "第三十六条" in text and "6,000.00" in text
    assert row(db, contract_id).ended_on is None  # not before both have signed
    conclude(setup, termination_id, "employer_first")

    original, termination = row(db, contract_id), row(db, termination_id)
    assert (original.ended_on, original.ended_by_id) == (date(2027, 6, 30), termination_id)
    assert (termination.kind, termination.original_id, termination.signing_order) == (
        "termination",
        contract_id,
        "employer_first",
    )
    assert termination.clauses["termination"]["compensation"] == "6000.00"
    report = signing.verifier.verify(setup.service.download(p.worker, termination_id))
    assert report.valid and len(report.signatures) == 2
    assert actions(setup, contract_id)[-3:] == ["termination_drafted", "ended", "retention_updated"]
    ended = setup.service.events(contract_id)[-2].after or {}
    assert (
        ended["ended_on"] == "2027-06-30" and ended["legal_basis"] == "art36" and ended["mode"] == "agreement"
    )
    links = life.links(p.agent, contract_id)
    assert links.ended_on == date(2027, 6, 30) and links.ended_by is not None
    assert links.ended_by.id == termination_id and not links.may_change


def test_the_employer_certificate_is_sealed_by_the_employer_alone_and_releases_the_legal_hold(
    setup: Setup,
    life: LifecycleService,
    db: Database,
    signing: Signing,
    local_store: LocalFolderDocumentStore,
) -> None:
    p = setup.parties
    contract_id = concluded(setup, term=OPEN_ENDED)  # open-ended: archived under legal hold
    with db.transaction() as s:
        contract = s.get(LabourContract, contract_id)
        assert contract is not None
        files = [s.get(StoredFile, i) for i in (contract.final_file_id, contract.certificate_file_id)]
        keys = [(f.object_key, f.version_id) for f in files if f is not None]
    assert all(local_store.stat(Bucket.ARCHIVE, k, v).legal_hold for k, v in keys)

    with pytest.raises(ValidationError) as caught:
        life.draft_termination(
            p.agent, contract_id, mode="certificate", legal_basis="art99", ended_on=date(2027, 9, 30),
            reason="", compensation="-1", due_at=due(),
        )  # fmt: skip
    assert {x.pointer for x in caught.value.problems} == {"/legal_basis", "/reason", "/compensation"}
    certificate_id = life.draft_termination(
        p.agent, contract_id, mode="certificate", legal_basis="art40", ended_on=date(2027, 9, 30),
        reason="乙方不能胜任工作，经培训仍不能胜任", compensation="18000", handover="已交接", due_at=due(),
        client=DESK,
    ).contract_id  # fmt: skip
    assert row(db, certificate_id).signing_order == "employer_only"
    text = pdf_text(setup.service.preview(p.agent, certificate_id))
    assert "解除（终止）劳动合同证明" in text and "第四十条" in text
    assert life.issue_certificate(p.agent, certificate_id, DESK) == "concluded"
    with pytest.raises(ContractStateError):
        worker_proves_identity(setup, certificate_id)  # nothing for the worker to sign

    final = setup.service.download(p.worker, certificate_id)  # the worker can download it
    report = signing.verifier.verify(final)
    assert report.valid and [s.field_name for s in report.signatures] == ["EmployerSeal"]
    assert report.signatures[0].timestamp is not None
    original = row(db, contract_id)
    assert (original.ended_on, original.ended_by_id) == (date(2027, 9, 30), certificate_id)
    assert "worker_notified" in actions(setup, certificate_id)
    assert "labour_use_filed" not in actions(setup, certificate_id)
    for key, version in keys:  # art.50 para.3: two years after the last day, no longer on hold
        stat = local_store.stat(Bucket.ARCHIVE, key, version)
        assert not stat.legal_hold
        assert stat.retain_until is not None and stat.retain_until.date() >= date(2029, 9, 30)
    updated = setup.service.events(contract_id)[-1].after or {}
    assert updated["legal_hold"] is False
    assert len(updated["files"]) == 4  # the contract's two and the certificate's two
    with db.transaction() as s:
        assert audit.verify(s) == []


def test_an_ended_contract_refuses_amendment_termination_and_renewal(
    setup: Setup, life: LifecycleService
) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    certificate_id = life.draft_termination(
        p.agent, contract_id, mode="certificate", legal_basis="art37", ended_on=date(2027, 3, 31),
        reason="乙方提前三十日书面通知辞职", due_at=due(),
    ).contract_id  # fmt: skip
    life.issue_certificate(p.agent, certificate_id)
    with pytest.raises(ConflictError, match="已于 2027-03-31 解除或者终止"):
        amend(life, setup, contract_id)
    with pytest.raises(ConflictError, match="已出具证明"):
        life.draft_termination(
            p.agent, contract_id, mode="certificate", legal_basis="art37", ended_on=date(2027, 3, 31),
            reason="再次出具", due_at=due(),
        )  # fmt: skip
    with pytest.raises(ConflictError):
        life.draft_termination(
            p.agent, contract_id, mode="agreement", ended_on=date(2027, 3, 31), reason="协商",
            due_at=due(),
        )  # fmt: skip
    with pytest.raises(ConflictError, match="不能续订"):
        life.draft_renewal(
            p.agent, contract_id, due_at=due(),
            term={"kind": "fixed", "start_date": "2030-01-01", "end_date": "2032-12-31"},
        )  # fmt: skip
    assert not life.links(p.agent, contract_id).may_change


def test_a_certificate_follows_a_termination_agreement_on_the_same_last_day(
    setup: Setup, life: LifecycleService, db: Database
) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    agreement = life.draft_termination(
        p.agent, contract_id, mode="agreement", ended_on=date(2027, 6, 30), reason="协商一致",
        due_at=due(),
    ).contract_id  # fmt: skip
    conclude(setup, agreement, "worker_first")
    with pytest.raises(ValidationError) as caught:
        life.draft_termination(
            p.agent, contract_id, mode="certificate", legal_basis="art36", ended_on=date(2027, 7, 31),
            reason="协商一致解除", due_at=due(),
        )  # fmt: skip
    assert caught.value.problems[0].pointer == "/ended_on"
    certificate = life.draft_termination(
        p.agent, contract_id, mode="certificate", legal_basis="art36", ended_on=date(2027, 6, 30),
        reason="协商一致解除", due_at=due(),
    ).contract_id  # fmt: skip
    assert life.issue_certificate(p.agent, certificate) == "concluded"
    assert row(db, contract_id).ended_by_id == agreement  # ended by the agreement; the certificate attests it
    assert row(db, certificate).clauses["termination"]["follows"] == row(db, agreement).contract_number


# -- renewal (arts.14, 44) --------------------------------------------------------------------


def test_a_renewal_is_a_new_contract_with_a_new_term_and_its_own_filing(
    setup: Setup, life: LifecycleService, db: Database
) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    raise_first = amend(life, setup, contract_id, pay={"monthly_amount": "12300"})
    conclude(setup, raise_first, "worker_first")
    with pytest.raises(ValidationError) as caught:
        life.draft_renewal(
            p.agent, contract_id, due_at=due(),
            term={"kind": "fixed", "start_date": "2029-06-01", "end_date": "2032-12-31"},
        )  # fmt: skip
    assert caught.value.problems[0].pointer == "/clauses/term/start_date"
    renewal_id = life.draft_renewal(
        p.agent, contract_id, term={"kind": "fixed", "start_date": "2030-01-01", "end_date": "2032-12-31"},
        due_at=due(), client=DESK,
    ).contract_id  # fmt: skip
    with pytest.raises(ConflictError, match="续订"):
        life.draft_renewal(
            p.agent, contract_id, term={"kind": "open_ended", "start_date": "2030-01-01"},
            due_at=due(),
        )  # fmt: skip
    conclude(setup, renewal_id, "worker_first")

    renewal = row(db, renewal_id)
    assert (renewal.kind, renewal.original_id, renewal.state) == ("renewal", contract_id, "concluded")
    assert (renewal.starts_on, renewal.ends_on) == (date(2030, 1, 1), date(2032, 12, 31))
    assert renewal.clauses["term"]["probation_months"] == 0  # art.19: one probation per employer
    assert renewal.clauses["pay"]["monthly_amount"] == "12300.00"  # the current terms, amendments applied
    assert renewal.clauses["other_terms"][0].startswith(
        f"本合同为第 {row(db, contract_id).contract_number} 号"
    )
    assert actions(setup, renewal_id)[-1] == "labour_use_filed"
    assert "renewal_drafted" in actions(setup, contract_id)
    with db.transaction() as s:
        filing = s.execute(
            select(LabourUseFiling).where(LabourUseFiling.contract_id == renewal_id)
        ).scalar_one()
    assert (filing.starts_on, filing.ends_on) == (date(2030, 1, 1), date(2032, 12, 31))
    assert [d.kind for d in life.links(p.agent, contract_id).documents] == ["amendment", "renewal"]
    assert life.links(p.agent, renewal_id).may_change  # the renewal is a contract of its own


# -- paper copies (指引 §7) -------------------------------------------------------------------


def test_a_paper_copy_is_requested_printed_and_handed_over_each_step_on_the_audit_chain(
    setup: Setup, life: LifecycleService, db: Database
) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    with pytest.raises(ValidationError) as caught:
        life.request_paper_copy(p.worker, contract_id, delivery="mail", address="  ")
    assert [x.pointer for x in caught.value.problems] == ["/address"]
    with pytest.raises(ValidationError) as caught:
        life.request_paper_copy(p.worker, contract_id, delivery="fax")
    assert caught.value.problems[0].pointer == "/delivery"
    request_id = life.request_paper_copy(
        p.worker,
        contract_id,
        delivery="mail",
        address="北京市朝阳区某某路2号 王小明 13800138000",
        client=PHONE,
    )
    with pytest.raises(ConflictError, match="尚未交付"):
        life.request_paper_copy(p.worker, contract_id, delivery="pickup")
    assert not life.links(p.worker, contract_id).may_request_paper_copy

    listed = life.paper_copies(p.agent)
    assert [(c.id, c.contract_id, c.state, c.delivery) for c in listed] == [
        (request_id, contract_id, "requested", "mail")
    ]
    assert life.paper_copies(p.other_agent) == []
    name, pdf = life.print_file(p.agent, request_id)
    final = setup.service.download(p.agent, contract_id)
    with pikepdf.open(io.BytesIO(pdf)) as printed, pikepdf.open(io.BytesIO(final)) as original:
        assert len(printed.pages) == len(original.pages) + 1
    cover = pdf_text(pdf).split("\f")[0]
    assert "电子劳动合同纸质文本" in cover and "免费提供" in cover
    assert row(db, contract_id).contract_number in cover and row(db, contract_id).verification_code in cover
    assert name.endswith("-paper-copy.pdf")

    with pytest.raises(ConflictError):
        life.mark_handed_over(p.agent, request_id)  # not printed yet
    life.mark_printed(p.agent, request_id, DESK)
    with pytest.raises(ConflictError):
        life.mark_printed(p.agent, request_id, DESK)
    life.mark_handed_over(p.agent, request_id, "EMS 1234567890", DESK)
    assert life.paper_copies(p.agent) == []
    assert [c.state for c in life.paper_copies(p.agent, open_only=False)] == ["handed_over"]
    with db.transaction() as s:
        copy_row = s.get(LabourContractPaperCopy, request_id)
        assert copy_row is not None
        assert (copy_row.state, copy_row.printed_by, copy_row.note) == (
            "handed_over",
            p.agent.user_id,
            "EMS 1234567890",
        )
        assert copy_row.printed_at is not None and copy_row.handed_over_at is not None
        assert audit.verify(s) == []
    assert actions(setup, contract_id)[-3:] == [
        "paper_copy_requested",
        "paper_copy_printed",
        "paper_copy_handed_over",
    ]
    events = setup.service.events(contract_id)
    assert (events[-3].after or {})["client_ip"] == PHONE.ip and events[-3].actor_id == p.worker.user_id
    assert (events[-1].after or {})["note"] == "EMS 1234567890"
    # a new request once the last one is done; the worker may withdraw it before printing
    again = life.request_paper_copy(p.worker, contract_id, delivery="pickup")
    life.cancel_paper_copy(p.worker, again)
    assert actions(setup, contract_id)[-1] == "paper_copy_cancelled"


def test_a_paper_copy_is_only_for_a_concluded_document(setup: Setup, life: LifecycleService) -> None:
    contract_id = draft(setup)
    setup.service.send(setup.parties.agent, contract_id)
    with pytest.raises(ConflictError, match="已订立"):
        life.request_paper_copy(setup.parties.worker, contract_id, delivery="pickup")


# -- access -----------------------------------------------------------------------------------


def test_another_employer_and_another_worker_are_refused(setup: Setup, life: LifecycleService) -> None:
    p = setup.parties
    contract_id = concluded(setup)
    term = {"kind": "fixed", "start_date": "2030-01-01", "end_date": "2032-12-31"}
    with pytest.raises(NotFoundError):
        life.draft_amendment(
            p.other_agent, contract_id, changes={"pay": {"payday": 20}}, effective_on=date(2027, 7, 1),
            due_at=due(),
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        life.draft_termination(
            p.other_agent, contract_id, mode="agreement", ended_on=date(2027, 6, 30), reason="x",
            due_at=due(),
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        life.draft_renewal(p.other_agent, contract_id, term=term, due_at=due())
    with pytest.raises(PermissionDeniedError):  # a worker does not draft changes
        life.draft_renewal(p.worker, contract_id, term=term, due_at=due())
    with pytest.raises(NotFoundError):
        life.links(p.other_worker, contract_id)
    with pytest.raises(NotFoundError):
        life.current_terms(p.other_agent, contract_id)
    with pytest.raises(PermissionDeniedError):
        life.request_paper_copy(p.other_worker, contract_id, delivery="pickup")
    with pytest.raises(PermissionDeniedError):
        life.request_paper_copy(p.agent, contract_id, delivery="pickup")  # the worker asks, not the employer

    request_id = life.request_paper_copy(p.worker, contract_id, delivery="pickup")
    for step in (
        lambda: life.print_file(p.other_agent, request_id),
        lambda: life.mark_printed(p.other_agent, request_id),
        lambda: life.mark_printed(p.worker, request_id),
        lambda: life.cancel_paper_copy(p.other_worker, request_id),
    ):
        with pytest.raises(NotFoundError):
            step()
    with pytest.raises(NotFoundError):
        life.paper_copies_of(p.other_worker, contract_id)
    with pytest.raises(PermissionDeniedError):
        life.paper_copies(p.worker)
    certificate = life.draft_termination(
        p.agent, contract_id, mode="certificate", legal_basis="art44", ended_on=date(2029, 12, 31),
        reason="合同期满", due_at=due(),
    ).contract_id  # fmt: skip
    with pytest.raises(NotFoundError):
        life.issue_certificate(p.other_agent, certificate)
    with pytest.raises(NotFoundError):
        life.links(p.worker, certificate)  # a draft is not the worker's yet
