"""Shared fixtures: one database per backend (SQLite file, PostgreSQL), emptied between tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import create_engine, text

from workflows import identity
from workflows.db import Database
from workflows.models import Base

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/laborcase_test"
BACKENDS = [b for b in os.environ.get("LABORCASE_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pg_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)


def _ensure_pg_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://") + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _fresh_schema(db: Database) -> None:
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.create_schema()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest parameters: the tests create hundreds of accounts, each hash costing
    ~150 ms at the production defaults.  tests/unit/workflows/test_identity.py checks those."""
    previous = identity.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    identity.set_password_hasher(previous)


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    dbs: dict[str, Database] = {}
    if "sqlite" in BACKENDS:
        path = tmp_path_factory.mktemp("sqlite") / f"test-{uuid.uuid4().hex}.db"
        dbs["sqlite"] = Database(f"sqlite:///{path}")
    if "postgresql" in BACKENDS:
        url = pg_url()
        _ensure_pg_database(url)
        dbs["postgresql"] = Database(url)
    for db in dbs.values():
        _fresh_schema(db)
    yield dbs
    for db in dbs.values():
        db.dispose()


def empty_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, _databases: dict[str, Database]) -> Iterator[Database]:
    """A migrated, empty database on each backend in turn."""
    database = _databases[request.param]
    empty_tables(database)
    yield database


@pytest.fixture
def pg_db(_databases: dict[str, Database]) -> Iterator[Database]:
    """PostgreSQL only (SKIP LOCKED, real concurrency)."""
    if "postgresql" not in _databases:
        pytest.skip("PostgreSQL backend not enabled")
    database = _databases["postgresql"]
    empty_tables(database)
    yield database


FIXTURES = Path(__file__).parent / "fixtures"


# ---- storage fixtures (integrations/storage) -- begin ------------------------------------------
# seaweedfs: a real SeaweedFS S3 server per session; s3_store: MinioDocumentStore on it;
# local_store: LocalFolderDocumentStore in tmp_path.  Defined in tests/storage_support.py.
# signing: the real signing side (dev PKI, our TSA on loopback), per module: tests/signing_support.py.
from tests.signing_support import signing  # noqa: E402, F401
from tests.storage_support import local_store, s3_store, seaweedfs  # noqa: E402, F401
# ---- storage fixtures (integrations/storage) -- end --------------------------------------------
