"""`DocumentStore` on a local folder: the embedded default, with the same rules as S3.

Layout (one folder per key, named by the SHA-256 of the key so any key is a safe path)::

    <root>/<bucket>/<h[:2]>/<h>/            h = sha256(key)
        .lock                               flock(2) held while writing this key
        000000000001-3fa9c2d1.data          version 1: the bytes (read-only, never rewritten)
        000000000001-3fa9c2d1.json          version 1: key, sha256, size, type, retention, hold, metadata
        000000000002-9b0e7a44.data          version 2 ...

A version is written to temporary files (content and JSON, fsynced together, with the parent of
any folder made for the key) and `os.replace`d into *new* names, content first and its JSON
last: the JSON's appearance commits the version, so a crash leaves at most an invisible orphan.
Nothing is rewritten in place except the JSON of a version when its legal hold changes (again
via a temporary file and `os.replace`).  Retention and legal hold are enforced here, by this
adapter: it refuses deletes and overwrites while they apply (a user with shell access can of
course still alter the folder; the SHA-256 check on every read catches it).

Presigned URLs are `<download_base><token>` where the token is an HMAC-SHA256-signed, expiring
description of the object; the web layer serves them with `open_presigned(token)`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workflows.errors import (
    IntegrityCheckError,
    ObjectNotFoundError,
    PermissionDeniedError,
    RetentionLockedError,
    StorageUnavailableError,
)
from workflows.ports import Bucket, Retention, StoredObject

from .common import (
    WRITE_ONCE,
    Clock,
    check_key,
    check_lock_request,
    lock_reason,
    needs_strengthening,
    normalise_metadata,
    overwrite_refusal,
    resolve_key,
    retain_until,
    sha256_hex,
    utcnow,
    verify,
)

_VERSION = re.compile(r"(\d{12})-[0-9a-f]{8}")
_TOKEN_CONTEXT = b"laborcase/storage/presigned-url/v1"
MAX_PRESIGN = timedelta(days=7)  # same limit as S3, so callers cannot rely on longer links


@dataclass(frozen=True)
class PresignedTarget:
    """What a valid download token grants: one object (version) until `expires_at`."""

    bucket: Bucket
    key: str
    version_id: str | None
    expires_at: datetime


class LocalFolderDocumentStore:
    """Content-addressed, versioned, lockable object store in a folder (see module docstring)."""

    def __init__(
        self,
        root: Path | str,
        secret: str | bytes,
        *,
        download_base: str = "/storage/",
        clock: Clock = utcnow,
        fsync: bool = True,
    ):
        if not secret:
            raise ValueError("a secret is needed to sign download links")
        raw = secret.encode() if isinstance(secret, str) else secret
        self._root = Path(root)
        self._signing_key = hmac.new(raw, _TOKEN_CONTEXT, hashlib.sha256).digest()
        self._download_base = download_base
        self._clock = clock
        self._fsync = fsync

    @property
    def root(self) -> Path:
        return self._root

    def ensure_buckets(self) -> None:
        """Create the root and one folder per bucket (idempotent)."""
        with _os_errors("create buckets"):
            for bucket in Bucket:
                (self._root / bucket.value).mkdir(parents=True, exist_ok=True, mode=0o700)

    # -- DocumentStore -------------------------------------------------------------------

    def put(
        self,
        bucket: Bucket,
        data: bytes,
        *,
        content_type: str,
        key: str | None = None,
        retention: Retention | None = None,
        legal_hold: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        now = self._clock()
        digest = sha256_hex(data)
        key = resolve_key(key, digest)
        check_lock_request(bucket, retention, legal_hold, now)
        user_meta = normalise_metadata(metadata)
        folder = self._key_dir(bucket, key)
        with _os_errors(f"put {bucket}/{key}"), self._locked(folder, create=True) as made:
            ids = self._version_ids(folder)
            if ids:
                existing = self._read(folder, bucket, key, ids[0])
                if existing.sha256 == digest:
                    return self._strengthen(folder, existing, retention, legal_hold)
                if bucket in WRITE_ONCE:
                    raise overwrite_refusal(existing, now)
            seq = int(ids[0][:12]) + 1 if ids else 1
            version_id = f"{seq:012d}-{secrets.token_hex(4)}"
            stored = StoredObject(
                bucket=bucket,
                key=key,
                version_id=version_id,
                sha256=digest,
                size=len(data),
                content_type=content_type,
                retain_until=retain_until(retention) if retention is not None else None,
                legal_hold=legal_hold,
                metadata=user_meta,
            )
            self._write_version(folder, version_id, data, _to_json(stored, created=now), made)
        return stored

    def get(self, bucket: Bucket, key: str, version_id: str | None = None) -> bytes:
        check_key(key)
        folder = self._key_dir(bucket, key)
        with _os_errors(f"get {bucket}/{key}"):
            obj = self._read(folder, bucket, key, self._resolve(folder, bucket, key, version_id))
            try:
                data = (folder / f"{obj.version_id}.data").read_bytes()
            except FileNotFoundError:
                if not (folder / f"{obj.version_id}.json").exists():  # deleted while we read
                    raise ObjectNotFoundError(bucket, key, version_id) from None
                raise IntegrityCheckError(bucket, key, obj.sha256, "(content file missing)") from None
        verify(bucket, key, data, obj.sha256)
        return data

    def stat(self, bucket: Bucket, key: str, version_id: str | None = None) -> StoredObject:
        check_key(key)
        folder = self._key_dir(bucket, key)
        with _os_errors(f"stat {bucket}/{key}"):
            return self._read(folder, bucket, key, self._resolve(folder, bucket, key, version_id))

    def versions(self, bucket: Bucket, key: str) -> list[StoredObject]:
        """Every version, newest first; ObjectNotFoundError if there is none."""
        check_key(key)
        folder = self._key_dir(bucket, key)
        with _os_errors(f"list {bucket}/{key}"):
            found = []
            for vid in self._version_ids(folder):
                try:
                    found.append(self._read(folder, bucket, key, vid))
                except ObjectNotFoundError:
                    continue  # deleted while we listed
        if not found:
            raise ObjectNotFoundError(bucket, key)
        return found

    def presigned_url(
        self,
        bucket: Bucket,
        key: str,
        version_id: str | None = None,
        expires: timedelta = timedelta(minutes=10),
    ) -> str:
        """`<download_base><token>`; like S3 the object is not looked up until the download."""
        check_key(key)
        if not timedelta(seconds=1) <= expires <= MAX_PRESIGN:
            raise ValueError("presigned URLs expire after 1 second to 7 days")
        expires_at = int((self._clock() + expires).timestamp())
        payload = json.dumps(
            {"b": bucket.value, "k": key, "v": version_id, "e": expires_at},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        body = _b64(payload)
        return f"{self._download_base}{body}.{_b64(self._sign(body))}"

    def set_legal_hold(self, bucket: Bucket, key: str, on: bool, version_id: str | None = None) -> None:
        check_key(key)
        check_lock_request(bucket, None, True, self._clock())
        folder = self._key_dir(bucket, key)
        with _os_errors(f"legal hold {bucket}/{key}"):
            vid = self._resolve(folder, bucket, key, version_id)
            with self._locked(folder):
                obj = self._read(folder, bucket, key, vid)
                if obj.legal_hold != on:
                    self._rewrite_meta(folder, dataclasses.replace(obj, legal_hold=on))

    def delete(self, bucket: Bucket, key: str, version_id: str | None = None) -> None:
        """Delete one version, or (no version) every version; refused as a whole if any is locked."""
        check_key(key)
        folder = self._key_dir(bucket, key)
        now = self._clock()
        with _os_errors(f"delete {bucket}/{key}"):
            if not folder.is_dir():
                raise ObjectNotFoundError(bucket, key, version_id)
            with self._locked(folder):
                ids = (
                    [self._resolve(folder, bucket, key, version_id)]
                    if version_id
                    else self._version_ids(folder)
                )
                if not ids:
                    raise ObjectNotFoundError(bucket, key)
                targets = [self._read(folder, bucket, key, vid) for vid in ids]
                for obj in targets:
                    reason = lock_reason(obj, now)
                    if reason is not None:
                        raise RetentionLockedError(bucket, key, f"version {obj.version_id} is {reason}")
                for obj in targets:
                    # metadata first: the version disappears atomically, then its bytes
                    (folder / f"{obj.version_id}.json").unlink(missing_ok=True)
                    (folder / f"{obj.version_id}.data").unlink(missing_ok=True)
                self._sync_dir(folder)
            # the folder and its .lock stay: removing them would race with a waiting writer

    # -- presigned downloads (called by the web layer) ------------------------------------

    def verify_presigned(self, token: str) -> PresignedTarget:
        """What `token` grants; PermissionDeniedError if it is forged, malformed or expired."""
        body, _, signature = token.rpartition(".")
        try:
            given = _unb64(signature)
            if not body or not hmac.compare_digest(given, self._sign(body)):
                raise PermissionDeniedError("download link is not valid")
            claims = json.loads(_unb64(body))
            target = PresignedTarget(
                bucket=Bucket(claims["b"]),
                key=str(claims["k"]),
                version_id=claims["v"],
                expires_at=datetime.fromtimestamp(int(claims["e"]), UTC),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise PermissionDeniedError("download link is not valid") from exc
        if self._clock() >= target.expires_at:
            raise PermissionDeniedError(f"download link expired at {target.expires_at.isoformat()}")
        return target

    def open_presigned(self, token: str) -> tuple[StoredObject, bytes]:
        """Verify `token`, then read the object (hash-checked) for the download response."""
        target = self.verify_presigned(token)
        obj = self.stat(target.bucket, target.key, target.version_id)
        return obj, self.get(target.bucket, target.key, obj.version_id)

    # -- internals -----------------------------------------------------------------------

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._signing_key, body.encode("ascii"), hashlib.sha256).digest()

    def _bucket_dir(self, bucket: Bucket) -> Path:
        path = self._root / bucket.value
        if not path.is_dir():
            raise StorageUnavailableError(
                f"storage folder {path} is missing (not mounted, or ensure_buckets() was not called)"
            )
        return path

    def _key_dir(self, bucket: Bucket, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._bucket_dir(bucket) / digest[:2] / digest

    @staticmethod
    def _version_ids(folder: Path) -> list[str]:
        """Committed versions (those with metadata), newest first."""
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        ids = [n[:-5] for n in names if n.endswith(".json") and _VERSION.fullmatch(n[:-5])]
        return sorted(ids, reverse=True)

    def _resolve(self, folder: Path, bucket: Bucket, key: str, version_id: str | None) -> str:
        if version_id is None:
            ids = self._version_ids(folder)
            if not ids:
                raise ObjectNotFoundError(bucket, key)
            return ids[0]
        if not _VERSION.fullmatch(version_id):
            raise ObjectNotFoundError(bucket, key, version_id)
        return version_id

    @staticmethod
    def _read(folder: Path, bucket: Bucket, key: str, version_id: str) -> StoredObject:
        try:
            raw = json.loads((folder / f"{version_id}.json").read_text("utf-8"))
        except FileNotFoundError:
            raise ObjectNotFoundError(bucket, key, version_id) from None
        except ValueError as exc:
            raise IntegrityCheckError(bucket, key, "(readable metadata)", f"(broken: {exc})") from exc
        return _from_json(bucket, raw)

    def _strengthen(
        self, folder: Path, existing: StoredObject, retention: Retention | None, legal_hold: bool
    ) -> StoredObject:
        """An idempotent put may extend retention or add a hold; it never weakens either."""
        if not needs_strengthening(existing, retention, legal_hold):
            return existing
        until = existing.retain_until
        if retention is not None and (until is None or retain_until(retention) > until):
            until = retain_until(retention)
        updated = dataclasses.replace(
            existing, retain_until=until, legal_hold=existing.legal_hold or legal_hold
        )
        self._rewrite_meta(folder, updated)
        return updated

    def _rewrite_meta(self, folder: Path, obj: StoredObject) -> None:
        path = folder / f"{obj.version_id}.json"
        created = json.loads(path.read_text("utf-8")).get("created")
        self._write_atomic(path, _to_json(obj, created=created))
        self._sync_dir(folder)

    def _write_version(
        self, folder: Path, version_id: str, data: bytes, meta: bytes, new_folders: list[Path]
    ) -> None:
        """A new version's content and JSON, each via a temporary file, both synced to disk at
        once (the journal commits the fsyncs together: about half the wait of one after the
        other; with them the parents of folders just made, so their names are durable too),
        then renamed into place, content first, and the folder synced."""
        written: list[tuple[Path, Path, int]] = []
        parents = [os.open(p.parent, os.O_RDONLY) for p in new_folders] if self._fsync else []
        try:
            for suffix, body in ((".data", data), (".json", meta)):
                tmp = folder / f".tmp-{secrets.token_hex(8)}"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
                written.append((tmp, folder / f"{version_id}{suffix}", fd))
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
            if self._fsync:
                _sync_all([fd for _, _, fd in written] + parents)
            for tmp, final, _ in written:
                os.replace(tmp, final)
        except BaseException:
            for tmp, _, _ in written:
                tmp.unlink(missing_ok=True)
            raise
        finally:
            for fd in [fd for _, _, fd in written] + parents:
                os.close(fd)
        self._sync_dir(folder)

    def _write_atomic(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".tmp-{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if self._fsync:
                    os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _sync_dir(self, folder: Path) -> None:
        if not self._fsync:
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextmanager
    def _locked(self, folder: Path, *, create: bool = False) -> Iterator[list[Path]]:
        """An exclusive lock on one key, between threads and processes alike; yields the folders
        `create` made (their parents want syncing before a version in them is durable)."""
        made: list[Path] = []
        if create and not folder.is_dir():
            made = [folder, *(p for p in folder.parents if not p.exists())]
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield made
        finally:
            os.close(fd)  # closing releases the lock


_SYNC_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool): threads do not survive a fork


def _sync_all(fds: list[int]) -> None:
    """fsync every file at once: the first on this thread, the others on a small pool."""
    global _SYNC_POOL
    if _SYNC_POOL is None or _SYNC_POOL[0] != os.getpid():
        _SYNC_POOL = (os.getpid(), ThreadPoolExecutor(max_workers=4, thread_name_prefix="store-fsync"))
    others = [_SYNC_POOL[1].submit(os.fsync, fd) for fd in fds[1:]]
    os.fsync(fds[0])
    for pending in others:
        pending.result()


@contextmanager
def _os_errors(what: str) -> Iterator[None]:
    """File-system failures (EIO, ENOSPC, EACCES, a vanished mount) mean the store is unavailable."""
    try:
        yield
    except OSError as exc:
        raise StorageUnavailableError(f"{what}: {exc}") from exc


def _to_json(obj: StoredObject, *, created: datetime | str | None) -> bytes:
    record: dict[str, Any] = {
        "key": obj.key,
        "version_id": obj.version_id,
        "sha256": obj.sha256,
        "size": obj.size,
        "content_type": obj.content_type,
        "created": created.isoformat() if isinstance(created, datetime) else created,
        "retain_until": obj.retain_until.isoformat() if obj.retain_until else None,
        "legal_hold": obj.legal_hold,
        "metadata": dict(obj.metadata),
    }
    return json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8")


def _from_json(bucket: Bucket, raw: Mapping[str, Any]) -> StoredObject:
    until = raw.get("retain_until")
    return StoredObject(
        bucket=bucket,
        key=raw["key"],
        version_id=raw["version_id"],
        sha256=raw["sha256"],
        size=int(raw["size"]),
        content_type=raw["content_type"],
        retain_until=datetime.fromisoformat(until) if until else None,
        legal_hold=bool(raw.get("legal_hold")),
        metadata=dict(raw.get("metadata") or {}),
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
