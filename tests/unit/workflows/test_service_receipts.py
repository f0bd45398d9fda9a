"""Electronic service (电子送达签收): a party signs for an issued document once; that is its service."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
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
from workflows.errors import ConflictError, NotFoundError, PermissionDeniedError
from workflows.issuing import IssuedDocumentView
from workflows.models import CaseParty, ServiceReceipt
from workflows.service_receipts import ServiceReceiptService

staff = arbitration.staff
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


@pytest.fixture
def pc(db: Database, tmp_path: Path, staff: Staff) -> PortalCase:
    return make_portal_case(db, tmp_path, staff)


def issued(pc: PortalCase, document_type: str) -> IssuedDocumentView:
    """Run the issuing outbox and return the case's document of that type."""
    assert pc.system.issuing is not None
    pc.system.issuing.run_pending()
    return next(
        d for d in pc.system.issuing.for_case(pc.clerk, pc.case_id) if d.document_type == document_type
    )


def accepted(pc: PortalCase) -> IssuedDocumentView:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")  # issues the 受理通知书
    return issued(pc, "acceptance_notice")


def receipts(db: Database) -> int:
    with db.transaction() as s:
        return s.execute(select(func.count()).select_from(ServiceReceipt)).scalar_one()


def test_party_signs_for_an_issued_document_recording_who_when_where_and_its_hash(
    pc: PortalCase, db: Database
) -> None:
    notice = accepted(pc)
    receipt = pc.system.service_receipts.acknowledge(
        pc.worker, pc.case_id, notice.id, client_ip="203.0.113.7", user_agent=BROWSER
    )
    assert (receipt.party_role, receipt.party_name, receipt.signed_by) == ("applicant", "张三", "worker1")
    assert (receipt.client_ip, receipt.user_agent) == ("203.0.113.7", BROWSER)
    assert receipt.document_sha256 == notice.sha256 and receipt.signed_at.tzinfo is not None
    event = [
        e for e in pc.system.cases.history(pc.clerk, pc.case_id) if e["action"] == "document.acknowledged"
    ]
    assert [(e["entity"], e["after"]["sha256"], e["after"]["party"]["role"]) for e in event] == [
        (f"document:{notice.id}", notice.sha256, "applicant")
    ]
    with db.transaction() as s:
        assert verify(s) == []


def test_signing_for_twice_returns_the_first_receipt_and_keeps_one_row(pc: PortalCase, db: Database) -> None:
    notice = accepted(pc)
    first = pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, notice.id, client_ip="203.0.113.7")
    again = pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, notice.id, client_ip="198.51.100.1")
    assert again == first and again.client_ip == "203.0.113.7"
    assert receipts(db) == 1
    acknowledged = [
        e for e in pc.system.cases.history(pc.clerk, pc.case_id) if e["action"] == "document.acknowledged"
    ]
    assert len(acknowledged) == 1


def test_signing_for_at_the_same_moment_gives_one_receipt(pc: PortalCase, db: Database) -> None:
    notice = accepted(pc)
    results: list[object] = []

    def sign() -> None:
        try:
            results.append(pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, notice.id).id)
        except Exception as exc:  # pragma: no cover - reported below
            results.append(exc)

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and all(isinstance(r, int) for r in results), results
    assert receipts(db) == 1


def test_the_database_refuses_a_second_receipt_for_the_same_document_and_party(
    pc: PortalCase, db: Database
) -> None:
    notice = accepted(pc)
    pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, notice.id)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        row = conn.execute(select(ServiceReceipt.__table__)).mappings().one()
        conn.execute(ServiceReceipt.__table__.insert(), [{k: v for k, v in row.items() if k != "id"}])


def test_day_of_service_is_the_commissions_calendar_day(pc: PortalCase, db: Database) -> None:
    notice = accepted(pc)
    late_evening_utc = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 December in Beijing
    service = ServiceReceiptService(db, lambda: late_evening_utc, timezone="Asia/Shanghai")
    receipt = service.acknowledge(pc.worker, pc.case_id, notice.id)
    assert receipt.served_on == date(2026, 12, 2)  # periods run from the next day, 3 December


