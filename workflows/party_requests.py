"""A party's requests in a running arbitration: recusal (回避), postponement (延期开庭) and
pre-judgment execution (先予执行).

Each reaches the arbitration process as a message event.  A recusal request stops the
challenged tribunal until the commission decides within three working days (调解仲裁法
arts.33-34); a postponement request goes to the commission, which decides (art.35); an
application for pre-judgment execution goes to the tribunal beside the running case (art.44).
A party (worker, or the agent of a party employer) files it; staff may record one made in
writing at the counter.  A request the law does not allow is refused here, before it reaches
the process: postponement only up to three days before the hearing, recusal only of a member
of the tribunal, pre-judgment execution only by the applicant and only for labour
remuneration, work-injury medical expenses, economic compensation or damages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import actor_party, require_case_access
from workflows.audit import Actor
from workflows.claim_types import ADVANCE_EXECUTABLE
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.definitions import Definitions
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.messages import Delivery, MessageService
from workflows.models import Case, Claim
from workflows.roles import STAFF_ROLES
from workflows.runtime import CaseRuntime

RECUSAL_MESSAGE = "recusal_requested"
POSTPONEMENT_MESSAGE = "postponement_requested"
ADVANCE_EXECUTION_MESSAGE = "advance_execution_requested"
MAX_REASON = 2000


@dataclass(frozen=True)
class PartyRequest:
    case_id: int
    message: str
    requested_at: datetime
    opened_task_ids: list[str]


@dataclass(frozen=True)
class AvailableRequests:
    """What the actor may ask for on the case now (a portal shows only these forms)."""

    recusal_of: list[str]  # members of the sitting tribunal; empty: no recusal now
    postponement: bool
    advance_execution_claims: list[tuple[int, str, str]]  # (position, claim type, description)

    def __bool__(self) -> bool:
        return bool(self.recusal_of or self.postponement or self.advance_execution_claims)


class PartyRequestService:
    def __init__(
        self,
        db: Database,
        definitions: Definitions,
        runtime: CaseRuntime,
        messages: MessageService,
        timezone: str = "Asia/Shanghai",
    ):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime
        self.messages = messages
        self.zone = ZoneInfo(timezone)

    def request_recusal(self, actor: Actor, case_id: int, arbitrator: str, reason: str) -> PartyRequest:
        """Ask that a member of the tribunal withdraw (法33): the commission decides in 3 working days."""
        reason = _reason(reason)
        name = (arbitrator or "").strip()

        def check(data: dict[str, Any]) -> None:
            members = [data.get("presiding_arbitrator"), *(data.get("other_arbitrators") or [])]
            if name not in [m for m in members if m]:
                raise ValidationError(
                    "被申请回避的人员不是本案仲裁庭成员",
                    [FieldProblem("/arbitrator", "not a member of this case's tribunal")],
                )

        return self._send(
            actor,
            case_id,
            RECUSAL_MESSAGE,
            {"challenged_arbitrator": name, "reason": reason},
            check,
            "仲裁庭组成并通知开庭后、裁决作出前方可申请回避",
        )

    def request_postponement(self, actor: Actor, case_id: int, reason: str) -> PartyRequest:
        """Ask that the hearing be postponed: only up to 3 days before it (法35)."""
        reason = _reason(reason)
        today = self.runtime.clock().astimezone(self.zone).date()

        def check(data: dict[str, Any]) -> None:
            hearing = data.get("hearing_date")
            if not hearing:
                return  # no hearing fixed: the process will refuse the message below
            last_day = compute_due("arbitration.postpone_hearing_request", date.fromisoformat(str(hearing)))
            if today > last_day:
                raise ValidationError(
                    f"应当在开庭三日前（{last_day.isoformat()} 前）申请延期开庭（调解仲裁法第三十五条）",
                    [FieldProblem("/reason", f"too late: the last day was {last_day.isoformat()}")],
                )

        return self._send(
            actor,
            case_id,
            POSTPONEMENT_MESSAGE,
            {"reason": reason, "hearing_date": None},
            check,
            "开庭已通知、尚未开庭时方可申请延期开庭",
        )

    def request_advance_execution(
        self, actor: Actor, case_id: int, claim_positions: list[int], reason: str
    ) -> PartyRequest:
        """The applicant asks that claims be executed before the award (法44): only claims for
        labour remuneration, work-injury medical expenses, economic compensation or damages."""
        reason = _reason(reason)
        positions = sorted(set(claim_positions))
        if not positions:
            raise ValidationError(
                "请选择申请先予执行的仲裁请求", [FieldProblem("/claims", "at least one claim")]
            )

        def check(s: Session, case: Case) -> None:
            claims = {
                c.position: c for c in s.execute(select(Claim).where(Claim.case_id == case.id)).scalars()
            }
            problems = []
            for i, pos in enumerate(positions):
                found = claims.get(pos)
                if found is None:
                    problems.append(FieldProblem(f"/claims/{i}", f"no claim {pos} in this case"))
                elif found.claim_type not in ADVANCE_EXECUTABLE:
                    problems.append(
                        FieldProblem(f"/claims/{i}", "only remuneration, medical, compensation or damages")
                    )
            if problems:
                raise ValidationError(
                    "仅追索劳动报酬、工伤医疗费、经济补偿或者赔偿金的请求可以申请先予执行（调解仲裁法第四十四条）",
                    problems,
                )

        return self._send(
            actor,
            case_id,
            ADVANCE_EXECUTION_MESSAGE,
            {"claims": positions, "reason": reason},
            lambda data: None,
            "开庭审理至裁决作出前方可申请先予执行",
            applicant_only=True,
            check_case=check,
        )

    def available(self, actor: Actor, case_id: int) -> AvailableRequests:
        """Which requests the process would take from this party now (nothing for non-parties)."""
        none = AvailableRequests([], False, [])
        with self.db.transaction() as s:
            case = s.get(Case, case_id)
            if case is None or case.closed_at is not None:
                return none
            try:
                by = self._requester(s, actor, case)
            except PermissionDeniedError:
                return none
            waits = {
                m
                for m in (RECUSAL_MESSAGE, POSTPONEMENT_MESSAGE, ADVANCE_EXECUTION_MESSAGE)
                if self.messages.expects(s, case, m)
            }
            if not waits:
                return none
            data = self.runtime.load(s, case, self.definitions.get(s, case.definition_id)).data
            members = [data.get("presiding_arbitrator"), *(data.get("other_arbitrators") or [])]
            claims: list[tuple[int, str, str]] = []
            if ADVANCE_EXECUTION_MESSAGE in waits and by.startswith(("applicant:", "staff:")):
                rows = s.execute(
                    select(Claim).where(Claim.case_id == case.id).order_by(Claim.position)
                ).scalars()
                claims = [
                    (c.position, c.claim_type, c.description)
                    for c in rows
                    if c.claim_type in ADVANCE_EXECUTABLE
                ]
            return AvailableRequests(
                [str(m) for m in members if m] if RECUSAL_MESSAGE in waits else [],
                POSTPONEMENT_MESSAGE in waits,
                claims,
            )

    def _send(
        self,
        actor: Actor,
        case_id: int,
        message: str,
        payload: dict[str, Any],
        check: Callable[[dict[str, Any]], None],
        not_now: str,
        *,
        applicant_only: bool = False,
        check_case: Callable[[Session, Case], None] | None = None,
    ) -> PartyRequest:
        now = self.runtime.clock()
        with self.db.transaction() as s:
            case = s.execute(select(Case).where(Case.id == case_id).with_for_update()).scalar_one_or_none()
            if case is None:
                raise NotFoundError("case", case_id)
            by = self._requester(s, actor, case)
            if applicant_only and not by.startswith(("applicant:", "staff:")):
                raise PermissionDeniedError("只有申请人可以提出该申请")
            if check_case is not None:
                check_case(s, case)
            if case.closed_at is not None:
                raise ConflictError(f"案件已结案（{case.status}）")
            if not self.messages.expects(s, case, message):
                raise ConflictError(not_now)
            data = self.runtime.load(s, case, self.definitions.get(s, case.definition_id)).data
            check(data)
            if "hearing_date" in payload:
                payload["hearing_date"] = data.get("hearing_date")
            payload |= {"requested_by": by, "requested_at": now.isoformat()}
            delivery: Delivery = self.messages.deliver_in(s, case, actor, message, payload)
            return PartyRequest(case.id, message, now, delivery.opened_task_ids)

    @staticmethod
    def _requester(s: Session, actor: Actor, case: Case) -> str:
        """Who asks: a party of the case (worker or a party employer's agent), or staff recording it."""
        if actor.roles & STAFF_ROLES:
            require_case_access(s, actor, case, "write")
            return f"staff:{actor.label}"
        require_case_access(s, actor, case, "read")  # NotFound for a stranger, as for any read
        party = actor_party(s, actor, case.id)
        if party is None or party.role not in ("applicant", "respondent"):
            raise PermissionDeniedError("只有本案当事人可以提出申请")
        return f"{party.role}:{party.name}"


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not 2 <= len(text) <= MAX_REASON:
        raise ValidationError("请说明理由", [FieldProblem("/reason", f"2 to {MAX_REASON} characters")])
    return text
