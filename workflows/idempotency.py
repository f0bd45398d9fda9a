"""Idempotent retries of the employer API's POSTs (IETF draft "The Idempotency-Key HTTP Header
Field"): the first response to a request carrying a key is kept and replayed to its retries.

`begin` records the request (API key, idempotency key, method, path, SHA-256 of the body) before
it runs and says what to do: run it (`Begun`), replay the kept response (`Replay`), refuse a
retry while the first is still running (`IdempotencyInFlightError`, 409) or refuse the same key
for a different request (`IdempotencyKeyReusedError`, 422).  The unique (api key, idempotency
key) constraint decides between two identical requests arriving at once: one inserts, the other
finds its row — never two runs.  `finish` keeps the response; `abandon` forgets the request
(an unexpected failure), so that a retry runs it again.  Records are kept `RETENTION` (24 h) and
then purged by `purge_expired` (the worker calls it); an expired record no longer binds its key.

A request that dies between its own commit and `finish` leaves its record in flight: its retries
get 409 until the record expires.  That errs on the side of the guarantee (never run twice); the
caller can look the result up (e.g. list its contracts) or use a new key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.db import Database
from workflows.errors import ConflictError, FieldProblem, ValidationError
from workflows.models import ApiIdempotencyRecord, EmployerApiKey
from workflows.runtime import Clock, utcnow

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
MAX_KEY_LENGTH = 200
RETENTION = timedelta(hours=24)
MAX_PATH = 300
POINTER = f"/headers/{HEADER}"


class IdempotencyInFlightError(ConflictError):
    """A request with this key is still being processed; retry later."""

    code = "idempotency_in_flight"

    def __init__(self, key: str):
        super().__init__(f"使用同一 {HEADER} 的请求仍在处理中，请稍后重试")
        self.key = key


class IdempotencyKeyReusedError(ValidationError):
    """The key was first used for a different request (method, path or body)."""

    code = "idempotency_key_reused"

    def __init__(self, key: str):
        message = f"{HEADER} 已用于另一个不同的请求（方法、路径或请求体不同），请为新请求使用新的 {HEADER}"
        super().__init__(message, [FieldProblem(POINTER, message)])
        self.key = key


@dataclass(frozen=True)
class Begun:
    """Run the request, then `finish` (or `abandon`) this record."""

    record_id: int


@dataclass(frozen=True)
class Replay:
    """The kept response of the first request."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def parse_key(value: str) -> str:
    """The key from the header: a structured-field string (`"…"`) or, leniently, the bare text.

    ValidationError (pointer /headers/Idempotency-Key) when empty, too long or not printable ASCII."""
    raw = value.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    problem = None
    if not raw:
        problem = f"{HEADER} 不能为空"
    elif len(raw) > MAX_KEY_LENGTH:
        problem = f"{HEADER} 不能超过 {MAX_KEY_LENGTH} 个字符"
    elif any(not 0x20 <= ord(ch) <= 0x7E for ch in raw):
        problem = f"{HEADER} 只能包含可打印的 ASCII 字符"
    if problem:
        raise ValidationError(problem, [FieldProblem(POINTER, problem)])
    return raw


def request_sha256(method: str, path: str, body: bytes, *, is_json: bool) -> str:
    """The request's fingerprint: method, path and body (JSON compared by meaning, not spacing)."""
    data = body
    if is_json and body:
        try:
            data = json.dumps(
                json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except (ValueError, UnicodeDecodeError):
            data = body
    digest = hashlib.sha256()
    for part in (method.upper().encode("ascii"), path.encode("utf-8")):
        digest.update(part + b"\n")
    digest.update(data)
    return digest.hexdigest()


class IdempotencyService:
    """Kept responses of requests carrying an idempotency key (see the module docstring)."""

    def __init__(self, db: Database, *, clock: Clock = utcnow, retention: timedelta = RETENTION):
        self.db = db
        self.clock = clock
        self.retention = retention

    def begin(self, api_key_id: int, key: str, method: str, path: str, request_sha256: str) -> Begun | Replay:
        """Record the request before it runs, or say how its earlier twin ended (see the module)."""
        now = self.clock()
        method, path = method.upper(), path[:MAX_PATH]
        with self.db.transaction() as s:
            existing = self._find(s, api_key_id, key)
            if existing is not None and self._expired(existing, now):
                s.delete(existing)
                s.flush()
                existing = None
            if existing is None:
                row = ApiIdempotencyRecord(
                    api_key_id=api_key_id,
                    idempotency_key=key,
                    method=method,
                    path=path,
                    request_sha256=request_sha256,
                    created_at=now,
                )
                try:
                    with s.begin_nested():
                        s.add(row)
                        s.flush()
                except IntegrityError:
                    existing = self._find(s, api_key_id, key)  # an identical request got in first
                    if existing is None:  # pragma: no cover - it was abandoned meanwhile
                        raise IdempotencyInFlightError(key) from None
                else:
                    return Begun(row.id)
            if (existing.method, existing.path, existing.request_sha256) != (method, path, request_sha256):
                raise IdempotencyKeyReusedError(key)
            if existing.status_code is None:
                raise IdempotencyInFlightError(key)
            return Replay(existing.status_code, existing.response, dict(existing.response_headers or {}))

    def api_key_id(self, key_id: str) -> int | None:
        """The row id of an employer API key, by its public key id."""
        with self.db.transaction() as s:
            found: int | None = s.execute(
                select(EmployerApiKey.id).where(EmployerApiKey.key_id == key_id)
            ).scalar_one_or_none()
            return found

    def finish(self, record_id: int, status: int, body: Any, headers: Mapping[str, str]) -> None:
        """Keep the response, to be replayed to retries."""
        with self.db.transaction() as s:
            s.execute(
                update(ApiIdempotencyRecord)
                .where(ApiIdempotencyRecord.id == record_id, ApiIdempotencyRecord.status_code.is_(None))
                .values(
                    status_code=status,
                    response=body,
                    response_headers=dict(headers),
                    completed_at=self.clock(),
                )
            )

    def abandon(self, record_id: int) -> None:
        """Forget a request that failed unexpectedly, so that a retry runs it again."""
        with self.db.transaction() as s:
            s.execute(
                delete(ApiIdempotencyRecord).where(
                    ApiIdempotencyRecord.id == record_id, ApiIdempotencyRecord.status_code.is_(None)
                )
            )

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete records older than the retention (24 h); returns how many.  For the worker."""
        cutoff = (now or self.clock()) - self.retention
        with self.db.transaction() as s:
            result = s.execute(delete(ApiIdempotencyRecord).where(ApiIdempotencyRecord.created_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)

    def _expired(self, row: ApiIdempotencyRecord, now: datetime) -> bool:
        created = (
            row.created_at if row.created_at.tzinfo is not None else row.created_at.replace(tzinfo=now.tzinfo)
        )
        return created < now - self.retention

    @staticmethod
    def _find(s: Session, api_key_id: int, key: str) -> ApiIdempotencyRecord | None:
        found: ApiIdempotencyRecord | None = s.execute(
            select(ApiIdempotencyRecord)
            .where(ApiIdempotencyRecord.api_key_id == api_key_id, ApiIdempotencyRecord.idempotency_key == key)
            .with_for_update()
        ).scalar_one_or_none()
        return found
