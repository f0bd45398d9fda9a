"""Issue formal documents: "issue document X for case Y" — numbered, rendered, sealed, archived.

Two phases, so no half-issued document is ever visible and nothing is lost:

1. `request` (inside the case's transaction, under its row lock): reserve the gap-free
   document number, a verification code, freeze the data to render, write the document row in
   state `pending` and an outbox message, append the audit event.  It commits with the case
   change that caused it, or not at all.
2. `complete` (right after, or later from the outbox by any worker): render, seal, store under
   a key fixed by the document id, then flip the row to `issued` in one short transaction.
   A crash or a failing TSA/S3 leaves the row `pending` with the error; the next attempt
   reuses an object an earlier attempt stored, so retries never produce a second document.
   Two workers racing on one document: the row lock decides, the loser changes nothing.

Content (the PDF) is served only for `issued` documents, to users who may read the case.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.access import require_case_access
from workflows.audit import SYSTEM, Actor, PendingEvent, append_case_events
from workflows.claim_types import claim_type_label
from workflows.db import Database
from workflows.document_kinds import DocumentKind, format_document_number, kind_of
from workflows.errors import (
    ConflictError,
    FieldProblem,
    LaborcaseError,
    NotFoundError,
    ObjectNotFoundError,
    SealingError,
    StorageError,
    ValidationError,
)
from workflows.models import Case, CaseParty, Claim, IssuedDocument, Organisation, OutboxMessage, StoredFile
from workflows.numbering import next_serial
from workflows.ports import (
    Bucket,
    DocumentRenderer,
    DocumentStore,
    Retention,
    Sealer,
    SealLevel,
    StoredObject,
    VerificationReport,
    Verifier,
)

log = logging.getLogger(__name__)

OUTBOX_KIND = "issue_document"
#: how long a worker owns a claimed outbox message before another may take it over
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by hand

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IssuedDocumentView:
    id: int
    case_id: int
    document_type: str
    title: str
    number: str
    state: str
    verification_code: str
    requested_at: datetime
    issued_at: datetime | None
    sha256: str | None
    pages: int | None
    attempts: int
    last_error: str | None
    archived_at: datetime | None = None  # when its B-LTA archival copy was kept (case closed)


@dataclass(frozen=True)
class PublicRecord:
    """What the public verification page may show about a document (no personal data)."""

    number: str
    title: str
    issuer: str
    state: str  # pending, issued, revoked, superseded
    issued_at: datetime | None
    sha256: str | None
    revoke_reason: str | None


@dataclass(frozen=True)
class UploadCheck:
    """Result of checking an uploaded PDF: its signatures and what our records say of it."""

    report: VerificationReport
    record: PublicRecord | None


def _view(d: IssuedDocument) -> IssuedDocumentView:
    return IssuedDocumentView(
        id=d.id,
        case_id=d.case_id,
        document_type=d.document_type,
        title=d.title,
        number=d.number,
        state=d.state,
        verification_code=d.verification_code,
        requested_at=d.requested_at,
        issued_at=d.issued_at,
        sha256=d.sha256,
        pages=d.pages,
        attempts=d.attempts,
        last_error=d.last_error,
        archived_at=d.archived_at,
    )


def archive_key(document_id: int) -> str:
    """Where a document's sealed PDF lives: fixed by its id, so a retry finds an earlier attempt."""
    return f"issued/{document_id:012d}.pdf"


def _stored_file(
    s: Session, doc: IssuedDocument, obj: StoredObject, kind: str, filename: str, now: datetime
) -> StoredFile:
    """The stored-file row of one of a document's PDFs (flushed: its id is needed)."""
    file = StoredFile.of(
        obj, kind=kind, filename=filename, uploaded_by=doc.requested_by, created_at=now, case_id=doc.case_id
    )
    s.add(file)
    s.flush()
    return file


def _outbox_job(document_id: int) -> Any:
    """UPDATE of the outbox job that issues the document (one statement, no read first)."""
    return (
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key == f"{OUTBOX_KIND}:{document_id}")
        .execution_options(synchronize_session=False)
    )


