"""SQLAlchemy 2.x models of the case domain.

Portable across SQLite (embedded default) and PostgreSQL (tests, production):
JSON columns use the generic JSON type, timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from workflows.ports import StoredObject

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER on SQLite (so it autoincrements there).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


# ---------------------------------------------------------------------------
# People and organisations
# ---------------------------------------------------------------------------


class Organisation(Base):
    """An agency unit (commission, inspection body, …) or an employer."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # commission, inspection_body, employer, court, …
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(20))  # 机关代字 in document numbers, e.g. 穗劳人
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)  # encrypted at rest
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    resident_id: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Person(Base):
    """A natural person appearing in cases (worker, agent, witness), with or without an account."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    resident_id: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)


# ---------------------------------------------------------------------------
# Process definitions
# ---------------------------------------------------------------------------


class ProcessDefinition(Base):
    """One deployed version of a process folder, identified by the hash of its files."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_key", "version"),
        UniqueConstraint("process_key", "content_hash"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_process_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    files: Mapped[dict[str, Any]] = mapped_column(JSON)  # file name -> text
    deployed_at: Mapped[datetime]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


class CaseNumberCounter(Base):
    """Gap-free case numbers: one row per (case type, year), incremented under a row lock."""

    __tablename__ = "case_number_counter"
    case_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "case_record"
    __table_args__ = (UniqueConstraint("case_type", "year", "serial"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    case_type: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(32), index=True)  # open, suspended, closed
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # optimistic concurrency: every change to the case bumps it
    version: Mapped[int] = mapped_column(Integer, default=1)
    # workflow state: small meta document; tasks live in workflow_task rows
    workflow_meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    # head of this case's audit hash chain
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")

    parties: Mapped[list[CaseParty]] = relationship(cascade="all, delete-orphan", lazy="raise")
    claims: Mapped[list[Claim]] = relationship(cascade="all, delete-orphan", lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CaseParty(Base):
    __tablename__ = "case_party"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # applicant, respondent, agent, third_party
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    represents_party_id: Mapped[int | None] = mapped_column(ForeignKey("case_party.id"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(200))  # 住所 (法28: the application states it)
    # set on an applicant elected representative of a collective case (法7): when, and who recorded it
    representative_recorded_at: Mapped[datetime | None]
    representative_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Claim(Base):
    """One item of what the applicant asks for."""

    __tablename__ = "claim"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    claim_type: Mapped[str] = mapped_column(String(48))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Any | None] = mapped_column(Numeric(14, 2))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)


class CaseLink(Base):
    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("from_case_id", "to_case_id", "relation"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    from_case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    to_case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(32))  # continues, related, appeal, collective_member


class CaseAssignment(Base):
    """Staff (or a court client) explicitly assigned to a case, beyond their organisation."""

    __tablename__ = "case_assignment"
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime]


# ---------------------------------------------------------------------------
# Workflow state and tasks
# ---------------------------------------------------------------------------


class WorkflowTask(Base):
    """One engine task of a case's pruned task tree (see workflows.engine)."""

    __tablename__ = "workflow_task"
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(36), default="")
    state: Mapped[str] = mapped_column(String(16))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)


class HumanTask(Base):
    """An inbox item: a ready user task offered to a candidate group, claimable by one user."""

    __tablename__ = "human_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine task id
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    candidate_role: Mapped[str | None] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # open, completed, cancelled
    form_key: Mapped[str | None] = mapped_column(String(128))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_human_task_inbox", "state", "organisation_id", "candidate_role"),)


class Timer(Base):
    """A waiting timer event: fired once by whichever worker claims it first."""

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("case_id", "task_id", "due_at"),
        Index("ix_timer_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # waiting, fired, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fired_at: Mapped[datetime | None]
    fired_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------------------
# Statutory deadlines
# ---------------------------------------------------------------------------


class Deadline(Base):
    """A statutory period running on a case, with its legal basis."""

    __tablename__ = "deadline"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(String(200))
    human_task_id: Mapped[str | None] = mapped_column(String(36))
    started_on: Mapped[date] = mapped_column(Date)
    period: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))  # calendar_days, working_days
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    suspended_days: Mapped[int] = mapped_column(Integer, default=0)
    suspended_since: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # running, suspended, met, overdue, cancelled
    escalated_at: Mapped[datetime | None]
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)


