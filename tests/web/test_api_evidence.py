"""Evidence over the REST API: multipart upload, list, read, download; problem+json with pointers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from integrations.storage.local import LocalFolderDocumentStore
from tests.support import People, fixture_system
from tests.unit.workflows.test_evidence import image_bytes, pdf_bytes
from tests.web.test_api import open_loop_case
from workflows.db import Database
from workflows.system import System

PROBLEM = "application/problem+json"


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: LocalFolderDocumentStore) -> System:
    return fixture_system(db, tmp_path, store=local_store)


def upload(api: Any, case_id: int, data: bytes, name: str = "证据.pdf", **form: str) -> Any:
    body = {"file": (io.BytesIO(data), name), **form}
    return api.client.post(
        f"/api/v1/cases/{case_id}/evidence",
        data=body,
        headers=api.headers,
        content_type="multipart/form-data",
    )


def test_party_uploads_lists_and_downloads_evidence(as_user: Any, people: People) -> None:
    worker, clerk = as_user(people.worker), as_user(people.clerk)
    case = open_loop_case(clerk, people)
    data = image_bytes("PNG")
    r = upload(worker, case["id"], data, "聊天记录.jpg", description="证明加班安排")
    assert r.status_code == 201, r.get_data(as_text=True)
    item = r.get_json()
    assert (item["filename"], item["content_type"]) == ("聊天记录.jpg.png", "image/png")  # by its bytes
    assert (item["size"], item["party_role"], item["purpose"]) == (len(data), "applicant", "additional")
    assert item["description"] == "证明加班安排"
    assert item["submitted_at"].endswith("+00:00")

    again = upload(worker, case["id"], data, "再次.png")  # the same bytes again: the same record
    assert again.status_code == 201 and again.get_json()["id"] == item["id"]

    listed = clerk.get(f"/cases/{case['id']}/evidence")
    assert listed.status_code == 200 and [e["id"] for e in listed.get_json()] == [item["id"]]
    assert clerk.get(f"/cases/{case['id']}/evidence/{item['id']}").get_json() == item
    content = worker.get(f"/cases/{case['id']}/evidence/{item['id']}/content")
    assert content.status_code == 200 and content.data == data and content.mimetype == "image/png"
    assert content.headers["Digest"] == f"sha-256={item['sha256']}"
    assert "no-store" in content.headers["Cache-Control"]
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    documents = clerk.get(f"/cases/{case['id']}/documents").get_json()
    assert [(d["kind"], d["sha256"]) for d in documents] == [("evidence", item["sha256"])]


def test_staff_upload_for_a_party(as_user: Any, people: People) -> None:
    clerk = as_user(people.clerk)
    case = open_loop_case(clerk, people)
    respondent = next(p for p in case["parties"] if p["role"] == "respondent")
    r = upload(clerk, case["id"], pdf_bytes(), party_id=str(respondent["id"]), purpose="defence")
    assert r.status_code == 201 and r.get_json()["party_role"] == "respondent"
    assert r.get_json()["purpose"] == "defence"


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "合同.pdf", "只能上传 PDF、JPG 或 PNG"),
        (b"", "空.pdf", "文件是空的"),
        (pdf_bytes(owner="o", user="u"), "加密.pdf", "去掉密码"),
        (b"%PDF-1.4\nbroken", "坏.pdf", "已损坏"),
    ],
)
def test_rejected_file_is_422_problem_pointing_at_file(
    as_user: Any, people: People, data: bytes, name: str, words: str
) -> None:
    worker = as_user(people.worker)
    case = open_loop_case(as_user(people.clerk), people)
    r = upload(worker, case["id"], data, name)
    problem = r.get_json()
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert problem["type"].endswith("/file-rejected")
    assert [e["pointer"] for e in problem["errors"]] == ["/file"] and words in problem["errors"][0]["detail"]
    assert worker.get(f"/cases/{case['id']}/evidence").get_json() == []


def test_missing_file_and_bad_fields_are_pointed_at(as_user: Any, people: People) -> None:
    clerk = as_user(people.clerk)
    case = open_loop_case(clerk, people)
    r = clerk.client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        data={"description": "x"},
        headers=clerk.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "/file"
    r = upload(clerk, case["id"], pdf_bytes(), purpose="gossip")
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "/purpose"
    r = upload(clerk, case["id"], pdf_bytes(), party_id="abc")
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "/party_id"
    r = upload(clerk, case["id"], pdf_bytes(), description="长" * 501)
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "/description"


def test_file_over_the_limit_is_413_with_pointer_and_limit(
    as_user: Any, people: People, system: System, app: Flask
) -> None:
    assert system.evidence is not None
    system.evidence.max_bytes = 1024
    worker = as_user(people.worker)
    case = open_loop_case(as_user(people.clerk), people)
    r = upload(worker, case["id"], pdf_bytes(pages=20))
    problem = r.get_json()
    assert r.status_code == 413 and r.mimetype == PROBLEM and problem["type"].endswith("/file-too-large")
    assert problem["errors"][0]["pointer"] == "/file" and problem["max_bytes"] == 1024
    app.config["MAX_CONTENT_LENGTH"] = 2048  # over the request limit: refused before it is read
    r = upload(worker, case["id"], b"x" * 4096)
    assert r.status_code == 413 and r.mimetype == PROBLEM and r.get_json()["max_bytes"] == 2048


def test_strangers_get_404_and_cannot_upload(as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.clerk), people)
    item = upload(as_user(people.worker), case["id"], pdf_bytes()).get_json()
    for stranger in (people.other_worker, people.other_clerk):
        api = as_user(stranger)
        assert api.get(f"/cases/{case['id']}/evidence").status_code == 404
        assert api.get(f"/cases/{case['id']}/evidence/{item['id']}/content").status_code == 404
        r = upload(api, case["id"], pdf_bytes())
        assert r.status_code == 404 and r.mimetype == PROBLEM
    worker = as_user(people.worker)
    assert worker.get(f"/cases/{case['id'] + 99}/evidence/{item['id']}").status_code == 404
    assert as_user(None).get(f"/cases/{case['id']}/evidence").status_code == 401


def test_without_a_store_evidence_is_503(db: Database, tmp_path: Path, people: People) -> None:
    from tests.web.conftest import ApiClient
    from web.app import create_app

    client = create_app(system=fixture_system(db, tmp_path)).test_client()
    r = ApiClient(client, people.clerk).get("/cases/1/evidence")
    assert r.status_code == 503 and r.mimetype == PROBLEM


def test_evidence_endpoints_are_documented_in_openapi(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/v1/cases/{case_id}/evidence"]["post"]
    schema = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"]["format"] == "binary" and schema["required"] == ["file"]
    assert {"201", "413", "422"} <= set(post["responses"])
    assert "get" in spec["paths"]["/api/v1/cases/{case_id}/evidence"]
    assert "/api/v1/cases/{case_id}/evidence/{evidence_id}/content" in spec["paths"]
