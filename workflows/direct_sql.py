"""Hot-path statements run straight on the DBAPI cursor of the session's connection.

A workflow step sends a handful of small statements.  Through `Session.execute` each costs
about 85 µs of Python on top of the driver's 35 µs (execution context, parameter and result
processing, events); that overhead is a quarter of a task completion.  A `DirectStatement`
is a Core statement compiled once per dialect — SQL text, parameter order, the bind and
result processors of its column types — and run on the same connection, inside the same
transaction, as the session's other work.  What it sends is exactly what SQLAlchemy would
send; `before_cursor_execute` listeners still see it (meters and tests count statements).

Multi-row inserts go out as one multi-VALUES statement (one round trip), the SQL for each
row count built from the one-row form and kept.

A step's writes are queued in a `WriteBatch`.  On PostgreSQL, writes that are independent
of each other go out as one statement — each write a data-modifying CTE — so a step costs
one execution instead of six; the others go out in one pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Executable
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameter names in the order of the SQL's placeholders
    positional: bool  # qmark (SQLite) rather than named (psycopg)
    defaults: dict[str, Any]  # values fixed in the statement (e.g. `state == "open"`)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # names with a type's bind processor
    results: tuple[Callable[[Any], Any] | None, ...]  # per result column, or () when none apply


class DirectStatement:
    """A Core statement (no expanding parameters) compiled per dialect, run on the raw cursor."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}
        self._many: dict[tuple[str, frozenset[str], int], str] = {}

    def execute(self, session: Session, params: Mapping[str, Any]) -> int:
        """Run once; the number of rows it changed."""
        conn, sql, args = self.bound(session, params)
        return _rowcount(_run(conn, sql, args))

    def insert_rows(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert `rows` (same keys) in one multi-VALUES statement; the rows written."""
        if not rows:
            return 0
        conn, sql, args = self.bound_rows(session, rows)
        return _rowcount(_run(conn, sql, args))

    def all(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT; its rows as tuples, column values processed as SQLAlchemy would (and,
        as a query through the session would, after flushing the session's pending changes)."""
        _autoflush(session)
        return self._fetch(session, params)

    def bound(self, session: Session, params: Mapping[str, Any]) -> tuple[Connection, str, Any]:
        """The session's connection, the SQL and its driver arguments for `params`."""
        conn, compiled = self._prepare(session, params)
        return conn, compiled.sql, _arguments(compiled, params)

    def bound_rows(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> tuple[Connection, str, Any]:
        """As `bound`, for a multi-VALUES INSERT of `rows` (at least one, same keys)."""
        conn, compiled = self._prepare(session, rows[0])
        if len(rows) == 1:
            return conn, compiled.sql, _arguments(compiled, rows[0])
        key = (conn.dialect.name, frozenset(rows[0]), len(rows))
        sql = self._many.get(key)
        if sql is None:
            sql = self._many[key] = _multi_values(compiled, len(rows))
        if compiled.positional:
            args: Any = [value for row in rows for value in _arguments(compiled, row)]
        else:
            args = {}
            for i, row in enumerate(rows):
                for name, value in _arguments(compiled, row).items():
                    args[f"{name}__{i}"] = value
        return conn, sql, args

    def _fetch(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        conn, compiled = self._prepare(session, params)
        return _rows(compiled, _run(conn, compiled.sql, _arguments(compiled, params)))

    # -- compiling --------------------------------------------------------------------------

    def _prepare(self, session: Session, params: Mapping[str, Any]) -> tuple[Connection, _Compiled]:
        conn = session.connection()
        key = (conn.dialect.name, frozenset(params))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _compile(self.statement, conn.dialect, key[1])
        return conn, compiled


_T = TypeVar("_T")


def _autoflush(session: Session) -> None:
    """What `Session.execute` does before an ORM query: pending changes go out first, unless
    the session says not to (`autoflush=False`, a `no_autoflush` block)."""
    if session.autoflush:
        session.flush()


def persistent(session: Session, cls: type[_T], values: Mapping[str, Any]) -> _T | None:
    """A mapped object for a row read by a DirectStatement (`values`: attribute → value, every
    column), made part of `session` as if the ORM had loaded it: no history, no SQL.  None when
    the session already holds that identity: the ORM decides then what the object shows, so
    the caller loads it through the session."""
    mapper = sa_inspect(cls)
    key = mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(c).key] for c in mapper.primary_key]
    )
    if key in session.identity_map:
        return None
    obj = mapper.class_manager.new_instance()
    instance_state(obj).dict.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return cast(_T, obj)


