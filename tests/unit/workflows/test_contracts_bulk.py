"""Bulk sending of labour contracts, and the signing credentials kept per signer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.contract_support import sample_clauses
from workflows.contracts import BulkRow, ContractService
from workflows.db import Database
from workflows.models import AuditEvent, LabourContract
from workflows.ports import WORKER_SIGNATURE_FIELD, PersonalSigner
from workflows.runtime import utcnow

from .contract_fixtures import DESK, Setup, build, conclude


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(db, signing, local_store, tmp_path)


def test_send_bulk_sends_every_valid_row_and_refuses_a_bad_one_whole(setup: Setup, db: Database) -> None:
    worker = setup.parties.worker.user_id or 0
    due = utcnow() + timedelta(days=7)
    lacking = sample_clauses()
    del lacking["pay"]
    rows = [
        BulkRow(setup.template_id, worker, sample_clauses(), due),
        BulkRow(setup.template_id, worker, lacking, due),
        BulkRow(setup.template_id, worker, sample_clauses(), due - timedelta(days=30)),
        BulkRow(setup.template_id, worker, sample_clauses(), due, signing_order="employer_first"),
    ]
    seen: list[tuple[int, int]] = []
    results = setup.service.send_bulk(
        setup.parties.agent,
        rows,
        client=DESK,
        batch_size=3,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert [r.row for r in results] == [0, 1, 2, 3]
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].problems[0].pointer == "/rows/1/clauses/pay"
    assert results[2].problems[0].pointer == "/rows/2/due_at"
    assert seen == [(3, 4), (4, 4)]
    with db.transaction() as s:
        contracts = list(s.execute(select(LabourContract).order_by(LabourContract.id)).scalars())
        assert [c.state for c in contracts] == ["sent", "sent"]  # nothing of the refused rows
        assert [c.signing_order for c in contracts] == ["worker_first", "employer_first"]
        actions = s.execute(
            select(AuditEvent.action).where(AuditEvent.chain.like("labour_contract:%"))
        ).scalars()
        assert sorted(actions) == ["labour_contract.drafted"] * 2 + ["labour_contract.sent"] * 2
    # a bulk-sent contract concludes like any other
    conclude_sent(setup, results[0].drafted.contract_id if results[0].drafted else 0)


def conclude_sent(setup: Setup, contract_id: int) -> None:
    from .contract_fixtures import worker_proves_identity

    svc, p = setup.service, setup.parties
    worker_proves_identity(setup, contract_id)
    assert svc.worker_sign(p.worker, contract_id) == "worker_signed"
    assert svc.employer_seal(p.agent, contract_id) == "concluded"


def test_send_bulk_refuses_a_template_of_another_employer_per_row(setup: Setup, db: Database) -> None:
    other_template = setup.service.adopt_model_template(setup.parties.other_agent)
    rows = [
        BulkRow(
            other_template, setup.parties.worker.user_id or 0, sample_clauses(), utcnow() + timedelta(days=1)
        )
    ]
    [result] = setup.service.send_bulk(setup.parties.agent, rows)
    assert not result.ok and "template" in (result.error or "")
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(LabourContract)).scalar_one() == 0


def test_signing_credentials_are_kept_but_never_past_revocation(setup: Setup, signing: Signing) -> None:
    contract_a = setup.service.create_draft(
        setup.parties.agent, template_id=setup.template_id, worker_user_id=setup.parties.worker.user_id or 0,
        clauses=sample_clauses(), due_at=utcnow() + timedelta(days=7),
    ).contract_id  # fmt: skip
    conclude(setup, contract_a, "worker_first")
    key = f"user:{setup.parties.worker.user_id}"
    first = signing.pki.user_credentials(key)
    assert first is not None
    service: ContractService = setup.service
    signer = service.signer
    person = PersonalSigner(key, "王小明", "110101199003071233")
    pdf = service.preview(setup.parties.agent, contract_a)
    signer.sign_personally(pdf, person, WORKER_SIGNATURE_FIELD)  # kept: no new certificate
    again = signing.pki.user_credentials(key)
    assert again is not None and again.serial_number == first.serial_number

    signing.pki.revoke(first.serial_number)
    signed = signer.sign_personally(pdf, person, WORKER_SIGNATURE_FIELD)
    renewed = signing.pki.user_credentials(key)
    assert renewed is not None and renewed.serial_number != first.serial_number
    report = signing.verifier.verify(signed)
    assert report.signatures[0].revoked is not True and report.signatures[0].trusted
