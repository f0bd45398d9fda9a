"""Idempotency-Key on the employer API's POSTs: a retried create makes exactly one contract (also
two identical requests at once, PostgreSQL); replays say so; a reused key is 422, a retry in
flight 409; a server error is forgotten so a retry runs; the header is documented."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.unit.workflows.contract_fixtures import Setup
from tests.web.test_api_contracts import contract_body, is_problem, issue
from workflows.db import Database
from workflows.idempotency import IdempotencyService, request_sha256
from workflows.models import ApiIdempotencyRecord, EmployerApiKey, LabourContract
from workflows.system import System


@pytest.fixture
def system(contract_system: System) -> System:
    return contract_system


CONTRACTS = "/api/v1/employer/contracts"


def post(client: FlaskClient, key: str, path: str, body: Any, idem: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return client.post(path, json=body, headers=headers)


def count(db: Database, model: Any = LabourContract) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar() or 0)


def test_a_retried_create_makes_one_contract_and_gets_the_first_response(
    client: FlaskClient, as_user: Any, setup: Setup, db: Database
) -> None:
    key = issue(as_user, setup.parties.agent)
    body = contract_body(setup)
    first = post(client, key, CONTRACTS, body, '"create-0001"')
    assert first.status_code == 201, first.get_json()
    assert "Idempotency-Replayed" not in first.headers
    again = post(client, key, CONTRACTS, body, '"create-0001"')
    assert again.status_code == 201
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.mimetype == "application/json"
    assert count(db) == 1


def test_without_the_header_nothing_changes(
    client: FlaskClient, as_user: Any, setup: Setup, db: Database
) -> None:
    key = issue(as_user, setup.parties.agent)
    body = contract_body(setup)
    assert post(client, key, CONTRACTS, body).status_code == 201
    assert post(client, key, CONTRACTS, body).status_code == 201
    assert count(db) == 2 and count(db, ApiIdempotencyRecord) == 0


def test_a_retried_send_replays_instead_of_a_state_conflict(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    key = issue(as_user, setup.parties.agent)
    created = post(client, key, CONTRACTS, contract_body(setup)).get_json()
    send = f"{CONTRACTS}/{created['id']}/send"
    assert post(client, key, send, None, "send-1").get_json()["state"] == "sent"
    replay = post(client, key, send, None, "send-1")
    assert replay.status_code == 200 and replay.headers["Idempotency-Replayed"] == "true"
    assert is_problem(post(client, key, send, None), 409)  # without the key: the real second send


def test_the_same_key_for_another_request_is_422_naming_the_header(
    client: FlaskClient, as_user: Any, setup: Setup, db: Database
) -> None:
    key = issue(as_user, setup.parties.agent)
    assert post(client, key, CONTRACTS, contract_body(setup), "k1").status_code == 201
    other = contract_body(setup, signing_order="employer_first")
    body = is_problem(post(client, key, CONTRACTS, other, "k1"), 422)
    assert body["errors"][0]["pointer"] == "/headers/Idempotency-Key"
    assert "Idempotency-Key" in body["detail"]
    assert count(db) == 1


def test_a_retry_while_the_first_is_still_running_is_409(
    client: FlaskClient, as_user: Any, setup: Setup, db: Database
) -> None:
    key = issue(as_user, setup.parties.agent)
    body = contract_body(setup)
    with db.transaction() as s:
        key_row = s.execute(select(EmployerApiKey.id)).scalar_one()
    sha = request_sha256("POST", CONTRACTS, json.dumps(body).encode(), is_json=True)
    IdempotencyService(db).begin(key_row, "busy", "POST", CONTRACTS, sha)  # the first, still running
    problem = is_problem(post(client, key, CONTRACTS, body, "busy"), 409)
    assert "仍在处理中" in problem["detail"]
    assert count(db) == 0


def test_a_client_error_is_kept_but_a_server_error_is_forgotten_so_a_retry_runs(
    client: FlaskClient, as_user: Any, setup: Setup, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = issue(as_user, setup.parties.agent)
    invalid = contract_body(setup, clauses={})
    assert is_problem(post(client, key, CONTRACTS, invalid, "bad"), 422)
    replay = post(client, key, CONTRACTS, invalid, "bad")
    assert replay.status_code == 422 and replay.headers["Idempotency-Replayed"] == "true"
    assert replay.mimetype == "application/problem+json"

    real = setup.service.create_draft
    calls = []

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(setup.service, "create_draft", failing_once)
    body = contract_body(setup)
    with pytest.raises(RuntimeError):
        post(client, key, CONTRACTS, body, "flaky")
    retried = post(client, key, CONTRACTS, body, "flaky")
    assert retried.status_code == 201 and "Idempotency-Replayed" not in retried.headers
    assert count(db) == 1 and len(calls) == 2


def test_a_bad_header_or_a_header_without_an_api_key_is_400(
    client: FlaskClient, as_user: Any, setup: Setup, db: Database
) -> None:
    key = issue(as_user, setup.parties.agent)
    body = contract_body(setup)
    problem = is_problem(post(client, key, CONTRACTS, body, "x" * 201), 400)
    assert problem["errors"][0]["pointer"] == "/headers/Idempotency-Key" and "200" in problem["detail"]
    token = as_user(setup.parties.agent)
    r = client.post(CONTRACTS, json=body, headers={**token.headers, "Idempotency-Key": "k"})
    assert "API 密钥" in is_problem(r, 400)["detail"]
    assert is_problem(post(client, key[:-3] + "AAA", CONTRACTS, body, "k"), 401)
    assert count(db) == 0 and count(db, ApiIdempotencyRecord) == 0


def test_two_identical_creates_at_the_same_moment_make_one_contract(
    app: Flask, as_user: Any, setup: Setup, db: Database
) -> None:
    if not db.is_postgres:
        pytest.skip("real concurrency needs PostgreSQL")
    key = issue(as_user, setup.parties.agent)
    body = contract_body(setup)
    barrier = threading.Barrier(2)
    responses: list[Any] = []

    def attempt() -> None:
        client = app.test_client()
        barrier.wait()
        responses.append(post(client, key, CONTRACTS, body, "same-moment"))

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([201, 201], [201, 409]), [r.get_json() for r in responses]
    assert count(db) == 1
    final = post(app.test_client(), key, CONTRACTS, body, "same-moment")
    created = next(r for r in responses if r.status_code == 201).get_json()
    assert final.status_code == 201 and final.get_json()["id"] == created["id"]


def test_openapi_documents_the_header_on_every_employer_post(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    employer_posts = {
        p: ops["post"] for p, ops in paths.items() if p.startswith("/api/v1/employer/") and "post" in ops
    }
    assert (
        f"{CONTRACTS}" in employer_posts
        and "/api/v1/employer/contract-templates/{template_key}/versions" in employer_posts
    )
    for path, op in employer_posts.items():
        names = [p.get("name") for p in op.get("parameters", [])]
        assert names.count("Idempotency-Key") == 1, path
    assert all(p.get("name") != "Idempotency-Key" for p in paths[CONTRACTS]["get"].get("parameters", []))
    assert not any(
        p.get("name") == "Idempotency-Key" for p in paths["/api/v1/auth/token"]["post"].get("parameters", [])
    )
