"""Collective disputes (集体劳动争议): ten or more workers with a common claim.

《劳动争议调解仲裁法》第七条: when the worker side of a dispute is ten or more people with a common
claim, they may elect representatives to take part in mediation and arbitration; 办案规则: three to
five representatives, the case is handled with priority and heard by a tribunal of three
arbitrators (no sole arbitrator, no simplified procedure).

- Collective or not follows from the case's parties and claims, so it is never stored and can
  never disagree with them: a labour-dispute case (mediation, arbitration) with ten or more
  worker applicants (applicant parties that are persons) and at least one claim.  Claims are
  recorded per case, so every applicant of the case shares them: they are the common claim.
- The representatives are a flag on their own applicant row (when the election was recorded,
  and by whom), not extra parties: every worker stays an applicant — access, counts and
  documents are unchanged — and the flag says whose acts in the proceedings bind the group.
  Staff record the election (from the workers' written 推举书); re-recording replaces it.
- Priority: `collective_first` / `open_collective_first` are ORDER BY keys for inboxes and
  case lists; `start_data` tells the process (`collective`, `applicant_count`) so its
  definition can refuse a sole arbitrator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from workflows.access import READ, WRITE, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import Case, CaseParty, Claim, User
from workflows.roles import STAFF_ROLES

#: 法7: the worker side is "ten or more" people
MIN_WORKERS = 10
#: 办案规则: the workers may elect three to five representatives
MIN_REPRESENTATIVES = 3
MAX_REPRESENTATIVES = 5
#: case types governed by 调解仲裁法 (a petition's representatives follow 信访条例 instead)
DISPUTE_TYPES = ("mediation", "arbitration")
APPLICANT = "applicant"

Clock = Callable[[], datetime]


def is_collective(case_type: str, worker_applicants: int, claims: int) -> bool:
    """Ten or more worker applicants with a (common) claim in a labour-dispute case (法7)."""
    return case_type in DISPUTE_TYPES and worker_applicants >= MIN_WORKERS and claims > 0


def start_data(case_type: str, worker_applicants: int, claims: int) -> dict[str, Any]:
    """What a process starts with about its case being collective (set by the case, never the caller)."""
    return {
        "collective": is_collective(case_type, worker_applicants, claims),
        "applicant_count": worker_applicants,
    }


# -- the same rule in SQL, over `Case` (for ordering and listing) -------------------------------


def _is_worker_applicant() -> ColumnElement[bool]:
    return and_(CaseParty.role == APPLICANT, CaseParty.person_id.is_not(None))


def collective_condition() -> ColumnElement[bool]:
    """True for a collective case; correlated to `Case` in the enclosing query."""
    workers = (
        select(func.count(CaseParty.id))
        .where(CaseParty.case_id == Case.id, _is_worker_applicant())
        .correlate(Case)
        .scalar_subquery()
    )
    has_claim = select(Claim.id).where(Claim.case_id == Case.id).correlate(Case).exists()
    return and_(Case.case_type.in_(DISPUTE_TYPES), workers >= MIN_WORKERS, has_claim)


def collective_first() -> ColumnElement[int]:
    """ORDER BY key: collective cases (0) before the others (1)."""
    return case((collective_condition(), 0), else_=1)


def open_collective_first() -> ColumnElement[int]:
    """ORDER BY key for case lists: open collective cases first; closed ones take their usual place."""
    return case((and_(Case.closed_at.is_(None), collective_condition()), 0), else_=1)


# -- views --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepresentativeView:
    party_id: int
    name: str
    user_id: int | None
    recorded_at: datetime
    recorded_by: str  # who recorded the election ("system" for the system)


@dataclass(frozen=True)
class CollectiveView:
    case_id: int
    case_number: str
    collective: bool
    applicant_count: int  # worker applicants
    representatives: list[RepresentativeView]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


# -- the use cases -------------------------------------------------------------------------------


class CollectiveService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    def status(self, actor: Actor, case_id: int) -> CollectiveView:
        """Whether the case is collective, its worker applicants and representatives (case readers)."""
        with self.db.transaction() as s:
            found = _case(s, case_id)
            require_case_access(s, actor, found, READ)
            return _status(s, found)

    def elect_representatives(self, actor: Actor, case_id: int, party_ids: Sequence[int]) -> CollectiveView:
        """Record the workers' election of 3–5 representatives from among the applicants (法7).

        Staff who may change the case record it; it replaces an earlier election (representatives
        kept keep their original record).  ValidationError (pointer /party_ids) when the case is
        not collective or the choice is wrong.
        """
        with self.db.transaction() as s:
            found = _case(s, case_id, lock=True)
            require_case_access(s, actor, found, READ)  # strangers: as if the case did not exist
            if not actor.is_system and actor.roles.isdisjoint(STAFF_ROLES):
                raise PermissionDeniedError("推举代表由工作人员根据劳动者的推举书登记")
            require_case_access(s, actor, found, WRITE)
            if found.closed_at is not None:
                raise ConflictError("案件已结案，不能再登记推举代表")
            applicants = _worker_applicants(s, found.id)
            claims = s.execute(select(func.count(Claim.id)).where(Claim.case_id == found.id)).scalar_one()
            _check_election(found.case_type, applicants, claims, party_ids)
            chosen = set(party_ids)
            before = [p.id for p in applicants if p.representative_recorded_at is not None]
            now = self.clock()
            for party in applicants:
                if party.id in chosen and party.representative_recorded_at is None:
                    party.representative_recorded_at = now
                    party.representative_recorded_by = actor.user_id
                elif party.id not in chosen and party.representative_recorded_at is not None:
                    party.representative_recorded_at = None
                    party.representative_recorded_by = None
            if sorted(chosen) != before:
                elected = [p for p in applicants if p.id in chosen]
                append_case_events(
                    s,
                    found,
                    actor,
                    [
                        PendingEvent(
                            "collective.representatives_elected",
                            "case",
                            {"representatives": before},
                            {
                                "representatives": [p.id for p in elected],
                                "names": [p.name for p in elected],
                                "applicant_count": len(applicants),
                            },
                        )
                    ],
                    at=now,
                )
                found.updated_at = now  # bumps the case version, serialising the audit chain
            s.flush()
            return _status(s, found)


def _case(s: Session, case_id: int, lock: bool = False) -> Case:
    found = s.get(Case, case_id, with_for_update=lock)
    if found is None:
        raise NotFoundError("case", case_id)
    return found


def _worker_applicants(s: Session, case_id: int) -> list[CaseParty]:
    stmt = select(CaseParty).where(CaseParty.case_id == case_id, _is_worker_applicant())
    return list(s.execute(stmt.order_by(CaseParty.id)).scalars())


def _check_election(
    case_type: str, applicants: list[CaseParty], claims: int, party_ids: Sequence[int]
) -> None:
    if case_type not in DISPUTE_TYPES:
        raise ValidationError(
            "只有劳动争议调解、仲裁案件可以推举代表",
            [FieldProblem("/party_ids", "not a labour-dispute case")],
        )
    if len(applicants) < MIN_WORKERS:
        raise ValidationError(
            "劳动者一方不足十人，不是集体劳动争议，不能推举代表（调解仲裁法第七条）",
            [FieldProblem("/party_ids", f"本案劳动者申请人{len(applicants)}人，十人以上方可推举代表")],
        )
    if claims == 0:
        raise ValidationError(
            "本案没有共同请求，不是集体劳动争议，不能推举代表（调解仲裁法第七条）",
            [FieldProblem("/party_ids", "本案尚无仲裁请求")],
        )
    eligible = {p.id for p in applicants}
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, party_id in enumerate(party_ids):
        if party_id in seen:
            problems.append(FieldProblem(f"/party_ids/{i}", "重复推举"))
        elif party_id not in eligible:
            problems.append(FieldProblem(f"/party_ids/{i}", "代表须从本案劳动者申请人中推举"))
        seen.add(party_id)
    if not MIN_REPRESENTATIVES <= len(seen) <= MAX_REPRESENTATIVES:
        problems.append(
            FieldProblem(
                "/party_ids",
                f"应推举{MIN_REPRESENTATIVES}至{MAX_REPRESENTATIVES}名代表（现为{len(seen)}名）",
            )
        )
    if problems:
        raise ValidationError("推举代表有误，请按提示更正", problems)


def _status(s: Session, found: Case) -> CollectiveView:
    rows = s.execute(
        select(CaseParty, User.display_name)
        .outerjoin(User, User.id == CaseParty.representative_recorded_by)
        .where(CaseParty.case_id == found.id, _is_worker_applicant())
        .order_by(CaseParty.id)
    ).all()
    claims = s.execute(select(func.count(Claim.id)).where(Claim.case_id == found.id)).scalar_one()
    return CollectiveView(
        case_id=found.id,
        case_number=found.case_number,
        collective=is_collective(found.case_type, len(rows), claims),
        applicant_count=len(rows),
        representatives=[
            RepresentativeView(
                party_id=party.id,
                name=party.name,
                user_id=party.user_id,
                recorded_at=_aware(party.representative_recorded_at),
                recorded_by=recorder or "system",
            )
            for party, recorder in rows
            if party.representative_recorded_at is not None
        ],
    )
