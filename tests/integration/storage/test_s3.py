"""What only the S3 adapter has: buckets on the server, the server's own object lock, the
client's errors translated into ours.  Runs against the session's real SeaweedFS server."""

from __future__ import annotations

import io
import os
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention as MinioRetention
from minio.versioningconfig import ENABLED

from integrations.storage.factory import store_from_url
from integrations.storage.s3 import MinioDocumentStore
from tests.storage_support import STORAGE_SECRET, SeaweedFS
from workflows.errors import (
    IntegrityCheckError,
    RetentionLockedError,
    StorageError,
    StorageUnavailableError,
)
from workflows.ports import Bucket, Retention

PDF = "application/pdf"


def s3_store_at(server: SeaweedFS, prefix: str, **options: str) -> MinioDocumentStore:
    store = store_from_url(server.url(prefix, **options), STORAGE_SECRET)
    assert isinstance(store, MinioDocumentStore)
    return store


def a_day() -> Retention:
    return Retention(until=datetime.now(UTC) + timedelta(days=1))


def test_ensure_buckets_creates_versioned_working_and_evidence_and_a_locked_archive(
    s3_store: MinioDocumentStore, seaweedfs: SeaweedFS
) -> None:
    client = seaweedfs.client()
    s3_store.ensure_buckets()  # a second call changes nothing
    for bucket in (Bucket.WORKING, Bucket.EVIDENCE):
        assert client.get_bucket_versioning(s3_store.bucket_name(bucket)).status == ENABLED
    archive = s3_store.bucket_name(Bucket.ARCHIVE)
    assert archive == f"{s3_store.bucket_prefix}-archive"
    assert client.get_bucket_versioning(archive).status == ENABLED  # implied by object lock
    client.get_object_lock_config(archive)  # raises if the bucket has no object lock


def test_an_archive_bucket_without_object_lock_is_refused_before_anything_is_created(
    seaweedfs: SeaweedFS,
) -> None:
    store = s3_store_at(seaweedfs, f"lc{secrets.token_hex(4)}")
    client = seaweedfs.client()
    client.make_bucket(store.bucket_name(Bucket.ARCHIVE))  # someone made it without object lock
    with pytest.raises(StorageError, match="without object lock"):
        store.ensure_buckets()
    assert not client.bucket_exists(store.bucket_name(Bucket.WORKING))


def test_sha256_and_metadata_are_stored_on_the_object(
    s3_store: MinioDocumentStore, seaweedfs: SeaweedFS
) -> None:
    stored = s3_store.put(
        Bucket.EVIDENCE, os.urandom(512), content_type=PDF, metadata={"filename": "证据一.pdf"}
    )
    head = seaweedfs.client().stat_object(s3_store.bucket_name(Bucket.EVIDENCE), stored.key)
    headers = {k.lower(): v for k, v in (head.metadata or {}).items()}
    assert headers["x-amz-meta-sha256"] == stored.sha256
    assert headers["x-amz-meta-filename"] == "%E8%AF%81%E6%8D%AE%E4%B8%80.pdf"  # ASCII on the wire


def test_the_server_itself_refuses_deleting_a_retained_version(
    s3_store: MinioDocumentStore, seaweedfs: SeaweedFS
) -> None:
    sealed = s3_store.put(Bucket.ARCHIVE, os.urandom(512), content_type=PDF, retention=a_day())
    with pytest.raises(S3Error) as raw:
        seaweedfs.client().remove_object(
            s3_store.bucket_name(Bucket.ARCHIVE), sealed.key, version_id=sealed.version_id
        )
    assert raw.value.code == "AccessDenied"

    # An adapter whose clock says the retention is over skips its own check: the server still refuses.
    ahead = store_from_url(
        seaweedfs.url(s3_store.bucket_prefix),
        STORAGE_SECRET,
        clock=lambda: datetime.now(UTC) + timedelta(days=2),
    )
    with pytest.raises(RetentionLockedError, match="refused by the server"):
        ahead.delete(Bucket.ARCHIVE, sealed.key, sealed.version_id)
    assert s3_store.get(Bucket.ARCHIVE, sealed.key) is not None


def test_the_server_refuses_shortening_compliance_retention(
    s3_store: MinioDocumentStore, seaweedfs: SeaweedFS
) -> None:
    sealed = s3_store.put(Bucket.ARCHIVE, os.urandom(512), content_type=PDF, retention=a_day())
    assert sealed.retain_until is not None
    shorter = MinioRetention(COMPLIANCE, sealed.retain_until - timedelta(hours=1))
    with pytest.raises(S3Error) as raw:
        seaweedfs.client().set_object_retention(
            s3_store.bucket_name(Bucket.ARCHIVE), sealed.key, shorter, version_id=sealed.version_id
        )
    assert raw.value.code == "AccessDenied"
    assert s3_store.stat(Bucket.ARCHIVE, sealed.key).retain_until == sealed.retain_until


def test_a_version_pushed_behind_our_back_is_caught_and_the_retained_original_stays_intact(
    s3_store: MinioDocumentStore, seaweedfs: SeaweedFS
) -> None:
    original = os.urandom(1024)
    sealed = s3_store.put(Bucket.ARCHIVE, original, content_type=PDF, retention=a_day())
    forged = os.urandom(1024)
    # S3 lets anyone with write access add a newer version, even with a self-consistent sha256 ...
    seaweedfs.client().put_object(
        s3_store.bucket_name(Bucket.ARCHIVE),
        sealed.key,
        io.BytesIO(forged),
        len(forged),
        metadata={"sha256": __import__("hashlib").sha256(forged).hexdigest()},
    )
    # ... but the key is the content address, so reading the latest version fails loudly,
    with pytest.raises(IntegrityCheckError) as caught:
        s3_store.get(Bucket.ARCHIVE, sealed.key)
    assert caught.value.expected == sealed.sha256
    # and the retained version is untouched.
    assert s3_store.get(Bucket.ARCHIVE, sealed.key, sealed.version_id) == original


def test_wrong_credentials_are_a_storage_error_not_an_outage(seaweedfs: SeaweedFS) -> None:
    store = store_from_url(f"http://nobody:wrong@{seaweedfs.endpoint}/laborcase?retries=0", STORAGE_SECRET)
    with pytest.raises(StorageError) as caught:
        store.get(Bucket.EVIDENCE, "0" * 64)
    assert not isinstance(caught.value, StorageUnavailableError)
    assert "InvalidAccessKeyId" in caught.value.message


def test_missing_buckets_are_a_storage_error_naming_ensure_buckets(seaweedfs: SeaweedFS) -> None:
    store = s3_store_at(seaweedfs, f"lc{secrets.token_hex(4)}")
    with pytest.raises(StorageError, match="ensure_buckets"):
        store.put(Bucket.EVIDENCE, b"x", content_type="text/plain")
    with pytest.raises(StorageError, match="ensure_buckets"):
        store.get(Bucket.EVIDENCE, "0" * 64)
