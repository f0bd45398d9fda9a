"""Issuing formal documents: numbered, sealed, stored, recorded — never half-issued.

The ports are replaced by small in-memory fakes here (the real renderer, sealer and stores are
tested in their own packages and together in tests/integration/test_issuing_real.py); these
tests pin the service's own rules: two phases, retries, races, numbering, access.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support import People, fixture_system, make_people
from workflows.audit import verify as verify_audit
from workflows.cases import OpenCase, PartyInput
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FieldProblem,
    IntegrityCheckError,
    NotFoundError,
    ObjectNotFoundError,
    PermissionDeniedError,
    RetentionLockedError,
    SealingError,
    StorageUnavailableError,
    ValidationError,
)
from workflows.issuing import IssuingService, archival_key, archive_key
from workflows.models import IssuedDocument, OutboxMessage, StoredFile
from workflows.ports import (
    Bucket,
    RenderedDocument,
    Retention,
    SealLevel,
    SealPosition,
    StoredObject,
    VerificationReport,
)
from workflows.system import System
from workflows.worker import run_worker

# -- fakes of the ports ---------------------------------------------------------------------


class FakeRenderer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def validate(self, document_type: str, data: Mapping[str, Any]) -> None:
        if "refuse" in data:
            raise ValidationError("bad", [FieldProblem("/refuse", "not a field")])

    def render(self, document_type: str, data: Mapping[str, Any]) -> RenderedDocument:
        self.calls.append((document_type, dict(data)))
        body = f"%PDF-1.7 {document_type} {data['document_number']} {data['case_number']}".encode()
        return RenderedDocument(body, 2, SealPosition(1, 400, 100))


class FakeSealer:
    organisation = "某市劳动人事争议仲裁委员会"  # the commission of make_people's staff

    def __init__(self) -> None:
        self.fail_next = 0
        self.count = 0
        self.archived: list[bytes] = []
        self.fail_archival = 0
        self.lock = threading.Lock()

    def seal(self, pdf: bytes, position: SealPosition | None, level: SealLevel = SealLevel.B_T) -> bytes:
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                raise SealingError("TSA did not answer")
            self.count += 1
            return pdf + f" sealed {level} #{self.count}".encode()

    def archival_copy(self, pdf: bytes) -> bytes:
        with self.lock:
            if self.fail_archival:
                self.fail_archival -= 1
                raise SealingError("TSA did not answer")
            self.archived.append(pdf)
            return pdf + b" B-LTA"


@dataclass
class FakeStore:
    objects: dict[tuple[str, str], tuple[bytes, StoredObject]] = field(default_factory=dict)
    down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(
        self,
        bucket: Bucket,
        data: bytes,
        *,
        content_type: str,
        key: str | None = None,
        retention: Retention | None = None,
        legal_hold: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        if self.down:
            raise StorageUnavailableError("S3 unreachable")
        digest = hashlib.sha256(data).hexdigest()
        key = key or digest
        with self.lock:
            if (bucket, key) in self.objects:
                old = self.objects[(bucket, key)][1]
                if old.sha256 != digest:
                    raise RetentionLockedError(bucket, key, "exists with other content")
                return old
            obj = StoredObject(
                bucket, key, "v1", digest, len(data), content_type,
                retention.until if retention else None, legal_hold, dict(metadata or {}),
            )  # fmt: skip
            self.objects[(bucket, key)] = (data, obj)
            return obj

    def get(self, bucket: Bucket, key: str, version_id: str | None = None) -> bytes:
        if (bucket, key) not in self.objects:
            raise ObjectNotFoundError(bucket, key)
        data, obj = self.objects[(bucket, key)]
        if hashlib.sha256(data).hexdigest() != obj.sha256:
            raise IntegrityCheckError(bucket, key, obj.sha256, hashlib.sha256(data).hexdigest())
        return data

    def stat(self, bucket: Bucket, key: str, version_id: str | None = None) -> StoredObject:
        if self.down:
            raise StorageUnavailableError("S3 unreachable")
        if (bucket, key) not in self.objects:
            raise ObjectNotFoundError(bucket, key)
        return self.objects[(bucket, key)][1]


class FakeVerifier:
    def verify(self, pdf: bytes) -> VerificationReport:
        return VerificationReport(hashlib.sha256(pdf).hexdigest(), (), False, b"sealed" in pdf)

    def check_fresh(self, pdf: bytes, field_names: Sequence[str]) -> VerificationReport:
        return self.verify(pdf)


# -- fixtures -------------------------------------------------------------------------------


@dataclass
class Env:
    db: Database
    people: People
    service: IssuingService
    renderer: FakeRenderer
    sealer: FakeSealer
    store: FakeStore
    case_id: int
    system: System

    def close_case(self) -> None:
        """Run the case's process to its end (the loop process: its tasks, not again)."""
        while tasks := self.system.cases.get_case(self.people.clerk, self.case_id).open_tasks:
            self.system.tasks.complete(self.people.clerk, tasks[0]["id"], {"again": False})


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    system = fixture_system(db, tmp_path)
    people = make_people(db)
    case = system.cases.open_case(
        people.clerk,
        OpenCase(
            "loop_process", "arbitration", "张三诉某公司", people.org_id,
            parties=[PartyInput("applicant", "张三"), PartyInput("respondent", "某某有限公司")],
        ),
    )  # fmt: skip
    renderer, sealer, store = FakeRenderer(), FakeSealer(), FakeStore()
    service = IssuingService(
        db, renderer, sealer, store, FakeVerifier(), verify_base_url="https://example.test/verify"
    )  # type: ignore[arg-type]
    yield Env(db, people, service, renderer, sealer, store, case.id, system)


