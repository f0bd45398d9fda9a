"""Case-level actions through the API: withdrawal, and applying for arbitration after mediation."""

from __future__ import annotations

from typing import Any

from tests.support import People
from tests.web.test_api import open_loop_case


def test_applicant_withdraws_through_the_api_once(as_user: Any, people: People) -> None:
    worker = as_user(people.worker)
    case = open_loop_case(worker, people)
    r = worker.post(f"/cases/{case['id']}/withdrawal", json={"reason": "x"})
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/reason"]
    assert (
        as_user(people.other_worker)
        .post(f"/cases/{case['id']}/withdrawal", json={"reason": "撤回申请"})
        .status_code
        == 404
    )  # not their case: as if it did not exist
    assert worker.post(f"/cases/{case['id']}/withdrawal", json={"reason": "已与单位和解"}).status_code == 204
    after = worker.get(f"/cases/{case['id']}").get_json()
    assert after["status"] == "withdrawn" and after["open_tasks"] == []
    again = worker.post(f"/cases/{case['id']}/withdrawal", json={"reason": "已与单位和解"})
    assert again.status_code == 409


def test_only_a_mediation_case_can_be_taken_to_arbitration(as_user: Any, people: People) -> None:
    worker = as_user(people.worker)
    case = open_loop_case(worker, people)  # an arbitration-type case, not a mediation
    r = worker.post(f"/cases/{case['id']}/arbitration", json={"commission_id": people.org_id})
    assert r.status_code == 422
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/mediation_case_id"]
    bad = worker.post(f"/cases/{case['id']}/arbitration", json={"commission": people.org_id})
    assert bad.status_code == 422  # unknown field, missing commission_id
