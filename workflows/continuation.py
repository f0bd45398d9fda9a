"""From mediation to arbitration: a party applies for arbitration on a mediation case.

《劳动争议调解仲裁法》第十四条: no agreement within fifteen days of the mediation body receiving
the application → a party may apply for arbitration.  第十五条: an agreement the other side does
not perform → arbitration too.  The new arbitration case carries the mediation's parties and
claims over, is linked to it (`continues`), and both cases record it in their audit trails —
all in one transaction, so there is never an arbitration case without its link or a second one.
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
from workflows.models import Case, CaseLink, CaseParty, Claim, Deadline, Organisation, Person
from workflows.roles import STAFF_ROLES

MEDIATION = "mediation"
ARBITRATION = "arbitration"
#: the statutory mediation period (法14), as started by the mediation process
MEDIATION_RULE = "mediation.mediate"


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
            append_case_events(
                s,
                source,
                actor,
                [
                    PendingEvent(
                        "case.continued",
                        f"case:{new.id}",
                        None,
                        {"relation": "arbitration", "to": new.case_number},
                    )
                ],
            )
            source.updated_at = self.cases.runtime.clock()
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


def _claims_of(s: Session, case_id: int) -> list[ClaimInput]:
    rows = s.execute(select(Claim).where(Claim.case_id == case_id).order_by(Claim.position)).scalars()
    return [ClaimInput(c.claim_type, c.description, c.amount, c.period_start, c.period_end) for c in rows]
