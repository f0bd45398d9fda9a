"""Case-level access: who may read, write and act on which case; list queries never leak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import (
    CaseAccessDeniedError,
    can_read_case,
    is_case_party,
    may_act_on_task,
    require_case_access,
    visible_cases_filter,
)
from workflows.audit import SYSTEM, Actor
from workflows.db import Database
from workflows.errors import PermissionDeniedError
from workflows.models import (
    Case,
    CaseAssignment,
    CaseParty,
    Organisation,
    ProcessDefinition,
    User,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _user(s: Session, name: str, org_id: int | None = None) -> int:
    """A bare account row: access rules only look at ids, roles live on the Actor."""
    u = User(username=name, display_name=name, password_hash="x", organisation_id=org_id, created_at=NOW)
    s.add(u)
    s.flush()
    return u.id


def _case(s: Session, n: int, org_id: int, definition_id: int) -> Case:
    c = Case(
        case_number=f"C-{n}",
        case_type="arbitration",
        year=2026,
        serial=n,
        title=f"案件{n}",
        status="open",
        organisation_id=org_id,
        definition_id=definition_id,
        created_at=NOW,
        updated_at=NOW,
        workflow_meta={},
    )
    s.add(c)
    s.flush()
    return c


@dataclass
class World:
    """Two commissions, an employer, people and four cases:

    case 1 (org 1): worker A vs employer E      case 2 (org 1): worker B vs employer E
    case 3 (org 2): worker A (no employer)      case 4 (org 2): worker B, assigned to the org-1 clerk
                                                               and to the court client
    """

    org1: int
    org2: int
    employer: int
    cases: dict[int, int]  # n -> case id
    worker_a: Actor
    worker_b: Actor
    clerk1: Actor
    clerk2: Actor
    admin1: Actor
    agent: Actor
    court: Actor
    stranger: Actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        orgs = [Organisation(kind="commission", name=f"仲裁委{i}") for i in (1, 2)]
        employer = Organisation(kind="employer", name="某某科技有限公司")
        court = Organisation(kind="court", name="某市中级人民法院")
        s.add_all([*orgs, employer, court])
        s.flush()
        d = ProcessDefinition(
            process_key="p",
            version=1,
            content_hash="h",
            bpmn_process_id="p",
            name="p",
            files={},
            deployed_at=NOW,
        )
        s.add(d)
        s.flush()
        org1, org2 = orgs[0].id, orgs[1].id
        ids = {
            name: _user(s, name, org)
            for name, org in [
                ("worker_a", None),
                ("worker_b", None),
                ("clerk1", org1),
                ("clerk2", org2),
                ("admin1", org1),
                ("agent", employer.id),
                ("court", court.id),
                ("stranger", None),
            ]
        }
        cases = {n: _case(s, n, org, d.id).id for n, org in [(1, org1), (2, org1), (3, org2), (4, org2)]}

        def party(n: int, role: str, name: str, user: int | None = None, org: int | None = None) -> None:
            s.add(CaseParty(case_id=cases[n], role=role, name=name, user_id=user, organisation_id=org))

        party(1, "applicant", "甲", user=ids["worker_a"])
        party(1, "respondent", "某某科技有限公司", org=employer.id)
        party(2, "applicant", "乙", user=ids["worker_b"])
        party(2, "respondent", "某某科技有限公司", org=employer.id)
        party(3, "applicant", "甲", user=ids["worker_a"])
        party(4, "applicant", "乙", user=ids["worker_b"])
        for who in ("clerk1", "court"):
            s.add(CaseAssignment(case_id=cases[4], user_id=ids[who], role=who, assigned_at=NOW))
        return World(
            org1=org1,
            org2=org2,
            employer=employer.id,
            cases=cases,
            worker_a=Actor(ids["worker_a"], "甲", frozenset({"worker"})),
            worker_b=Actor(ids["worker_b"], "乙", frozenset({"worker"})),
            clerk1=Actor(ids["clerk1"], "书记员一", frozenset({"clerk"}), org1),
            clerk2=Actor(ids["clerk2"], "书记员二", frozenset({"clerk"}), org2),
            admin1=Actor(ids["admin1"], "管理员", frozenset({"admin"}), org1),
            agent=Actor(ids["agent"], "经办人", frozenset({"employer_agent"}), employer.id),
            court=Actor(ids["court"], "法院", frozenset({"court_client"}), court.id),
            stranger=Actor(ids["stranger"], "路人", frozenset()),
        )


def _allowed(db: Database, actor: Actor, cases: dict[int, int], action: str) -> set[int]:
    """Case numbers (1–4) on which require_case_access lets the actor do `action`."""
    allowed = set()
    with db.transaction() as s:
        for n, case_id in cases.items():
            case = s.get(Case, case_id)
            assert case is not None
            try:
                require_case_access(s, actor, case, action)
            except PermissionDeniedError:
                continue
            allowed.add(n)
    return allowed


def _listed(db: Database, actor: Actor, cases: dict[int, int]) -> set[int]:
    number = {v: k for k, v in cases.items()}
    with db.transaction() as s:
        return {number[i] for i in s.execute(select(Case.id).where(visible_cases_filter(actor))).scalars()}


EXPECTED_READ = {
    "worker_a": {1, 3},
    "worker_b": {2, 4},
    "clerk1": {1, 2, 4},
    "clerk2": {3, 4},
    "admin1": {1, 2},
    "agent": {1, 2},
    "court": {4},
    "stranger": set(),
}
EXPECTED_WRITE = {**EXPECTED_READ, "worker_a": set(), "worker_b": set(), "agent": set()}


@pytest.mark.parametrize("who", sorted(EXPECTED_READ))
def test_each_actor_reads_exactly_the_cases_the_rules_allow(db: Database, world: World, who: str) -> None:
    actor = getattr(world, who)
    assert _allowed(db, actor, world.cases, "read") == EXPECTED_READ[who]


@pytest.mark.parametrize("who", sorted(EXPECTED_READ))
def test_visible_cases_filter_lists_exactly_the_readable_cases(db: Database, world: World, who: str) -> None:
    actor = getattr(world, who)
    assert _listed(db, actor, world.cases) == EXPECTED_READ[who]


@pytest.mark.parametrize("who", sorted(EXPECTED_WRITE))
def test_only_staff_and_assigned_court_client_write_at_case_level(
    db: Database, world: World, who: str
) -> None:
    """Parties change a case only through tasks offered to them, never by case-level writes."""
    actor = getattr(world, who)
    assert _allowed(db, actor, world.cases, "write") == EXPECTED_WRITE[who]


@pytest.mark.parametrize("who", sorted(EXPECTED_READ))
def test_actors_may_act_on_tasks_in_exactly_the_readable_cases(db: Database, world: World, who: str) -> None:
    actor = getattr(world, who)
    assert _allowed(db, actor, world.cases, "task") == EXPECTED_READ[who]


def test_worker_a_cannot_read_worker_b_case(db: Database, world: World) -> None:
    with db.transaction() as s:
        case = s.get(Case, world.cases[2])
        assert case is not None
        with pytest.raises(CaseAccessDeniedError) as err:
            require_case_access(s, world.worker_a, case, "read")
    assert err.value.case_id == world.cases[2] and err.value.action == "read"
    assert err.value.message == "无权查看该案件"
    assert isinstance(err.value, PermissionDeniedError)


def test_staff_of_org1_cannot_read_org2_case_unless_assigned(db: Database, world: World) -> None:
    with db.transaction() as s:
        unassigned, assigned = s.get(Case, world.cases[3]), s.get(Case, world.cases[4])
        assert unassigned is not None and assigned is not None
        with pytest.raises(PermissionDeniedError):
            require_case_access(s, world.clerk1, unassigned)
        require_case_access(s, world.clerk1, assigned, "write")


def test_system_actor_reaches_every_case(db: Database, world: World) -> None:
    assert _allowed(db, SYSTEM, world.cases, "write") == {1, 2, 3, 4}
    assert _listed(db, SYSTEM, world.cases) == {1, 2, 3, 4}


def test_staff_without_organisation_sees_only_assigned_cases(db: Database, world: World) -> None:
    homeless = Actor(world.clerk1.user_id, "无机构", frozenset({"clerk"}), None)
    assert _allowed(db, homeless, world.cases, "read") == {4}
    assert _listed(db, homeless, world.cases) == {4}


def test_party_role_without_party_row_sees_nothing(db: Database, world: World) -> None:
    """Holding the worker role is not enough: the person must be a party of the case."""
    with db.transaction() as s:
        other = _user(s, "worker_c")
    worker_c = Actor(other, "丙", frozenset({"worker"}))
    assert _allowed(db, worker_c, world.cases, "read") == set()
    assert _listed(db, worker_c, world.cases) == set()


def test_employer_agent_is_party_through_its_organisation(db: Database, world: World) -> None:
    with db.transaction() as s:
        assert is_case_party(s, world.agent, world.cases[1])
        assert not is_case_party(s, world.agent, world.cases[3])
        assert is_case_party(s, world.worker_a, world.cases[1])
        assert not is_case_party(s, world.worker_a, world.cases[2])
        assert not is_case_party(s, world.clerk1, world.cases[1])


def test_unknown_action_is_a_programming_error(db: Database, world: World) -> None:
    with db.transaction() as s:
        case = s.get(Case, world.cases[1])
        assert case is not None
        with pytest.raises(ValueError):
            require_case_access(s, world.clerk1, case, "delete")


# -- the pure rule ----------------------------------------------------------------


def _bare_case(org_id: int) -> Case:
    return Case(id=99, organisation_id=org_id)


@pytest.mark.parametrize(
    "actor, org, is_party, is_assigned, expected",
    [
        (Actor(1, "w", frozenset({"worker"})), 1, True, False, True),
        (Actor(1, "w", frozenset({"worker"})), 1, False, True, False),  # assignment does not make a party
        (Actor(2, "c", frozenset({"clerk"}), 1), 1, False, False, True),
        (Actor(2, "c", frozenset({"clerk"}), 1), 2, False, False, False),
        (Actor(2, "c", frozenset({"clerk"}), 1), 2, False, True, True),
        (Actor(3, "a", frozenset({"admin"}), 1), 2, False, False, False),
        (Actor(4, "court", frozenset({"court_client"}), 5), 5, False, False, False),  # org alone: no
        (Actor(4, "court", frozenset({"court_client"}), 5), 1, False, True, True),
        (Actor(5, "nobody", frozenset()), 1, True, True, False),
        (SYSTEM, 1, False, False, True),
    ],
)
def test_can_read_case_rule(
    actor: Actor, org: int, is_party: bool, is_assigned: bool, expected: bool
) -> None:
    assert can_read_case(actor, _bare_case(org), is_party=is_party, is_assigned=is_assigned) is expected


# -- who may act on a task ------------------------------------------------------------

WORKER = Actor(1, "w", frozenset({"worker"}))
CLERK = Actor(2, "c", frozenset({"clerk"}), 1)
ARBITRATOR = Actor(3, "a", frozenset({"arbitrator"}), 1)


@pytest.mark.parametrize(
    "actor, role, assignee, is_party, expected",
    [
        (CLERK, "clerk", None, False, True),
        (ARBITRATOR, "clerk", None, False, False),
        (ARBITRATOR, "clerk", 3, False, True),  # reassigned to them by a supervisor
        (WORKER, "worker", None, True, True),  # e.g. supplement materials in their own case
        (WORKER, "worker", None, False, False),  # a worker task of somebody else's case
        (WORKER, "clerk", None, True, False),
        (WORKER, None, None, True, False),
        (CLERK, None, None, False, True),
        (SYSTEM, "arbitrator", None, False, True),
    ],
)
def test_may_act_on_task(
    actor: Actor, role: str | None, assignee: int | None, is_party: bool, expected: bool
) -> None:
    assert may_act_on_task(actor, role, assignee, is_party) is expected
