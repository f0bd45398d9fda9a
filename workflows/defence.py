"""The respondent's statement of defence (答辩书): its text and evidence, delivered to the case.

《劳动争议调解仲裁法》第三十条: the respondent files its defence within ten days of receiving the
copy of the application; a missing defence does not stop the case.  In the arbitration process
the case waits for the message `defence_received` (receive task `await_defence`) from the
service of the copy until the defence period ends.  The employer's agent files it from the
portal: the evidence is stored first, then one transaction records it and delivers the
message with {"summary", "evidence_ids"} — the case moves on exactly when the defence is on
record, and a case that is not waiting keeps nothing of the attempt (stored files stay
unreferenced objects, as after a crash).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.access import actor_party, require_case_access
from workflows.audit import Actor
from workflows.calendar import CalendarNotAvailableError
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.errors import (
    ConflictError,
    FieldProblem,
    MessageNotExpectedError,
    NotFoundError,
    PermissionDeniedError,
    StorageUnavailableError,
    ValidationError,
)
from workflows.evidence import DEFENCE, EvidenceService, EvidenceView, Upload
from workflows.messages import Delivery, MessageService
from workflows.models import Case, CaseParty, Timer

MESSAGE = "defence_received"
RESPONDENT = "respondent"
DEFENCE_RULE = "arbitration.defence"
#: the process variable holding the day the copy of the application was served (serve_respondent)
SERVED_ON = "respondent_served_on"
MAX_SUMMARY = 10_000


class DefenceNotExpectedError(ConflictError):
    """The case does not wait for a defence now (not yet served, already filed, or period over)."""

    code = "defence_not_expected"

    def __init__(self, case_id: int):
        super().__init__(
            "本案现在不接收答辩书：仲裁申请书副本尚未送达、答辩书已经提交，或答辩期已届满。"
            "如有疑问，请联系仲裁院。"
        )
        self.case_id = case_id


@dataclass(frozen=True)
class DefenceStatus:
    may_file: bool  # the actor is (the agent of) a respondent of the case
    awaiting: bool  # the case waits for the defence now
    #: last day of the defence period (法30: ten days from receiving the copy), while awaiting
    due_on: date | None = None
    #: when the process stops waiting by itself (its timer; usually a little after `due_on`)
    wait_ends_at: datetime | None = None


@dataclass(frozen=True)
class DefenceFiled:
    delivery: Delivery
    evidence: list[EvidenceView]


class DefenceService:
    def __init__(self, db: Database, messages: MessageService, evidence: EvidenceService | None):
        self.db = db
        self.messages = messages
        self.evidence = evidence

    def status(self, actor: Actor, case_id: int) -> DefenceStatus:
        """Whether the case waits for a defence, and whether this actor may file it."""
        with self.db.transaction() as s:
            case = _case(s, case_id)
            require_case_access(s, actor, case, "read")
            party = actor_party(s, actor, case.id, RESPONDENT)
            if case.closed_at is not None or not self.messages.expects(s, case, MESSAGE):
                return DefenceStatus(may_file=party is not None, awaiting=False)
            ends = s.execute(
                select(func.min(Timer.due_at)).where(Timer.case_id == case.id, Timer.state == "waiting")
            ).scalar_one_or_none()
            return DefenceStatus(party is not None, True, self._due_on(s, case), ends)

    def _due_on(self, s: Session, case: Case) -> date | None:
        """The statutory defence period's last day, from the day the copy was served (法30)."""
        definition = self.messages.definitions.get(s, case.definition_id)
        served = self.messages.runtime.load(s, case, definition).data.get(SERVED_ON)
        try:
            return compute_due(DEFENCE_RULE, date.fromisoformat(str(served)[:10])) if served else None
        except (ValueError, CalendarNotAvailableError):
            return None  # no such date recorded, or no working calendar for that year yet

    def file_defence(
        self,
        actor: Actor,
        case_id: int,
        summary: str,
        uploads: Sequence[Upload] = (),
        pointers: Sequence[str] | None = None,
    ) -> DefenceFiled:
        """File the respondent's defence and its evidence; the case moves on (法30)."""
        text = summary.strip()
        if not text:
            raise ValidationError("请填写答辩意见", [FieldProblem("/summary", "答辩意见不能为空")])
        if len(text) > MAX_SUMMARY:
            raise ValidationError(
                "答辩意见过长", [FieldProblem("/summary", f"答辩意见不超过 {MAX_SUMMARY} 字")]
            )
        with self.db.transaction() as s:  # before anything is stored
            case = _case(s, case_id)
            self._respondent(s, actor, case)
            if case.closed_at is not None or not self.messages.expects(s, case, MESSAGE):
                raise DefenceNotExpectedError(case.id)
        stored = []
        if uploads:
            if self.evidence is None:
                raise StorageUnavailableError("证据存储未配置（no document store is configured）")
            stored = self.evidence.put(self.evidence.check(uploads, pointers))
        with self.db.transaction() as s:
            case = _case(s, case_id, lock=True)
            party = self._respondent(s, actor, case)
            rows = (
                self.evidence.record_in(s, case, actor, stored, party=party, purpose=DEFENCE)
                if stored and self.evidence is not None
                else []
            )
            unique = list({e.id: e for e in rows}.values())  # the same file twice is one piece
            payload = {"summary": text, "evidence_ids": [e.id for e in unique]}
            try:
                delivery = self.messages.deliver_in(s, case, actor, MESSAGE, payload)
            except MessageNotExpectedError as exc:  # the period ended meanwhile
                raise DefenceNotExpectedError(case.id) from exc
            views = [EvidenceService.view_in(s, e) for e in unique]
        return DefenceFiled(delivery, views)

    @staticmethod
    def _respondent(s: Session, actor: Actor, case: Case) -> CaseParty:
        require_case_access(s, actor, case, "read")  # strangers: as if the case did not exist
        party = actor_party(s, actor, case.id, RESPONDENT)
        if party is None:
            raise PermissionDeniedError("只有被申请人（或其经办人）可以提交答辩书")
        return party


def _case(s: Session, case_id: int, lock: bool = False) -> Case:
    case = s.get(Case, case_id, with_for_update=lock)
    if case is None:
        raise NotFoundError("case", case_id)
    return case
