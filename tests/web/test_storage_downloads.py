"""`/storage/<token>`: the route behind the local folder store's presigned URLs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from integrations.storage.local import LocalFolderDocumentStore
from tests.storage_support import STORAGE_SECRET
from tests.support import fixture_system
from web.app import create_app
from workflows.db import Database
from workflows.ports import Bucket

PDF = b"%PDF-1.7 a sealed document"


@pytest.fixture
def store(local_store: LocalFolderDocumentStore) -> LocalFolderDocumentStore:
    local_store.put(Bucket.ARCHIVE, PDF, content_type="application/pdf", key="issued/000000000001.pdf")
    return local_store


@pytest.fixture
def client(db: Database, tmp_path: Path, store: LocalFolderDocumentStore) -> FlaskClient:
    app = create_app(system=fixture_system(db, tmp_path, store=store))
    app.config["TESTING"] = True
    return app.test_client()


def test_a_presigned_link_downloads_the_object_without_a_login(
    client: FlaskClient, store: LocalFolderDocumentStore
) -> None:
    url = store.presigned_url(Bucket.ARCHIVE, "issued/000000000001.pdf")
    assert url.startswith("/storage/")
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Digest"] == f"sha-256={hashlib.sha256(PDF).hexdigest()}"
    assert "000000000001.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_forged_expired_or_foreign_link_is_refused(
    client: FlaskClient, store: LocalFolderDocumentStore, tmp_path: Path
) -> None:
    url = store.presigned_url(Bucket.ARCHIVE, "issued/000000000001.pdf")
    body, _, signature = url.rpartition(".")
    forged = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert client.get(forged).status_code == 403
    assert client.get("/storage/not-a-token").status_code == 403
    an_hour_ago = LocalFolderDocumentStore(
        tmp_path / "storage", STORAGE_SECRET, clock=lambda: datetime.now(UTC) - timedelta(hours=1)
    )  # the same store, signing a ten-minute link an hour ago
    expired = an_hour_ago.presigned_url(Bucket.ARCHIVE, "issued/000000000001.pdf")
    assert client.get(expired).status_code == 403
    other_secret = LocalFolderDocumentStore(tmp_path / "storage", "another instance's secret")
    assert (
        client.get(other_secret.presigned_url(Bucket.ARCHIVE, "issued/000000000001.pdf")).status_code == 403
    )


def test_a_link_to_a_missing_object_is_not_found(
    client: FlaskClient, store: LocalFolderDocumentStore
) -> None:
    assert client.get(store.presigned_url(Bucket.ARCHIVE, "issued/000000000999.pdf")).status_code == 404


def test_a_corrupted_object_is_never_handed_out(client: FlaskClient, store: LocalFolderDocumentStore) -> None:
    [data_file] = (store._root).rglob("*.data")
    data_file.write_bytes(PDF.replace(b"sealed", b"forged"))
    response = client.get(store.presigned_url(Bucket.ARCHIVE, "issued/000000000001.pdf"))
    assert response.status_code == 500 and b"forged" not in response.data


def test_without_a_store_that_serves_its_own_links_there_is_nothing_here(
    db: Database, tmp_path: Path
) -> None:
    app = create_app(system=fixture_system(db, tmp_path))  # no store wired in (S3 serves its own links)
    assert app.test_client().get("/storage/anything.x").status_code == 404
