"""Collective disputes (调解仲裁法7; 办案规则): ten or more workers with a common claim.

Such a case is collective: its workers elect three to five representatives from among the
applicants, it is handled with priority (first in inboxes and case lists, marked on the case
page) and its process knows it, so that no sole arbitrator hears it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.support import SECRET, People, fixture_system, make_people
from web.app import create_app
from web.auth import SESSION_ACTOR
from workflows.access import CaseAccessDeniedError
from workflows.audit import Actor, verify
from workflows.cases import CaseView, ClaimInput, OpenCase, PartyInput
from workflows.collective import CollectiveView
from workflows.db import Database
from workflows.errors import PermissionDeniedError, ValidationError
from workflows.identity import issue_access_token
from workflows.models import Case, CaseParty
from workflows.system import System

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
PROBLEM = "application/problem+json"


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)


@pytest.fixture
def people(db: Database) -> People:
    return make_people(db)


def open_dispute(
    system: System, people: People, workers: int, *, claims: int = 1, data: dict[str, Any] | None = None
) -> CaseView:
    """An arbitration case of `workers` worker applicants (first: people.worker) against one employer."""
    applicants = [PartyInput("applicant", "张三", user_id=people.worker.user_id)] + [
        PartyInput("applicant", f"工人{i}") for i in range(2, workers + 1)
    ]
    return system.cases.open_case(
        people.clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title=f"张三等{workers}人诉某物流有限公司拖欠工资",
            organisation_id=people.org_id,
            parties=[*applicants, PartyInput("respondent", "某物流有限公司", kind="organisation")],
            claims=[ClaimInput("wages", "2026年9月至10月工资", Decimal("150000.00"))][:claims],
            data=data or {},
        ),
    )


def start_data(system: System, case_id: int) -> dict[str, Any]:
    """What the case's process holds (the BPMN reads `collective` to refuse a sole arbitrator)."""
    with system.db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return system.runtime.load(s, case, system.definitions.get(s, case.definition_id)).data


def applicant_ids(view: CaseView) -> list[int]:
    return [p["id"] for p in view.parties if p["role"] == "applicant"]


def elect(system: System, actor: Actor, case_id: int, party_ids: list[int]) -> CollectiveView:
    return system.collective.elect_representatives(actor, case_id, party_ids)


def pointers(err: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.pointer for p in err.value.problems]


# -- what a collective case is --------------------------------------------------------------------


def test_twelve_worker_applicants_with_a_common_claim_make_a_collective_case_art_7(
    system: System, people: People
) -> None:
    case = open_dispute(system, people, 12)

    assert (case.collective, case.applicant_count) == (True, 12)
    status = system.collective.status(people.clerk, case.id)
    assert (status.collective, status.applicant_count, status.representatives) == (True, 12, [])
    # the process is told, so that its tribunal step refuses a sole arbitrator
    data = start_data(system, case.id)
    assert (data["collective"], data["applicant_count"]) == (True, 12)


def test_nine_worker_applicants_are_not_a_collective_case_and_elect_no_representatives_art_7(
    system: System, people: People, db: Database
) -> None:
    # the caller cannot make a case collective by saying so: it follows from the parties
    case = open_dispute(system, people, 9, data={"collective": True, "applicant_count": 20})

    assert (case.collective, case.applicant_count) == (False, 9)
    data = start_data(system, case.id)
    assert (data["collective"], data["applicant_count"]) == (False, 9)
    with pytest.raises(ValidationError, match="不足十人") as err:
        elect(system, people.clerk, case.id, applicant_ids(case)[:3])
    assert pointers(err) == ["/party_ids"]
    # ten workers but no claim: no common claim, not collective either
    no_claim = open_dispute(system, people, 10, claims=0)
    assert no_claim.collective is False and start_data(system, no_claim.id)["collective"] is False
    with pytest.raises(ValidationError, match="共同请求") as err:
        elect(system, people.clerk, no_claim.id, applicant_ids(no_claim)[:3])
    assert pointers(err) == ["/party_ids"]
    with db.transaction() as s:  # nobody was made a representative
        assert (
            s.execute(select(CaseParty).where(CaseParty.representative_recorded_at.is_not(None))).first()
            is None
        )