@dataclass(frozen=True)
class _Write:
    sql: str
    args: Any
    rows: int | None  # the rows it must change, or None
    otherwise: Callable[[], Exception] | None  # the error when it does not


class WriteBatch:
    """Writes of one step sent together at `flush`: on PostgreSQL in one round trip instead
    of one per statement; elsewhere one after the other.  A write may name the row count it
    must reach (an optimistic check); `flush` raises its error otherwise.

    Writes are queued, not run: whoever reads or writes through the session in between must
    `flush` first, so the database sees every statement in the order it was added.

    `independent=True` promises that no write reads or changes a row another write of the
    same flush changes (e.g. a step's writes: each row is written once).  On PostgreSQL such
    writes then run as one statement, each a data-modifying CTE on one snapshot: one
    execution, one parse-and-bind, instead of one per write.  Without the promise they run
    in order, in one pipeline, each seeing the ones before.
    """

    def __init__(self, session: Session, *, independent: bool = False) -> None:
        self.session = session
        self.independent = independent
        self._pending: list[_Write] = []
        self._conn: Connection | None = None

    def add(
        self,
        statement: DirectStatement,
        params: Mapping[str, Any],
        *,
        rows: int | None = None,
        otherwise: Callable[[], Exception] | None = None,
    ) -> None:
        self._conn, sql, args = statement.bound(self.session, params)
        self._pending.append(_Write(sql, args, rows, otherwise))

    def add_rows(self, statement: DirectStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        """A multi-VALUES INSERT of `rows` (nothing when there are none)."""
        if rows:
            self._conn, sql, args = statement.bound_rows(self.session, rows)
            self._pending.append(_Write(sql, args, None, None))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending or self._conn is None:
            return
        conn = self._conn
        if len(pending) == 1 or not _has_pipeline(conn):
            counts = [_rowcount(_run(conn, w.sql, w.args)) for w in pending]
        elif self.independent:
            counts = _run_as_one(conn, pending)
        else:
            counts = [_rowcount(cursor) for cursor in _pipelined(conn, [(w.sql, w.args) for w in pending])]
        for write, count in zip(pending, counts, strict=True):
            if write.otherwise is not None and count != write.rows:
                raise write.otherwise()


@dataclass(frozen=True)
class _Combined:
    sql: str  # PostgreSQL's own $n placeholders: psycopg sends it as it is (a raw cursor)
    order: tuple[tuple[int, str], ...]  # (write, parameter name) of each $n


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _run_as_one(conn: Connection, pending: Sequence[_Write]) -> list[int]:
    """Independent psycopg writes as one statement (`WITH w0 AS (…), w1 AS (…) SELECT` the row
    count of each); their row counts, in order."""
    from psycopg import RawCursor  # only psycopg connections have a pipeline

    combined = _combine(tuple(w.sql for w in pending))
    args = [pending[i].args[name] for i, name in combined.order]
    # raw: psycopg sends the text as it is; a named-parameter cursor would parse it again on
    # every call (psycopg caches the parsing only for statements of at most 50 parameters)
    cursor = _run(conn, combined.sql, args, RawCursor(cast(Any, conn.connection.dbapi_connection)))
    row = cursor.fetchone()
    cursor.close()
    assert row is not None  # the final SELECT always returns its one row
    return [int(n) for n in row]


@lru_cache(maxsize=512)  # one per shape of step (row counts vary); psycopg keeps 100 prepared
def _combine(sqls: tuple[str, ...]) -> _Combined:
    """The statements as CTEs of one, named placeholders turned into numbered ones."""
    order: list[tuple[int, str]] = []
    parts = []
    for i, sql in enumerate(sqls):
        numbers: dict[str, int] = {}

        def placeholder(match: re.Match[str], i: int = i, numbers: dict[str, int] = numbers) -> str:
            name = match.group(1)
            if name is None:
                return "%"  # an escaped percent sign: the raw text is sent as it is
            if name not in numbers:
                order.append((i, name))
                numbers[name] = len(order)
            return f"${numbers[name]}"

        text = _PLACEHOLDER.sub(placeholder, sql)
        returning = "" if " RETURNING " in text else " RETURNING 1"
        parts.append(f"w{i} AS ({text}{returning})")
    counts = ", ".join(f"(SELECT count(*) FROM w{i})" for i in range(len(sqls)))
    return _Combined(f"WITH {', '.join(parts)} SELECT {counts}", tuple(order))


def _rows(compiled: _Compiled, cursor: Any) -> list[tuple[Any, ...]]:
    rows = cursor.fetchall()
    cursor.close()
    if not compiled.results:
        return [tuple(r) for r in rows]
    procs = compiled.results
    return [tuple(v if p is None else p(v) for p, v in zip(procs, r, strict=True)) for r in rows]


def _rowcount(cursor: Any) -> int:
    count = int(cursor.rowcount)
    cursor.close()
    return count


def _compile(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
    """Compile for `dialect` with the parameters `keys` (an INSERT's columns are those given)."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(keys))  # type: ignore[attr-defined]
    defaults = {}
    for name, bind in compiled.binds.items():
        if bind.expanding:
            raise ValueError("a DirectStatement cannot have expanding (IN) parameters")
        if name in keys:
            continue
        if bind.callable is not None or bind.value is None:
            # a column default or onupdate SQLAlchemy would compute at execution: not run here
            raise ValueError(f"parameter {name!r} of {statement} must be given")
        defaults[name] = bind.value
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else tuple(_NAMED.findall(compiled.string))
    binds = []
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            binds.append((name, processor))
    results: list[Callable[[Any], Any] | None] = []
    for column in getattr(compiled, "_result_columns", None) or ():
        column_type = column[3]
        results.append(column_type.dialect_impl(dialect).result_processor(dialect, None))
    return _Compiled(
        sql=compiled.string,
        names=names,
        positional=positional,
        defaults=defaults,
        binds=tuple(binds),
        results=tuple(results) if any(p is not None for p in results) else (),
    )


def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
    values = {**compiled.defaults, **params}
    for name, processor in compiled.binds:
        if name in values:
            values[name] = processor(values[name])
    if compiled.positional:
        return tuple(values[name] for name in compiled.names)
    return values


def _multi_values(compiled: _Compiled, n: int) -> str:
    """The one-row INSERT's VALUES group repeated `n` times, parameters numbered per row."""
    sql = compiled.sql
    start = sql.index(" VALUES (") + len(" VALUES ")
    depth, end = 0, start
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
    group = sql[start : end + 1]
    if compiled.positional:
        groups = ", ".join([group] * n)
    else:
        groups = ", ".join(_NAMED.sub(rf"%(\1__{i})s", group) for i in range(n))
    return sql[:start] + groups + sql[end + 1 :]


def _run(conn: Connection, sql: str, args: Any, cursor: Any = None) -> Any:
    """Execute on `cursor` (a new one of `conn`'s driver connection by default); driver errors
    become SQLAlchemy's."""
    if cursor is None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    _announce(conn, cursor, sql, args)
    try:
        cursor.execute(sql, args)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, args, exc) from exc
    return cursor


def _has_pipeline(conn: Connection) -> bool:
    return hasattr(conn.connection.dbapi_connection, "pipeline")  # psycopg 3


def _pipelined(conn: Connection, statements: Sequence[tuple[str, Any]]) -> list[Any]:
    """Execute `statements` in order in one psycopg pipeline (one round trip); their cursors,
    results fetched.  A driver error surfaces at the pipeline's sync, as SQLAlchemy's."""
    driver: Any = conn.connection.dbapi_connection
    cursors, (sql, args) = [], statements[0]
    try:
        with driver.pipeline():
            for sql, args in statements:
                cursor = driver.cursor()
                _announce(conn, cursor, sql, args)
                cursor.execute(sql, args)
                cursors.append(cursor)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, args, exc) from exc
    return cursors


def _wrapped(conn: Connection, sql: str, args: Any, exc: Exception) -> BaseException:
    """The SQLAlchemy exception (IntegrityError, OperationalError, …) SQLAlchemy would raise."""
    dbapi = conn.dialect.loaded_dbapi
    invalidated = conn.dialect.is_disconnect(cast(Any, exc), conn.connection.dbapi_connection, None)
    if invalidated:
        conn.invalidate(exc)
    return DBAPIError.instance(
        sql, args, exc, dbapi.Error, connection_invalidated=invalidated, dialect=conn.dialect
    )


def _announce(conn: Connection, cursor: Any, sql: str, args: Any) -> None:
    """Tell `before_cursor_execute` listeners, as SQLAlchemy's own execution does."""
    if conn._has_events or conn.engine._has_events:
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, sql, args, None, False)