def put_once(
    store: DocumentStore,
    key: str,
    pdf: bytes,
    retention: Retention | None,
    metadata: Mapping[str, str],
    *,
    legal_hold: bool = False,
) -> StoredObject:
    """Store `pdf` locked under its fixed key in the archive; a racing worker's copy, if first,
    is kept (nothing is ever overwritten)."""
    try:
        return store.put(
            Bucket.ARCHIVE,
            pdf,
            content_type="application/pdf",
            key=key,
            retention=retention,
            legal_hold=legal_hold,
            metadata=metadata,
        )
    except StorageError:
        existing = stored_once(store, key)
        if existing is None:
            raise
        return existing[0]


def stored_once(store: DocumentStore, key: str) -> tuple[StoredObject, bytes] | None:
    """What an earlier attempt stored under `key` in the archive (its SHA-256 checked), if any."""
    try:
        obj = store.stat(Bucket.ARCHIVE, key)
    except ObjectNotFoundError:
        return None
    return obj, store.get(Bucket.ARCHIVE, key, obj.version_id)


def retention_of(kind: DocumentKind, start: datetime) -> Retention:
    """Locked for the kind's retention period (in years, leap days included) from `start`."""
    years = kind.retention_years
    return Retention(start + timedelta(days=365 * years + years // 4))


class IssuingService:
    def __init__(
        self,
        db: Database,
        renderer: DocumentRenderer,
        sealer: Sealer,
        store: DocumentStore,
        verifier: Verifier,
        *,
        verify_base_url: str,
        timezone: str = "Asia/Shanghai",
        clock: Clock = _utcnow,
    ):
        self.db = db
        self.renderer = renderer
        self.sealer = sealer
        self.store = store
        self.verifier = verifier
        self.verify_base_url = verify_base_url.rstrip("/")
        self.tz = ZoneInfo(timezone)
        self.clock = clock

    # -- phase 1: request -----------------------------------------------------------------

    def request(
        self,
        actor: Actor,
        case_id: int,
        document_type: str,
        data: Mapping[str, Any] | None = None,
        seal_level: SealLevel | None = None,
    ) -> IssuedDocumentView:
        """Reserve and record a document for the case (pending); `complete` issues it."""
        kind = kind_of(document_type)
        with self.db.transaction() as s:
            case = s.get(Case, case_id, with_for_update=True)
            if case is None:
                raise NotFoundError("case", case_id)
            require_case_access(s, actor, case, "write")
            doc = self.request_in(s, case, actor, kind, data or {}, seal_level)
            return _view(doc)

    def task_issues(
        self, session: Session, case: Case, document_type: str, data: Mapping[str, Any], actor: Actor
    ) -> None:
        """runtime.DocumentPolicy: a process step (e.g. 出具受理通知书) issues its document.

        The step's process data (form fields as in bpmn/*/forms) fill the document; data the
        document needs but the step lacks fail the step now, with field pointers, rather than
        leaving a document that can never be rendered."""
        self.request_in(session, case, actor, kind_of(document_type), data)

    def request_in(
        self,
        s: Session,
        case: Case,
        actor: Actor,
        kind: DocumentKind,
        data: Mapping[str, Any],
        seal_level: SealLevel | None = None,
    ) -> IssuedDocument:
        """Phase 1 inside the caller's transaction (the caller holds the case row lock)."""
        now = self.clock()
        year = now.astimezone(self.tz).year
        serial = next_serial(s, f"doc:{kind.key}", year)
        org = s.get(Organisation, case.organisation_id)
        short = (org.short_name if org else None) or "劳人"
        number = format_document_number(short, kind, year, serial)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        render_data = {
            **self._case_data(s, case, org),
            **dict(data),
            "issuer": org.name if org else "",  # the case's own body, never the caller's say
            "document_number": number,
            "issue_date": now.astimezone(self.tz).date().isoformat(),
            "verification_code": code,
            "verification_url": f"{self.verify_base_url}/{code}",
        }
        # bad data is the requester's error, now: not a document stuck pending with a number
        self.renderer.validate(kind.key, render_data)
        doc = IssuedDocument(
            case_id=case.id,
            document_type=kind.key,
            series=f"doc:{kind.key}",
            year=year,
            serial=serial,
            number=number,
            title=kind.title,
            verification_code=code,
            data=_jsonable(render_data),
            seal_level=str(seal_level or kind.seal_level),
            state="pending",
            requested_by=actor.user_id,
            requested_at=now,
            attempts=0,
        )
        s.add(doc)
        s.flush()
        s.add(
            OutboxMessage(
                idempotency_key=f"{OUTBOX_KIND}:{doc.id}",
                kind=OUTBOX_KIND,
                case_id=case.id,
                payload={"document_id": doc.id},
                state="pending",
                attempts=0,
                available_at=now,
            )
        )
        case.updated_at = now  # bumps the case version
        append_case_events(
            s,
            case,
            actor,
            [
                PendingEvent(
                    "document.requested",
                    f"document:{doc.id}",
                    None,
                    {"type": kind.key, "number": number, "state": "pending"},
                )
            ],
            at=now,
        )
        return doc

    def _case_data(self, s: Session, case: Case, org: Organisation | None) -> dict[str, Any]:
        parties = s.execute(select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id))
        claims = s.execute(select(Claim).where(Claim.case_id == case.id).order_by(Claim.position))
        return {
            "case_number": case.case_number,
            "case_title": case.title,
            "issuer": org.name if org else "",
            # the case is opened when the application is received (online filing or registration)
            "application_received_on": as_utc(case.created_at).astimezone(self.tz).date().isoformat(),
            "parties": [{"role": p.role, "name": p.name} for p in parties.scalars()],
            "claims": [
                {
                    "position": c.position,
                    "claim_type": c.claim_type,
                    "claim_type_label": claim_type_label(c.claim_type),
                    "description": c.description,
                    "amount": None if c.amount is None else str(c.amount),
                }
                for c in claims.scalars()
            ],
        }

    # -- phase 2: complete ----------------------------------------------------------------

    def issue(
        self,
        actor: Actor,
        case_id: int,
        document_type: str,
        data: Mapping[str, Any] | None = None,
        seal_level: SealLevel | None = None,
    ) -> IssuedDocumentView:
        """Request and complete at once; on a sealing/storage failure the view says `pending`."""
        view = self.request(actor, case_id, document_type, data, seal_level)
        try:
            return self.complete(view.id)
        except LaborcaseError:
            log.warning("document %s stays pending; the outbox retries it", view.id, exc_info=True)
            return self.get(actor, view.id)

    def complete(self, document_id: int) -> IssuedDocumentView:
        """Render, seal, store and record one pending document; idempotent and race-safe."""
        with self.db.transaction() as s:
            doc = s.get(IssuedDocument, document_id)
            if doc is None:
                raise NotFoundError("document", document_id)
            if doc.state != "pending":
                return _view(doc)
            kind = kind_of(doc.document_type)
            data, level = dict(doc.data), SealLevel(doc.seal_level)
        try:
            stored = self._produce(document_id, kind, data, level)
        except LaborcaseError as exc:
            self._record_failure(document_id, exc)
            raise
        return self._record_issued(document_id, kind, stored)

    def _produce(
        self, document_id: int, kind: DocumentKind, data: Mapping[str, Any], level: SealLevel
    ) -> tuple[StoredObject, int]:
        key = archive_key(document_id)
        existing = self._stored(key)
        if existing is not None:  # an earlier attempt stored it and died before recording
            return existing
        issuer = str(data.get("issuer") or "")
        if issuer and issuer != self.sealer.organisation:
            # never put one body's seal on another body's document
            raise SealingError(f"no seal for {issuer!r}: the configured seal is {self.sealer.organisation!r}")
        rendered = self.renderer.render(kind.key, data)
        sealed = self.sealer.seal(rendered.pdf, rendered.seal_position, level)
        metadata = {"document-id": str(document_id), "pages": str(rendered.pages)}
        return put_once(self.store, key, sealed, retention_of(kind, self.clock()), metadata), rendered.pages

    def _stored(self, key: str) -> tuple[StoredObject, int] | None:
        found = stored_once(self.store, key)
        return None if found is None else (found[0], int(found[0].metadata.get("pages", "0") or 0))

    def _record_issued(
        self, document_id: int, kind: DocumentKind, stored: tuple[StoredObject, int]
    ) -> IssuedDocumentView:
        obj, pages = stored
        now = self.clock()
        with self.db.transaction() as s:
            doc = s.get(IssuedDocument, document_id, with_for_update=True)
            if doc is None:
                raise NotFoundError("document", document_id)
            if doc.state != "pending":  # a racing worker recorded it first
                return _view(doc)
            case = s.get(Case, doc.case_id, with_for_update=True)
            assert case is not None
            file = _stored_file(s, doc, obj, f"document:{kind.key}", f"{kind.title}-{doc.number}.pdf", now)
            doc.state, doc.issued_at, doc.sha256, doc.pages = "issued", now, obj.sha256, pages
            doc.stored_file_id, doc.attempts, doc.last_error = file.id, doc.attempts + 1, None
            s.execute(_outbox_job(doc.id).values(state="done", done_at=now))
            case.updated_at = now
            append_case_events(
                s,
                case,
                SYSTEM,
                [
                    PendingEvent(
                        "document.issued",
                        f"document:{doc.id}",
                        {"state": "pending"},
                        {"state": "issued", "number": doc.number, "sha256": obj.sha256},
                    )
                ],
                at=now,
            )
            return _view(doc)

    def _record_failure(self, document_id: int, exc: Exception) -> None:
        """Keep the error on the document and back the outbox job off (5 s, 10 s, … ≤ 1 h)."""
        now = self.clock()
        with self.db.transaction() as s:
            doc = s.get(IssuedDocument, document_id, with_for_update=True)
            if doc is None or doc.state != "pending":
                return
            doc.attempts += 1
            doc.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            retry_at = now + timedelta(seconds=min(5 * 2 ** (doc.attempts - 1), 3600))
            s.execute(_outbox_job(doc.id).values(available_at=retry_at, last_error=doc.last_error))

    def retry(self, actor: Actor, document_id: int) -> IssuedDocumentView:
        """Complete a pending document now, for staff who may change its case."""
        with self.db.transaction() as s:
            doc = s.get(IssuedDocument, document_id)
            if doc is None:
                raise NotFoundError("document", document_id)
            case = s.get(Case, doc.case_id)
            assert case is not None
            require_case_access(s, actor, case, "write")
        return self.complete(document_id)

    # -- the outbox worker ----------------------------------------------------------------

    def claim_next(self) -> int | None:
        """Claim one due issuing job (SKIP LOCKED on PostgreSQL), leasing it for `LEASE`."""
        now = self.clock()
        with self.db.transaction() as s:
            msg = s.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.kind == OUTBOX_KIND,
                    OutboxMessage.state == "pending",
                    OutboxMessage.available_at <= now,
                )
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if msg is None:
                return None
            msg.attempts += 1
            if msg.attempts > MAX_ATTEMPTS:
                msg.state, msg.last_error = "failed", "too many attempts"
                return None
            # back off: a dead worker's job comes back after the lease, a failing one later
            msg.available_at = now + max(LEASE, timedelta(seconds=2 ** min(msg.attempts, 12)))
            return int(msg.payload["document_id"])

    def run_pending(self, limit: int | None = None) -> int:
        """Complete due pending documents until none is left; returns how many were issued."""
        issued = 0
        while limit is None or issued < limit:
            document_id = self.claim_next()
            if document_id is None:
                break
            try:
                if self.complete(document_id).state == "issued":
                    issued += 1
            except ConflictError:
                continue
            except LaborcaseError:
                log.warning("issuing document %s failed; it will be retried", document_id, exc_info=True)
        return issued

    # -- reading --------------------------------------------------------------------------

    def get(self, actor: Actor, document_id: int) -> IssuedDocumentView:
        with self.db.transaction() as s:
            doc = self._readable(s, actor, document_id)
            return _view(doc)

    def for_case(self, actor: Actor, case_id: int) -> list[IssuedDocumentView]:
        with self.db.transaction() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError("case", case_id)
            require_case_access(s, actor, case, "read")
            rows = s.execute(
                select(IssuedDocument).where(IssuedDocument.case_id == case_id).order_by(IssuedDocument.id)
            ).scalars()
            return [_view(d) for d in rows]

    def content(self, actor: Actor, document_id: int) -> tuple[IssuedDocumentView, bytes]:
        """The sealed PDF of an issued document (hash-checked by the store)."""
        with self.db.transaction() as s:
            doc = self._readable(s, actor, document_id)
            if doc.state == "pending" or doc.stored_file_id is None:
                raise NotFoundError("issued document content", document_id)
            file = s.get(StoredFile, doc.stored_file_id)
            assert file is not None
            view, bucket, key, version = _view(doc), Bucket(file.bucket), file.object_key, file.version_id
        return view, self.store.get(bucket, key, version)

    def _readable(self, s: Session, actor: Actor, document_id: int) -> IssuedDocument:
        doc = s.get(IssuedDocument, document_id)
        if doc is None:
            raise NotFoundError("document", document_id)
        case = s.get(Case, doc.case_id)
        assert case is not None
        require_case_access(s, actor, case, "read")
        return doc

    # -- public verification --------------------------------------------------------------

    def lookup(self, code: str) -> PublicRecord:
        """The public record behind a verification code (QR link or typed short code)."""
        code = code.strip().upper().replace("-", "").replace(" ", "")
        with self.db.transaction() as s:
            doc = s.execute(
                select(IssuedDocument).where(IssuedDocument.verification_code == code)
            ).scalar_one_or_none()
            if doc is None:
                raise NotFoundError("verification code", code)
            return self._public(s, doc)

    def check_upload(self, pdf: bytes) -> UploadCheck:
        """Verify an uploaded PDF's signatures and find it in our records by its SHA-256."""
        report = self.verifier.verify(pdf)
        with self.db.transaction() as s:
            doc = s.execute(
                select(IssuedDocument).where(IssuedDocument.sha256 == report.sha256).limit(1)
            ).scalar_one_or_none()
            return UploadCheck(report, self._public(s, doc) if doc is not None else None)

    def _public(self, s: Session, doc: IssuedDocument) -> PublicRecord:
        case = s.get(Case, doc.case_id)
        org = s.get(Organisation, case.organisation_id) if case else None
        return PublicRecord(
            number=doc.number,
            title=doc.title,
            issuer=org.name if org else "",
            state=doc.state,
            issued_at=doc.issued_at,
            sha256=doc.sha256,
            revoke_reason=doc.revoke_reason,
        )

    # -- revocation -----------------------------------------------------------------------

    def revoke(self, actor: Actor, document_id: int, reason: str) -> IssuedDocumentView:
        """Withdraw an issued document (e.g. set aside by a court); the record stays, marked."""
        reason = reason.strip()
        if len(reason) < 2:
            raise ValidationError("a reason is required", [FieldProblem("/reason", "至少 2 个字")])
        with self.db.transaction() as s:
            doc = s.get(IssuedDocument, document_id, with_for_update=True)
            if doc is None:
                raise NotFoundError("document", document_id)
            case = s.get(Case, doc.case_id, with_for_update=True)
            assert case is not None
            require_case_access(s, actor, case, "write")
            if doc.state != "issued":
                raise ConflictError(f"document {document_id} is {doc.state}, not issued")
            now = self.clock()
            doc.state, doc.revoked_at, doc.revoke_reason = "revoked", now, reason
            case.updated_at = now
            append_case_events(
                s,
                case,
                actor,
                [
                    PendingEvent(
                        "document.revoked",
                        f"document:{doc.id}",
                        {"state": "issued"},
                        {"state": "revoked", "reason": reason},
                    )
                ],
                at=now,
            )
            return _view(doc)


def _jsonable(value: Any) -> Any:
    """Render data as stored JSON: dates and decimals as strings."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
