"""Whom a portal user acts for in a case: themself, their employer, or the party they represent.

A worker acts as their own party row; an employer's agent as the employer's row (matched by
organisation); an agent (委托代理人) on record as the party it represents — what it signs for or
rates counts for that party.  Staff and strangers act for no party.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.access import actor_party
from workflows.audit import Actor
from workflows.models import CaseParty
from workflows.roles import STAFF_ROLES

AGENT = "agent"


def acting_party(s: Session, actor: Actor, case_id: int) -> CaseParty | None:
    """The party the actor acts as in the case, or None (staff, the system, strangers)."""
    if actor.is_system or not actor.roles.isdisjoint(STAFF_ROLES):
        return None
    own = actor_party(s, actor, case_id)
    if own is None or own.role != AGENT or own.represents_party_id is None:
        return own
    represented = s.get(CaseParty, own.represents_party_id)
    return represented if represented is not None and represented.case_id == case_id else own