# -- tests ----------------------------------------------------------------------------------


def test_issue_numbers_renders_seals_stores_and_records(env: Env) -> None:
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    assert doc.state == "issued"
    assert doc.number.endswith("〔" + doc.number.split("〔")[1].split("〕")[0] + "〕第1号")
    assert doc.pages == 2
    _, data = env.renderer.calls[0]
    assert data["case_number"] and data["verification_code"] == doc.verification_code
    assert data["verification_url"].endswith("/" + doc.verification_code)
    assert [p["name"] for p in data["parties"]] == ["张三", "某某有限公司"]
    _, pdf = env.service.content(env.people.clerk, doc.id)
    assert b"sealed B-T" in pdf and hashlib.sha256(pdf).hexdigest() == doc.sha256
    with env.db.transaction() as s:
        [file] = s.execute(select(StoredFile)).scalars()
        assert (file.bucket, file.object_key, file.sha256) == ("archive", archive_key(doc.id), doc.sha256)
        assert s.execute(select(OutboxMessage.state)).scalar_one() == "done"
        assert verify_audit(s) == []


def test_document_numbers_are_gap_free_per_type_and_year(env: Env) -> None:
    numbers = [env.service.issue(env.people.clerk, env.case_id, "hearing_notice").number for _ in range(3)]
    other = env.service.issue(env.people.clerk, env.case_id, "award_document").number
    assert [n.rsplit("第", 1)[1] for n in numbers] == ["1号", "2号", "3号"]
    assert other.endswith("第1号") and "仲裁字" in other


def test_a_sealing_failure_leaves_the_document_pending_and_a_retry_issues_it(env: Env) -> None:
    env.sealer.fail_next = 1
    doc = env.service.issue(env.people.clerk, env.case_id, "award_document")
    assert doc.state == "pending" and doc.attempts == 1 and "TSA" in (doc.last_error or "")
    with pytest.raises(NotFoundError):  # nobody sees content of a pending document
        env.service.content(env.people.clerk, doc.id)
    assert env.service.lookup(doc.verification_code).state == "pending"
    assert env.service.complete(doc.id).state == "issued"
    assert env.service.content(env.people.clerk, doc.id)[0].state == "issued"


