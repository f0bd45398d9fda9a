"""Electronic service (电子送达): a party signs for (签收) an issued document on the portal.

Signing for a document is its service: the day of the receipt is the day of service, and the
periods that run from service (the defence period, 调解仲裁法 art.30; the time to sue after an
award, arts.48 and 50; …) start on the next day (a period starts the day after the triggering
event).  The receipt records who signed (the user, and the party it acts for), when, from
which address and browser, and the SHA-256 of the document as served, so the receipt names
exactly the bytes the party could download.

Only an issued (sealed and stored) document can be signed for, and only by a party it
concerns.  Signing twice — a double click, a reload, two devices — returns the first receipt:
the unique constraint on (document, party) keeps one row even when two requests race.  A
receipt outlives a later revocation of its document (it is the record that it was served).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.access import READ, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.db import Database
from workflows.errors import ConflictError, NotFoundError, PermissionDeniedError
from workflows.models import Case, CaseParty, IssuedDocument, ServiceReceipt
from workflows.representation import acting_party

#: the parties a document is served on unless RECIPIENT_ROLES says otherwise (agents sign for them)
SERVED_ROLES: tuple[str, ...] = ("applicant", "respondent", "third_party")
#: documents that concern only some parties: notices about the application go to the applicant
RECIPIENT_ROLES: dict[str, tuple[str, ...]] = {
    "supplement_notice": ("applicant",),
    "acceptance_notice": ("applicant",),
    "refusal_notice": ("applicant",),
}
MAX_USER_AGENT = 300
MAX_IP = 45

Clock = Callable[[], datetime]


def recipient_roles(document_type: str) -> tuple[str, ...]:
    """The party roles a document of this type is served on."""
    return RECIPIENT_ROLES.get(document_type, SERVED_ROLES)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ReceiptView:
    id: int
    document_id: int
    party_id: int
    party_role: str
    party_name: str
    signed_by: str
    signed_at: datetime
    served_on: date  # the day of service in the commission's time zone: periods start the next day
    client_ip: str | None
    user_agent: str | None
    document_sha256: str


@dataclass(frozen=True)
class Recipient:
    """A party a document is served on, and its receipt once it signed."""

    party_id: int
    role: str
    name: str
    receipt: ReceiptView | None


@dataclass(frozen=True)
class DocumentService:
    """One issued document and where its service stands, party by party."""

    document_id: int
    title: str
    number: str
    state: str  # issued, revoked, superseded
    issued_at: datetime | None
    recipients: tuple[Recipient, ...]


def _view(r: ServiceReceipt, party: CaseParty, tz: ZoneInfo) -> ReceiptView:
    return ReceiptView(
        id=r.id,
        document_id=r.document_id,
        party_id=r.party_id,
        party_role=party.role,
        party_name=party.name,
        signed_by=r.signed_by_label,
        signed_at=_aware(r.signed_at),
        served_on=_aware(r.signed_at).astimezone(tz).date(),
        client_ip=r.client_ip,
        user_agent=r.user_agent,
        document_sha256=r.document_sha256,
    )


class ServiceReceiptService:
    def __init__(self, db: Database, clock: Clock, *, timezone: str = "Asia/Shanghai"):
        self.db = db
        self.clock = clock
        self.tz = ZoneInfo(timezone)

    def acknowledge(
        self,
        actor: Actor,
        case_id: int,
        document_id: int,
        *,
        client_ip: str | None = None,
        user_agent: str | None = None,
    ) -> ReceiptView:
        """Sign for an issued document as the party the actor acts for; the first receipt if signed."""
        with self.db.transaction() as s:
            case = s.get(Case, case_id, with_for_update=True)
            if case is None:
                raise NotFoundError("case", case_id)
            require_case_access(s, actor, case, READ)  # strangers: as if the case did not exist
            doc = s.get(IssuedDocument, document_id)
            if doc is None or doc.case_id != case.id or doc.state == "pending":
                raise NotFoundError("document", document_id)
            party = acting_party(s, actor, case.id)
            if party is None:
                raise PermissionDeniedError("只有受送达的当事人可以签收文书")
            if party.role not in recipient_roles(doc.document_type):
                raise PermissionDeniedError("该文书不需要您签收")
            existing = self._existing(s, doc.id, party.id)
            if existing is not None:
                return _view(existing, party, self.tz)
            if doc.state != "issued" or doc.sha256 is None:
                raise ConflictError("该文书已撤销或被替代，不能签收")
            now = self.clock()
            receipt = ServiceReceipt(
                case_id=case.id,
                document_id=doc.id,
                party_id=party.id,
                document_sha256=doc.sha256,
                signed_by=actor.user_id,
                signed_by_label=actor.label,
                signed_at=now,
                client_ip=(client_ip or None) and client_ip[:MAX_IP],
                user_agent=(user_agent or None) and user_agent[:MAX_USER_AGENT],
            )
            try:
                with s.begin_nested():
                    s.add(receipt)
            except IntegrityError:  # signed a moment ago by a racing request: that receipt stands
                raced = self._existing(s, doc.id, party.id)
                if raced is None:
                    raise
                return _view(raced, party, self.tz)
            case.updated_at = now  # bumps the case version, serialising the audit chain
            append_case_events(
                s,
                case,
                actor,
                [
                    PendingEvent(
                        "document.acknowledged",
                        f"document:{doc.id}",
                        None,
                        {
                            "receipt": receipt.id,
                            "party": {"id": party.id, "role": party.role, "name": party.name},
                            "number": doc.number,
                            "sha256": doc.sha256,
                            "client_ip": receipt.client_ip,
                        },
                    )
                ],
                at=now,
            )
            return _view(receipt, party, self.tz)

    def for_case(self, actor: Actor, case_id: int) -> list[DocumentService]:
        """Issued documents and their receipts: staff see every party, a party only itself."""
        with self.db.transaction() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError("case", case_id)
            require_case_access(s, actor, case, READ)
            viewer = acting_party(s, actor, case.id)
            documents = s.execute(
                select(IssuedDocument)
                .where(IssuedDocument.case_id == case.id, IssuedDocument.state != "pending")
                .order_by(IssuedDocument.id)
            ).scalars()
            parties = list(
                s.execute(
                    select(CaseParty)
                    .where(CaseParty.case_id == case.id, CaseParty.role.in_(SERVED_ROLES))
                    .order_by(CaseParty.id)
                ).scalars()
            )
            receipts = {
                (r.document_id, r.party_id): r
                for r in s.execute(select(ServiceReceipt).where(ServiceReceipt.case_id == case.id)).scalars()
            }
            result = []
            for doc in documents:
                recipients = []
                for p in parties:
                    if p.role not in recipient_roles(doc.document_type):
                        continue
                    if viewer is not None and p.id != viewer.id:
                        continue
                    found = receipts.get((doc.id, p.id))
                    recipients.append(
                        Recipient(p.id, p.role, p.name, _view(found, p, self.tz) if found else None)
                    )
                result.append(
                    DocumentService(
                        document_id=doc.id,
                        title=doc.title,
                        number=doc.number,
                        state=doc.state,
                        issued_at=_aware(doc.issued_at) if doc.issued_at else None,
                        recipients=tuple(recipients),
                    )
                )
            return result

    @staticmethod
    def _existing(s: Session, document_id: int, party_id: int) -> ServiceReceipt | None:
        return s.execute(
            select(ServiceReceipt).where(
                ServiceReceipt.document_id == document_id, ServiceReceipt.party_id == party_id
            )
        ).scalar_one_or_none()
