"""Ending an open-ended contract on a real S3 server: its archived documents leave legal hold and stay
locked two years after the last day (劳动合同法 art.50 para.3)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from integrations.storage.s3 import MinioDocumentStore
from signing.config import Signing
from tests.unit.workflows.contract_fixtures import build, conclude, draft
from workflows.archival import ArchivalService
from workflows.contract_lifecycle import LifecycleService
from workflows.db import Database
from workflows.errors import ConflictError, RetentionLockedError
from workflows.models import LabourContract, LabourContractPaperCopy, StoredFile
from workflows.ports import Bucket
from workflows.runtime import utcnow


def test_an_ended_open_ended_contract_leaves_legal_hold_and_stays_retained_on_s3(
    pg_db: Database, signing: Signing, s3_store: MinioDocumentStore, tmp_path: Path
) -> None:
    setup = build(pg_db, signing, s3_store, tmp_path)
    contract_id = draft(setup, term={"kind": "open_ended", "start_date": "2027-01-01", "probation_months": 2})
    conclude(setup, contract_id, "worker_first")
    # its archival copy (B-LTA) is kept under legal hold as well, and follows the contract
    assert ArchivalService(pg_db, signing.sealer, s3_store, clock=utcnow).archive_contract(contract_id)
    with pg_db.transaction() as s:
        contract = s.get(LabourContract, contract_id)
        assert contract is not None
        ids = [contract.final_file_id, contract.certificate_file_id, contract.archival_file_id]
        files = [
            (f.object_key, f.version_id)
            for f in s.execute(select(StoredFile).where(StoredFile.id.in_(ids))).scalars()
        ]
    assert len(files) == 3 and all(s3_store.stat(Bucket.ARCHIVE, k, v).legal_hold for k, v in files)

    life = LifecycleService(setup.service)
    certificate = life.draft_termination(
        setup.parties.agent, contract_id, mode="certificate", legal_basis="art37", ended_on=date(2027, 9, 30),
        reason="乙方提前三十日书面通知辞职", due_at=utcnow() + timedelta(days=7),
    ).contract_id  # fmt: skip
    assert life.issue_certificate(setup.parties.agent, certificate) == "concluded"

    for key, version in files:
        stat = s3_store.stat(Bucket.ARCHIVE, key, version)
        assert not stat.legal_hold
        assert stat.retain_until is not None and stat.retain_until.date() >= date(2029, 9, 30)
        with pytest.raises(RetentionLockedError):  # still locked by retention
            s3_store.delete(Bucket.ARCHIVE, key, version)


def test_two_simultaneous_changes_and_paper_copy_requests_make_one_each(
    pg_db: Database, signing: Signing, s3_store: MinioDocumentStore, tmp_path: Path
) -> None:
    setup = build(pg_db, signing, s3_store, tmp_path)
    contract_id = draft(setup)
    conclude(setup, contract_id, "worker_first")
    life, p = LifecycleService(setup.service), setup.parties
    start = threading.Barrier(2)

    def amend(payday: int) -> str:
        start.wait()
        try:
            life.draft_amendment(
                p.agent, contract_id, changes={"pay": {"payday": payday}}, effective_on=date(2027, 7, 1),
                due_at=utcnow() + timedelta(days=7),
            )  # fmt: skip
        except ConflictError:
            return "refused"
        return "drafted"

    def ask(delivery: str) -> str:
        start.wait()
        try:
            life.request_paper_copy(p.worker, contract_id, delivery=delivery, address="北京市朝阳区某某路2号")
        except ConflictError:
            return "refused"
        return "requested"

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(amend, [20, 25])) == ["drafted", "refused"]
        start.reset()
        assert sorted(pool.map(ask, ["pickup", "mail"])) == ["refused", "requested"]
    with pg_db.transaction() as s:
        drafted = s.execute(select(LabourContract.id).where(LabourContract.original_id == contract_id)).all()
        copies = s.execute(
            select(LabourContractPaperCopy.id).where(LabourContractPaperCopy.contract_id == contract_id)
        ).all()
    assert len(drafted) == 1 and len(copies) == 1
