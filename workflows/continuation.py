"""From mediation to arbitration: a party applies for arbitration on a mediation case.

《劳动争议调解仲裁法》第十四条: no agreement within fifteen days of the mediation body receiving
the application → a party may apply for arbitration.  第十五条: an agreement the other side does
not perform → arbitration too.  The new arbitration case carries the mediation's parties,
claims and evidence over, is linked to it (`continues`), and both cases record it in their
audit trails — all in one transaction, so there is never an arbitration case without its link
or its evidence, or a second one.

Evidence is carried as new evidence rows of the new case, each with its own `stored_file` row
(the file belongs to the case that lists it) pointing at the same content-addressed object:
no bytes are copied.  Each keeps who submitted it, when, for which party (mapped to the same
party of the new case) and why; the new case's audit trail records each as carried over, by
whom and from where.  Elected representatives of a collective dispute (法7: 推举代表参加调解、
仲裁) stay representatives, with their original record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import is_case_party, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.calendar import china_today
from workflows.cases import CaseService, CaseView, ClaimInput, OpenCase, PartyInput
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import (
    Case,
    CaseLink,
    CaseParty,
    Claim,
    Deadline,
    Evidence,
    Organisation,
    Person,
    StoredFile,
)
from workflows.roles import STAFF_ROLES

MEDIATION = "mediation"
ARBITRATION = "arbitration"
#: the statutory mediation period (法14), as started by the mediation process
MEDIATION_RULE = "mediation.mediate"
#: audit action on the new case for each piece of evidence carried over
EVIDENCE_CARRIED = "evidence.carried_over"


@dataclass(frozen=True)
class ArbitrationApplication:
    mediation_case_id: int
    commission_id: int  # the arbitration commission applied to
    title: str | None = None  # defaults to the mediation case's title


class ContinuationService:
    def __init__(self, db: Database, cases: CaseService):
        self.db = db
        self.cases = cases

    def apply_for_arbitration(self, actor: Actor, command: ArbitrationApplication) -> CaseView:
        """Open the arbitration case continuing a mediation case, for one of its parties."""
        with self.db.transaction() as s:
            source = s.execute(
                select(Case).where(Case.id == command.mediation_case_id).with_for_update()
            ).scalar_one_or_none()
            if source is None:
                raise NotFoundError("case", command.mediation_case_id)
            self._check_may_apply(s, actor, source, command)
            new = self.cases.open_in(
                s,
                actor,
                OpenCase(
                    process_key=ARBITRATION,
                    case_type=ARBITRATION,
                    title=command.title or source.title,
                    organisation_id=command.commission_id,
                    parties=_parties_of(s, source.id),
                    claims=_claims_of(s, source.id),
                    data={"mediation_case_number": source.case_number},
                ),
            )
            s.add(CaseLink(from_case_id=new.id, to_case_id=source.id, relation="continues"))
            now = self.cases.runtime.clock()
            pairs = _party_pairs(s, source.id, new.id)
            carried = _carry_representatives(source, pairs) + _carry_evidence(s, source, new, pairs)
            if carried:
                append_case_events(s, new, actor, carried, at=now)
                new.updated_at = now
            append_case_events(
                s,
                source,
                actor,
                [
                    PendingEvent(
                        "case.continued",
                        f"case:{new.id}",
                        None,
                        {
                            "relation": "arbitration",
                            "to": new.case_number,
                            "evidence": sum(e.action == EVIDENCE_CARRIED for e in carried),
                        },
                    )
                ],
                at=now,
            )
            source.updated_at = now
            new_id = new.id
        return self.cases.get_case(actor, new_id)

    def _check_may_apply(
        self, s: Session, actor: Actor, source: Case, command: ArbitrationApplication
    ) -> None:
        require_case_access(s, actor, source, "read")  # strangers: as if it did not exist
        if actor.roles & STAFF_ROLES or not is_case_party(s, actor, source.id):
            # the party applies (法28); staff record an oral application in a case of their own
            raise PermissionDeniedError("只有调解案件的当事人可以据此申请仲裁")
        if source.case_type != MEDIATION:
            raise ValidationError(
                "只有调解案件可以转入仲裁",
                [FieldProblem("/mediation_case_id", "not a mediation case")],
            )
        commission = s.get(Organisation, command.commission_id)
        if commission is None or commission.kind != "commission":
            raise ValidationError(
                "请选择劳动人事争议仲裁委员会",
                [FieldProblem("/commission_id", "not an arbitration commission")],
            )
        continued = s.execute(
            select(CaseLink.id).where(CaseLink.to_case_id == source.id, CaseLink.relation == "continues")
        ).first()
        if continued is not None:
            raise ConflictError("该调解案件已申请仲裁")
        today = china_today(self.cases.runtime.clock())
        if source.closed_at is None and not _period_over(s, source.id, today):
            raise ConflictError("调解期限（十五日）尚未届满，调解仍在进行（调解仲裁法第十四条）")


def _period_over(s: Session, case_id: int, today: date) -> bool:
    """The mediation period has run out without an agreement (法14)."""
    due = s.execute(
        select(Deadline.due_on).where(Deadline.case_id == case_id, Deadline.rule == MEDIATION_RULE)
    ).scalars()
    return any(d < today for d in due)


def _parties_of(s: Session, case_id: int) -> list[PartyInput]:
    rows = s.execute(
        select(CaseParty, Person, Organisation)
        .outerjoin(Person, Person.id == CaseParty.person_id)
        .outerjoin(Organisation, Organisation.id == CaseParty.organisation_id)
        .where(CaseParty.case_id == case_id)
        .order_by(CaseParty.id)
    ).all()
    return [
        PartyInput(
            role=party.role,
            name=party.name,
            kind="person" if person is not None else "organisation",
            resident_id=person.resident_id if person is not None else None,
            phone=person.phone if person is not None else None,
            uscc=org.uscc if org is not None else None,
            user_id=party.user_id,
        )
        for party, person, org in rows
    ]


def _party_pairs(s: Session, source_id: int, new_id: int) -> list[tuple[CaseParty, CaseParty]]:
    """Each party of the mediation with the party of the new case made from it (same order)."""

    def parties(case_id: int) -> list[CaseParty]:
        stmt = select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.id)
        return list(s.execute(stmt).scalars())

    return list(zip(parties(source_id), parties(new_id), strict=True))


def _carry_representatives(source: Case, pairs: list[tuple[CaseParty, CaseParty]]) -> list[PendingEvent]:
    """Representatives elected in mediation stay so in arbitration (法7), as recorded then."""
    kept = [(old, new) for old, new in pairs if old.representative_recorded_at is not None]
    for old, new in kept:
        new.representative_recorded_at = old.representative_recorded_at
        new.representative_recorded_by = old.representative_recorded_by
    if not kept:
        return []
    return [
        PendingEvent(
            "collective.representatives_carried_over",
            "case",
            None,
            {
                "from_case": source.case_number,
                "representatives": [new.id for _, new in kept],
                "names": [new.name for _, new in kept],
            },
        )
    ]


def _carry_evidence(
    s: Session, source: Case, new: Case, pairs: list[tuple[CaseParty, CaseParty]]
) -> list[PendingEvent]:
    """The mediation's evidence as evidence of the new case: same objects, same who/when/why."""
    rows = s.execute(
        select(Evidence, StoredFile)
        .join(StoredFile, StoredFile.id == Evidence.stored_file_id)
        .where(Evidence.case_id == source.id)
        .order_by(Evidence.id)
    ).all()
    if not rows:
        return []
    files = [
        StoredFile(
            case_id=new.id,
            kind=f.kind,
            filename=f.filename,
            content_type=f.content_type,
            sha256=f.sha256,
            size=f.size,
            bucket=f.bucket,
            object_key=f.object_key,
            version_id=f.version_id,
            uploaded_by=f.uploaded_by,
            created_at=f.created_at,
            state=f.state,
        )
        for _, f in rows
    ]
    s.add_all(files)
    s.flush()
    party_of = {old.id: new_party for old, new_party in pairs}
    carried: list[tuple[Evidence, Evidence, StoredFile, CaseParty | None]] = []
    for (e, f), copy in zip(rows, files, strict=True):
        party = party_of[e.party_id] if e.party_id is not None else None
        carried.append(
            (
                e,
                Evidence(
                    case_id=new.id,
                    stored_file_id=copy.id,
                    party_id=party.id if party is not None else None,
                    purpose=e.purpose,
                    description=e.description,
                    submitted_by=e.submitted_by,
                    submitted_by_label=e.submitted_by_label,
                    submitted_at=e.submitted_at,
                ),
                f,
                party,
            )
        )
    s.add_all([c for _, c, _, _ in carried])
    s.flush()
    return [
        PendingEvent(
            EVIDENCE_CARRIED,
            f"evidence:{c.id}",
            None,
            {
                "from_case": source.case_number,
                "from_evidence": e.id,
                "filename": f.filename,
                "sha256": f.sha256,
                "size": f.size,
                "content_type": f.content_type,
                "purpose": c.purpose,
                "description": c.description,
                "party": {"id": p.id, "role": p.role, "name": p.name} if p is not None else None,
                "submitted_by": c.submitted_by_label,
                "submitted_at": c.submitted_at,
            },
        )
        for e, c, f, p in carried
    ]


def _claims_of(s: Session, case_id: int) -> list[ClaimInput]:
    rows = s.execute(select(Claim).where(Claim.case_id == case_id).order_by(Claim.position)).scalars()
    return [ClaimInput(c.claim_type, c.description, c.amount, c.period_start, c.period_end) for c in rows]
