"""Withdrawal (撤回申请): the applicant ends their own case at any time before it is decided.

An arbitration applicant may withdraw the application before the award (《劳动人事争议仲裁
办案规则》); a mediation or petition applicant likewise.  The process instance is cancelled
as a whole — open inbox items, waiting timers and the statutory periods running on them end
with it — and the case closes with status `withdrawn`.  Staff may record a withdrawal the
applicant made in writing at the counter; the respondent never can.
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from workflows.access import require_case_access
from workflows.audit import Actor, PendingEvent
from workflows.db import Database
from workflows.definitions import Definitions
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.hearings import HearingService
from workflows.models import Case, CaseParty
from workflows.roles import STAFF_ROLES
from workflows.runtime import CaseRuntime

WITHDRAWN = "withdrawn"


class WithdrawalService:
    def __init__(
        self,
        db: Database,
        definitions: Definitions,
        runtime: CaseRuntime,
        hearings: HearingService | None = None,
    ):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime
        #: frees the rooms and arbitrators of hearings the withdrawn case will not hold
        self.hearings = hearings

    def withdraw(self, actor: Actor, case_id: int, reason: str) -> None:
        """Close the case as withdrawn, cancelling what is still open; ConflictError once decided."""
        reason = (reason or "").strip()
        if len(reason) < 2 or len(reason) > 2000:
            raise ValidationError("请说明撤回理由", [FieldProblem("/reason", "2 to 2000 characters")])
        with self.db.transaction() as s:
            case = s.execute(select(Case).where(Case.id == case_id).with_for_update()).scalar_one_or_none()
            if case is None:
                raise NotFoundError("case", case_id)
            is_staff = bool(actor.roles & STAFF_ROLES)
            require_case_access(s, actor, case, "write" if is_staff else "read")
            if not is_staff and not _is_applicant(s, actor, case.id):
                raise PermissionDeniedError("只有申请人可以撤回申请")
            if case.closed_at is not None:
                raise ConflictError(f"案件已结案（{case.status}），不能撤回")
            definition = self.definitions.get(s, case.definition_id)
            run = self.runtime.load(s, case, definition)
            run.cancel()
            event = PendingEvent(
                "case.withdrawn",
                "case",
                {"status": case.status},
                {"status": WITHDRAWN, "reason": reason, "recorded_by_staff": is_staff},
            )
            if self.hearings is not None:
                self.hearings.release_in(s, actor, case)
            self.runtime.save(s, case, definition, run, actor, [event], closed_as=WITHDRAWN)


def _is_applicant(s: Session, actor: Actor, case_id: int) -> bool:
    """Is the actor the applicant party (the worker themself, or an applicant employer's agent)?"""
    mine = [CaseParty.user_id == actor.user_id]
    if actor.organisation_id is not None:
        mine.append(CaseParty.organisation_id == actor.organisation_id)
    stmt = select(exists().where(CaseParty.case_id == case_id, CaseParty.role == "applicant", or_(*mine)))
    return bool(s.execute(stmt).scalar())