# -- representatives ------------------------------------------------------------------------------


def test_workers_elect_three_to_five_representatives_from_among_the_applicants_art_7(
    system: System, people: People, db: Database
) -> None:
    case = open_dispute(system, people, 12)
    ids = applicant_ids(case)
    respondent = next(p["id"] for p in case.parties if p["role"] == "respondent")
    clerk = people.clerk

    for wrong in (ids[:2], ids[:6], []):  # two, six, none
        with pytest.raises(ValidationError, match="推举代表有误") as err:
            elect(system, clerk, case.id, wrong)
        assert pointers(err) == ["/party_ids"]
    with pytest.raises(ValidationError) as err:  # the employer, and a worker named twice
        elect(system, clerk, case.id, [ids[0], respondent, ids[1], ids[0]])
    assert pointers(err) == ["/party_ids/1", "/party_ids/3"]
    assert system.collective.status(clerk, case.id).representatives == []

    before = datetime.now(UTC)
    status = elect(system, clerk, case.id, ids[:3])
    after = datetime.now(UTC)
    assert [(r.party_id, r.name, r.recorded_by) for r in status.representatives] == [
        (ids[0], "张三", clerk.label),
        (ids[1], "工人2", clerk.label),
        (ids[2], "工人3", clerk.label),
    ]
    assert all(before <= r.recorded_at <= after for r in status.representatives)
    view = system.cases.get_case(clerk, case.id)
    assert [p["id"] for p in view.parties if p["representative"]] == ids[:3]
    assert applicant_ids(view) == ids  # representatives stay applicants: no party added or removed

    # a new election replaces it; those re-elected keep their original record
    first = {r.party_id: r.recorded_at for r in status.representatives}
    status = elect(system, clerk, case.id, [ids[1], ids[2], ids[7], ids[8], ids[9]])
    assert [r.party_id for r in status.representatives] == [ids[1], ids[2], ids[7], ids[8], ids[9]]
    assert [r.recorded_at for r in status.representatives[:2]] == [first[ids[1]], first[ids[2]]]
    assert elect(system, clerk, case.id, [ids[9], ids[8], ids[7], ids[2], ids[1]]) == status  # no change
    history = system.cases.history(clerk, case.id)
    elections = [e for e in history if e["action"] == "collective.representatives_elected"]
    assert [(e["before"], e["after"]["representatives"], e["actor"]) for e in elections] == [
        ({"representatives": []}, ids[:3], clerk.label),
        ({"representatives": ids[:3]}, [ids[1], ids[2], ids[7], ids[8], ids[9]], clerk.label),
    ]
    with db.transaction() as s:
        assert verify(s) == []


def test_only_staff_handling_the_case_record_the_election(system: System, people: People) -> None:
    case = open_dispute(system, people, 12)
    ids = applicant_ids(case)
    with pytest.raises(PermissionDeniedError):  # a worker of the case: the election is recorded by staff
        elect(system, people.worker, case.id, ids[:3])
    with pytest.raises(CaseAccessDeniedError):  # another commission does not even see the case
        elect(system, people.other_clerk, case.id, ids[:3])
    with pytest.raises(CaseAccessDeniedError):
        elect(system, people.other_worker, case.id, ids[:3])
    assert system.collective.status(people.clerk2, case.id).representatives == []


# -- priority -------------------------------------------------------------------------------------


def test_collective_cases_come_first_in_the_staff_inbox_and_case_list_art_7(
    system: System, people: People
) -> None:
    older = open_dispute(system, people, 1)
    collective = open_dispute(system, people, 12)
    newer = open_dispute(system, people, 9)  # nine workers: not collective, no priority

    inbox = system.tasks.inbox(people.clerk)
    # without priority the oldest application would be reviewed first (same due date, created first)
    assert [(t.case_id, t.name) for t in inbox] == [
        (collective.id, "review_application"),
        (older.id, "review_application"),
        (newer.id, "review_application"),
    ]
    items, total = system.cases.list_cases(people.clerk)
    # without priority the newest case would be listed first
    assert [(i["id"], i["collective"]) for i in items] == [
        (collective.id, True),
        (newer.id, False),
        (older.id, False),
    ]
    assert total == 3


