"""Issuing with every real component: reportlab renderer, pyHanko seal with our RFC 3161 TSA on
loopback, the object store (local folder and a real SeaweedFS S3 server), our verifier — and
poppler's pdfsig/pdffonts as independent checks.  Through the service and through the HTTP API.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from documents import Renderer, check_pdfa
from documents.samples import sample, sample_issued_on
from signing.config import Signing
from tests.storage_support import KeyPrefixedStore
from tests.support import SECRET, People, fixture_system, make_people
from web.app import create_app
from workflows import archival
from workflows.archival import ArchivalService, archival_key
from workflows.cases import OpenCase, PartyInput
from workflows.db import Database
from workflows.document_kinds import KINDS
from workflows.errors import DocumentRejectedError
from workflows.models import IssuedDocument
from workflows.ports import Bucket, DocumentAdapters, DocumentStore
from workflows.system import System, build_system

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nss_db(signing: Signing, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database trusting our dev root, so pdfsig checks the chain too."""
    if shutil.which("certutil") is None:
        pytest.skip("libnss3-tools (certutil) not installed")
    folder = tmp_path_factory.mktemp("nssdb")
    (folder / "root.pem").write_bytes(signing.pki.certificate_pem("root-ca"))
    db = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-n", "dev-root", "-t", "CT,C,C", "-i", str(folder / "root.pem"), "-d", db],
        check=True,
        capture_output=True,
    )
    return db


@dataclass
class Env:
    system: System
    people: People
    case_id: int


@pytest.fixture(params=["local", "s3"])
def env(request: pytest.FixtureRequest, db: Database, tmp_path: Path, signing: Signing) -> Iterator[Env]:
    if request.param == "local":
        store: DocumentStore = request.getfixturevalue("local_store")
    else:  # a key space of its own in the session's buckets
        store = KeyPrefixedStore(request.getfixturevalue("s3_store"), f"t{secrets.token_hex(4)}/")
    yield _env(db, tmp_path, signing, store)


def _env(db: Database, tmp_path: Path, signing: Signing, store: DocumentStore) -> Env:
    base = fixture_system(db, tmp_path)
    adapters = DocumentAdapters(Renderer(), signing.sealer, store, signing.verifier, "https://lc.test/verify")
    system = build_system(base.settings, database=db, documents=adapters)
    people = make_people(db)
    case = system.cases.open_case(
        people.clerk,
        OpenCase(
            "loop_process", "arbitration", "张晓珺诉星河公司", people.org_id,
            parties=[PartyInput("applicant", "张晓珺"), PartyInput("respondent", "江城市星河电子科技公司")],
        ),
    )  # fmt: skip
    return Env(system, people, case.id)


def pdfsig(pdf: bytes, folder: Path, nss_db: str) -> str:
    path = folder / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


def pdffonts(pdf: bytes, folder: Path) -> list[list[str]]:
    path = folder / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


@pytest.mark.parametrize("document_type", sorted(KINDS))
def test_every_document_type_issues_sealed_timestamped_with_fonts_embedded(
    env: Env, document_type: str, tmp_path: Path, nss_db: str
) -> None:
    issuing = env.system.issuing
    assert issuing is not None
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the service issues documents today
    view = issuing.issue(env.people.clerk, env.case_id, document_type, sample_issued_on(document_type, today))
    assert view.state == "issued", view.last_error
    _, pdf = issuing.content(env.people.clerk, view.id)

    out = pdfsig(pdf, tmp_path, nss_db)
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Certificate Validation: Certificate is Trusted." in out, out
    assert "Total document signed" in out, out
    fonts = pdffonts(pdf, tmp_path)
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # the "emb" column

    report = issuing.verifier.verify(pdf)
    assert report.valid and not report.modified_after_signing
    [sig] = report.signatures
    assert sig.timestamp is not None and sig.trusted and sig.revoked is False
    check = issuing.check_upload(pdf)
    assert check.record is not None and check.record.state == "issued" and check.record.number == view.number


