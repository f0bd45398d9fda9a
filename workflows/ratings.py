"""Service ratings (好差评): a party rates each completed service step of its case, 1 to 5.

Which steps are ratable is read from the case itself — its completed process steps (inbox
items) and the outcome recorded with them — never from a date typed by hand: acceptance
decided (受理 or 不予受理), hearing held, mediation statement served, award approved for
issue, and in a mediation case the mediation.  A step is ratable from the moment it is
completed, by the parties it served.

Each party rates a step once (unique constraint on party and step).  A score of 1 or 2 is a
差评 and must say why, so it can be followed up (the government service rating scheme,
国办发〔2019〕51号, asks for the reasons of a bad rating [M]).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.access import READ, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.db import Database
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import Case, CaseParty, HumanTask, ProcessDefinition, ServiceRating
from workflows.representation import acting_party

MIN_SCORE, MAX_SCORE = 1, 5
#: a score at or below this is a 差评: it needs a comment
LOW_SCORE = 2
MAX_COMMENT = 500

BOTH_SIDES: tuple[str, ...] = ("applicant", "respondent", "third_party")
APPLICANT: tuple[str, ...] = ("applicant",)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class StepRule:
    """A completed process step that is a service to the parties, when its outcome says so."""

    step: str  # acceptance, hearing, mediation, award
    label: str
    applies: Callable[[Mapping[str, Any]], bool]
    roles: tuple[str, ...] = BOTH_SIDES  # the parties it served


#: (process key, task name) -> the rule; task outcomes as in bpmn/<process>/forms
STEP_RULES: dict[tuple[str, str], StepRule] = {
    ("arbitration", "review_application"): StepRule(
        "acceptance", "受理审查", lambda r: r.get("acceptance_decision") in ("accept", "refuse"), APPLICANT
    ),
    ("arbitration", "conduct_hearing"): StepRule(
        "hearing", "开庭审理", lambda r: r.get("hearing_outcome") in ("held", "respondent_absent")
    ),
    ("arbitration", "serve_mediation_statement"): StepRule("mediation", "仲裁调解", lambda r: True),
    ("arbitration", "approve_award"): StepRule(
        "award", "裁决", lambda r: r.get("award_approval") == "approve"
    ),
    ("mediation", "mediate"): StepRule("mediation", "调解", lambda r: "mediation_result" in r),
}

#: every step label, for the UI's message catalogue
STEP_LABELS: frozenset[str] = frozenset(rule.label for rule in STEP_RULES.values())


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RatingView:
    id: int
    case_id: int
    task_id: str
    step: str
    label: str
    party_id: int
    party_role: str
    party_name: str
    score: int
    comment: str
    rated_by: str
    rated_at: datetime


@dataclass(frozen=True)
class RatableStep:
    """A completed service step the viewing party may rate, with its rating once given."""

    task_id: str
    step: str
    label: str
    completed_at: datetime | None
    rating: RatingView | None


def checked(score: int | str | None, comment: str | None) -> tuple[int, str]:
    """The score (1-5) and trimmed comment, or one ValidationError naming each bad field."""
    problems: list[FieldProblem] = []
    value: int | None = None
    if isinstance(score, int) and not isinstance(score, bool):
        value = score
    elif isinstance(score, str) and score.strip().isdigit():
        value = int(score.strip())
    if value is None or not MIN_SCORE <= value <= MAX_SCORE:
        problems.append(FieldProblem("/score", f"请选择 {MIN_SCORE} 到 {MAX_SCORE} 分"))
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        problems.append(FieldProblem("/comment", f"评价内容不超过 {MAX_COMMENT} 字"))
    elif value is not None and MIN_SCORE <= value <= LOW_SCORE and not text:
        problems.append(FieldProblem("/comment", "差评请写明不满意的原因"))
    if problems:
        raise ValidationError("评价未提交，请按提示更正", problems)
    assert value is not None
    return value, text


def _view(r: ServiceRating, party: CaseParty, label: str) -> RatingView:
    return RatingView(
        id=r.id,
        case_id=r.case_id,
        task_id=r.task_id,
        step=r.step,
        label=label,
        party_id=party.id,
        party_role=party.role,
        party_name=party.name,
        score=r.score,
        comment=r.comment,
        rated_by=r.rated_by_label,
        rated_at=_aware(r.rated_at),
    )


class RatingService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    def steps(self, actor: Actor, case_id: int) -> list[RatableStep]:
        """The completed service steps the actor's party may rate, oldest first ([] for staff)."""
        with self.db.transaction() as s:
            case = self._case(s, case_id)
            require_case_access(s, actor, case, READ)
            party = acting_party(s, actor, case.id)
            if party is None:
                return []
            given = {
                r.task_id: r
                for r in s.execute(select(ServiceRating).where(ServiceRating.party_id == party.id)).scalars()
            }
            return [
                RatableStep(
                    task.id,
                    rule.step,
                    rule.label,
                    _aware(task.completed_at) if task.completed_at else None,
                    _view(given[task.id], party, rule.label) if task.id in given else None,
                )
                for task, rule in self._completed_steps(s, case)
                if party.role in rule.roles
            ]

    def rate(
        self, actor: Actor, case_id: int, task_id: str, score: int | str | None, comment: str | None = ""
    ) -> RatingView:
        """Rate one completed step as the actor's party; ConflictError if it rated the step before."""
        with self.db.transaction() as s:
            case = self._case(s, case_id, lock=True)
            require_case_access(s, actor, case, READ)  # strangers: as if the case did not exist
            party = acting_party(s, actor, case.id)
            if party is None:
                raise PermissionDeniedError("只有本案当事人可以评价")
            found = [(t, r) for t, r in self._completed_steps(s, case) if t.id == task_id]
            if not found or party.role not in found[0][1].roles:
                raise NotFoundError("service step", task_id)
            task, rule = found[0]
            value, text = checked(score, comment)
            duplicate = ConflictError(f"您已评价过“{rule.label}”，每个环节只能评价一次")
            if s.execute(
                select(ServiceRating.id).where(
                    ServiceRating.party_id == party.id, ServiceRating.task_id == task.id
                )
            ).first():
                raise duplicate
            now = self.clock()
            rating = ServiceRating(
                case_id=case.id,
                party_id=party.id,
                task_id=task.id,
                step=rule.step,
                score=value,
                comment=text,
                rated_by=actor.user_id,
                rated_by_label=actor.label,
                rated_at=now,
            )
            try:
                with s.begin_nested():
                    s.add(rating)
            except IntegrityError:  # a racing request rated it a moment ago
                raise duplicate from None
            case.updated_at = now  # bumps the case version, serialising the audit chain
            append_case_events(
                s,
                case,
                actor,
                [
                    PendingEvent(
                        "service.rated",
                        f"task:{task.id}",
                        None,
                        {
                            "step": rule.step,
                            "score": value,
                            "comment": text,
                            "party": {"id": party.id, "role": party.role, "name": party.name},
                        },
                    )
                ],
                at=now,
            )
            return _view(rating, party, rule.label)

    def for_case(self, actor: Actor, case_id: int) -> list[RatingView]:
        """Ratings of the case, oldest first: staff see all, a party its own."""
        with self.db.transaction() as s:
            case = self._case(s, case_id)
            require_case_access(s, actor, case, READ)
            viewer = acting_party(s, actor, case.id)
            labels = {task.id: rule.label for task, rule in self._completed_steps(s, case)}
            stmt = (
                select(ServiceRating, CaseParty)
                .join(CaseParty, CaseParty.id == ServiceRating.party_id)
                .where(ServiceRating.case_id == case.id)
            )
            if viewer is not None:
                stmt = stmt.where(ServiceRating.party_id == viewer.id)
            rows = s.execute(stmt.order_by(ServiceRating.rated_at, ServiceRating.id)).all()
            return [_view(r, p, labels.get(r.task_id, r.step)) for r, p in rows]

    @staticmethod
    def _completed_steps(s: Session, case: Case) -> list[tuple[HumanTask, StepRule]]:
        """The case's completed process steps that served its parties, in completion order."""
        definition = s.get(ProcessDefinition, case.definition_id)
        if definition is None:
            return []
        rules = {name: rule for (key, name), rule in STEP_RULES.items() if key == definition.process_key}
        if not rules:
            return []
        tasks = s.execute(
            select(HumanTask)
            .where(HumanTask.case_id == case.id, HumanTask.state == "completed", HumanTask.name.in_(rules))
            .order_by(HumanTask.completed_at, HumanTask.id)
        ).scalars()
        return [(t, rules[t.name]) for t in tasks if rules[t.name].applies(t.result or {})]

    @staticmethod
    def _case(s: Session, case_id: int, lock: bool = False) -> Case:
        case = s.get(Case, case_id, with_for_update=lock)
        if case is None:
            raise NotFoundError("case", case_id)
        return case
