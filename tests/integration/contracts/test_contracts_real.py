"""Concluded labour contracts checked by poppler's pdfsig, and kept object-locked on a real S3 server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from integrations.storage.s3 import MinioDocumentStore
from signing.config import Signing
from tests.unit.workflows.contract_fixtures import build, conclude, draft
from workflows.db import Database
from workflows.errors import RetentionLockedError
from workflows.models import LabourContract, StoredFile
from workflows.ports import Bucket


@pytest.fixture(scope="module")
def nss_db(signing: Signing, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database trusting the dev root of `signing`, for pdfsig (`-nssdir`)."""
    if shutil.which("pdfsig") is None or shutil.which("certutil") is None:
        pytest.fail("poppler-utils (pdfsig) and libnss3-tools (certutil) are needed")
    folder = tmp_path_factory.mktemp("nssdb")
    root = folder / "root.pem"
    root.write_bytes(signing.pki.certificate_pem("root-ca"))
    db = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-n", "laborcase-dev-root", "-t", "CT,C,C", "-i", str(root), "-d", db],
        check=True,
        capture_output=True,
    )
    return db


@pytest.mark.parametrize("order", ["worker_first", "employer_first"])
def test_a_concluded_contract_on_s3_passes_pdfsig_and_cannot_be_deleted_or_overwritten(
    pg_db: Database, signing: Signing, s3_store: MinioDocumentStore, nss_db: str, tmp_path: Path, order: str
) -> None:
    setup = build(pg_db, signing, s3_store, tmp_path)
    contract_id = draft(setup, order)
    conclude(setup, contract_id, order)
    final = setup.service.download(setup.parties.worker, contract_id)

    path = tmp_path / "contract.pdf"
    path.write_bytes(final)
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    report = out.stdout + out.stderr
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert report.count("Certificate Validation: Certificate is Trusted.") == 2, report
    assert "王小明" in report and "北京某某科技有限公司" in report, report
    assert "Total document signed" in report, report
    ours = signing.verifier.verify(final)
    assert ours.valid and all(s.timestamp is not None for s in ours.signatures)
    assert sorted(s.signer for s in ours.signatures) == sorted(["王小明", "北京某某科技有限公司"])

    with pg_db.transaction() as s:
        contract = s.get(LabourContract, contract_id)
        assert contract is not None
        files = list(
            s.execute(
                select(StoredFile).where(
                    StoredFile.id.in_([contract.final_file_id, contract.certificate_file_id])
                )
            ).scalars()
        )
    assert len(files) == 2
    for f in files:
        stat = s3_store.stat(Bucket.ARCHIVE, f.object_key)
        assert stat.retain_until is not None and stat.retain_until.year >= 2031  # 2029-12-31 + 2 years
        with pytest.raises(RetentionLockedError):
            s3_store.delete(Bucket.ARCHIVE, f.object_key, f.version_id)
        with pytest.raises(RetentionLockedError):
            s3_store.put(Bucket.ARCHIVE, b"%PDF-1.7 forged", content_type="application/pdf", key=f.object_key)
    assert s3_store.get(Bucket.ARCHIVE, files[0].object_key) in (
        final,
        setup.service.certificate(setup.parties.agent, contract_id),
    )
