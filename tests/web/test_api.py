"""The REST API end to end: auth, cases, tasks, errors as RFC 9457 problem+json with pointers."""

from __future__ import annotations

from typing import Any

import pyotp

from tests.support import SECRET, People
from workflows.audit import SYSTEM
from workflows.identity import create_user
from workflows.system import System

PROBLEM = "application/problem+json"


def open_loop_case(api: Any, people: People, worker_user: int | None = None) -> dict[str, Any]:
    body = {
        "process_key": "loop_process",
        "case_type": "arbitration",
        "title": "工资争议",
        "organisation_id": people.org_id,
        "parties": [
            {"role": "applicant", "name": "刘某", "user_id": worker_user or people.worker.user_id},
            {"role": "respondent", "name": "某公司", "kind": "organisation"},
        ],
        "claims": [{"claim_type": "wages", "description": "拖欠工资", "amount": "12000.50"}],
    }
    r = api.post("/cases", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_openapi_document_lists_the_endpoints(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    for path in (
        "/api/v1/cases",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/definitions",
        "/api/v1/audit/verify",
    ):
        assert path in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_no_token_is_401_problem(client: Any) -> None:
    r = client.get("/api/v1/cases")
    assert r.status_code == 401
    assert r.mimetype == PROBLEM
    assert r.get_json()["status"] == 401


def test_tampered_token_is_rejected(as_user: Any, people: People) -> None:
    api = as_user(people.clerk)
    api.headers["Authorization"] += "x"
    assert api.get("/cases").status_code == 401


def test_token_endpoint_requires_the_staff_one_time_code(client: Any, system: System, people: People) -> None:
    with system.db.transaction() as s:
        _, secret = create_user(
            s, username="clerk_totp", display_name="书记员", password="correct horse battery",
            roles={"clerk"}, organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
    assert secret
    body = {"username": "clerk_totp", "password": "correct horse battery"}
    r = client.post("/api/v1/auth/token", json=body)
    assert r.status_code == 401 and r.mimetype == PROBLEM
    r = client.post("/api/v1/auth/token", json={**body, "totp": "000000"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={**body, "totp": pyotp.TOTP(secret).now()})
    assert r.status_code == 200
    token = r.get_json()["access_token"]
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_wrong_password_and_malformed_body_are_clear_problems(client: Any, people: People) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "worker1", "password": "nope"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "worker1", "totp": "12"})
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.get_json()["errors"]}
    assert pointers == {"/password", "/totp"}


def test_party_files_a_case_and_sees_it_numbered(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    assert case["case_number"].startswith("仲〔")
    assert case["claims"][0]["amount"] == "12000.50" or float(case["claims"][0]["amount"]) == 12000.5
    assert [t["name"] for t in case["open_tasks"]] == ["task_1"]
    assert case["created_at"].endswith("+00:00")  # UTC said explicitly, on SQLite too


def test_open_case_with_bad_fields_points_at_each_and_writes_nothing(as_user: Any, people: People) -> None:
    api = as_user(people.clerk)
    r = api.post(
        "/cases",
        json={
            "process_key": "loop_process",
            "case_type": "arbitration",
            "title": "",
            "organisation_id": people.org_id,
            "parties": [{"role": "judge", "name": "x"}],
            "claims": [{"claim_type": "wages", "amount": "-1"}],
            "surprise": 1,
        },
    )
    assert r.status_code == 422 and r.mimetype == PROBLEM
    pointers = {e["pointer"] for e in r.get_json()["errors"]}
    assert {"/title", "/parties/0/role", "/claims/0/amount", "/surprise"} <= pointers
    assert api.get("/cases").get_json()["total"] == 0


def test_clerk_claims_and_completes_a_task_once(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    clerk = as_user(people.clerk)
    inbox = clerk.get("/tasks").get_json()
    assert [t["id"] for t in inbox] == [task_id]
    assert clerk.get(f"/tasks/{task_id}").get_json()["form_schema"]["required"] == ["again"]
    assert clerk.post(f"/tasks/{task_id}/claim").get_json()["assignee_id"] == people.clerk.user_id
    r = clerk.post(f"/tasks/{task_id}/complete", json={"data": {"again": False, "note": "ok"}})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["opened_task_ids"]
    again = clerk.post(f"/tasks/{task_id}/complete", json={"data": {"again": False}})
    assert again.status_code == 409 and again.mimetype == PROBLEM
    history = clerk.get(f"/cases/{case['id']}/history").get_json()
    assert [e["action"] for e in history].count("task.completed") == 1


def test_form_data_failing_its_schema_is_422_with_pointers(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    clerk = as_user(people.clerk)
    r = clerk.post(f"/tasks/{task_id}/complete", json={"data": {"note": 5, "evil": "__import__('os')"}})
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.get_json()["errors"]}
    assert pointers == {"/again", "/note", "/evil"}
    assert clerk.get(f"/tasks/{task_id}").get_json()["state"] == "open"


def test_claimed_by_someone_else_is_a_conflict(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    as_user(people.clerk).post(f"/tasks/{task_id}/claim")
    r = as_user(people.clerk2).post(f"/tasks/{task_id}/complete", json={"data": {"again": False}})
    assert r.status_code == 409


def test_unknown_task_is_404(as_user: Any, people: People) -> None:
    r = as_user(people.clerk).post("/tasks/no-such-task/complete", json={"data": {}})
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_someone_elses_case_is_invisible(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    for outsider in (people.other_worker, people.other_clerk):
        api = as_user(outsider)
        assert api.get(f"/cases/{case['id']}").status_code == 404
        assert api.get(f"/cases/{case['id']}/history").status_code == 404
        assert api.get("/cases").get_json()["total"] == 0
        assert api.post(f"/tasks/{task_id}/complete", json={"data": {"again": False}}).status_code in (
            403,
            404,
        )
    assert (
        as_user(people.worker).post(f"/tasks/{task_id}/complete", json={"data": {"again": False}}).status_code
        == 403
    )


def test_worker_cannot_complete_a_clerk_task_even_on_own_case(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    r = as_user(people.worker).post(f"/tasks/{task_id}/complete", json={"data": {"again": False}})
    assert r.status_code == 403


def test_deadline_list_and_extension_needs_reason(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    r = as_user(people.clerk).get(f"/cases/{case['id']}/deadlines")
    assert r.status_code == 200 and isinstance(r.get_json(), list)
    r = as_user(people.clerk).post("/deadlines/999/changes", json={"action": "extend"})
    assert r.status_code == 422
    assert {e["pointer"] for e in r.get_json()["errors"]} == {"/reason"}


def test_definitions_visible_to_staff_only(as_user: Any, people: People) -> None:
    defs = as_user(people.clerk).get("/definitions").get_json()
    assert {d["process_key"] for d in defs} >= {"loop_process"}
    assert as_user(people.worker).get("/definitions").status_code == 403


def test_deploying_a_broken_definition_names_file_and_changes_nothing(
    as_user: Any, system: System, people: People, db: Any
) -> None:
    with db.transaction() as s:
        admin, _ = create_user(
            s, username="admin1", display_name="管理员", password="correct horse battery",
            roles={"admin"}, organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
        s.flush()
        from workflows.identity import actor_for_user

        admin_actor = actor_for_user(admin)
    api = as_user(admin_actor)
    before = api.get("/definitions").get_json()
    broken = {
        "broken.bpmn": "<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><oops"
    }
    r = api.post("/definitions", json={"process_key": "broken", "files": broken})
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert r.get_json()["file"] == "broken.bpmn"
    assert api.get("/definitions").get_json() == before
    assert (
        as_user(people.clerk).post("/definitions", json={"process_key": "x", "files": {}}).status_code == 403
    )


def test_audit_verify_is_for_administrators(as_user: Any, people: People) -> None:
    assert as_user(people.clerk).get("/audit/verify").status_code == 403


def test_json_with_nan_or_infinity_is_refused_and_the_task_stays_open(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    clerk = as_user(people.clerk)
    for constant in ("NaN", "Infinity", "-Infinity"):
        r = clerk.post(
            f"/tasks/{task_id}/complete",
            data='{"data": {"again": false, "note": ' + constant + "}}",
            content_type="application/json",
        )
        # not standard JSON: PostgreSQL's json refuses it and a writer would quietly store null
        assert r.status_code == 400 and r.mimetype == PROBLEM, r.get_data(as_text=True)
        [error] = r.get_json()["errors"]
        assert error["detail"] == f"Invalid JSON body: {constant} is not a JSON number"
    r = clerk.post(f"/tasks/{task_id}/complete", data="{}".encode("utf-16"), content_type="application/json")
    assert r.status_code == 400 and r.mimetype == PROBLEM  # UTF-8 only, as before
    assert [t["id"] for t in clerk.get("/tasks").get_json()] == [task_id]
