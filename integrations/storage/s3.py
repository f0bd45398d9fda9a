"""`DocumentStore` on an S3 server (MinIO in production, SeaweedFS in tests) via the `minio` client.

One bucket per `Bucket`, named `<prefix>-<bucket>`: WORKING and EVIDENCE versioned, ARCHIVE
created with object lock (COMPLIANCE retention, legal hold).  Every object carries its SHA-256
in `x-amz-meta-sha256`; reads verify it.  Deletes always name a version (never a delete marker),
so retention and legal hold really refuse them.  Every client error becomes a domain error.

The write-once rule for EVIDENCE/ARCHIVE is a check-then-put: two writers racing on the same
*explicit* key with different content can both succeed (two versions).  Content-addressed keys
(the default) cannot conflict.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.retention import Retention as MinioRetention
from minio.versioningconfig import ENABLED, VersioningConfig

from workflows.errors import (
    ObjectNotFoundError,
    RetentionLockedError,
    StorageError,
    StorageUnavailableError,
)
from workflows.ports import Bucket, Retention, StoredObject

from .common import (
    LOCKABLE,
    SHA256_META,
    WRITE_ONCE,
    Clock,
    check_key,
    check_lock_request,
    decode_meta_value,
    encode_meta_value,
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

META_PREFIX = "x-amz-meta-"
_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchVersion", "MethodNotAllowed", "ResourceNotFound"})
_LOCKED = frozenset({"AccessDenied", "ObjectLocked", "InvalidRequest"})
_UNAVAILABLE = frozenset(
    {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "XMinioServerNotInitialized"}
)
_BUCKET_EXISTS = frozenset({"BucketAlreadyOwnedByYou"})
MAX_PRESIGN = timedelta(days=7)  # the S3 signature v4 limit
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")


class MinioDocumentStore:
    """Content-addressed, versioned, lockable object store on S3 (see module docstring)."""

    def __init__(self, client: Minio, *, bucket_prefix: str = "laborcase", clock: Clock = utcnow):
        for bucket in Bucket:
            _check_bucket_name(f"{bucket_prefix}-{bucket.value}")
        self._client = client
        self._prefix = bucket_prefix
        self._clock = clock
        self._known: set[Bucket] = set()  # buckets seen to exist (checked once before writing)

    @classmethod
    def connect(
        cls,
        endpoint: str,
        *,
        access_key: str,
        secret_key: str,
        secure: bool = True,
        region: str = "us-east-1",
        bucket_prefix: str = "laborcase",
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        retries: int = 2,
        cert_check: bool = True,
        clock: Clock = utcnow,
    ) -> MinioDocumentStore:
        """A store on `endpoint` (host:port) with bounded timeouts and retries.

        The minio default retries 5 times on 5xx with a 5-minute timeout; a corrupted volume
        on SeaweedFS answers 500 after ~13 s, so the defaults would stall a request ~85 s.
        The region is fixed so the client never asks the server for bucket locations.
        """
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=10,
            cert_reqs="CERT_REQUIRED" if cert_check else "CERT_NONE",
            ca_certs=os.environ.get("SSL_CERT_FILE") or None,
            retries=urllib3.Retry(
                total=retries,
                backoff_factor=0.2,
                status_forcelist=[500, 502, 503, 504],
                raise_on_status=False,  # let minio parse the last error body into an S3Error
            ),
        )
        client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
            cert_check=cert_check,
        )
        return cls(client, bucket_prefix=bucket_prefix, clock=clock)

    # -- set-up --------------------------------------------------------------------------

    @property
    def bucket_prefix(self) -> str:
        return self._prefix

    def bucket_name(self, bucket: Bucket) -> str:
        return f"{self._prefix}-{bucket.value}"

    def ensure_buckets(self) -> None:
        """Create missing buckets (idempotent); refuse an ARCHIVE bucket without object lock.

        ARCHIVE goes first: it is the one check that cannot be repaired, so nothing is created
        when it fails.
        """
        for bucket in sorted(Bucket, key=lambda b: b not in LOCKABLE):
            name = self.bucket_name(bucket)
            locked = bucket in LOCKABLE
            with self._errors(bucket, "", op="create bucket"):
                if not self._client.bucket_exists(name):
                    try:
                        self._client.make_bucket(name, object_lock=locked)
                    except S3Error as exc:
                        if exc.code not in _BUCKET_EXISTS:  # lost a creation race to ourselves
                            raise
                if locked:
                    try:
                        self._client.get_object_lock_config(name)
                    except S3Error as exc:
                        if exc.code == "ObjectLockConfigurationNotFoundError":
                            raise StorageError(
                                f"bucket {name} exists without object lock, which cannot be enabled "
                                "afterwards; use another bucket prefix"
                            ) from exc
                        raise
                elif self._client.get_bucket_versioning(name).status != ENABLED:
                    self._client.set_bucket_versioning(name, VersioningConfig(ENABLED))
            self._known.add(bucket)

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
        self._require_bucket(bucket)
        existing = self._latest_or_none(bucket, key)
        if existing is not None:
            if existing.sha256 == digest:
                return self._strengthen(existing, retention, legal_hold)
            if bucket in WRITE_ONCE:
                raise overwrite_refusal(existing, now)
        headers = {META_PREFIX + SHA256_META: digest}
        headers.update({META_PREFIX + k: encode_meta_value(v) for k, v in user_meta.items()})
        until = retain_until(retention) if retention is not None else None
        with self._errors(bucket, key, op="put"):
            result = self._client.put_object(
                self.bucket_name(bucket),
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=headers,  # type: ignore[arg-type]
                retention=MinioRetention(COMPLIANCE, until) if until is not None else None,
                legal_hold=legal_hold,
            )
        return StoredObject(
            bucket=bucket,
            key=key,
            version_id=result.version_id,
            sha256=digest,
            size=len(data),
            content_type=content_type,
            retain_until=until,
            legal_hold=legal_hold,
            metadata=user_meta,
        )

    def get(self, bucket: Bucket, key: str, version_id: str | None = None) -> bytes:
        check_key(key)
        with self._errors(bucket, key, version_id, op="get"):
            response = self._client.get_object(self.bucket_name(bucket), key, version_id=version_id)
            try:
                data = response.read()
                recorded = response.headers.get(META_PREFIX + SHA256_META)
            finally:
                response.close()
                response.release_conn()
        verify(bucket, key, data, recorded)
        return data

    def stat(self, bucket: Bucket, key: str, version_id: str | None = None) -> StoredObject:
        check_key(key)
        with self._errors(bucket, key, version_id, op="stat"):
            info = self._client.stat_object(self.bucket_name(bucket), key, version_id=version_id)
        return _stored_object(bucket, key, info.version_id, info.size or 0, info.metadata or {})

    def versions(self, bucket: Bucket, key: str) -> list[StoredObject]:
        """Every version, newest first (the server's order); ObjectNotFoundError if there is none."""
        found: list[StoredObject] = []
        for version_id, is_marker in self._list_versions(bucket, key):
            if is_marker:
                continue
            try:
                found.append(self.stat(bucket, key, version_id))
            except ObjectNotFoundError:
                continue  # deleted between listing and stat
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
        """A SigV4 presigned GET, served by the S3 server itself (so not hash-checked by us)."""
        check_key(key)
        if not timedelta(seconds=1) <= expires <= MAX_PRESIGN:
            raise ValueError("presigned URLs expire after 1 second to 7 days")
        with self._errors(bucket, key, version_id, op="presign"):
            return self._client.presigned_get_object(
                self.bucket_name(bucket),
                key,
                expires=expires,
                version_id=version_id,
                request_date=self._clock(),
            )

    def set_legal_hold(self, bucket: Bucket, key: str, on: bool, version_id: str | None = None) -> None:
        check_key(key)
        check_lock_request(bucket, None, True, self._clock())
        name = self.bucket_name(bucket)
        with self._errors(bucket, key, version_id, op="legal hold", locking=True):
            if on:
                self._client.enable_object_legal_hold(name, key, version_id=version_id)
            else:
                self._client.disable_object_legal_hold(name, key, version_id=version_id)

    def delete(self, bucket: Bucket, key: str, version_id: str | None = None) -> None:
        """Delete one version, or (no version) every version of the key: all or nothing is checked
        first, so a retained or held version refuses the whole delete before anything is removed."""
        check_key(key)
        now = self._clock()
        if version_id is not None:
            targets = [self.stat(bucket, key, version_id)]
            markers: list[str] = []
        else:
            listed = self._list_versions(bucket, key)
            markers = [v for v, is_marker in listed if is_marker]
            targets = self.versions(bucket, key)
        for obj in targets:
            reason = lock_reason(obj, now)
            if reason is not None:
                raise RetentionLockedError(bucket, key, f"version {obj.version_id} is {reason}")
        name = self.bucket_name(bucket)
        for vid in [o.version_id for o in targets] + markers:
            with self._errors(bucket, key, vid, op="delete", locking=True):
                self._client.remove_object(name, key, version_id=vid)

    # -- internals -----------------------------------------------------------------------

    def _require_bucket(self, bucket: Bucket) -> None:
        """Refuse to write into a missing bucket: some servers (SeaweedFS) would auto-create it
        without versioning or object lock.  Checked once per bucket and process."""
        if bucket in self._known:
            return
        with self._errors(bucket, "", op="check bucket"):
            exists = self._client.bucket_exists(self.bucket_name(bucket))
        if not exists:
            raise _missing_bucket(self.bucket_name(bucket))
        self._known.add(bucket)

    def _latest_or_none(self, bucket: Bucket, key: str) -> StoredObject | None:
        try:
            return self.stat(bucket, key)
        except ObjectNotFoundError:
            return None

    def _strengthen(
        self, existing: StoredObject, retention: Retention | None, legal_hold: bool
    ) -> StoredObject:
        """An idempotent put may extend retention or add a hold; it never weakens either."""
        if not needs_strengthening(existing, retention, legal_hold):
            return existing
        name = self.bucket_name(existing.bucket)
        until = existing.retain_until
        with self._errors(existing.bucket, existing.key, existing.version_id, op="put", locking=True):
            if retention is not None and (until is None or retain_until(retention) > until):
                until = retain_until(retention)
                self._client.set_object_retention(
                    name, existing.key, MinioRetention(COMPLIANCE, until), version_id=existing.version_id
                )
            if legal_hold and not existing.legal_hold:
                self._client.enable_object_legal_hold(name, existing.key, version_id=existing.version_id)
        return dataclasses.replace(existing, retain_until=until, legal_hold=existing.legal_hold or legal_hold)

    def _list_versions(self, bucket: Bucket, key: str) -> list[tuple[str, bool]]:
        """(version id, is delete marker) of exactly `key`, newest first."""
        check_key(key)
        with self._errors(bucket, key, op="list versions"):
            return [
                (o.version_id or "null", bool(o.is_delete_marker))
                for o in self._client.list_objects(self.bucket_name(bucket), prefix=key, include_version=True)
                if o.object_name == key
            ]

    @contextmanager
    def _errors(
        self, bucket: Bucket, key: str, version_id: str | None = None, *, op: str, locking: bool = False
    ) -> Iterator[None]:
        """Translate the S3 client's exceptions into the domain's storage errors."""
        try:
            yield
        except S3Error as exc:
            raise _translate(exc, self.bucket_name(bucket), bucket, key, version_id, op, locking) from exc
        except ServerError as exc:
            raise StorageUnavailableError(f"{op} {bucket}/{key}: server error {exc.status_code}") from exc
        except InvalidResponseError as exc:
            raise StorageUnavailableError(f"{op} {bucket}/{key}: not an S3 answer: {exc}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"{op} {bucket}/{key}: S3 server unreachable: {exc}") from exc


def _translate(
    exc: S3Error, name: str, bucket: Bucket, key: str, version_id: str | None, op: str, locking: bool
) -> StorageError:
    code = exc.code or ""
    if code == "NoSuchBucket":
        return _missing_bucket(name)
    if code in _NOT_FOUND:
        return ObjectNotFoundError(bucket, key, version_id)
    if locking and code in _LOCKED:
        return RetentionLockedError(bucket, key, f"{op} refused by the server ({code}: {exc.message})")
    if code in _UNAVAILABLE:
        return StorageUnavailableError(f"{op} {bucket}/{key}: {code}: {exc.message}")
    return StorageError(f"{op} {bucket}/{key}: {code}: {exc.message}")


def _missing_bucket(name: str) -> StorageError:
    return StorageError(f"bucket {name} does not exist (call ensure_buckets() at start-up)")


def _stored_object(
    bucket: Bucket, key: str, version_id: str | None, size: int, headers: Mapping[str, Any]
) -> StoredObject:
    """A StoredObject from HEAD/GET response headers (names compared case-insensitively)."""
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    user = {
        k[len(META_PREFIX) :]: decode_meta_value(v)
        for k, v in lowered.items()
        if k.startswith(META_PREFIX) and k != META_PREFIX + SHA256_META
    }
    until_text = lowered.get("x-amz-object-lock-retain-until-date")
    return StoredObject(
        bucket=bucket,
        key=key,
        version_id=version_id or lowered.get("x-amz-version-id"),
        sha256=lowered.get(META_PREFIX + SHA256_META, ""),
        size=size,
        content_type=lowered.get("content-type", "application/octet-stream"),
        retain_until=_parse_time(until_text) if until_text else None,
        legal_hold=lowered.get("x-amz-object-lock-legal-hold", "").upper() == "ON",
        metadata=user,
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _check_bucket_name(name: str) -> None:
    if not _BUCKET_NAME.fullmatch(name):
        raise ValueError(f"bucket name {name!r} is not a valid S3 bucket name (lowercase, digits, '-')")
