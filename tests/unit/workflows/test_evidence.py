"""Evidence: files judged by their bytes, stored content-addressed before they are recorded,
readable by whoever may read the case, audited in the case's chain."""

from __future__ import annotations

import io
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from integrations.storage.local import LocalFolderDocumentStore
from tests.support import People, fixture_system, make_employer, make_people
from workflows import uploads
from workflows.access import CaseAccessDeniedError
from workflows.audit import Actor, verify
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FileRejectedError,
    FileTooLargeError,
    NotFoundError,
    PermissionDeniedError,
    StorageUnavailableError,
)
from workflows.evidence import EvidenceService, Upload
from workflows.identity import uscc_check_char
from workflows.models import Case, Evidence, StoredFile
from workflows.ports import Bucket, DocumentStore
from workflows.runtime import utcnow
from workflows.system import System

USCC = "91440101MA5CXXXX0" + uscc_check_char("91440101MA5CXXXX0")


# -- files ------------------------------------------------------------------------------------


def pdf_bytes(pages: int = 1, *, owner: str | None = None, user: str = "", tag: str | None = None) -> bytes:
    """A real PDF (unique unless `tag` is given); encrypted when an owner password is given."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    pdf.docinfo["/Title"] = tag or secrets.token_hex(8)
    out = io.BytesIO()
    encryption = pikepdf.Encryption(owner=owner, user=user) if owner else False
    pdf.save(out, encryption=encryption)
    return out.getvalue()


def image_bytes(kind: str) -> bytes:
    out = io.BytesIO()
    colour = tuple(secrets.randbelow(256) for _ in range(3))
    Image.new("RGB", (8, 8), colour).save(out, format=kind)
    return out.getvalue()


# -- system and a case ------------------------------------------------------------------------


@pytest.fixture
def store(local_store: LocalFolderDocumentStore) -> LocalFolderDocumentStore:
    return local_store


@pytest.fixture
def system(db: Database, tmp_path: Path, store: DocumentStore) -> System:
    return fixture_system(db, tmp_path, store=store)


@pytest.fixture
def people(db: Database) -> People:
    return make_people(db)


@pytest.fixture
def employer(db: Database) -> tuple[int, Actor]:
    return make_employer(db, "某科技有限公司", USCC, "hr_agent")


@pytest.fixture
def service(system: System) -> EvidenceService:
    assert system.evidence is not None
    return system.evidence


def open_case(system: System, people: People, employer_id: int, worker: Actor | None = None) -> int:
    worker = worker or people.worker
    view = system.cases.open_case(
        people.clerk,
        OpenCase(
            process_key="loop_process",
            case_type="arbitration",
            title="工资争议",
            organisation_id=people.org_id,
            parties=[
                PartyInput("applicant", worker.label, user_id=worker.user_id),
                PartyInput("respondent", "某科技有限公司", kind="organisation", organisation_id=employer_id),
            ],
            claims=[ClaimInput("wage_arrears", "拖欠工资")],
        ),
    )
    return view.id


@pytest.fixture
def case_id(system: System, people: People, employer: tuple[int, Actor]) -> int:
    return open_case(system, people, employer[0])


def rows(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        return (
            s.execute(select(func.count()).select_from(Evidence)).scalar_one(),
            s.execute(select(func.count()).select_from(StoredFile)).scalar_one(),
        )


def objects(store: LocalFolderDocumentStore) -> int:
    """Committed objects in the EVIDENCE bucket (one metadata file per version)."""
    return sum(1 for _ in (store.root / "evidence").rglob("*.json"))


def events(system: System, actor: Actor, case_id: int, action: str) -> list[Mapping[str, Any]]:
    return [e for e in system.cases.history(actor, case_id) if e["action"] == action]


# -- type, size, emptiness, PDF checks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (pdf_bytes(), "application/pdf"),
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (b"\n\n" + pdf_bytes(), "application/pdf"),  # a header after a little junk, as readers allow
    ],
)
def test_type_is_sniffed_from_the_bytes(data: bytes, expected: str) -> None:
    found = uploads.sniff(data)
    assert found is not None and found.content_type == expected


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03" + b"\x00" * 100,  # a Windows executable
        b"<html><script>alert(1)</script></html>",
        b"GIF89a" + b"\x00" * 20,
        b"PK\x03\x04" + b"\x00" * 40,  # a zip (and every .docx)
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 8,  # a PNG signature without its header chunk
    ],
)
def test_other_types_are_refused_whatever_the_name_says(service: EvidenceService, data: bytes) -> None:
    with pytest.raises(FileRejectedError) as caught:
        service.check([Upload("合同.pdf", data)], ["/file"])
    assert [(p.pointer, p.message) for p in caught.value.problems] == [("/file", uploads.TYPE_MESSAGE)]


def test_name_gets_the_extension_of_what_the_file_is(service: EvidenceService) -> None:
    [pdf, jpeg, clean] = service.check(
        [
            Upload("扫描件.jpg", pdf_bytes()),
            Upload("C:\\Users\\张三\\工资条.JPEG", image_bytes("JPEG")),
            Upload("../../etc/\x00passwd", image_bytes("PNG")),
        ]
    )
    assert (pdf.filename, pdf.content_type) == ("扫描件.jpg.pdf", "application/pdf")
    assert (jpeg.filename, jpeg.content_type) == ("工资条.jpeg", "image/jpeg")
    assert (clean.filename, clean.content_type) == ("passwd.png", "image/png")


def test_empty_file_is_refused(service: EvidenceService) -> None:
    with pytest.raises(FileRejectedError) as caught:
        service.check([Upload("空.pdf", b"")], ["/file"])
    assert caught.value.problems[0].message == uploads.EMPTY_MESSAGE


def test_file_over_the_limit_is_refused_as_too_large(db: Database, store: DocumentStore) -> None:
    small = EvidenceService(db, store, max_bytes=2048, clock=utcnow)
    data = pdf_bytes(pages=30)
    assert len(data) > 2048
    with pytest.raises(FileTooLargeError) as caught:
        small.check([Upload("大.pdf", data)], ["/file"])
    assert caught.value.limit == 2048 and caught.value.problems[0].pointer == "/file"
    assert "MB 的上限" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pdf_bytes(owner="owner-secret", user="user-secret"), uploads.ENCRYPTED_MESSAGE),
        (pdf_bytes(owner="owner-secret"), uploads.ENCRYPTED_MESSAGE),  # opens, but printing is locked
        (b"%PDF-1.7\nthis is not really a PDF\n", uploads.UNREADABLE_MESSAGE),
        (pdf_bytes()[:200], uploads.UNREADABLE_MESSAGE),  # truncated in transit
        (pdf_bytes(pages=0), uploads.NO_PAGES_MESSAGE),
    ],
)
def test_pdfs_nobody_can_read_are_refused_with_a_clear_message(
    service: EvidenceService, data: bytes, message: str
) -> None:
    with pytest.raises(FileRejectedError) as caught:
        service.check([Upload("证据.pdf", data)], ["/file"])
    assert [p.message for p in caught.value.problems] == [message]


def test_every_bad_file_of_a_submission_is_named_at_once(service: EvidenceService) -> None:
    with pytest.raises(FileRejectedError) as caught:
        service.check(
            [Upload("a.pdf", pdf_bytes()), Upload("b.exe", b"MZ\x90\x00"), Upload("c.pdf", b"")],
            ["/evidence/0/file", "/evidence/1/file", "/evidence/2/file"],
        )
    assert [p.pointer for p in caught.value.problems] == ["/evidence/1/file", "/evidence/2/file"]


# -- storing and recording ----------------------------------------------------------------------


def test_worker_submits_evidence_stored_by_its_hash_and_audited(
    system: System, service: EvidenceService, people: People, case_id: int, db: Database, store: DocumentStore
) -> None:
    data = pdf_bytes()
    [view] = service.submit(people.worker, case_id, [Upload("劳动合同.pdf", data, " 证明劳动关系 ")])
    assert (view.filename, view.content_type, view.size) == ("劳动合同.pdf", "application/pdf", len(data))
    assert (view.party_role, view.party_name, view.purpose) == ("applicant", "worker1", "additional")
    assert view.description == "证明劳动关系" and view.submitted_by == "worker1"
    obj = store.stat(Bucket.EVIDENCE, view.sha256)  # the key is the content's SHA-256
    assert obj.size == len(data) and obj.retain_until is None  # EVIDENCE has no object lock
    assert service.content(people.worker, view.id, case_id) == (view, data)

    [event] = events(system, people.clerk, case_id, "evidence.submitted")
    assert event["entity"] == f"evidence:{view.id}" and event["actor"] == "worker1"
    assert event["after"]["sha256"] == view.sha256
    assert event["after"]["party"]["role"] == "applicant"
    with db.transaction() as s:
        assert verify(s) == []
    documents = system.cases.documents(people.clerk, case_id)
    assert [(d["kind"], d["sha256"]) for d in documents] == [("evidence", view.sha256)]


def test_same_file_twice_by_the_same_party_is_one_record(
    system: System, service: EvidenceService, people: People, case_id: int, db: Database
) -> None:
    data = image_bytes("PNG")
    [first] = service.submit(people.worker, case_id, [Upload("a.png", data)])
    [again, same] = service.submit(people.worker, case_id, [Upload("b.png", data), Upload("c.png", data)])
    assert first.id == again.id == same.id
    assert rows(db) == (1, 1)
    assert len(events(system, people.clerk, case_id, "evidence.submitted")) == 1


def test_same_bytes_in_two_cases_are_stored_once_and_recorded_twice(
    system: System,
    service: EvidenceService,
    people: People,
    employer: tuple[int, Actor],
    case_id: int,
    store: LocalFolderDocumentStore,
    db: Database,
) -> None:
    other = open_case(system, people, employer[0])
    data = pdf_bytes()
    [a] = service.submit(people.worker, case_id, [Upload("x.pdf", data)])
    [b] = service.submit(employer[1], other, [Upload("y.pdf", data)])
    assert a.id != b.id and a.sha256 == b.sha256
    assert (a.party_role, b.party_role) == ("applicant", "respondent")
    assert rows(db) == (2, 2) and objects(store) == 1


def test_staff_record_evidence_for_the_agency_or_handed_in_by_a_party(
    system: System, service: EvidenceService, people: People, case_id: int
) -> None:
    [own] = service.submit(people.clerk, case_id, [Upload("调查笔录.pdf", pdf_bytes())])
    assert own.party_id is None and own.party_role is None
    applicant = next(
        p for p in system.cases.get_case(people.clerk, case_id).parties if p["role"] == "applicant"
    )
    [counter] = service.submit(
        people.clerk, case_id, [Upload("工资条.jpg", image_bytes("JPEG"))], party_id=applicant["id"]
    )
    assert (counter.party_role, counter.submitted_by) == ("applicant", "clerk1")


def test_the_object_is_written_before_the_row_so_a_failed_commit_leaves_no_row(
    service: EvidenceService,
    people: People,
    case_id: int,
    db: Database,
    store: LocalFolderDocumentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the process died before its transaction committed")

    monkeypatch.setattr(service, "record_in", crash)
    with pytest.raises(RuntimeError):
        service.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes())])
    assert rows(db) == (0, 0) and objects(store) == 1  # an unreferenced object, no row


def test_a_store_that_cannot_be_reached_leaves_nothing(
    db: Database, people: People, case_id: int, store: LocalFolderDocumentStore
) -> None:
    class DownStore:
        def put(self, *args: Any, **kwargs: Any) -> Any:
            raise StorageUnavailableError("object store unreachable")

    down = EvidenceService(db, DownStore(), max_bytes=10**6, clock=utcnow)  # type: ignore[arg-type]
    with pytest.raises(StorageUnavailableError):
        down.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes())])
    assert rows(db) == (0, 0)


def test_a_rejected_file_stores_nothing(
    service: EvidenceService, people: People, case_id: int, db: Database, store: LocalFolderDocumentStore
) -> None:
    with pytest.raises(FileRejectedError):
        service.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes()), Upload("b.pdf", b"MZ")])
    assert rows(db) == (0, 0) and objects(store) == 0


def test_integrity_is_checked_on_the_way_out(
    service: EvidenceService, people: People, case_id: int, store: LocalFolderDocumentStore
) -> None:
    from workflows.errors import IntegrityCheckError

    [view] = service.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes())])
    [data_file] = (store.root / "evidence").rglob("*.data")
    data_file.chmod(0o644)
    data_file.write_bytes(b"%PDF-1.7 tampered")
    with pytest.raises(IntegrityCheckError):
        service.content(people.worker, view.id)


# -- who may submit, list and download --------------------------------------------------------


def test_listing_and_download_follow_case_access(
    system: System, service: EvidenceService, people: People, employer: tuple[int, Actor], case_id: int
) -> None:
    [view] = service.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes())])
    for reader in (people.worker, people.clerk, employer[1]):  # the parties and the commission
        assert [e.id for e in service.for_case(reader, case_id)] == [view.id]
        assert service.content(reader, view.id, case_id)[1]
    for stranger in (people.other_worker, people.other_clerk):
        with pytest.raises(CaseAccessDeniedError):
            service.for_case(stranger, case_id)
        with pytest.raises(CaseAccessDeniedError):
            service.content(stranger, view.id)
    with pytest.raises(NotFoundError):  # the evidence of another case under this case's id
        service.content(people.worker, view.id, case_id + 1000)


def test_strangers_cannot_submit_and_parties_only_as_themselves(
    service: EvidenceService, people: People, case_id: int, db: Database
) -> None:
    with pytest.raises(CaseAccessDeniedError):
        service.submit(people.other_worker, case_id, [Upload("a.pdf", pdf_bytes())])
    with pytest.raises(CaseAccessDeniedError):
        service.submit(people.other_clerk, case_id, [Upload("a.pdf", pdf_bytes())])
    with pytest.raises(PermissionDeniedError):
        service.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes())], party_id=999)
    assert rows(db) == (0, 0)


def test_parties_cannot_add_evidence_to_a_closed_case(
    service: EvidenceService, people: People, case_id: int, db: Database
) -> None:
    with db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.closed_at = "closed", datetime.now(UTC)
    with pytest.raises(ConflictError):
        service.submit(people.worker, case_id, [Upload("a.pdf", pdf_bytes())])
    [view] = service.submit(people.clerk, case_id, [Upload("归档.pdf", pdf_bytes())])  # staff still may
    assert view.party_id is None


def test_without_a_store_evidence_is_unavailable(db: Database, tmp_path: Path) -> None:
    assert fixture_system(db, tmp_path).evidence is None
