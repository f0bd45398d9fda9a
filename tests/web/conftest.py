"""An app over the fixture processes, with people, a helper to call the API as one of them, and a
live server with a headless Chromium page for browser tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.browser_support import chromium
from tests.support import SECRET, People, fixture_system, make_people
from tests.unit.workflows.contract_fixtures import Setup, build
from web.app import create_app
from workflows.audit import Actor
from workflows.db import Database
from workflows.identity import issue_access_token
from workflows.system import System


class ApiClient:
    """Calls /api/v1 with a bearer token for `actor`."""

    def __init__(self, client: FlaskClient, actor: Actor | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {issue_access_token(actor, SECRET, 600)}"} if actor else {}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kw)


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path)


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    """A real contract service, its parties and captured texts (tests of labour contracts)."""
    return build(db, signing, local_store, tmp_path)


@pytest.fixture
def contract_system(system: System, setup: Setup) -> System:
    """The system with `setup`'s contract service: a contracts test module's `system` returns it."""
    system.contracts = setup.service
    return system


@pytest.fixture
def people(db: Database) -> People:
    return make_people(db)


@pytest.fixture
def app(system: System) -> Iterator[Flask]:
    app = create_app(system=system)
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def as_user(client: FlaskClient) -> Any:
    return lambda actor: ApiClient(client, actor)


# -- browser tests (Chromium: tests/browser_support.py) -----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    from waitress.server import create_server

    app.config["TESTING"] = False
    server = create_server(app, host="127.0.0.1", port=free_port(), threads=4)
    stopping = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except OSError:  # its sockets closed under the select() of the loop: how it stops
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stopping.set()
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_page(base_url=live_server, locale="zh-CN")
