"""The bulk-send API (/api/v1/employer/contract-batches): upload with an employer API key (scopes
write + send) → 202 and Location; track progress and rows; problem+json for bad input; one
employer's batches only; documented in the OpenAPI."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.unit.workflows.contract_fixtures import Setup
from tests.web.test_api_contracts import ALL, is_problem, issue
from tests.web.test_contract_batches_pages import sheet
from workflows.contract_batches import ContractBatchService
from workflows.db import Database
from workflows.system import System

PATH = "/api/v1/employer/contract-batches"


@pytest.fixture
def system(contract_system: System, db: Database, setup: Setup) -> System:
    system = contract_system
    system.contract_batches = ContractBatchService(db, setup.service)
    return system


def due() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).isoformat()


def send(client: FlaskClient, key: str, content: bytes, **form: Any) -> Any:
    data = {"file": (io.BytesIO(content), "入职.xlsx"), "due_at": due(), **form}
    return client.post(
        PATH, data=data, headers={"Authorization": f"Bearer {key}"}, content_type="multipart/form-data"
    )


def read(client: FlaskClient, key: str, path: str, **query: Any) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {key}"}, query_string=query)


def test_an_hr_system_uploads_a_sheet_and_tracks_the_batch(
    client: FlaskClient, as_user: Any, setup: Setup, system: System
) -> None:
    key = issue(as_user, setup.parties.agent)
    r = send(client, key, sheet({}, {"pay.monthly_amount": "面议"}), template_id=str(setup.template_id))
    assert r.status_code == 202, r.get_data(as_text=True)
    batch = r.get_json()
    assert r.headers["Location"].endswith(f"{PATH}/{batch['id']}")
    assert (batch["state"], batch["total"], batch["failed"], batch["pending"]) == ("queued", 2, 1, 1)

    assert system.contract_batches is not None and system.contract_batches.run_pending() == 1
    body = read(client, key, f"{PATH}/{batch['id']}").get_json()
    assert (body["batch"]["state"], body["batch"]["sent"], body["batch"]["percent"]) == ("done", 1, 100)
    rows = body["rows"]["items"]
    assert [(r["row_number"], r["state"]) for r in rows] == [(2, "sent"), (3, "failed")]
    assert rows[0]["contract_id"] and rows[0]["contract_number"] and rows[0]["problems"] == []
    assert rows[1]["problems"][0]["pointer"] == "/rows/3/clauses/pay/monthly_amount"
    failed = read(client, key, f"{PATH}/{batch['id']}", state="failed", limit=1).get_json()["rows"]
    assert (failed["total"], [r["row_number"] for r in failed["items"]]) == (1, [3])
    listed = read(client, key, PATH).get_json()
    assert [b["id"] for b in listed["items"]] == [batch["id"]] and listed["total"] == 1
    contract = read(client, key, f"/api/v1/employer/contracts/{rows[0]['contract_id']}").get_json()
    assert contract["state"] == "sent"


def test_uploading_needs_the_write_and_send_scopes(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    for scopes, missing in (
        (["contracts:read", "contracts:write"], "contracts:send"),
        (["contracts:read", "contracts:send"], "contracts:write"),
    ):
        key = issue(as_user, setup.parties.agent, scopes)
        body = is_problem(send(client, key, sheet({})), 403)
        assert body["type"].endswith("/insufficient-scope") and missing in body["detail"]
        assert read(client, key, PATH).get_json()["total"] == 0
    key = issue(as_user, setup.parties.agent, ["contracts:write", "contracts:send"])
    batch_id = send(client, key, sheet({})).get_json()["id"]
    body = is_problem(read(client, key, f"{PATH}/{batch_id}"), 403)
    assert "contracts:read" in body["detail"]


def test_bad_input_is_a_problem_pointing_at_the_field(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    key = issue(as_user, setup.parties.agent)
    body = is_problem(send(client, key, "居民身份证号码,奖金\n110101199003071233,1\n".encode()), 422)
    assert body["errors"][0]["pointer"] == "/file" and "「奖金」" in body["errors"][0]["detail"]
    r = client.post(PATH, data={"due_at": due()}, headers={"Authorization": f"Bearer {key}"})
    assert is_problem(r, 422)["errors"][0]["pointer"] == "/file"
    r = send(client, key, sheet({}), due_at="tomorrow", signing_order="sometime")
    assert {e["pointer"] for e in is_problem(r, 422)["errors"]} == {"/due_at", "/signing_order"}
    r = send(client, key, sheet({}), due_at=(datetime.now(UTC) - timedelta(days=1)).isoformat())
    assert [e["pointer"] for e in is_problem(r, 422)["errors"]] == ["/due_at"]
    assert read(client, key, PATH).get_json()["total"] == 0


def test_another_employers_batch_is_404(client: FlaskClient, as_user: Any, setup: Setup) -> None:
    batch_id = send(client, issue(as_user, setup.parties.agent), sheet({})).get_json()["id"]
    other = issue(as_user, setup.parties.other_agent, ALL)
    assert is_problem(read(client, other, f"{PATH}/{batch_id}"), 404)
    assert read(client, other, PATH).get_json()["items"] == []
    assert client.get(f"{PATH}/{batch_id}").status_code == 401


def test_the_endpoints_are_in_the_openapi_description(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"][PATH]["post"]
    assert "202" in post["responses"] and "Location" in post["responses"]["202"]["headers"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert post["x-required-scope"] == "contracts:write contracts:send"
    assert spec["paths"][PATH + "/{batch_id}"]["get"]["x-required-scope"] == "contracts:read"