def test_storage_down_leaves_pending_and_the_outbox_worker_completes_it_later(env: Env) -> None:
    env.store.down = True
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    assert doc.state == "pending"
    env.store.down = False
    assert env.service.run_pending() == 0  # leased: not due again until the back-off ends
    env.service.clock = lambda: _later(minutes=5)  # past the lease
    assert env.service.run_pending() == 1
    assert env.service.get(env.people.clerk, doc.id).state == "issued"


def _later(minutes: int) -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_a_crash_after_storing_is_completed_without_a_second_seal(env: Env) -> None:
    view = env.service.request(env.people.clerk, env.case_id, "award_document")
    # the first worker rendered, sealed and stored, then died before recording
    env.service._produce(view.id, *_kind_data_level(env, view.id))
    assert env.sealer.count == 1
    assert env.service.complete(view.id).state == "issued"
    assert env.sealer.count == 1  # the stored copy was reused, not sealed again
    assert len(env.store.objects) == 1


def _kind_data_level(env: Env, document_id: int) -> tuple[Any, dict[str, Any], SealLevel]:
    from workflows.document_kinds import kind_of

    with env.db.transaction() as s:
        doc = s.get(IssuedDocument, document_id)
        assert doc is not None
        return kind_of(doc.document_type), dict(doc.data), SealLevel(doc.seal_level)


def test_two_workers_completing_one_document_record_it_once(env: Env) -> None:
    view = env.service.request(env.people.clerk, env.case_id, "mediation_statement")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def work() -> None:
        barrier.wait()
        results.append(env.service.complete(view.id).state)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["issued", "issued"]
    with env.db.transaction() as s:
        assert s.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 1
        assert s.execute(select(IssuedDocument.attempts)).scalar_one() == 1
    assert len(env.store.objects) == 1


def test_unknown_document_type_or_bad_data_is_a_validation_error_and_writes_nothing(env: Env) -> None:
    with pytest.raises(ValidationError) as exc:
        env.service.issue(env.people.clerk, env.case_id, "love_letter")
    assert exc.value.problems[0].pointer == "/document_type"
    with pytest.raises(ValidationError) as exc:
        env.service.issue(env.people.clerk, env.case_id, "award_document", {"refuse": 1})
    assert exc.value.problems[0].pointer == "/refuse"
    # the number reserved for the refused request rolled back with it: no gap
    assert env.service.issue(env.people.clerk, env.case_id, "award_document").number.endswith("第1号")
    with env.db.transaction() as s:
        assert s.execute(select(func.count()).select_from(IssuedDocument)).scalar_one() == 1


def test_staff_of_another_commission_can_neither_issue_nor_read(env: Env) -> None:
    with pytest.raises(PermissionDeniedError):
        env.service.issue(env.people.other_clerk, env.case_id, "acceptance_notice")
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    with pytest.raises(PermissionDeniedError):
        env.service.content(env.people.other_clerk, doc.id)
    with pytest.raises(PermissionDeniedError):
        env.service.for_case(env.people.other_worker, env.case_id)


def test_revoked_document_shows_revoked_on_the_public_record(env: Env) -> None:
    doc = env.service.issue(env.people.clerk, env.case_id, "award_document")
    with pytest.raises(ValidationError):
        env.service.revoke(env.people.clerk, doc.id, " ")
    env.service.revoke(env.people.clerk, doc.id, "法院撤销裁决")
    record = env.service.lookup(doc.verification_code.lower())
    assert (record.state, record.revoke_reason) == ("revoked", "法院撤销裁决")
    with pytest.raises(ConflictError):
        env.service.revoke(env.people.clerk, doc.id, "again")


def test_an_uploaded_copy_is_found_in_the_records_by_its_hash(env: Env) -> None:
    doc = env.service.issue(env.people.clerk, env.case_id, "award_document")
    _, pdf = env.service.content(env.people.clerk, doc.id)
    check = env.service.check_upload(pdf)
    assert check.record is not None and check.record.number == doc.number
    assert env.service.check_upload(pdf + b"x").record is None
    with pytest.raises(NotFoundError):
        env.service.lookup("NOSUCHCODE")


