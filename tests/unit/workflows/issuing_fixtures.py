"""In-memory fakes of the issuing ports and a case to issue for (tests of issuing and archival).

The real renderer, sealer and stores are tested in their own packages and together in
tests/integration/test_issuing_real.py; with these fakes the services' own rules are pinned:
two phases, retries, races, numbering, access.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support import People, fixture_system, make_people
from workflows.archival import ArchivalService
from workflows.cases import OpenCase, PartyInput
from workflows.db import Database
from workflows.errors import (
    DocumentRejectedError,
    FieldProblem,
    IntegrityCheckError,
    ObjectNotFoundError,
    RetentionLockedError,
    SealingError,
    StorageUnavailableError,
    ValidationError,
)
from workflows.issuing import IssuingService
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


ARCHIVE_TIMESTAMP = b" B-LTA, TSA certificate until "


class FakeSealer:
    organisation = "某市劳动人事争议仲裁委员会"  # the commission of make_people's staff

    def __init__(self) -> None:
        self.fail_next = 0
        self.count = 0
        self.archived: list[bytes] = []
        self.fail_archival = 0
        self.tsa_ends = datetime.now(UTC) + timedelta(days=5 * 365)  # the TSA certificate's end
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
            return self.lta(pdf)

    def lta(self, pdf: bytes) -> bytes:
        """`pdf` with an archive timestamp whose TSA certificate ends at `tsa_ends`."""
        return pdf + ARCHIVE_TIMESTAMP + self.tsa_ends.isoformat().encode()

    def archive_expiry(self, pdf: bytes) -> datetime:
        at = pdf.rfind(ARCHIVE_TIMESTAMP)
        if at < 0:
            raise DocumentRejectedError("no archive timestamp")
        return datetime.fromisoformat(pdf[at + len(ARCHIVE_TIMESTAMP) :].decode())


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
class Clock:
    """The archival service's clock, moved by tests (years pass between archiving and renewal)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Env:
    db: Database
    people: People
    service: IssuingService
    archival: ArchivalService
    clock: Clock
    renderer: FakeRenderer
    sealer: FakeSealer
    store: FakeStore
    case_id: int
    system: System

    def close_case(self) -> None:
        """Run the case's process to its end (the loop process: its tasks, not again)."""
        while tasks := self.system.cases.get_case(self.people.clerk, self.case_id).open_tasks:
            self.system.tasks.complete(self.people.clerk, tasks[0]["id"], {"again": False})


def build_env(db: Database, tmp_path: Path) -> Env:
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
    clock = Clock()
    archival = ArchivalService(db, sealer, store, clock=clock)  # type: ignore[arg-type]
    return Env(db, people, service, archival, clock, renderer, sealer, store, case.id, system)
