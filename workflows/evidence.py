"""Evidence (证据): files a party or staff submits for a case — checked, stored, recorded, audited.

Writes happen in this order: the bytes go to the EVIDENCE bucket first, under their SHA-256
(content addressed: equal files are kept once, and the store checks the hash on every read);
then one transaction, under the case row lock, records the file and evidence rows and the
audit event.  A crash between the two leaves an object nobody refers to, never a row without
its object.  The EVIDENCE bucket is write-once but has no object lock (retention and legal
hold exist only in ARCHIVE), so nothing here asks for a retention period; the case file is
archived with its retention when the case closes.

Who may submit: a party of the case (as that party, while the case is open) or staff who may
change the case (for the agency, or on behalf of a party — evidence handed in at the counter).
Who may list and download: whoever may read the case.  The same party submitting the same
bytes again for the same case gets the earlier record back (a resubmitted form, a retried
upload), not a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import actor_party, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FieldProblem,
    FileRejectedError,
    FileTooLargeError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import Case, CaseParty, Evidence, StoredFile
from workflows.ports import Bucket, DocumentStore, StoredObject
from workflows.roles import STAFF_ROLES
from workflows.uploads import CheckedFile, check_file

APPLICATION = "application"  # filed with the arbitration application
DEFENCE = "defence"  # filed with the statement of defence (答辩书)
ADDITIONAL = "additional"  # handed in later
PURPOSES = (APPLICATION, DEFENCE, ADDITIONAL)
#: files one submission may carry (each up to the configured size)
MAX_FILES = 10
MAX_DESCRIPTION = 500
KIND = "evidence"  # StoredFile.kind

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the client gave it, its bytes, and what it is meant to prove."""

    filename: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class StoredUpload:
    """A checked file and the object the store keeps it as (written, not yet recorded)."""

    file: CheckedFile
    obj: StoredObject


@dataclass(frozen=True)
class EvidenceView:
    id: int
    case_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str
    purpose: str
    party_id: int | None
    party_role: str | None
    party_name: str | None
    submitted_by: str
    submitted_at: datetime


def _view(e: Evidence, f: StoredFile, party: CaseParty | None) -> EvidenceView:
    return EvidenceView(
        id=e.id,
        case_id=e.case_id,
        filename=f.filename,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
        description=e.description,
        purpose=e.purpose,
        party_id=e.party_id,
        party_role=party.role if party else None,
        party_name=party.name if party else None,
        submitted_by=e.submitted_by_label,
        # SQLite hands back naive UTC, PostgreSQL aware: the view is always aware
        submitted_at=e.submitted_at if e.submitted_at.tzinfo else e.submitted_at.replace(tzinfo=UTC),
    )


