"""The employers' contracts API (/api/v1/employer): API keys with scopes, one employer's contracts
only, create → send → track, problem+json errors and the OpenAPI description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.contract_support import WORKER_RESIDENT_ID, sample_clauses
from tests.unit.workflows.contract_fixtures import Setup
from workflows.db import Database
from workflows.models import EmployerApiKey
from workflows.system import System


@pytest.fixture
def system(contract_system: System) -> System:
    return contract_system


ALL = ["contracts:read", "contracts:write", "contracts:send"]


def issue(as_user: Any, actor: Any, scopes: list[str] = ALL) -> str:
    r = as_user(actor).post("/employer/api-keys", json={"label": "HR 系统", "scopes": scopes})
    assert r.status_code == 201, r.get_json()
    key: str = r.get_json()["key"]
    return key


class KeyClient:
    def __init__(self, client: FlaskClient, key: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1/employer{path}", headers=self.headers, **kw)

    def post(self, path: str, json: Any = None) -> Any:
        return self.client.post(f"/api/v1/employer{path}", json=json, headers=self.headers)


def contract_body(setup: Setup, **changes: Any) -> dict[str, Any]:
    body = {
        "template_id": setup.template_id,
        "worker_resident_id": WORKER_RESIDENT_ID,
        "clauses": sample_clauses(),
        "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "signing_order": "worker_first",
    }
    body.update(changes)
    return body


def is_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    body: dict[str, Any] = r.get_json()
    assert body["status"] == status
    return body


# -- keys ----------------------------------------------------------------------------------------


def test_key_lifecycle_issue_list_use_revoke(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    agent = setup.parties.agent
    key = issue(as_user, agent)
    key_id = key.split("_")[1]
    listed = as_user(agent).get("/employer/api-keys").get_json()
    assert [(k["key_id"], k["scopes"], k["revoked_at"]) for k in listed] == [(key_id, sorted(ALL), None)]
    assert all("key" not in k for k in listed)
    api = KeyClient(client, key)
    assert api.get("/contracts").status_code == 200
    assert as_user(agent).get("/employer/api-keys").get_json()[0]["last_used_at"] is not None
    assert as_user(agent).post(f"/employer/api-keys/{key_id}/revoke").get_json()["revoked_at"]
    assert "吊销" in is_problem(api.get("/contracts"), 401)["detail"]


def test_a_wrong_secret_is_401(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    key = issue(as_user, setup.parties.agent)
    r = KeyClient(client, key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")).get("/contracts")
    assert is_problem(r, 401)["detail"] == "API 密钥无效"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/employer/contracts").status_code == 401


def test_an_expired_key_is_401(client: FlaskClient, as_user: Any, setup: Setup, db: Database) -> None:
    key = issue(as_user, setup.parties.agent)
    with db.transaction() as s:
        s.execute(update(EmployerApiKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert is_problem(KeyClient(client, key).get("/contracts"), 401)["detail"] == "API 密钥已过期"


def test_a_key_without_the_scope_is_403_problem(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    api = KeyClient(client, issue(as_user, setup.parties.agent, ["contracts:read"]))
    body = is_problem(api.post("/contracts", contract_body(setup)), 403)
    assert body["type"].endswith("/insufficient-scope") and "contracts:write" in body["detail"]
    assert api.get("/contracts").get_json()["total"] == 0


def test_a_key_cannot_manage_keys(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    key = issue(as_user, setup.parties.agent)
    r = client.post(
        "/api/v1/employer/api-keys",
        json={"label": "x", "scopes": ALL},
        headers={"Authorization": f"Bearer {key}"},
    )
    is_problem(r, 401)


def test_a_worker_cannot_issue_an_employer_key(as_user: Any, setup: Setup) -> None:
    r = as_user(setup.parties.worker).post("/employer/api-keys", json={"label": "x", "scopes": ALL})
    assert r.status_code in (403, 422)


# -- contracts -----------------------------------------------------------------------------------


def test_another_employers_contract_is_404(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    mine = KeyClient(client, issue(as_user, setup.parties.agent))
    theirs = KeyClient(client, issue(as_user, setup.parties.other_agent))
    created = mine.post("/contracts", contract_body(setup))
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    for r in (
        theirs.get(f"/contracts/{cid}"),
        theirs.get(f"/contracts/{cid}/preview"),
        theirs.get(f"/contracts/{cid}/events"),
        theirs.post(f"/contracts/{cid}/send"),
        theirs.post(f"/contracts/{cid}/void", {"reason": "x"}),
    ):
        is_problem(r, 404)
    assert theirs.get("/contracts").get_json()["total"] == 0
    assert mine.get(f"/contracts/{cid}").get_json()["state"] == "draft"  # nothing happened to it


def test_a_missing_mandatory_clause_is_422_with_its_pointer_art_17(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    clauses = sample_clauses()
    del clauses["pay"]
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    body = is_problem(api.post("/contracts", contract_body(setup, clauses=clauses)), 422)
    assert "劳动报酬" in body["detail"]
    assert [e["pointer"] for e in body["errors"]] == ["/clauses/pay"]
    assert api.get("/contracts").get_json()["total"] == 0


def test_create_needs_exactly_one_worker_reference(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    body = is_problem(api.post("/contracts", contract_body(setup, worker_user_id=1)), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/worker_resident_id"]
    unknown = contract_body(setup, worker_resident_id="110101199003070000")
    assert is_problem(api.post("/contracts", unknown), 422)["errors"][0]["pointer"] == "/worker_resident_id"


def test_create_send_and_track_a_contract(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    templates = api.get("/contract-templates").get_json()
    assert [t["id"] for t in templates] == [setup.template_id]
    r = api.post("/contracts", contract_body(setup))
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    cid = created["id"]
    assert created["state"] == "draft" and created["worker_user_id"] == setup.parties.worker.user_id
    assert created["worker_name"] == "王小明" and created["contract_number"].startswith("LC")

    pdf = api.get(f"/contracts/{cid}/preview")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Digest"] == f"sha-256={created['document_sha256']}"

    sent = api.post(f"/contracts/{cid}/send")
    assert sent.status_code == 200 and sent.get_json()["state"] == "sent" and sent.get_json()["sent_at"]
    is_problem(api.post(f"/contracts/{cid}/send"), 409)  # not a draft any more

    track = api.get(f"/contracts/{cid}/events").get_json()
    assert track["contract"]["state"] == "sent"
    assert [e["action"] for e in track["events"]] == ["drafted", "sent"]
    assert all("API 密钥" in e["actor"] for e in track["events"])
    assert "client_ip" not in track["events"][0]["details"]

    assert [c["id"] for c in api.get("/contracts?state=sent").get_json()["items"]] == [cid]
    assert api.get("/contracts?state=draft").get_json()["total"] == 0
    is_problem(api.get("/contracts?state=bogus"), 422)


def test_list_pages_and_void(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    api = KeyClient(client, issue(as_user, setup.parties.agent))
    ids = [api.post("/contracts", contract_body(setup)).get_json()["id"] for _ in range(3)]
    page = api.get("/contracts?limit=2&offset=0").get_json()
    assert (page["total"], [c["id"] for c in page["items"]]) == (3, ids[:0:-1])
    assert [c["id"] for c in api.get("/contracts?limit=2&offset=2").get_json()["items"]] == [ids[0]]
    is_problem(api.post(f"/contracts/{ids[0]}/void", {}), 422)
    voided = api.post(f"/contracts/{ids[0]}/void", {"reason": "岗位取消"}).get_json()
    assert (voided["state"], voided["close_reason"]) == ("voided", "岗位取消")


def test_an_agent_access_token_works_too_but_not_a_workers(as_user: Any, setup: Setup) -> None:
    assert as_user(setup.parties.agent).get("/employer/contracts").status_code == 200
    is_problem(as_user(setup.parties.worker).get("/employer/contracts"), 403)


# -- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_documents_the_contract_endpoints_and_the_key_scheme(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["employerKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "lcek_" in scheme["bearerFormat"]
    paths = spec["paths"]
    for path, method in (
        ("/api/v1/employer/contracts", "get"),
        ("/api/v1/employer/contracts", "post"),
        ("/api/v1/employer/contracts/{contract_id}", "get"),
        ("/api/v1/employer/contracts/{contract_id}/preview", "get"),
        ("/api/v1/employer/contracts/{contract_id}/send", "post"),
        ("/api/v1/employer/contracts/{contract_id}/void", "post"),
        ("/api/v1/employer/contracts/{contract_id}/events", "get"),
        ("/api/v1/employer/api-keys", "post"),
    ):
        assert method in paths[path], path
    create = paths["/api/v1/employer/contracts"]["post"]
    assert {"employerKey": []} in create["security"] and create["x-required-scope"] == "contracts:write"
    assert (
        paths["/api/v1/employer/contracts/{contract_id}/send"]["post"]["x-required-scope"] == "contracts:send"
    )
    assert "CreateContractIn" in spec["components"]["schemas"]


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_issues_a_key_that_works_and_revokes_it(
    client: FlaskClient, setup: Setup, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tests.support import SECRET
    from web.cli import main

    monkeypatch.setenv("LABORCASE_DATABASE_URL", db.url)
    monkeypatch.setenv("LABORCASE_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("LABORCASE_SECRET_KEY", SECRET)
    args = ["api-keys", "issue", "--employer-id", str(setup.parties.employer_id), "--agent", "hr1"]
    result = CliRunner().invoke(main, [*args, "--label", "HR", "--scope", "contracts:read"])
    assert result.exit_code == 0, result.output
    key = result.output.split("key (shown once): ")[1].strip()
    api = KeyClient(client, key)
    assert api.get("/contracts").status_code == 200
    refused = CliRunner().invoke(main, [*args[:-1], "hr9", "--label", "HR", "--scope", "contracts:read"])
    assert refused.exit_code == 1 and "/agent_user_id" in refused.output
    assert CliRunner().invoke(main, ["api-keys", "revoke", key.split("_")[1]]).exit_code == 0
    is_problem(api.get("/contracts"), 401)