def test_staff_case_page_marks_a_collective_case(system: System, people: People) -> None:
    collective, ordinary = open_dispute(system, people, 12), open_dispute(system, people, 9)
    app: Flask = create_app(system=system)
    app.config["TESTING"] = True
    client = app.test_client()
    clerk = people.clerk
    with client.session_transaction() as session:
        session[SESSION_ACTOR] = {
            "id": clerk.user_id,
            "label": clerk.label,
            "roles": sorted(clerk.roles),
            "org": clerk.organisation_id,
        }
    page = client.get(f"/cases/{collective.id}")
    assert page.status_code == 200 and "（集体争议）" in page.get_data(as_text=True)
    page = client.get(f"/cases/{ordinary.id}")
    assert page.status_code == 200 and "集体争议" not in page.get_data(as_text=True)


# -- access ---------------------------------------------------------------------------------------


def test_an_applicant_worker_sees_the_collective_case_and_another_worker_does_not(
    system: System, people: People
) -> None:
    case = open_dispute(system, people, 12)
    elect(system, people.clerk, case.id, applicant_ids(case)[3:6])  # the worker is not a representative

    assert system.cases.get_case(people.worker, case.id).collective is True
    assert [i["id"] for i in system.cases.list_cases(people.worker)[0]] == [case.id]
    assert len(system.collective.status(people.worker, case.id).representatives) == 3
    with pytest.raises(CaseAccessDeniedError):
        system.cases.get_case(people.other_worker, case.id)
    with pytest.raises(CaseAccessDeniedError):
        system.collective.status(people.other_worker, case.id)
    assert system.cases.list_cases(people.other_worker) == ([], 0)


# -- over the API ---------------------------------------------------------------------------------


def test_representatives_api_records_the_election_with_problem_details_art_7(
    system: System, people: People
) -> None:
    collective, small = open_dispute(system, people, 12), open_dispute(system, people, 9)
    client = create_app(system=system).test_client()

    def headers(actor: Actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_access_token(actor, SECRET, 600)}"}

    def put(actor: Actor, case_id: int, ids: list[int]) -> Any:
        url = f"/api/v1/cases/{case_id}/representatives"
        return client.put(url, json={"party_ids": ids}, headers=headers(actor))

    ids = applicant_ids(collective)
    r = put(people.clerk, collective.id, ids[:2])
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/party_ids"]
    r = put(people.clerk, small.id, applicant_ids(small)[:3])
    assert r.status_code == 422 and r.mimetype == PROBLEM and "不足十人" in r.get_json()["detail"]
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/party_ids"]
    r = client.put(
        f"/api/v1/cases/{collective.id}/representatives", json={"ids": ids[:3]}, headers=headers(people.clerk)
    )
    assert r.status_code == 422 and r.mimetype == PROBLEM  # a malformed body points at its fields
    assert put(people.worker, collective.id, ids[:3]).status_code == 403
    assert put(people.other_clerk, collective.id, ids[:3]).status_code == 404  # not even visible

    r = put(people.clerk, collective.id, ids[:3])
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert (body["collective"], body["applicant_count"]) == (True, 12)
    assert [(x["party_id"], x["recorded_by"]) for x in body["representatives"]] == [
        (i, people.clerk.label) for i in ids[:3]
    ]
    assert body["representatives"][0]["recorded_at"].endswith("+00:00")
    seen = client.get(f"/api/v1/cases/{collective.id}/representatives", headers=headers(people.worker))
    assert seen.status_code == 200 and seen.get_json() == body
    case = client.get(f"/api/v1/cases/{collective.id}", headers=headers(people.worker)).get_json()
    assert (case["collective"], case["applicant_count"]) == (True, 12)
    assert [p["id"] for p in case["parties"] if p["representative"]] == ids[:3]
    hidden = client.get(
        f"/api/v1/cases/{collective.id}/representatives", headers=headers(people.other_worker)
    )
    assert hidden.status_code == 404 and hidden.mimetype == PROBLEM
