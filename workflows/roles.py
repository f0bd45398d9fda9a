"""Role codes: who a user is in the system, with the label the UI shows.

Staff roles belong to an agency unit (commission, inspection body, …) and must
log in with a one-time code; parties (worker, employer_agent) and the court's
system client do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

WORKER: Final = "worker"
EMPLOYER_AGENT: Final = "employer_agent"
MEDIATOR: Final = "mediator"
CLERK: Final = "clerk"
ARBITRATOR: Final = "arbitrator"
COMMISSION_HEAD: Final = "commission_head"
INSPECTOR: Final = "inspector"
PETITION_OFFICER: Final = "petition_officer"
INJURY_OFFICER: Final = "injury_officer"
SUPERVISOR: Final = "supervisor"
ADMIN: Final = "admin"
COURT_CLIENT: Final = "court_client"

ROLE_LABELS: Final[dict[str, str]] = {
    WORKER: "劳动者",
    EMPLOYER_AGENT: "用人单位经办人",
    MEDIATOR: "调解员",
    CLERK: "书记员",
    ARBITRATOR: "仲裁员",
    COMMISSION_HEAD: "仲裁委员会负责人",
    INSPECTOR: "劳动保障监察员",
    PETITION_OFFICER: "信访工作人员",
    INJURY_OFFICER: "工伤认定经办人",
    SUPERVISOR: "科室负责人",
    ADMIN: "系统管理员",
    COURT_CLIENT: "人民法院（系统对接）",
}

ALL_ROLES: Final[frozenset[str]] = frozenset(ROLE_LABELS)
#: Parties take part in their own cases only.
PARTY_ROLES: Final[frozenset[str]] = frozenset({WORKER, EMPLOYER_AGENT})
#: Agency staff: see the cases of their organisation (and those assigned to them).
STAFF_ROLES: Final[frozenset[str]] = ALL_ROLES - PARTY_ROLES - {COURT_CLIENT}
#: Roles whose login needs a time-based one-time code (TOTP) besides the password.
TOTP_ROLES: Final[frozenset[str]] = STAFF_ROLES


def role_label(role: str) -> str:
    """The Chinese label of a role; unknown codes are shown as they are."""
    return ROLE_LABELS.get(role, role)


def is_staff(roles: Iterable[str]) -> bool:
    """True if any of the roles is a staff role."""
    return not STAFF_ROLES.isdisjoint(roles)


def requires_totp(roles: Iterable[str]) -> bool:
    """True if a user holding these roles must present a one-time code at login."""
    return not TOTP_ROLES.isdisjoint(roles)


def unknown_roles(roles: Iterable[str]) -> list[str]:
    """The codes among `roles` that are not roles of the system, sorted."""
    return sorted(set(roles) - ALL_ROLES)