class EvidenceService:
    def __init__(self, db: Database, store: DocumentStore, *, max_bytes: int, clock: Clock):
        self.db = db
        self.store = store
        self.max_bytes = max_bytes
        self.clock = clock

    # -- the steps (also used inside other use cases: filing a claim, filing a defence) ------

    def check(self, uploads: Sequence[Upload], pointers: Sequence[str] | None = None) -> list[CheckedFile]:
        """Accept every file or raise one FileRejectedError naming each bad one (by its pointer).

        FileTooLargeError (a FileRejectedError) when a file is over the size limit.
        """
        where = list(pointers) if pointers is not None else [f"/files/{i}/file" for i in range(len(uploads))]
        if len(uploads) > MAX_FILES:
            raise FileRejectedError(
                "文件过多", [FieldProblem(where[MAX_FILES], f"一次最多提交 {MAX_FILES} 个文件")]
            )
        accepted: list[CheckedFile] = []
        problems: list[FieldProblem] = []
        oversize = False
        for upload, pointer in zip(uploads, where, strict=True):
            if len(upload.description) > MAX_DESCRIPTION:
                problems.append(
                    FieldProblem(
                        pointer.rsplit("/", 1)[0] + "/description", f"说明不超过 {MAX_DESCRIPTION} 字"
                    )
                )
            checked, problem = check_file(
                upload.filename, upload.data, self.max_bytes, pointer, upload.description
            )
            if problem is not None:
                problems.append(problem)
                oversize = oversize or len(upload.data) > self.max_bytes
            elif checked is not None:
                accepted.append(checked)
        if problems:
            if oversize:
                raise FileTooLargeError("文件过大", problems, limit=self.max_bytes)
            raise FileRejectedError("有文件未能接收，请按提示更正", problems)
        return accepted

    def put(self, files: Sequence[CheckedFile]) -> list[StoredUpload]:
        """Write the bytes to the EVIDENCE bucket (idempotent: the key is the content's SHA-256)."""
        return [
            StoredUpload(f, self.store.put(Bucket.EVIDENCE, f.data, content_type=f.content_type))
            for f in files
        ]

    def record_in(
        self,
        s: Session,
        case: Case,
        actor: Actor,
        stored: Sequence[StoredUpload],
        *,
        party: CaseParty | None,
        purpose: str,
    ) -> list[Evidence]:
        """Record stored files as evidence of `case` (the caller holds its row lock), audited.

        The same party's same bytes already on the case are returned, not recorded twice."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown evidence purpose {purpose!r}")
        now = self.clock()
        rows: list[Evidence] = []
        events: list[PendingEvent] = []
        for item in stored:
            existing = self._existing(s, case.id, item.obj.sha256, party)
            if existing is not None:
                rows.append(existing)
                continue
            file = StoredFile.of(
                item.obj,
                kind=KIND,
                filename=item.file.filename,
                uploaded_by=actor.user_id,
                created_at=now,
                case_id=case.id,
            )
            s.add(file)
            s.flush()
            evidence = Evidence(
                case_id=case.id,
                stored_file_id=file.id,
                party_id=party.id if party else None,
                purpose=purpose,
                description=item.file.description,
                submitted_by=actor.user_id,
                submitted_by_label=actor.label,
                submitted_at=now,
            )
            s.add(evidence)
            s.flush()
            rows.append(evidence)
            events.append(
                PendingEvent(
                    "evidence.submitted",
                    f"evidence:{evidence.id}",
                    None,
                    {
                        "filename": file.filename,
                        "sha256": file.sha256,
                        "size": file.size,
                        "content_type": file.content_type,
                        "purpose": purpose,
                        "description": evidence.description,
                        "party": {"id": party.id, "role": party.role, "name": party.name} if party else None,
                    },
                )
            )
        if events:
            case.updated_at = now  # bumps the case version, serialising the audit chain
            append_case_events(s, case, actor, events, at=now)
        return rows

    @staticmethod
    def _existing(s: Session, case_id: int, sha256: str, party: CaseParty | None) -> Evidence | None:
        stmt = (
            select(Evidence)
            .join(StoredFile, StoredFile.id == Evidence.stored_file_id)
            .where(Evidence.case_id == case_id, StoredFile.sha256 == sha256)
        )
        stmt = stmt.where(Evidence.party_id.is_(None) if party is None else Evidence.party_id == party.id)
        return s.execute(stmt.limit(1)).scalar_one_or_none()

    # -- the use case -----------------------------------------------------------------------

    def submit(
        self,
        actor: Actor,
        case_id: int,
        uploads: Sequence[Upload],
        *,
        purpose: str = ADDITIONAL,
        party_id: int | None = None,
        pointers: Sequence[str] | None = None,
    ) -> list[EvidenceView]:
        """Check, store and record files as evidence of a case, in upload order.

        A party submits as itself; staff for the agency or, with `party_id`, for a party.
        """
        if purpose not in PURPOSES:
            raise ValidationError("证据用途无效", [FieldProblem("/purpose", f"one of {', '.join(PURPOSES)}")])
        if not uploads:
            raise FileRejectedError("请选择要上传的文件", [FieldProblem("/file", "请选择文件")])
        with self.db.transaction() as s:  # who submits, before anything is stored
            self._submitter(s, actor, self._case(s, case_id), party_id)
        files = self.check(uploads, pointers)
        stored = self.put(files)
        with self.db.transaction() as s:
            case = self._case(s, case_id, lock=True)
            party = self._submitter(s, actor, case, party_id)
            rows = self.record_in(s, case, actor, stored, party=party, purpose=purpose)
            return [self.view_in(s, e) for e in rows]

    def _submitter(self, s: Session, actor: Actor, case: Case, party_id: int | None) -> CaseParty | None:
        """The party submitting (None: the agency); raises unless the actor may submit."""
        require_case_access(s, actor, case, "read")  # strangers: as if the case did not exist
        if actor.is_system or not actor.roles.isdisjoint(STAFF_ROLES):
            require_case_access(s, actor, case, "write")
            if party_id is None:
                return None
            party = s.get(CaseParty, party_id)
            if party is None or party.case_id != case.id:
                raise ValidationError(
                    "当事人不属于本案", [FieldProblem("/party_id", "not a party of this case")]
                )
            return party
        party = actor_party(s, actor, case.id)
        if party is None:
            raise PermissionDeniedError("只有本案当事人可以提交证据")
        if party_id is not None and party_id != party.id:
            raise PermissionDeniedError("当事人只能以本人名义提交证据")
        if case.closed_at is not None:
            raise ConflictError("案件已结案，不能再提交证据")
        return party

    # -- reading ------------------------------------------------------------------------------

    def for_case(self, actor: Actor, case_id: int) -> list[EvidenceView]:
        """The case's evidence, oldest first, for whoever may read the case."""
        with self.db.transaction() as s:
            case = self._case(s, case_id)
            require_case_access(s, actor, case, "read")
            rows = s.execute(
                select(Evidence, StoredFile, CaseParty)
                .join(StoredFile, StoredFile.id == Evidence.stored_file_id)
                .outerjoin(CaseParty, CaseParty.id == Evidence.party_id)
                .where(Evidence.case_id == case.id)
                .order_by(Evidence.id)
            ).all()
            return [_view(e, f, p) for e, f, p in rows]

    def get(self, actor: Actor, evidence_id: int, case_id: int | None = None) -> EvidenceView:
        with self.db.transaction() as s:
            return self.view_in(s, self._readable(s, actor, evidence_id, case_id))

    def content(
        self, actor: Actor, evidence_id: int, case_id: int | None = None
    ) -> tuple[EvidenceView, bytes]:
        """The file's bytes, checked against their SHA-256 by the store on the way out."""
        with self.db.transaction() as s:
            evidence = self._readable(s, actor, evidence_id, case_id)
            view = self.view_in(s, evidence)
            file = s.get(StoredFile, evidence.stored_file_id)
            assert file is not None
            bucket, key, version = Bucket(file.bucket), file.object_key, file.version_id
        return view, self.store.get(bucket, key, version)

    def _readable(self, s: Session, actor: Actor, evidence_id: int, case_id: int | None) -> Evidence:
        evidence = s.get(Evidence, evidence_id)
        if evidence is None or (case_id is not None and evidence.case_id != case_id):
            raise NotFoundError("evidence", evidence_id)
        require_case_access(s, actor, self._case(s, evidence.case_id), "read")
        return evidence

    @staticmethod
    def _case(s: Session, case_id: int, lock: bool = False) -> Case:
        case = s.get(Case, case_id, with_for_update=lock)
        if case is None:
            raise NotFoundError("case", case_id)
        return case

    @staticmethod
    def view_in(s: Session, evidence: Evidence) -> EvidenceView:
        """The view of an evidence row, inside the caller's transaction."""
        file = s.get(StoredFile, evidence.stored_file_id)
        assert file is not None
        party = s.get(CaseParty, evidence.party_id) if evidence.party_id is not None else None
        return _view(evidence, file, party)
