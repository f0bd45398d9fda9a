"""A concluded labour contract's archival copy: both signatures raised to B-LTA, locked like the
contract, recorded in its audit trail; renewed before its archive timestamp can no longer be
verified (the worker's personal certificate ends after two years, the contract is kept two years
after it ends)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.unit.workflows.contract_fixtures import Setup, build, conclude, draft
from workflows import archival
from workflows.archival import RENEWAL_MARGIN, ArchivalService, contract_archival_key
from workflows.audit import verify as verify_audit
from workflows.db import Database
from workflows.issuing import as_utc
from workflows.models import LabourContract, StoredFile
from workflows.ports import Bucket
from workflows.runtime import utcnow


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(db, signing, local_store, tmp_path)


def _row(db: Database, contract_id: int) -> LabourContract:
    with db.transaction() as s:
        contract = s.get(LabourContract, contract_id)
        assert contract is not None
        s.expunge(contract)
        return contract


def _key(contract: LabourContract, renewal: int = 0) -> str:
    assert contract.final_sha256 is not None
    return contract_archival_key(contract.id, contract.final_sha256, renewal)


def test_a_concluded_contract_gets_one_b_lta_copy_locked_like_it_and_recorded_in_its_trail(
    setup: Setup, db: Database, signing: Signing, local_store: LocalFolderDocumentStore
) -> None:
    svc, p = setup.service, setup.parties
    concluded, only_sent = draft(setup), draft(setup)
    conclude(setup, concluded, "worker_first")
    svc.send(p.agent, only_sent)
    archiving = ArchivalService(db, signing.sealer, local_store, clock=utcnow)
    assert archiving.archive_concluded_contracts() == 1  # the one still being signed has nothing to keep
    assert archiving.archive_concluded_contracts() == 0  # once only

    contract = _row(db, concluded)
    copy = local_store.get(Bucket.ARCHIVE, _key(contract))
    final = svc.download(p.worker, concluded)  # the parties keep getting the B-T contract
    assert copy.startswith(final)  # one incremental update: the signed bytes are untouched
    report = signing.verifier.verify(copy)
    assert report.valid and not report.modified_after_signing, report
    assert len(report.signatures) == 2 and {s.level for s in report.signatures} == {"B-LTA"}, report
    assert all(s.trusted and s.revoked is False for s in report.signatures), report

    with db.transaction() as s:
        final_row = s.get(StoredFile, contract.final_file_id)
        copy_row = s.get(StoredFile, contract.archival_file_id)
        assert final_row is not None and copy_row is not None
        assert copy_row.kind == "labour_contract_archival" and copy_row.object_key == _key(contract)
        assert verify_audit(s) == []
    locked_as = local_store.stat(Bucket.ARCHIVE, final_row.object_key, final_row.version_id)
    kept = local_store.stat(Bucket.ARCHIVE, copy_row.object_key, copy_row.version_id)
    assert (kept.retain_until, kept.legal_hold) == (locked_as.retain_until, locked_as.legal_hold)
    assert contract.archive_renew_by is not None
    assert as_utc(contract.archive_renew_by) == signing.sealer.archive_expiry(copy) - RENEWAL_MARGIN
    assert [e.action for e in svc.events(concluded)][-1] == "labour_contract.archived"
    assert _row(db, only_sent).archival_file_id is None


def test_a_contract_copy_is_renewed_when_due_and_two_workers_record_one_renewal(
    setup: Setup,
    db: Database,
    signing: Signing,
    local_store: LocalFolderDocumentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contract_id = draft(setup, "employer_first")
    conclude(setup, contract_id, "employer_first")
    archiving = ArchivalService(db, signing.sealer, local_store, clock=utcnow)
    assert archiving.archive_contract(contract_id)
    first = local_store.get(Bucket.ARCHIVE, _key(_row(db, contract_id)))
    tsa_end = signing.sealer.archive_expiry(first)
    # the dev TSA keeps one certificate: with no margin, it outlasts a clock a day before its end
    monkeypatch.setattr(archival, "RENEWAL_MARGIN", timedelta(0))
    at_the_end = ArchivalService(db, signing.sealer, local_store, clock=lambda: tsa_end - timedelta(days=1))
    with db.transaction() as s:
        s.execute(update(LabourContract).values(archive_renew_by=tsa_end - timedelta(days=2)))
    results: list[bool] = []
    workers = [
        threading.Thread(target=lambda: results.append(at_the_end.renew_contract(contract_id)))
        for _ in range(3)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == [False, False, True]

    contract = _row(db, contract_id)
    assert contract.archive_renewals == 1
    renewed = local_store.get(Bucket.ARCHIVE, _key(contract, 1))
    assert renewed.startswith(first) and renewed.count(b"/DocTimeStamp") == 2
    report = signing.verifier.verify(renewed)
    assert report.valid and {s.level for s in report.signatures} == {"B-LTA"}, report
    with db.transaction() as s:
        copies = s.execute(select(StoredFile.object_key).where(StoredFile.kind == "labour_contract_archival"))
        assert sorted(copies.scalars()) == sorted([_key(contract), _key(contract, 1)])
        assert verify_audit(s) == []
    actions = [e.action for e in setup.service.events(contract_id)]
    assert actions[-2:] == ["labour_contract.archived", "labour_contract.archive_renewed"]
