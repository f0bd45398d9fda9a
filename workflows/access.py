"""Case-level access rules, enforced by every service that loads a case.

Who may see a case:
- the system actor: every case;
- staff (admin included): cases of their own organisation, and cases they are
  explicitly assigned to (`CaseAssignment`);
- a worker: cases in which they are a party (`CaseParty.user_id`);
- an employer agent: cases in which they, or their employer organisation, are a party;
- a court client: cases it is assigned to.

Three actions: "read" (see the case), "write" (change it through a case-level use case:
link, deliver a message, …) and "task" (act on a task of the case).  Parties may read and
act on tasks offered to them, never write at case level; which task they may act on is
`may_act_on_task`.  `visible_cases_filter` is the same rule as SQL, for list queries.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from workflows.audit import Actor
from workflows.errors import PermissionDeniedError
from workflows.models import Case, CaseAssignment, CaseParty
from workflows.roles import COURT_CLIENT, EMPLOYER_AGENT, PARTY_ROLES, STAFF_ROLES, WORKER

READ = "read"
WRITE = "write"
TASK = "task"
ACTIONS = frozenset({READ, WRITE, TASK})
_PARTY_ACTIONS = frozenset({READ, TASK})
_ACTION_LABELS = {READ: "查看", WRITE: "办理", TASK: "办理"}


class CaseAccessDeniedError(PermissionDeniedError):
    """The actor may not do `action` on this case."""

    def __init__(self, case_id: int, action: str, user_id: int | None):
        super().__init__(f"无权{_ACTION_LABELS.get(action, '访问')}该案件")
        self.case_id = case_id
        self.action = action
        self.user_id = user_id


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown case action {action!r}; expected one of {sorted(ACTIONS)}")


def _same_organisation(actor: Actor, case: Case) -> bool:
    return actor.organisation_id is not None and case.organisation_id == actor.organisation_id


def case_permits(actor: Actor, case: Case, action: str, *, is_party: bool, is_assigned: bool) -> bool:
    """The rule itself, given the facts that need the database (party? assigned?)."""
    _check_action(action)
    if actor.is_system:
        return True
    roles = actor.roles
    if not roles.isdisjoint(STAFF_ROLES) and (_same_organisation(actor, case) or is_assigned):
        return True
    if COURT_CLIENT in roles and is_assigned:
        return True
    return not roles.isdisjoint(PARTY_ROLES) and is_party and action in _PARTY_ACTIONS


def can_read_case(actor: Actor, case: Case, *, is_party: bool, is_assigned: bool) -> bool:
    """May the actor see this case?  `is_party`/`is_assigned` as computed by `is_case_party`/`is_assigned`."""
    return case_permits(actor, case, READ, is_party=is_party, is_assigned=is_assigned)


def _party_clause(actor: Actor) -> ColumnElement[bool] | None:
    """Condition on a CaseParty row that makes the actor that party (None: cannot be a party)."""
    if actor.user_id is None:
        return None
    conditions: list[ColumnElement[bool]] = []
    if WORKER in actor.roles or EMPLOYER_AGENT in actor.roles:
        conditions.append(CaseParty.user_id == actor.user_id)
    if EMPLOYER_AGENT in actor.roles and actor.organisation_id is not None:
        conditions.append(CaseParty.organisation_id == actor.organisation_id)
    return or_(*conditions) if conditions else None


def is_case_party(session: Session, actor: Actor, case_id: int) -> bool:
    """Is the actor a party of the case (the worker themself, or an employer agent's organisation)?"""
    clause = _party_clause(actor)
    if clause is None:
        return False
    return bool(session.execute(select(exists().where(CaseParty.case_id == case_id, clause))).scalar())


def actor_party(session: Session, actor: Actor, case_id: int, role: str | None = None) -> CaseParty | None:
    """The actor's own party row in the case (the first, optionally of `role`), or None."""
    clause = _party_clause(actor)
    if clause is None:
        return None
    stmt = select(CaseParty).where(CaseParty.case_id == case_id, clause)
    if role is not None:
        stmt = stmt.where(CaseParty.role == role)
    return session.execute(stmt.order_by(CaseParty.id).limit(1)).scalar_one_or_none()


def is_assigned(session: Session, actor: Actor, case_id: int) -> bool:
    """Is the actor explicitly assigned to the case?"""
    if actor.user_id is None:
        return False
    return bool(
        session.execute(
            select(exists().where(CaseAssignment.case_id == case_id, CaseAssignment.user_id == actor.user_id))
        ).scalar()
    )


def require_case_access(session: Session, actor: Actor, case: Case, action: str = READ) -> None:
    """Raise CaseAccessDeniedError (a PermissionDeniedError) unless the actor may do `action` on `case`.

    Asks the database only when the organisation alone does not decide.
    """
    _check_action(action)
    if actor.is_system or (not actor.roles.isdisjoint(STAFF_ROLES) and _same_organisation(actor, case)):
        return
    assigned = (not actor.roles.isdisjoint(STAFF_ROLES) or COURT_CLIENT in actor.roles) and is_assigned(
        session, actor, case.id
    )
    party = not assigned and action in _PARTY_ACTIONS and is_case_party(session, actor, case.id)
    if not case_permits(actor, case, action, is_party=party, is_assigned=assigned):
        raise CaseAccessDeniedError(case.id, action, actor.user_id)


def may_act_on_task(
    actor: Actor, task_candidate_role: str | None, task_assignee_id: int | None, is_party: bool
) -> bool:
    """May the actor claim/complete a task offered to `task_candidate_role`?

    Case access is checked separately (`require_case_access(..., "task")`); who currently holds
    the claim is the task service's business.  A task assigned to the actor is theirs; a staff or
    court task needs the role; a party task (worker, employer_agent) needs the role and being a
    party of the case.  A task without a candidate role is for staff only.
    """
    if actor.is_system:
        return True
    if task_assignee_id is not None and task_assignee_id == actor.user_id:
        return True
    if task_candidate_role is None:
        return not actor.roles.isdisjoint(STAFF_ROLES)
    if task_candidate_role not in actor.roles:
        return False
    if task_candidate_role in PARTY_ROLES:
        return is_party
    return True


def visible_cases_filter(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause over `Case` selecting exactly the cases the actor may read (EXISTS subqueries)."""
    if actor.is_system:
        return true()
    allowed: list[ColumnElement[bool]] = []
    assigned = exists().where(CaseAssignment.case_id == Case.id, CaseAssignment.user_id == actor.user_id)
    if not actor.roles.isdisjoint(STAFF_ROLES):
        if actor.organisation_id is not None:
            allowed.append(Case.organisation_id == actor.organisation_id)
        allowed.append(assigned)
    elif COURT_CLIENT in actor.roles:
        allowed.append(assigned)
    party = _party_clause(actor)
    if party is not None:
        allowed.append(exists().where(and_(CaseParty.case_id == Case.id, party)))
    return or_(*allowed) if allowed else false()
