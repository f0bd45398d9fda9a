"""The employers' API for a contract's lifecycle (/api/v1/employer/contracts/{id}/amendments,
/terminations, /renewals, /issue, /links): scoped to the key's employer, problem+json errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.unit.workflows.contract_fixtures import Setup, conclude, draft, worker_proves_identity
from tests.web.test_api_contracts import KeyClient, is_problem, issue
from workflows.models import PhoneChallenge
from workflows.system import System


@pytest.fixture
def system(contract_system: System) -> System:
    return contract_system


def due() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).isoformat()


def concluded(setup: Setup) -> int:
    contract_id = draft(setup)
    conclude(setup, contract_id, "worker_first")
    return contract_id


def test_an_amendment_is_drafted_signed_and_listed_in_the_links(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    contract_id = concluded(setup)
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    body = {"changes": {"pay": {"monthly_amount": "12500"}}, "effective_on": "2027-07-01", "due_at": due()}
    r = api.post(f"/contracts/{contract_id}/amendments", body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert (created["kind"], created["original_id"], created["state"]) == ("amendment", contract_id, "draft")
    assert created["contract_number"] and created["verification_code"]
    assert api.post(f"/contracts/{created['id']}/send").status_code == 200
    links = api.get(f"/contracts/{contract_id}/links").get_json()
    assert [(d["id"], d["kind"], d["state"]) for d in links["documents"]] == [
        (created["id"], "amendment", "sent")
    ]
    assert links["may_change"] is False and links["ended_on"] is None
    with setup.service.db.transaction() as s:  # one SMS code a minute per phone: move earlier ones back
        s.execute(update(PhoneChallenge).values(created_at=PhoneChallenge.created_at - timedelta(hours=2)))
    worker_proves_identity(setup, created["id"])
    assert setup.service.worker_sign(setup.parties.worker, created["id"]) == "worker_signed"
    assert setup.service.employer_seal(setup.parties.agent, created["id"]) == "concluded"
    links = api.get(f"/contracts/{contract_id}/links").get_json()
    assert links["documents"][0]["state"] == "concluded" and links["may_change"] is True
    back = api.get(f"/contracts/{created['id']}/links").get_json()
    assert back["original"]["id"] == contract_id and back["kind"] == "amendment"


def test_bad_amendments_are_422_with_pointers_and_changes_of_an_open_contract_409(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    contract_id = concluded(setup)
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    body = {"changes": {"job": None}, "effective_on": "2027-07-01", "due_at": due()}
    problem = is_problem(api.post(f"/contracts/{contract_id}/amendments", body), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/clauses/job"]
    problem = is_problem(
        api.post(f"/contracts/{contract_id}/amendments", {"changes": {}, "due_at": due()}), 422
    )
    assert "/effective_on" in [e["pointer"] for e in problem["errors"]]
    sent = draft(setup)
    body = {"changes": {"pay": {"payday": 20}}, "effective_on": "2027-07-01", "due_at": due()}
    assert is_problem(api.post(f"/contracts/{sent}/amendments", body), 409)["status"] == 409


def test_an_employer_certificate_is_drafted_issued_and_ends_the_contract(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    contract_id = concluded(setup)
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    body = {
        "mode": "certificate",
        "legal_basis": "art44",
        "ended_on": "2029-12-31",
        "reason": "劳动合同期满，双方不再续订",
        "compensation": "36000",
        "due_at": due(),
    }
    problem = is_problem(
        api.post(f"/contracts/{contract_id}/terminations", {**body, "legal_basis": "art99"}), 422
    )
    assert [e["pointer"] for e in problem["errors"]] == ["/legal_basis"]
    r = api.post(f"/contracts/{contract_id}/terminations", body)
    assert r.status_code == 201, r.get_json()
    certificate = r.get_json()
    assert certificate["signing_order"] == "employer_only" and certificate["kind"] == "termination"
    issued = api.post(f"/contracts/{certificate['id']}/issue")
    assert issued.status_code == 200 and issued.get_json()["state"] == "concluded"
    links = api.get(f"/contracts/{contract_id}/links").get_json()
    assert links["ended_on"] == "2029-12-31" and links["ended_by"]["id"] == certificate["id"]
    again = {"changes": {"pay": {"payday": 20}}, "effective_on": "2027-07-01", "due_at": due()}
    assert (
        "解除或者终止" in is_problem(api.post(f"/contracts/{contract_id}/amendments", again), 409)["detail"]
    )


def test_a_renewal_is_drafted_with_a_new_term(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    contract_id = concluded(setup)
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    term = {"kind": "fixed", "start_date": "2030-01-01", "end_date": "2032-12-31"}
    r = api.post(f"/contracts/{contract_id}/renewals", {"term": term, "due_at": due()})
    assert r.status_code == 201, r.get_json()
    renewal = r.get_json()
    assert (renewal["kind"], renewal["starts_on"], renewal["ends_on"]) == (
        "renewal",
        "2030-01-01",
        "2032-12-31",
    )
    problem = is_problem(api.post(f"/contracts/{contract_id}/renewals", {"term": term, "due_at": due()}), 409)
    assert "续订" in problem["detail"]


def test_another_employers_key_and_a_key_without_the_scope_are_refused(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    contract_id = concluded(setup)
    other = KeyClient(client, issue(as_user, setup.parties.other_agent))
    body = {"changes": {"pay": {"payday": 20}}, "effective_on": "2027-07-01", "due_at": due()}
    is_problem(other.post(f"/contracts/{contract_id}/amendments", body), 404)
    is_problem(other.get(f"/contracts/{contract_id}/links"), 404)
    term = {"kind": "fixed", "start_date": "2030-01-01", "end_date": "2032-12-31"}
    is_problem(other.post(f"/contracts/{contract_id}/renewals", {"term": term, "due_at": due()}), 404)
    reader = KeyClient(client, issue(as_user, setup.parties.agent, ["contracts:read"]))
    assert is_problem(reader.post(f"/contracts/{contract_id}/amendments", body), 403)["detail"]
    assert reader.get(f"/contracts/{contract_id}/links").status_code == 200