def test_a_document_of_another_body_is_never_sealed_with_our_seal(env: Env) -> None:
    view = env.service.request(env.people.clerk, env.case_id, "acceptance_notice", {"issuer": "别的机构"})
    assert env.service.complete(view.id).state == "issued"  # the caller cannot rename the issuer
    env.sealer.organisation = "另一市劳动人事争议仲裁委员会"  # type: ignore[misc]
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    assert doc.state == "pending" and "no seal for" in (doc.last_error or "")
    assert env.sealer.count == 1


# -- archival copies when the case closes ------------------------------------------------------


def test_closing_a_case_makes_one_archival_copy_of_each_issued_document(env: Env) -> None:
    award = env.service.issue(env.people.clerk, env.case_id, "award_document")
    notice = env.service.issue(env.people.clerk, env.case_id, "hearing_notice")
    pending = env.service.request(env.people.clerk, env.case_id, "acceptance_notice")
    assert env.service.archive_closed() == 0  # the case is still open
    env.close_case()
    assert env.service.archive_closed() == 2  # the pending one has nothing to keep yet
    assert env.service.get(env.people.clerk, award.id).archived_at is not None
    assert env.service.archive_closed() == 0  # once only
    for view in (award, notice):
        data, obj = env.store.objects[(Bucket.ARCHIVE, archival_key(view.id))]
        _, original = env.service.content(env.people.clerk, view.id)
        assert data == original + b" B-LTA"  # the sealed original, raised to B-LTA
        assert obj.metadata["archival-copy-of"] == view.sha256
        years = 30 if view.id == award.id else 10
        assert view.issued_at is not None
        assert obj.retain_until == view.issued_at + timedelta(days=365 * years + years // 4)
    with env.db.transaction() as s:
        docs = {d.id: d for d in s.execute(select(IssuedDocument)).scalars()}
        assert docs[pending.id].archival_file_id is None
        files = s.execute(select(StoredFile).where(StoredFile.kind.like("archival:%"))).scalars().all()
        assert {f.object_key for f in files} == {archival_key(award.id), archival_key(notice.id)}
        assert {docs[award.id].archival_file_id, docs[notice.id].archival_file_id} == {f.id for f in files}
        assert verify_audit(s) == []
    events = env.system.cases.history(env.people.clerk, env.case_id)
    assert sum(e["action"] == "document.archived" for e in events) == 2


def test_a_failed_archival_copy_writes_nothing_and_the_next_sweep_makes_it(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    env.sealer.fail_archival = 1
    assert env.service.archive_closed() == 0
    assert (Bucket.ARCHIVE, archival_key(view.id)) not in env.store.objects
    with env.db.transaction() as s:
        assert s.get(IssuedDocument, view.id).archival_file_id is None  # type: ignore[union-attr]
    assert env.service.archive_closed() == 1


def test_a_crash_after_storing_the_archival_copy_records_it_without_a_second_timestamp(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    _, original = env.service.content(env.people.clerk, view.id)
    env.store.put(
        Bucket.ARCHIVE, original + b" B-LTA", content_type="application/pdf", key=archival_key(view.id)
    )  # stored by a worker that died before recording it
    assert env.service.archive_closed() == 1
    assert env.sealer.archived == []


def test_two_workers_archiving_one_document_record_one_copy(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    results: list[bool] = []

    def archive() -> None:
        results.append(env.service.archive(view.id))

    threads = [threading.Thread(target=archive) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    with env.db.transaction() as s:
        archival = select(func.count()).select_from(StoredFile).where(StoredFile.kind.like("archival:%"))
        assert s.execute(archival).scalar_one() == 1


def test_the_worker_sweep_archives_the_documents_of_closed_cases(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    rounds = iter(range(2))
    run_worker(
        env.system.timers,
        env.system.deadlines,
        poll_seconds=0,
        issuing=env.service,
        should_stop=lambda: next(rounds, None) is None,
    )
    assert (Bucket.ARCHIVE, archival_key(view.id)) in env.store.objects
