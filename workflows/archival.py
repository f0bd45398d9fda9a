"""Archival copies (归档) of sealed records, and their renewal for as long as they are kept.

Two kinds of record get one: each document issued for a case, once the case is closed, and each
concluded labour contract.  The copy is the sealed PDF raised to PAdES B-LTA (the validation data
of its seals, signatures and timestamps, then an archive timestamp), stored locked beside the
original and as long as it.  The parties keep getting the original.

An archive timestamp proves the copy's content only while it can itself be verified, i.e. until
its TSA certificate ends.  Before then (`RENEWAL_MARGIN`) the sweep renews the copy: the
validation data of that timestamp and a further archive timestamp, by incremental update, as a
new locked object (`…-<n>.pdf`); earlier copies stay as they are.  Personal signing certificates
(two years) and seal certificates end long before a contract's or an award's retention does:
without this, their signatures could no longer be checked after a few years.

Both steps are idempotent, race-safe and crash-safe like issuing: the object key is fixed in
advance, so a retry finds what a dead worker stored, and a row lock decides which of two racing
workers records it.  A failure (TSA down) records nothing; the next sweep tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from workflows.audit import SYSTEM, PendingEvent, append_case_events, append_chain_event
from workflows.contracts import CONCLUDED, chain_of_contract, lock_contract
from workflows.db import Database
from workflows.document_kinds import kind_of
from workflows.errors import LaborcaseError, NotFoundError
from workflows.issuing import as_utc, put_once, retention_of, stored_once
from workflows.models import Case, IssuedDocument, LabourContract, StoredFile
from workflows.ports import Bucket, DocumentStore, Retention, Sealer, SealLevel, StoredObject

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Record = IssuedDocument | LabourContract

#: renew an archival copy this long before its newest archive timestamp's TSA certificate ends
#: (a year leaves room for a TSA that is down, or a store that is, for months)
RENEWAL_MARGIN = timedelta(days=365)
#: when renewal would not outlast the margin (the TSA's own certificate ends within it), wait this
#: long for the TSA's next certificate rather than store a copy that extends nothing
RENEWAL_RETRY = timedelta(days=7)

Protection = tuple[Retention | None, bool]  # retention (COMPLIANCE) and legal hold


def archival_key(document_id: int, renewal: int = 0) -> str:
    """Where an issued document's archival copy lives: fixed by its id and how often it was
    renewed, so a retry finds an earlier attempt and a renewal never touches the copy before it."""
    return f"archival/{document_id:012d}{_suffix(renewal)}.pdf"


def contract_archival_key(contract_id: int, final_sha256: str, renewal: int = 0) -> str:
    """Where a concluded labour contract's archival copy lives, beside its other archived files
    (named after the final contract's hash, as they are)."""
    return f"labour_contract/{contract_id}/archival-{final_sha256[:16]}{_suffix(renewal)}.pdf"


def _suffix(renewal: int) -> str:
    return f"-{renewal}" if renewal else ""


class _Kind(Protocol):
    """What the archival steps need to know of one kind of record."""

    @property
    def model(self) -> type[Record]: ...

    @property
    def event_prefix(self) -> str: ...

    def awaiting(self) -> Select[Any]:
        """Ids of the records that should have a first archival copy and have none."""
        ...

    def source_file_id(self, record: Any) -> int | None: ...

    def key(self, record: Any, renewal: int) -> str: ...

    def protection(self, s: Session, record: Any, store: DocumentStore) -> Protection:
        """How the copy is locked: as long as the original."""
        ...

    def file_row(self, record: Any, obj: StoredObject, renewal: int, now: datetime) -> StoredFile: ...

    def lock(self, s: Session, record_id: int) -> Any:
        """The record, row-locked with whatever its audit event needs, in the order its other
        writers lock them; returns what `record_event` takes."""
        ...

    def record_event(
        self, s: Session, locked: Any, action: str, details: Mapping[str, Any], now: datetime
    ) -> None: ...


class _Documents:
    model = IssuedDocument
    event_prefix = "document"

    def awaiting(self) -> Select[Any]:
        return (
            select(IssuedDocument.id)
            .join(Case, Case.id == IssuedDocument.case_id)
            .where(
                Case.closed_at.is_not(None),
                IssuedDocument.stored_file_id.is_not(None),
                IssuedDocument.archival_file_id.is_(None),
            )
        )

    def source_file_id(self, record: IssuedDocument) -> int | None:
        return record.stored_file_id

    def key(self, record: IssuedDocument, renewal: int) -> str:
        return archival_key(record.id, renewal)

    def protection(self, s: Session, record: IssuedDocument, store: DocumentStore) -> Protection:
        assert record.issued_at is not None
        return retention_of(kind_of(record.document_type), as_utc(record.issued_at)), False

    def file_row(self, record: IssuedDocument, obj: StoredObject, renewal: int, now: datetime) -> StoredFile:
        kind = kind_of(record.document_type)
        return StoredFile.of(
            obj,
            kind=f"archival:{kind.key}",
            filename=f"{kind.title}-{record.number}-归档{_suffix(renewal)}.pdf",
            uploaded_by=record.requested_by,
            created_at=now,
            case_id=record.case_id,
        )

    def lock(self, s: Session, record_id: int) -> tuple[IssuedDocument, Case]:
        doc = s.get(IssuedDocument, record_id, with_for_update=True)  # document first, as issuing does
        if doc is None:
            raise NotFoundError("document", record_id)
        case = s.get(Case, doc.case_id, with_for_update=True)
        assert case is not None
        return doc, case

    def record_event(
        self,
        s: Session,
        locked: tuple[IssuedDocument, Case],
        action: str,
        details: Mapping[str, Any],
        now: datetime,
    ) -> None:
        doc, case = locked
        event = PendingEvent(f"document.{action}", f"document:{doc.id}", None, dict(details))
        append_case_events(s, case, SYSTEM, [event], at=now)


class _Contracts:
    model = LabourContract
    event_prefix = "labour_contract"

    def awaiting(self) -> Select[Any]:
        return select(LabourContract.id).where(
            LabourContract.state == CONCLUDED,
            LabourContract.final_file_id.is_not(None),
            LabourContract.archival_file_id.is_(None),
        )

    def source_file_id(self, record: LabourContract) -> int | None:
        return record.final_file_id

    def key(self, record: LabourContract, renewal: int) -> str:
        assert record.final_sha256 is not None
        return contract_archival_key(record.id, record.final_sha256, renewal)

    def protection(self, s: Session, record: LabourContract, store: DocumentStore) -> Protection:
        """The final contract's lock as it stands: two years after the contract ends, or legal
        hold while its end is unknown (kept in step by `_keep_family` of the lifecycle)."""
        assert record.final_file_id is not None
        final = s.get(StoredFile, record.final_file_id)
        assert final is not None
        obj = store.stat(Bucket(final.bucket), final.object_key, final.version_id)
        return (Retention(obj.retain_until) if obj.retain_until else None), obj.legal_hold

    def file_row(self, record: LabourContract, obj: StoredObject, renewal: int, now: datetime) -> StoredFile:
        return StoredFile.of(
            obj,
            kind="labour_contract_archival",
            filename=f"{record.contract_number}-archival{_suffix(renewal)}.pdf",
            uploaded_by=None,
            created_at=now,
        )

    def lock(self, s: Session, record_id: int) -> LabourContract:
        return lock_contract(s, record_id, case_unused=True)

    def record_event(
        self, s: Session, locked: LabourContract, action: str, details: Mapping[str, Any], now: datetime
    ) -> None:
        chain = chain_of_contract(locked.id)
        after = {"state": locked.state, **details}
        append_chain_event(s, chain, SYSTEM, f"labour_contract.{action}", chain, after, at=now)


DOCUMENTS: _Kind = _Documents()
CONTRACTS: _Kind = _Contracts()


class ArchivalService:
    def __init__(self, db: Database, sealer: Sealer, store: DocumentStore, *, clock: Clock):
        self.db = db
        self.sealer = sealer
        self.store = store
        self.clock = clock

    # -- the worker's sweep ---------------------------------------------------------------

    def sweep(self, limit: int | None = 200) -> tuple[int, int]:
        """Archive what awaits a first copy (documents of closed cases, concluded contracts), then
        renew the copies that are due; at most `limit` records of each kind (None: every one, once).
        Returns (made, renewed)."""
        kinds = (DOCUMENTS, CONTRACTS)
        made = sum(self._each(kind, self._next_to_archive, self._archive, limit) for kind in kinds)
        return made, self.renew_due(limit)

    def archive_closed(self, limit: int | None = None) -> int:
        """Make the archival copy of every issued document of a closed case that lacks one.

        A document whose copy fails (e.g. the TSA does not answer) is left for the next sweep;
        returns how many copies were made."""
        return self._each(DOCUMENTS, self._next_to_archive, self._archive, limit)

    def archive_concluded_contracts(self, limit: int | None = None) -> int:
        """Make the archival copy of every concluded labour contract that lacks one."""
        return self._each(CONTRACTS, self._next_to_archive, self._archive, limit)

    def renew_due(self, limit: int | None = None) -> int:
        """Renew every archival copy whose renewal date has come (and learn the date of copies
        kept before it was recorded); returns how many were renewed."""
        kinds = (DOCUMENTS, CONTRACTS)
        return sum(self._each(kind, self._next_to_renew, self._renew, limit) for kind in kinds)

    def archive(self, document_id: int) -> bool:
        """The archival copy of one issued document (see `_archive`)."""
        return self._archive(DOCUMENTS, document_id)

    def archive_contract(self, contract_id: int) -> bool:
        """The archival copy of one concluded labour contract (see `_archive`)."""
        return self._archive(CONTRACTS, contract_id)

    def renew(self, document_id: int) -> bool:
        """Renew one issued document's archival copy if due (see `_renew`)."""
        return self._renew(DOCUMENTS, document_id)

    def renew_contract(self, contract_id: int) -> bool:
        """Renew one labour contract's archival copy if due (see `_renew`)."""
        return self._renew(CONTRACTS, contract_id)

    def _each(
        self,
        kind: _Kind,
        next_id: Callable[[_Kind, set[int]], int | None],
        act: Callable[[_Kind, int], bool],
        limit: int | None,
    ) -> int:
        done, tried = 0, set[int]()
        while limit is None or len(tried) < limit:
            record_id = next_id(kind, tried)
            if record_id is None:
                break
            tried.add(record_id)
            try:
                done += act(kind, record_id)
            except LaborcaseError:
                log.warning("archival copy of %s %s failed", kind.event_prefix, record_id, exc_info=True)
        return done

    def _next_to_archive(self, kind: _Kind, skip: set[int]) -> int | None:
        return self._first(kind, kind.awaiting(), skip)

    def _next_to_renew(self, kind: _Kind, skip: set[int]) -> int | None:
        model = kind.model
        due = or_(model.archive_renew_by.is_(None), model.archive_renew_by <= self.clock())
        return self._first(kind, select(model.id).where(model.archival_file_id.is_not(None), due), skip)

    def _first(self, kind: _Kind, stmt: Select[Any], skip: set[int]) -> int | None:
        query = stmt.order_by(kind.model.id).limit(1)
        if skip:
            query = query.where(kind.model.id.not_in(skip))
        with self.db.transaction() as s:
            found = s.execute(query).scalar_one_or_none()
            return None if found is None else int(found)

    # -- the first copy -------------------------------------------------------------------

    def _archive(self, kind: _Kind, record_id: int) -> bool:
        """Raise one record's sealed PDF to B-LTA and keep it beside the original, locked as long;
        idempotent and race-safe.  False if it had a copy (or has nothing to copy yet)."""
        with self.db.transaction() as s:
            record = self._get(s, kind, record_id)
            file_id = kind.source_file_id(record)
            if record.archival_file_id is not None or file_id is None:
                return False
            source, key = self._source(s, file_id), kind.key(record, 0)
        existing = stored_once(self.store, key)
        if existing is not None:  # an earlier attempt stored it and died before recording
            obj, copy = existing
        else:
            copy = self.sealer.archival_copy(self._read(source))
            obj = self._put(kind, record_id, key, copy, source, renewal=0)
        renew_by = self.sealer.archive_expiry(copy) - RENEWAL_MARGIN
        now = self.clock()
        with self.db.transaction() as s:
            locked = kind.lock(s, record_id)
            record = self._get(s, kind, record_id)
            if record.archival_file_id is not None:  # a racing worker recorded its copy first
                return False
            file = self._file(s, kind, record, obj, copy, 0, now)
            record.archival_file_id, record.archived_at, record.archive_renew_by = file.id, now, renew_by
            details = {"sha256": obj.sha256, "level": SealLevel.B_LTA.value, "copy_of": source.sha256}
            kind.record_event(s, locked, "archived", {**details, "renew_by": renew_by.isoformat()}, now)
            return True

    # -- renewal --------------------------------------------------------------------------

    def _renew(self, kind: _Kind, record_id: int) -> bool:
        """Add a further archive timestamp to a record's archival copy whose renewal is due, kept
        as a new locked object; idempotent and race-safe.  False if nothing was renewed (not due,
        renewed by another worker, or the TSA's certificate would not outlast the margin; then it
        is tried again in `RENEWAL_RETRY`)."""
        now = self.clock()
        with self.db.transaction() as s:
            record = self._get(s, kind, record_id)
            if record.archival_file_id is None:
                return False
            if record.archive_renew_by is not None and as_utc(record.archive_renew_by) > now:
                return False
            source = self._source(s, record.archival_file_id)
            renewals, known = record.archive_renewals, record.archive_renew_by is not None
            key = kind.key(record, renewals + 1)
        if not known:  # kept before renewal dates were recorded: read the date off the copy
            renew_by = self.sealer.archive_expiry(self._read(source)) - RENEWAL_MARGIN
            self._set_renewal_date(kind, record_id, renewals, renew_by)
            return False  # due or not, the next sweep takes it by its date
        renewal = renewals + 1
        existing = stored_once(self.store, key)
        if existing is not None:  # an earlier attempt stored it and died before recording
            obj, renewed = existing
        else:
            renewed = self.sealer.archival_copy(self._read(source))
            if self.sealer.archive_expiry(renewed) - RENEWAL_MARGIN <= now:
                log.warning(
                    "the TSA's certificate ends within %s: the archival copy of %s %s waits for"
                    " the TSA's next certificate",
                    RENEWAL_MARGIN,
                    kind.event_prefix,
                    record_id,
                )
                self._set_renewal_date(kind, record_id, renewals, now + RENEWAL_RETRY)
                return False
            obj = self._put(kind, record_id, key, renewed, source, renewal=renewal)
        renew_by = self.sealer.archive_expiry(renewed) - RENEWAL_MARGIN
        with self.db.transaction() as s:
            locked = kind.lock(s, record_id)
            record = self._get(s, kind, record_id)
            if record.archive_renewals != renewals:  # a racing worker recorded this renewal first
                return False
            file = self._file(s, kind, record, obj, renewed, renewal, now)
            record.archival_file_id, record.archive_renewals, record.archive_renew_by = (
                file.id,
                renewal,
                renew_by,
            )
            details = {"sha256": obj.sha256, "renewal": renewal, "renewal_of": source.sha256}
            kind.record_event(
                s, locked, "archive_renewed", {**details, "renew_by": renew_by.isoformat()}, now
            )
            return True

    def _set_renewal_date(self, kind: _Kind, record_id: int, renewals: int, renew_by: datetime) -> None:
        with self.db.transaction() as s:
            kind.lock(s, record_id)
            record = self._get(s, kind, record_id)
            if record.archive_renewals == renewals:
                record.archive_renew_by = renew_by

    # -- helpers --------------------------------------------------------------------------

    def _put(
        self, kind: _Kind, record_id: int, key: str, pdf: bytes, source: StoredFile, *, renewal: int
    ) -> StoredObject:
        """Store a copy under its fixed key, locked as the original is now; a racing worker's
        copy, if first, is kept (nothing is ever overwritten)."""
        with self.db.transaction() as s:
            retention, hold = kind.protection(s, self._get(s, kind, record_id), self.store)
        metadata = {"record": f"{kind.event_prefix}:{record_id}", "archival-copy-of": source.sha256}
        if renewal:
            metadata["renewal"] = str(renewal)
        return put_once(self.store, key, pdf, retention, metadata, legal_hold=hold)

    def _file(
        self, s: Session, kind: _Kind, record: Any, obj: StoredObject, pdf: bytes, renewal: int, now: datetime
    ) -> StoredFile:
        """The stored-file row of a copy, recorded under the record's lock: if the original's lock
        changed since the copy was stored (a contract ended meanwhile), the copy follows it."""
        retention, hold = kind.protection(s, record, self.store)
        longer = retention is not None and (obj.retain_until is None or retention.until > obj.retain_until)
        if longer or hold != obj.legal_hold:
            obj = self.store.put(
                Bucket.ARCHIVE, pdf, content_type="application/pdf", key=obj.key,
                retention=retention, legal_hold=hold, metadata=obj.metadata,
            )  # fmt: skip
            if not hold and obj.legal_hold:
                self.store.set_legal_hold(Bucket.ARCHIVE, obj.key, False, obj.version_id)
        file = kind.file_row(record, obj, renewal, now)
        s.add(file)
        s.flush()
        return file

    @staticmethod
    def _get(s: Session, kind: _Kind, record_id: int) -> Any:
        record = s.get(kind.model, record_id)
        if record is None:
            raise NotFoundError(kind.event_prefix, record_id)
        return record

    @staticmethod
    def _source(s: Session, file_id: int) -> StoredFile:
        file = s.get(StoredFile, file_id)
        assert file is not None
        s.expunge(file)
        return file

    def _read(self, source: StoredFile) -> bytes:
        # the read checks its SHA-256
        return self.store.get(Bucket(source.bucket), source.object_key, source.version_id)