# ---------------------------------------------------------------------------
# Hearings: rooms and the bookings that hold them with the tribunal (法35)
# ---------------------------------------------------------------------------

#: Half-day sessions a room or an arbitrator is booked for (am: 09:00, pm: 14:00).
HEARING_SESSIONS: tuple[str, ...] = ("am", "pm")


class HearingRoom(Base):
    """A room of a commission where hearings are held (仲裁庭, 调解室)."""

    __tablename__ = "hearing_room"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))  # printed after the name in notices
    capacity: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)  # display order
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HearingBooking(Base):
    """A room held for one case's hearing on a date and half-day session, with its tribunal.

    Double booking is impossible in the database, whoever books at the same time: a room once
    per (date, session) here, an arbitrator once per (date, session) in
    `hearing_booking_arbitrator`.  A released booking (rescheduled) is deleted; the case's
    audit trail keeps what it was.
    """

    __tablename__ = "hearing_booking"
    __table_args__ = (
        UniqueConstraint("room_id", "hearing_date", "session"),
        # the target of the arbitrators' composite foreign key: their copies of date and
        # session always equal the booking's
        UniqueConstraint("id", "hearing_date", "session"),
        CheckConstraint("session IN ('am', 'pm')", name="session"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("hearing_room.id"))
    hearing_date: Mapped[date] = mapped_column(Date)
    session: Mapped[str] = mapped_column(String(2))  # am, pm
    task_id: Mapped[str | None] = mapped_column(String(36))  # the notify_hearing task that booked it
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    booked_at: Mapped[datetime]

    arbitrators: Mapped[list[HearingBookingArbitrator]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )


class HearingBookingArbitrator(Base):
    """An arbitrator of the tribunal held by a booking: busy for that date and session."""

    __tablename__ = "hearing_booking_arbitrator"
    __table_args__ = (
        UniqueConstraint("user_id", "hearing_date", "session"),
        ForeignKeyConstraint(
            ["booking_id", "hearing_date", "session"],
            ["hearing_booking.id", "hearing_booking.hearing_date", "hearing_booking.session"],
            ondelete="CASCADE",
        ),
    )
    booking_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    hearing_date: Mapped[date] = mapped_column(Date)
    session: Mapped[str] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(String(16))  # presiding, member


# ---------------------------------------------------------------------------
# Audit and outbox
# ---------------------------------------------------------------------------


class AuditEvent(Base):
    """Append-only.  Each row hashes its content and the previous row's hash in its chain.

    Chains are per case (head kept on the case row) and one global chain for events
    without a case; `laborcase audit verify` recomputes them all.
    """

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))  # "case:<id>" or "global"
    seq: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """Head of a chain that has no case row to hold it (the global chain)."""

    __tablename__ = "audit_chain_head"
    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    """Long-lived API keys for systems (courts, HR systems); only the hash is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class StoredFile(Base):
    """Metadata of a document kept in the object store (content addressed)."""

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    bucket: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(300))
    version_id: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="stored")  # pending, stored

    @classmethod
    def of(
        cls,
        obj: StoredObject,
        *,
        kind: str,
        filename: str,
        uploaded_by: int | None,
        created_at: datetime,
        case_id: int | None = None,
    ) -> StoredFile:
        """The row describing `obj` as the store returned it: where, which version, hash, size."""
        return cls(
            case_id=case_id,
            kind=kind,
            filename=filename,
            content_type=obj.content_type,
            sha256=obj.sha256,
            size=obj.size,
            bucket=str(obj.bucket),
            object_key=obj.key,
            version_id=obj.version_id,
            uploaded_by=uploaded_by,
            created_at=created_at,
            state="stored",
        )


class Evidence(Base):
    """A file submitted for a case as evidence (证据): by which party, when, with what description.

    The bytes live content-addressed in the EVIDENCE bucket, described by `stored_file`; the
    object is written before this row, so a row never points at a missing object.
    """

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    # the party that submitted it; None: the agency's own (e.g. an investigation record)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_party.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # application, defence, additional
    description: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_by_label: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime]


class OutboxMessage(Base):
    """Side effects to run after commit (notifications, sealing, callbacks); idempotent by key."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SecretBlob(Base):
    """Small encrypted blobs the app creates on first run (dev PKI keys, signing keys)."""

    __tablename__ = "secret_blob"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class IssuedDocument(Base):
    """A formal document (文书) the agency issues for a case: numbered, sealed, archived.

    Issuing is two-phase: the request (number, verification code, data) commits with the case
    change that caused it, in state `pending`; rendering, sealing and storing run afterwards
    from the outbox and flip it to `issued` in one short transaction.  Until then nobody sees
    content; a failed attempt leaves it `pending` with the error, and a retry completes it.
    """

    __tablename__ = "issued_document"
    __table_args__ = (
        UniqueConstraint("series", "year", "serial"),
        # the worker's sweep for documents still without an archival copy: only those are indexed
        Index(
            "ix_issued_document_to_archive",
            "id",
            postgresql_where=text("archival_file_id IS NULL AND stored_file_id IS NOT NULL"),
            sqlite_where=text("archival_file_id IS NULL AND stored_file_id IS NOT NULL"),
        ),
        # the sweep for archival copies due for renewal (or never given a renewal date)
        Index(
            "ix_issued_document_archive_renewal",
            "archive_renew_by",
            postgresql_where=text("archival_file_id IS NOT NULL"),
            sqlite_where=text("archival_file_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(48))
    series: Mapped[str] = mapped_column(String(32))  # numbering series (per type and commission)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(80))  # e.g. 仲裁〔2026〕第12号
    title: Mapped[str] = mapped_column(String(200))
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # what is rendered, fixed at request time
    seal_level: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending, issued, revoked, superseded
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    issued_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    stored_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("issued_document.id"))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    #: the archival copy (PAdES B-LTA: validation data and an archive timestamp added to the sealed
    #: PDF), made once the case is closed and kept as long as the document
    archival_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    archived_at: Mapped[datetime | None]
    #: when the archival copy is next renewed (a further archive timestamp): a margin before its
    #: newest archive timestamp's TSA certificate ends; null until known
    archive_renew_by: Mapped[datetime | None]
    #: renewals so far: each is a new locked object (`archival_key(id, n)`); the old ones stay
    archive_renewals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# ---------------------------------------------------------------------------
# Worker self-registration (portal)
# ---------------------------------------------------------------------------


class PhoneChallenge(Base):
    """A one-time code sent by SMS: only its keyed hash is kept, with expiry and wrong tries.

    A code is redeemed by a conditional UPDATE that sets `consumed_at`, so it works once
    even when two requests race.  Rows also serve as the record behind the send rate limit.
    """

    __tablename__ = "phone_challenge"
    __table_args__ = (Index("ix_phone_challenge_lookup", "phone", "purpose", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(32))  # signup, …
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 under the instance key
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong tries so far
    consumed_at: Mapped[datetime | None]
    send_failed: Mapped[bool] = mapped_column(Boolean, default=False)  # the gateway refused it
    client_ip: Mapped[str | None] = mapped_column(String(45))  # who asked for it


class RealNameVerification(Base):
    """Evidence of a worker's real-name check at sign-up (who, how, when, from where).

    The full resident ID lives on the account; here only a masked copy and a keyed digest,
    whose unique constraint keeps one self-registered account per resident even under races.
    """

    __tablename__ = "real_name_verification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    method: Mapped[str] = mapped_column(String(32))  # resident_id+sms
    verified_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(120))
    resident_id_masked: Mapped[str] = mapped_column(String(18))
    resident_id_digest: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    phone_challenge_id: Mapped[int] = mapped_column(ForeignKey("phone_challenge.id"))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


# ---------------------------------------------------------------------------
# Portal correspondence: messages, electronic service receipts, service ratings
# ---------------------------------------------------------------------------


class CaseMessage(Base):
    """A plain-text message between the commission and a case's parties (not a BPMN message).

    `to_parties`: staff wrote it to every party (`party_id` None) or to one party;
    `to_staff`: a party (`party_id`) wrote it to the case's staff, usually a reply.
    """

    __tablename__ = "case_message"
    __table_args__ = (CheckConstraint("direction IN ('to_parties', 'to_staff')", name="direction"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_party.id"))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("case_message.id"))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author_label: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime]


class CaseMessageRead(Base):
    """A party has read a message of the commission (once per party: the primary key)."""

    __tablename__ = "case_message_read"
    message_id: Mapped[int] = mapped_column(ForeignKey("case_message.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"), primary_key=True)
    read_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    read_at: Mapped[datetime]


class ServiceReceipt(Base):
    """Electronic service (电子送达): a party signed for an issued document on the portal.

    One receipt per document and party, whoever signs and however often (unique constraint);
    the document's SHA-256 at signing ties the receipt to exactly the bytes served.
    """

    __tablename__ = "service_receipt"
    __table_args__ = (UniqueConstraint("document_id", "party_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("issued_document.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_by_label: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime]
    client_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ServiceRating(Base):
    """A party's rating (好差评) of one completed service step of its case: 1–5, once per step."""

    __tablename__ = "service_rating"
    __table_args__ = (
        UniqueConstraint("party_id", "task_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"))
    task_id: Mapped[str] = mapped_column(String(36))  # the completed step (human_task.id)
    step: Mapped[str] = mapped_column(String(32))  # acceptance, hearing, mediation, award
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rated_by_label: Mapped[str] = mapped_column(String(120))
    rated_at: Mapped[datetime]


# ---------------------------------------------------------------------------
# Electronic labour contracts (电子劳动合同)
# ---------------------------------------------------------------------------


class LabourContractTemplate(Base):
    """An employer's contract template (a copy of the shipped model, or its own), versioned.

    `content` is the template's text and the clause defaults (shape: workflows/contract_templates);
    a contract records the template row it was made from, so later versions never change it.
    """

    __tablename__ = "labour_contract_template"
    __table_args__ = (UniqueConstraint("employer_id", "template_key", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]  # no longer offered for new contracts (old ones keep it)


class LabourContract(Base):
    """A labour contract concluded online between an employer and a worker.

    States: draft → sent → (worker_signed | employer_sealed, by `signing_order`) → concluded;
    or declined (worker), voided (employer, before the worker signs), expired (`due_at` passed).
    The PDF being signed lives content-addressed in the working bucket (`document_*`: as first
    rendered, `current_*`: with the signatures so far); a concluded contract and its completion
    certificate are archived under retention.  Its evidence is the audit chain
    `labour_contract:<id>` (identity checks, IP, device, document hashes).
    """

    __tablename__ = "labour_contract"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'sent', 'worker_signed', 'employer_sealed', 'concluded', 'declined', "
            "'expired', 'voided')",
            name="state",
        ),
        CheckConstraint(
            "signing_order IN ('employer_first', 'worker_first', 'employer_only')", name="signing_order"
        ),
        CheckConstraint("kind IN ('contract', 'amendment', 'termination', 'renewal')", name="kind"),
        Index("ix_labour_contract_open_due", "state", "due_at"),
        # the archival sweeps: concluded contracts still without an archival copy, and copies by
        # renewal date
        Index(
            "ix_labour_contract_to_archive",
            "id",
            postgresql_where=text("archival_file_id IS NULL AND final_file_id IS NOT NULL"),
            sqlite_where=text("archival_file_id IS NULL AND final_file_id IS NOT NULL"),
        ),
        Index(
            "ix_labour_contract_archive_renewal",
            "archive_renew_by",
            postgresql_where=text("archival_file_id IS NOT NULL"),
            sqlite_where=text("archival_file_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    # contract: a labour contract; amendment (变更), termination (解除/终止) and renewal (续订) are
    # documents signed the same way and linked to the contract they change (`original_id`)
    kind: Mapped[str] = mapped_column(String(16), default="contract")
    original_id: Mapped[int | None] = mapped_column(ForeignKey("labour_contract.id"), index=True)
    # the signing process (BPMN `labour_contract_signing`) runs as this case
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), unique=True)
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    worker_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    worker_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("labour_contract_template.id"))
    template_version: Mapped[int] = mapped_column(Integer)
    clauses: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    signing_order: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    document_sha256: Mapped[str] = mapped_column(String(64))  # the rendered, unsigned contract
    current_sha256: Mapped[str] = mapped_column(String(64))  # with the signatures made so far
    final_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    final_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))
    certificate_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    worker_identity: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the latest check
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # None: open-ended or task-based
    due_at: Mapped[datetime]  # signing must be complete by then, else the contract expires
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    worker_signed_at: Mapped[datetime | None]
    employer_sealed_at: Mapped[datetime | None]
    concluded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # declined, voided or expired
    close_reason: Mapped[str | None] = mapped_column(Text)
    # a concluded contract that has since ended (解除/终止): the last day and the document that ended it
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("labour_contract.id"))
    #: the archival copy of the concluded contract (PAdES B-LTA, locked as long as the contract)
    #: and its renewal, as for issued documents (workflows.archival)
    archival_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    archived_at: Mapped[datetime | None]
    archive_renew_by: Mapped[datetime | None]
    archive_renewals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class LabourContractPaperCopy(Base):
    """A worker's request for a free stamped paper copy of a concluded contract (指引 §7)."""

    __tablename__ = "labour_contract_paper_copy"
    __table_args__ = (
        CheckConstraint("state IN ('requested', 'printed', 'handed_over', 'cancelled')", name="state"),
        CheckConstraint("delivery IN ('pickup', 'mail')", name="delivery"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("labour_contract.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    delivery: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    printed_at: Mapped[datetime | None]
    printed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handed_over_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class LabourContractBatch(Base):
    """A bulk send from a spreadsheet: one row per contract, worked through by the worker."""

    __tablename__ = "labour_contract_batch"
    __table_args__ = (CheckConstraint("state IN ('queued', 'running', 'done')", name="state"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("labour_contract_template.id"))
    filename: Mapped[str] = mapped_column(String(200))
    signing_order: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class LabourContractBatchRow(Base):
    """One spreadsheet line of a batch: pending until sent (with its contract) or failed (why)."""

    __tablename__ = "labour_contract_batch_row"
    __table_args__ = (
        UniqueConstraint("batch_id", "row_number"),
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state"),
        Index("ix_labour_contract_batch_row_pending", "batch_id", "state"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("labour_contract_batch.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)  # the spreadsheet's line number
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("labour_contract.id"))
    error: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[Any] | None] = mapped_column(JSON)


class LabourUseFiling(Base):
    """用工备案: the record of employment an employer files when a labour contract is concluded."""

    __tablename__ = "labour_use_filing"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("labour_contract.id"), unique=True)
    worker_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    worker_name: Mapped[str] = mapped_column(String(120))
    resident_id_masked: Mapped[str] = mapped_column(String(18))
    position: Mapped[str] = mapped_column(String(120))
    term_kind: Mapped[str] = mapped_column(String(16))  # fixed, open_ended, task
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    monthly_pay: Mapped[str] = mapped_column(String(20))
    filed_at: Mapped[datetime]


# ---------------------------------------------------------------------------
# Employers' API keys (HR systems calling /api/v1/employer)
# ---------------------------------------------------------------------------


class EmployerApiKey(Base):
    """A key an employer's HR system presents as `Authorization: Bearer lcek_<key_id>_<secret>`.

    Bound to one employer and to the agent it acts for (who answers for what it does); only an
    HMAC of the whole key is stored, `key_id` is its public part for lookup.  Scopes limit it
    to some of the agent's powers; it stops working when revoked, expired, or when the agent
    is disabled or no longer an agent of that employer.
    """

    __tablename__ = "employer_api_key"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(120))
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(String(45))


class ApiIdempotencyRecord(Base):
    """The first response to a POST carrying `Idempotency-Key`, replayed for its retries.

    `status_code` is None while the first request is still running (a retry then gets 409).
    """

    __tablename__ = "api_idempotency_record"
    __table_args__ = (UniqueConstraint("api_key_id", "idempotency_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("employer_api_key.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(JSON)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