def test_acceptance_notice_is_served_on_the_applicant_only(pc: PortalCase) -> None:
    notice = accepted(pc)
    with pytest.raises(PermissionDeniedError):
        pc.system.service_receipts.acknowledge(pc.agent, pc.case_id, notice.id)
    [agent_view] = pc.system.service_receipts.for_case(pc.agent, pc.case_id)
    assert agent_view.document_id == notice.id and agent_view.recipients == ()


def test_staff_see_every_party_a_party_only_itself(pc: PortalCase) -> None:
    drive_to(pc.system, pc.staff, pc.case_id, "notify_hearing")
    tribunal = issued(pc, "form_tribunal_notice")
    pc.system.service_receipts.acknowledge(pc.agent, pc.case_id, tribunal.id)

    by_document = {d.document_id: d for d in pc.system.service_receipts.for_case(pc.clerk, pc.case_id)}
    signed = {r.role: r.receipt is not None for r in by_document[tribunal.id].recipients}
    assert signed == {"applicant": False, "respondent": True}
    [mine] = [
        d for d in pc.system.service_receipts.for_case(pc.worker, pc.case_id) if d.document_id == tribunal.id
    ]
    assert [(r.role, r.receipt) for r in mine.recipients] == [("applicant", None)]


def test_strangers_and_staff_cannot_sign_for_a_document(pc: PortalCase) -> None:
    notice = accepted(pc)
    with pytest.raises(CaseAccessDeniedError):
        pc.system.service_receipts.acknowledge(pc.other_worker, pc.case_id, notice.id)
    with pytest.raises(CaseAccessDeniedError):
        pc.system.service_receipts.for_case(pc.other_worker, pc.case_id)
    with pytest.raises(PermissionDeniedError):  # staff serve; they do not sign for parties
        pc.system.service_receipts.acknowledge(pc.clerk, pc.case_id, notice.id)
    other_case = arbitration.open_arbitration(pc.system, pc.staff)  # worker1's other case
    with pytest.raises(NotFoundError):  # a document is signed for under its own case only
        pc.system.service_receipts.acknowledge(pc.worker, other_case, notice.id)


def test_a_pending_document_cannot_be_signed_for(pc: PortalCase) -> None:
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")  # requested, not yet issued
    assert pc.system.issuing is not None
    [pending] = pc.system.issuing.for_case(pc.clerk, pc.case_id)
    assert pending.state == "pending"
    with pytest.raises(NotFoundError):
        pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, pending.id)


def test_a_revoked_document_cannot_be_signed_for_but_an_earlier_receipt_stands(
    pc: PortalCase, db: Database
) -> None:
    drive_to(pc.system, pc.staff, pc.case_id, "notify_hearing")
    tribunal = issued(pc, "form_tribunal_notice")
    first = pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, tribunal.id)
    assert pc.system.issuing is not None
    pc.system.issuing.revoke(pc.clerk, tribunal.id, "组庭人员变更")
    with pytest.raises(ConflictError):
        pc.system.service_receipts.acknowledge(pc.agent, pc.case_id, tribunal.id)
    assert pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, tribunal.id) == first
    assert receipts(db) == 1


def test_an_agent_on_record_signs_for_the_party_it_represents(pc: PortalCase, db: Database) -> None:
    notice = accepted(pc)
    with db.transaction() as s:
        applicant = s.execute(
            select(CaseParty).where(CaseParty.case_id == pc.case_id, CaseParty.role == "applicant")
        ).scalar_one()
        s.add(
            CaseParty(
                case_id=pc.case_id,
                role="agent",
                user_id=pc.other_worker.user_id,
                represents_party_id=applicant.id,
                name="李代理",
            )
        )
    by_agent = pc.system.service_receipts.acknowledge(pc.other_worker, pc.case_id, notice.id)
    assert (by_agent.party_role, by_agent.party_name, by_agent.signed_by) == ("applicant", "张三", "worker2")
    assert pc.system.service_receipts.acknowledge(pc.worker, pc.case_id, notice.id) == by_agent
    assert receipts(db) == 1