def test_a_byte_changed_anywhere_is_reported_modified_by_us_and_by_pdfsig(
    env: Env, tmp_path: Path, nss_db: str
) -> None:
    issuing = env.system.issuing
    assert issuing is not None
    view = issuing.issue(env.people.clerk, env.case_id, "award_document", sample("award_document"))
    _, pdf = issuing.content(env.people.clerk, view.id)
    for offset in (len(pdf) // 5, len(pdf) // 2):  # inside the signed byte ranges
        tampered = bytearray(pdf)
        tampered[offset] ^= 0x01
        report = issuing.verifier.verify(bytes(tampered))
        assert not report.valid and report.modified_after_signing
        out = pdfsig(bytes(tampered), tmp_path, nss_db)
        assert "Signature Validation: Signature is Valid." not in out, out
    appended = pdf + b"\n% appended after sealing\n"
    assert issuing.verifier.verify(appended).modified_after_signing


def test_closing_the_case_keeps_a_b_lta_archival_copy_that_pdfsig_and_pdfa_accept(
    env: Env, tmp_path: Path, nss_db: str
) -> None:
    issuing = env.system.issuing
    assert issuing is not None
    view = issuing.issue(env.people.clerk, env.case_id, "award_document", sample("award_document"))
    while tasks := env.system.cases.get_case(env.people.clerk, env.case_id).open_tasks:
        env.system.tasks.complete(env.people.clerk, tasks[0]["id"], {"again": False})
    assert env.system.archival is not None and env.system.archival.archive_closed() == 1
    _, original = issuing.content(env.people.clerk, view.id)  # parties still get the B-T original
    copy = issuing.store.get(Bucket.ARCHIVE, archival_key(view.id))
    assert copy.startswith(original)  # incremental: the sealed bytes are untouched

    report = issuing.verifier.verify(copy)
    assert report.valid and not report.modified_after_signing, report
    [seal] = report.signatures
    assert seal.level == "B-LTA" and seal.trusted and seal.revoked is False
    assert check_pdfa(copy).ok, check_pdfa(copy).problems
    out = pdfsig(copy, tmp_path, nss_db)
    seal_part, _, timestamp_part = out.partition("Signature #2")
    assert "Signature Validation: Signature is Valid." in seal_part, out
    assert "Certificate Validation: Certificate is Trusted." in seal_part, out
    # the archive timestamp, by our TSA, over the whole file (poppler 22 cannot validate RFC 3161 ones)
    assert "Dev TSA" in timestamp_part and "Total document signed" in timestamp_part, out
    stored = issuing.store.stat(Bucket.ARCHIVE, archival_key(view.id))
    assert stored.retain_until is not None and stored.retain_until.year >= datetime.now().year + 30


def test_an_archival_copy_is_renewed_with_a_further_archive_timestamp_that_pdfsig_and_pdfa_accept(
    env: Env, tmp_path: Path, nss_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuing, archiving = env.system.issuing, env.system.archival
    assert issuing is not None and archiving is not None
    view = issuing.issue(env.people.clerk, env.case_id, "award_document", sample("award_document"))
    while tasks := env.system.cases.get_case(env.people.clerk, env.case_id).open_tasks:
        env.system.tasks.complete(env.people.clerk, tasks[0]["id"], {"again": False})
    assert archiving.archive_closed() == 1
    copy = issuing.store.get(Bucket.ARCHIVE, archival_key(view.id))
    tsa_end = archiving.sealer.archive_expiry(copy)
    # the dev TSA has one certificate: renewal by it extends nothing, and waits for its next one
    later = ArchivalService(archiving.db, archiving.sealer, archiving.store, clock=lambda: tsa_end)
    assert later.renew_due() == 0
    # with no margin the same certificate outlasts the clock: a real renewal, by incremental update
    monkeypatch.setattr(archival, "RENEWAL_MARGIN", timedelta(0))
    at_the_end = ArchivalService(
        archiving.db, archiving.sealer, archiving.store, clock=lambda: tsa_end - timedelta(days=1)
    )
    with archiving.db.transaction() as s:  # as if postponed to a day before the end
        s.execute(update(IssuedDocument).values(archive_renew_by=tsa_end - timedelta(days=2)))
    assert at_the_end.renew_due() == 1
    renewed = issuing.store.get(Bucket.ARCHIVE, archival_key(view.id, 1))
    assert renewed.startswith(copy) and renewed.count(b"/DocTimeStamp") == 2
    report = issuing.verifier.verify(renewed)
    assert report.valid and [s.level for s in report.signatures] == ["B-LTA"], report
    assert check_pdfa(renewed).ok, check_pdfa(renewed).problems
    out = pdfsig(renewed, tmp_path, nss_db)
    assert "Signature Validation: Signature is Valid." in out.partition("Signature #2")[0], out
    assert out.count("Dev TSA") >= 2 and "Signature #3" in out, out


def test_bad_uploads_get_a_clear_answer(env: Env) -> None:
    issuing = env.system.issuing
    assert issuing is not None
    for junk in (b"", b"not a pdf at all", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF"):
        with pytest.raises(DocumentRejectedError):
            issuing.check_upload(junk)


# -- through HTTP ---------------------------------------------------------------------------


@pytest.fixture
def client(env: Env) -> FlaskClient:
    app = create_app(system=env.system)
    app.config["TESTING"] = True
    return app.test_client()


def _token(client: FlaskClient, env: Env) -> dict[str, str]:
    from workflows.identity import issue_access_token

    token = issue_access_token(env.people.clerk, SECRET, 3600)
    return {"Authorization": f"Bearer {token}"}


def test_api_issues_serves_and_publicly_verifies_a_document(env: Env, client: FlaskClient) -> None:
    headers = _token(client, env)
    r = client.post(
        "/api/v1/documents",
        json={"case_id": env.case_id, "document_type": "award_document", "data": sample("award_document")},
        headers=headers,
    )
    assert r.status_code == 201, r.json
    doc = r.json
    assert doc["state"] == "issued"
    pdf = client.get(f"/api/v1/documents/{doc['id']}/content", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    # public: no token
    record = client.get(f"/api/v1/verify/{doc['verification_code']}")
    assert record.status_code == 200 and record.json["state"] == "issued"
    check = client.post("/api/v1/verify", data=pdf.data, content_type="application/pdf")
    assert (
        check.status_code == 200 and check.json["valid"] and check.json["record"]["number"] == doc["number"]
    )
    page = client.get(f"/verify/{doc['verification_code']}")
    assert page.status_code == 200 and doc["number"] in page.get_data(as_text=True)


def test_a_document_code_that_looks_like_a_contract_code_is_still_found(
    env: Env, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one code in 1,024 starts with "LC", the prefix of labour contracts' codes
    letters = iter("LC23456789")
    monkeypatch.setattr("workflows.issuing.secrets.choice", lambda alphabet: next(letters))
    r = client.post(
        "/api/v1/documents",
        json={"case_id": env.case_id, "document_type": "award_document", "data": sample("award_document")},
        headers=_token(client, env),
    )
    assert r.status_code == 201 and r.json["verification_code"] == "LC23456789"
    page = client.get("/verify/LC23456789")
    assert page.status_code == 200 and r.json["number"] in page.get_data(as_text=True)
    assert client.get("/verify/LC2345678999").status_code == 404  # a contract code that does not exist


def test_api_rejects_bad_requests_with_problem_details(env: Env, client: FlaskClient) -> None:
    headers = _token(client, env)
    r = client.post(
        "/api/v1/documents",
        json={"case_id": env.case_id, "document_type": "award_document", "data": {"award_items": "x"}},
        headers=headers,
    )
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert any(e["pointer"].startswith("/") for e in r.json["errors"])
    garbage = client.post("/api/v1/verify", data=b"garbage", content_type="application/pdf")
    assert garbage.status_code in (400, 422) and garbage.mimetype == "application/problem+json"
    assert client.get("/api/v1/verify/NOSUCHCODE1").status_code == 404
    other = client.post(
        "/api/v1/documents",
        json={"case_id": env.case_id, "document_type": "award_document"},
    )
    assert other.status_code == 401
