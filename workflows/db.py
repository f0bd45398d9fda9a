"""Database engine and transactions, the same code for SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool

from workflows.errors import ConflictError


def json_dumps(value: Any) -> str:
    """How JSON columns are written: orjson, several times faster than `json.dumps` on the
    documents of every workflow step, and as strict (a datetime or dataclass in a document is
    refused, not quietly turned into a string).  What orjson cannot write (an integer beyond
    64 bits) goes through `json.dumps`."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value)


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# every digit to "0", everything else to a space: 19 zeros in a row are a number that may not
# fit 64 bits (2**63 has 19 digits).  A byte table is ten times faster than a regex here.
_DIGIT_RUNS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_NUMBER = b"0" * 19


def json_loads(text: str | bytes) -> Any:
    """How JSON columns are read: what `json.loads` returns, by orjson (several times faster on
    the task documents every step loads) wherever the two agree.  orjson reads an integer
    beyond 64 bits as a float, silently: a text with 19 digits in a row (even inside a string,
    e.g. a bank card number) goes to `json.loads`; so does one orjson refuses and the standard
    library reads (NaN, 1e400, a lone surrogate escape)."""
    data = text.encode() if isinstance(text, str) else text
    if _LONG_NUMBER not in data.translate(_DIGIT_RUNS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine tuned for the backend behind `url`."""
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", json_loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # isolation is handled by us: BEGIN IMMEDIATE takes the write lock up front,
            # so two writers never both read the same version and deadlock on upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs.setdefault("pool_pre_ping", False)
    if kwargs.get("poolclass") is NullPool:
        kwargs.pop("pool_size", None)
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    # a many-row INSERT goes out as one multi-VALUES statement, one round trip, instead of
    # psycopg's pipelined executemany, which costs a sync and more CPU for the few rows of a step
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _is_serialization_failure(exc: OperationalError) -> bool:
    """Deadlock or serialization failure on PostgreSQL (SQLSTATE 40001/40P01)."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def upsert_insert(session: Session, table: Any) -> Any:
    """INSERT for `table` with ON CONFLICT support, in the dialect of the session's database."""
    return pg_insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite_insert(table)


def _is_unique_violation(exc: IntegrityError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code == "23505" or "UNIQUE constraint failed" in str(exc.orig)


class Database:
    """Engine plus session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
        except StaleDataError as exc:
            raise ConflictError("the record was changed by someone else; reload and retry") from exc
        except IntegrityError as exc:
            if _is_unique_violation(exc):
                raise ConflictError("the same record was created concurrently; reload and retry") from exc
            raise
        except OperationalError as exc:
            if _is_serialization_failure(exc):
                raise ConflictError("concurrent change; retry") from exc
            raise
        finally:
            session.close()

    def create_schema(self) -> None:
        """Bring the schema to the newest migration (Alembic)."""
        from workflows.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
