"""Archival copies (归档) of issued documents, and their renewal for as long as they are kept.

When a case closes, each document issued for it gets an archival copy: the sealed PDF raised to
PAdES B-LTA (the validation data of its seal and timestamps, then an archive timestamp), stored
locked beside the original for the document's retention period.  The parties keep getting the
B-T original.

An archive timestamp proves the copy's content only while it can itself be verified, i.e. until
its TSA certificate ends.  Before then (`RENEWAL_MARGIN`) the sweep renews the copy: the
validation data of that timestamp and a further archive timestamp, by incremental update, as a
new locked object (`archival_key(id, n)`); earlier copies stay as they are.

Both steps are idempotent, race-safe and crash-safe like issuing: the object key is fixed in
advance, so a retry finds what a dead worker stored, and a row lock decides which of two racing
workers records it.  A failure (TSA down) records nothing; the next sweep tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from workflows.audit import SYSTEM, PendingEvent, append_case_events
from workflows.db import Database
from workflows.document_kinds import kind_of
from workflows.errors import LaborcaseError, NotFoundError
from workflows.issuing import as_utc, put_once, retention_of, stored_file_row, stored_once
from workflows.models import Case, IssuedDocument, StoredFile
from workflows.ports import Bucket, DocumentStore, Retention, Sealer, SealLevel

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: renew an archival copy this long before its newest archive timestamp's TSA certificate ends
#: (a year leaves room for a TSA that is down, or a store that is, for months)
RENEWAL_MARGIN = timedelta(days=365)
#: when renewal would not outlast the margin (the TSA's own certificate ends within it), wait this
#: long for the TSA's next certificate rather than store a copy that extends nothing
RENEWAL_RETRY = timedelta(days=7)


def archival_key(document_id: int, renewal: int = 0) -> str:
    """Where a document's archival copy (B-LTA) lives: fixed by its id and how often it was renewed,
    so a retry finds an earlier attempt and a renewal never touches the copy before it."""
    suffix = f"-{renewal}" if renewal else ""
    return f"archival/{document_id:012d}{suffix}.pdf"


@dataclass(frozen=True)
class _Source:
    """The PDF an archival step starts from, read in a first short transaction."""

    document_id: int
    case_id: int
    bucket: Bucket
    key: str
    version_id: str | None
    sha256: str
    title: str
    number: str
    issued_at: datetime
    retention_kind: str


class ArchivalService:
    def __init__(self, db: Database, sealer: Sealer, store: DocumentStore, *, clock: Clock):
        self.db = db
        self.sealer = sealer
        self.store = store
        self.clock = clock

    # -- the worker's sweep ---------------------------------------------------------------

    def sweep(self, limit: int = 200) -> tuple[int, int]:
        """Archive the documents of closed cases, then renew copies that are due; at most `limit`
        documents each.  Returns (copies made, copies renewed)."""
        return self.archive_closed(limit), self.renew_due(limit)

    def archive_closed(self, limit: int | None = None) -> int:
        """Make the archival copy of every issued document of a closed case that lacks one.

        A document whose copy fails (e.g. the TSA does not answer) is left for the next sweep;
        returns how many copies were made."""
        return self._each(self._next_to_archive, self.archive, limit, "archival copy")

    def renew_due(self, limit: int | None = None) -> int:
        """Renew every archival copy whose renewal date has come (and learn the date of copies
        kept before it was recorded); returns how many were renewed."""
        return self._each(self._next_to_renew, self.renew, limit, "renewal of the archival copy")

    def _each(
        self,
        next_id: Callable[[set[int]], int | None],
        act: Callable[[int], bool],
        limit: int | None,
        what: str,
    ) -> int:
        done, tried = 0, set[int]()
        while limit is None or len(tried) < limit:
            document_id = next_id(tried)
            if document_id is None:
                break
            tried.add(document_id)
            try:
                done += act(document_id)
            except LaborcaseError:
                log.warning("%s of document %s failed; next sweep", what, document_id, exc_info=True)
        return done

    def _next_to_archive(self, skip: set[int]) -> int | None:
        stmt = (
            select(IssuedDocument.id)
            .join(Case, Case.id == IssuedDocument.case_id)
            .where(
                Case.closed_at.is_not(None),
                IssuedDocument.stored_file_id.is_not(None),
                IssuedDocument.archival_file_id.is_(None),
            )
        )
        return self._first(stmt, skip)

    def _next_to_renew(self, skip: set[int]) -> int | None:
        due = or_(IssuedDocument.archive_renew_by.is_(None), IssuedDocument.archive_renew_by <= self.clock())
        stmt = select(IssuedDocument.id).where(IssuedDocument.archival_file_id.is_not(None), due)
        return self._first(stmt, skip)

    def _first(self, stmt: Select[Any], skip: set[int]) -> int | None:
        query = stmt.order_by(IssuedDocument.id).limit(1)
        if skip:
            query = query.where(IssuedDocument.id.not_in(skip))
        with self.db.transaction() as s:
            found = s.execute(query).scalar_one_or_none()
            return None if found is None else int(found)

    # -- the first copy -------------------------------------------------------------------

    def archive(self, document_id: int) -> bool:
        """Raise one issued document's sealed PDF to B-LTA and keep it beside the original, locked
        for the same period; idempotent and race-safe.  False if it had a copy."""
        with self.db.transaction() as s:
            doc = self._document(s, document_id)
            if doc.archival_file_id is not None or doc.stored_file_id is None:
                return False
            source = self._source(s, doc, doc.stored_file_id)
        key = archival_key(document_id)
        existing = stored_once(self.store, key)
        if existing is not None:  # an earlier attempt stored it and died before recording
            obj, copy = existing
        else:
            copy = self.sealer.archival_copy(self._read(source))
            metadata = {"document-id": str(document_id), "archival-copy-of": source.sha256}
            obj = put_once(self.store, key, copy, self._retention(source), metadata)
        renew_by = self.sealer.archive_expiry(copy) - RENEWAL_MARGIN
        now = self.clock()
        with self.db.transaction() as s:
            doc, case = self._locked(s, document_id)
            if doc.archival_file_id is not None:  # a racing worker recorded its copy first
                return False
            file = stored_file_row(
                s,
                doc,
                obj,
                f"archival:{source.retention_kind}",
                f"{source.title}-{source.number}-归档.pdf",
                now,
            )
            doc.archival_file_id, doc.archived_at, doc.archive_renew_by = file.id, now, renew_by
            details = {"sha256": obj.sha256, "level": SealLevel.B_LTA.value, "copy_of": doc.sha256}
            self._event(s, case, doc, "document.archived", details, now, renew_by)
            return True

    # -- renewal --------------------------------------------------------------------------

    def renew(self, document_id: int) -> bool:
        """Add a further archive timestamp to a document's archival copy whose renewal is due,
        kept as a new locked object; idempotent and race-safe.  False if nothing was renewed
        (not due, renewed by another worker, or the TSA's certificate would not outlast the
        margin; then it is tried again in `RENEWAL_RETRY`)."""
        now = self.clock()
        with self.db.transaction() as s:
            doc = self._document(s, document_id)
            if doc.archival_file_id is None:
                return False
            if doc.archive_renew_by is not None and as_utc(doc.archive_renew_by) > now:
                return False
            source = self._source(s, doc, doc.archival_file_id)
            renewals, known = doc.archive_renewals, doc.archive_renew_by is not None
        if not known:  # kept before renewal dates were recorded: read the date off the copy
            return self._learn_renewal_date(document_id, renewals, self._read(source))
        key = archival_key(document_id, renewals + 1)
        existing = stored_once(self.store, key)
        if existing is not None:  # an earlier attempt stored it and died before recording
            obj, renewed = existing
        else:
            renewed = self.sealer.archival_copy(self._read(source))
            if self.sealer.archive_expiry(renewed) - RENEWAL_MARGIN <= now:
                log.warning(
                    "the TSA's certificate ends within %s: the archival copy of document %s waits for"
                    " the TSA's next certificate",
                    RENEWAL_MARGIN,
                    document_id,
                )
                return self._postpone(document_id, renewals, now + RENEWAL_RETRY)
            metadata = {
                "document-id": str(document_id),
                "archival-copy-of": source.sha256,
                "renewal": str(renewals + 1),
            }
            obj = put_once(self.store, key, renewed, self._retention(source), metadata)
        renew_by = self.sealer.archive_expiry(renewed) - RENEWAL_MARGIN
        with self.db.transaction() as s:
            doc, case = self._locked(s, document_id)
            if doc.archive_renewals != renewals:  # a racing worker recorded this renewal first
                return False
            file = stored_file_row(
                s,
                doc,
                obj,
                f"archival:{source.retention_kind}",
                f"{source.title}-{source.number}-归档-{renewals + 1}.pdf",
                now,
            )
            doc.archival_file_id, doc.archive_renewals, doc.archive_renew_by = file.id, renewals + 1, renew_by
            details = {"sha256": obj.sha256, "renewal": renewals + 1, "renewal_of": source.sha256}
            self._event(s, case, doc, "document.archive_renewed", details, now, renew_by)
            return True

    def _learn_renewal_date(self, document_id: int, renewals: int, copy: bytes) -> bool:
        renew_by = self.sealer.archive_expiry(copy) - RENEWAL_MARGIN
        with self.db.transaction() as s:
            doc, _ = self._locked(s, document_id)
            if doc.archive_renewals == renewals and doc.archive_renew_by is None:
                doc.archive_renew_by = renew_by
        return False  # nothing renewed yet: due or not, the next sweep takes it by its date

    def _postpone(self, document_id: int, renewals: int, until: datetime) -> bool:
        with self.db.transaction() as s:
            doc, _ = self._locked(s, document_id)
            if doc.archive_renewals == renewals:
                doc.archive_renew_by = until
        return False

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _document(s: Session, document_id: int) -> IssuedDocument:
        doc = s.get(IssuedDocument, document_id)
        if doc is None:
            raise NotFoundError("document", document_id)
        return doc

    @staticmethod
    def _locked(s: Session, document_id: int) -> tuple[IssuedDocument, Case]:
        """The document and its case, locked in the order issuing takes them (document first)."""
        doc = s.get(IssuedDocument, document_id, with_for_update=True)
        if doc is None:
            raise NotFoundError("document", document_id)
        case = s.get(Case, doc.case_id, with_for_update=True)
        assert case is not None
        return doc, case

    @staticmethod
    def _source(s: Session, doc: IssuedDocument, file_id: int) -> _Source:
        file = s.get(StoredFile, file_id)
        assert file is not None and doc.issued_at is not None
        kind = kind_of(doc.document_type)
        return _Source(
            doc.id, doc.case_id, Bucket(file.bucket), file.object_key, file.version_id, file.sha256,
            kind.title, doc.number, as_utc(doc.issued_at), kind.key,
        )  # fmt: skip

    def _read(self, source: _Source) -> bytes:
        return self.store.get(source.bucket, source.key, source.version_id)  # checks its SHA-256

    @staticmethod
    def _retention(source: _Source) -> Retention:
        return retention_of(kind_of(source.retention_kind), source.issued_at)

    @staticmethod
    def _event(
        s: Session,
        case: Case,
        doc: IssuedDocument,
        action: str,
        details: Mapping[str, object],
        now: datetime,
        renew_by: datetime,
    ) -> None:
        details = {**details, "renew_by": renew_by.isoformat()}
        append_case_events(
            s, case, SYSTEM, [PendingEvent(action, f"document:{doc.id}", None, details)], at=now
        )
