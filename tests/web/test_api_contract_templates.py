"""The employer API for contract templates: read one, create, revise (new version, stale base 409,
problems with pointers), preview, scopes (templates:write) and another employer's 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.contract_support import WORKER_RESIDENT_ID, sample_clauses
from tests.unit.workflows.contract_fixtures import Setup
from tests.web.test_api_contracts import KeyClient, is_problem, issue
from workflows.contract_template_service import ContractTemplateService
from workflows.db import Database
from workflows.system import System

ALL = ["contracts:read", "contracts:write", "templates:write"]


@pytest.fixture
def system(contract_system: System, db: Database, setup: Setup) -> System:
    system = contract_system
    system.contract_templates = ContractTemplateService(
        db, setup.service.renderer, verify_base_url=setup.service.verify_base_url
    )
    return system


def editable(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail["content"].items() if k not in ("key", "title")}


def test_create_read_revise_and_draft_from_a_template(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    api = KeyClient(client, issue(as_user, setup.parties.agent, ALL))
    r = api.post("/contract-templates", {"title": "本公司劳动合同", "template_key": "std"})
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["template"]["version"] == 1 and created["retired"] is False
    got = api.get("/contract-templates/std").get_json()
    assert got["content"] == created["content"] and [v["version"] for v in got["versions"]] == [1]
    content = editable(got)
    content["defaults"]["other_terms"] = ["甲方提供工作餐。"]
    r = api.post(
        "/contract-templates/std/versions", {"base_version": 1, "title": "劳动合同 2027", "content": content}
    )
    assert r.status_code == 201, r.get_json()
    v2 = r.get_json()
    assert v2["template"]["version"] == 2 and v2["latest_version"] == 2
    assert api.get("/contract-templates/std?version=1").get_json()["template"]["title"] == "本公司劳动合同"
    listed = api.get("/contract-templates").get_json()
    assert {(t["template_key"], t["version"]) for t in listed} >= {("std", 1), ("std", 2)}
    body = {
        "template_id": v2["template"]["id"],
        "worker_resident_id": WORKER_RESIDENT_ID,
        "clauses": sample_clauses(),
        "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    drafted = api.post("/contracts", body)
    assert drafted.status_code == 201 and drafted.get_json()["template_version"] == 2
    preview = api.get("/contract-templates/std/preview")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"


def test_a_stale_base_version_is_409_and_bad_content_422_with_pointers(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    api = KeyClient(client, issue(as_user, setup.parties.agent, ALL))
    content = editable(
        api.post("/contract-templates", {"title": "劳动合同", "template_key": "std"}).get_json()
    )
    assert (
        api.post(
            "/contract-templates/std/versions", {"base_version": 1, "title": "A", "content": content}
        ).status_code
        == 201
    )
    stale = is_problem(
        api.post("/contract-templates/std/versions", {"base_version": 1, "title": "B", "content": content}),
        409,
    )
    assert stale["type"].endswith("template-changed") and "重新载入" in stale["detail"]
    content["sections"] = content["sections"][:-1]
    content["defaults"]["pay"] = {"payday": 0}
    bad = is_problem(
        api.post("/contract-templates/std/versions", {"base_version": 2, "title": "C", "content": content}),
        422,
    )
    assert {e["pointer"] for e in bad["errors"]} == {
        "/content/sections/protection",
        "/content/defaults/pay/payday",
    }
    missing = is_problem(
        api.post("/contract-templates/std/versions", {"title": "C", "content": content}), 422
    )
    assert missing["errors"][0]["pointer"] == "/base_version"


def test_writing_needs_the_templates_scope_and_another_employers_template_is_404(
    client: FlaskClient, as_user: Any, setup: Setup
) -> None:
    reader = KeyClient(client, issue(as_user, setup.parties.agent, ["contracts:read"]))
    body = is_problem(reader.post("/contract-templates", {"title": "劳动合同"}), 403)
    assert "templates:write" in body["detail"]
    assert reader.get("/contract-templates/model").status_code == 200  # adopted by the fixture
    other = KeyClient(client, issue(as_user, setup.parties.other_agent, ALL))
    assert is_problem(other.get("/contract-templates/model"), 404)
    assert is_problem(other.get("/contract-templates/model/preview"), 404)
    content = editable(reader.get("/contract-templates/model").get_json())
    r = other.post(
        "/contract-templates/model/versions", {"base_version": 1, "title": "x", "content": content}
    )
    assert is_problem(r, 404)
