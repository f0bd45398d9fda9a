"""The DocumentStore contract, run on both adapters: local folder and a real S3 server (SeaweedFS).

Issue 3 §5: working documents versioned, evidence and archive never altered, archive under
COMPLIANCE retention and legal hold, content addressed by SHA-256 and verified on every read,
presigned downloads, S3 client errors translated into ours.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.storage.conftest import Backend, Store
from workflows.errors import (
    ConflictError,
    IntegrityCheckError,
    ObjectNotFoundError,
    RetentionLockedError,
    StorageUnavailableError,
)
from workflows.ports import Bucket, Retention

PDF = "application/pdf"


def content(label: str = "doc") -> bytes:
    """Random, incompressible bytes so no two tests (sharing one S3 server) meet the same key."""
    return f"%PDF-1.7 {label} ".encode() + os.urandom(2048)


def unique_key(prefix: str) -> str:
    return f"{prefix}/{uuid.uuid4().hex}.pdf"


def later(**delta: float) -> Retention:
    return Retention(until=datetime.now(UTC) + timedelta(**delta))


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


# -- put / get ---------------------------------------------------------------------------------


def test_put_then_get_returns_the_same_bytes(store: Store) -> None:
    data = content()
    stored = store.put(Bucket.EVIDENCE, data, content_type=PDF)
    assert store.get(Bucket.EVIDENCE, stored.key) == data
    assert stored.size == len(data)
    assert stored.content_type == PDF
    assert stored.version_id


def test_key_defaults_to_the_sha256_of_the_content(store: Store) -> None:
    data = content()
    stored = store.put(Bucket.EVIDENCE, data, content_type=PDF)
    assert stored.key == stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.stat(Bucket.EVIDENCE, stored.key) == stored


def test_putting_the_same_content_again_returns_the_existing_object(store: Store) -> None:
    data = content()
    first = store.put(Bucket.EVIDENCE, data, content_type=PDF)
    again = store.put(Bucket.EVIDENCE, data, content_type=PDF)
    assert again == first
    assert [v.version_id for v in store.versions(Bucket.EVIDENCE, first.key)] == [first.version_id]


def test_metadata_round_trips_including_chinese_text(store: Store) -> None:
    meta = {"filename": "劳动合同 (2026) 第12号.pdf", "case": "2026-劳仲-12", "percent": "100%"}
    stored = store.put(Bucket.EVIDENCE, content(), content_type=PDF, metadata=meta)
    assert dict(stored.metadata) == meta
    assert dict(store.stat(Bucket.EVIDENCE, stored.key).metadata) == meta


def test_explicit_key_that_looks_like_a_sha256_must_be_the_content_hash(store: Store) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        store.put(Bucket.EVIDENCE, content(), content_type=PDF, key="0" * 64)


# -- versions ----------------------------------------------------------------------------------


def test_working_bucket_keeps_every_version_of_a_key(store: Store) -> None:
    key = unique_key("drafts")
    draft = store.put(Bucket.WORKING, b"draft 1", content_type="text/plain", key=key)
    revised = store.put(Bucket.WORKING, b"draft 2", content_type="text/plain", key=key)

    versions = store.versions(Bucket.WORKING, key)

    assert [v.version_id for v in versions] == [revised.version_id, draft.version_id]  # newest first
    assert [v.sha256 for v in versions] == [revised.sha256, draft.sha256]
    assert store.get(Bucket.WORKING, key) == b"draft 2"
    assert store.get(Bucket.WORKING, key, draft.version_id) == b"draft 1"


def test_same_content_under_a_working_key_does_not_add_a_version(store: Store) -> None:
    key = unique_key("drafts")
    first = store.put(Bucket.WORKING, b"same", content_type="text/plain", key=key)
    assert store.put(Bucket.WORKING, b"same", content_type="text/plain", key=key) == first
    assert len(store.versions(Bucket.WORKING, key)) == 1


def test_evidence_refuses_other_content_under_an_existing_key(store: Store) -> None:
    key = unique_key("uploads")
    store.put(Bucket.EVIDENCE, b"the original upload", content_type="text/plain", key=key)
    with pytest.raises(RetentionLockedError, match="write-once") as refused:
        store.put(Bucket.EVIDENCE, b"a replacement", content_type="text/plain", key=key)
    assert isinstance(refused.value, ConflictError)
    assert store.get(Bucket.EVIDENCE, key) == b"the original upload"


def test_deleting_one_version_keeps_the_others(store: Store) -> None:
    key = unique_key("drafts")
    first = store.put(Bucket.WORKING, b"v1", content_type="text/plain", key=key)
    second = store.put(Bucket.WORKING, b"v2", content_type="text/plain", key=key)
    store.delete(Bucket.WORKING, key, second.version_id)
    assert [v.version_id for v in store.versions(Bucket.WORKING, key)] == [first.version_id]
    assert store.get(Bucket.WORKING, key) == b"v1"


def test_deleting_a_key_removes_every_version(store: Store) -> None:
    key = unique_key("drafts")
    store.put(Bucket.WORKING, b"v1", content_type="text/plain", key=key)
    store.put(Bucket.WORKING, b"v2", content_type="text/plain", key=key)
    store.delete(Bucket.WORKING, key)
    with pytest.raises(ObjectNotFoundError):
        store.versions(Bucket.WORKING, key)
    with pytest.raises(ObjectNotFoundError):
        store.get(Bucket.WORKING, key)


# -- retention and legal hold -----------------------------------------------------------------


def test_retained_archive_object_refuses_delete(store: Store) -> None:
    sealed = store.put(Bucket.ARCHIVE, content("sealed"), content_type=PDF, retention=later(days=1))
    assert sealed.retain_until is not None
    with pytest.raises(RetentionLockedError, match="retained"):
        store.delete(Bucket.ARCHIVE, sealed.key)
    with pytest.raises(RetentionLockedError, match="retained"):
        store.delete(Bucket.ARCHIVE, sealed.key, sealed.version_id)
    assert store.stat(Bucket.ARCHIVE, sealed.key).version_id == sealed.version_id


def test_retained_archive_object_refuses_overwrite_with_other_content(store: Store) -> None:
    key = unique_key("archive")
    original = content("award")
    store.put(Bucket.ARCHIVE, original, content_type=PDF, key=key, retention=later(days=1))
    with pytest.raises(RetentionLockedError, match="retained"):
        store.put(Bucket.ARCHIVE, content("forged award"), content_type=PDF, key=key)
    assert store.get(Bucket.ARCHIVE, key) == original
    assert len(store.versions(Bucket.ARCHIVE, key)) == 1


def test_retention_is_reported_by_stat(store: Store) -> None:
    retention = later(days=3)
    sealed = store.put(Bucket.ARCHIVE, content(), content_type=PDF, retention=retention)
    seen = store.stat(Bucket.ARCHIVE, sealed.key)
    assert seen.retain_until == sealed.retain_until
    assert seen.retain_until is not None
    assert retention.until <= seen.retain_until < retention.until + timedelta(seconds=1)


def test_putting_the_same_record_again_extends_retention_but_never_shortens_it(store: Store) -> None:
    data = content("contract")
    first = store.put(Bucket.ARCHIVE, data, content_type=PDF, retention=later(days=2))
    longer = store.put(Bucket.ARCHIVE, data, content_type=PDF, retention=later(days=30))
    shorter = store.put(Bucket.ARCHIVE, data, content_type=PDF, retention=later(days=1))

    assert first.retain_until is not None and longer.retain_until is not None
    assert longer.retain_until > first.retain_until
    assert shorter.retain_until == longer.retain_until
    assert store.stat(Bucket.ARCHIVE, first.key).retain_until == longer.retain_until
    assert longer.version_id == first.version_id


def test_legal_hold_refuses_delete_until_released(store: Store) -> None:
    held = store.put(Bucket.ARCHIVE, content("evidence in court"), content_type=PDF, legal_hold=True)
    assert store.stat(Bucket.ARCHIVE, held.key).legal_hold

    with pytest.raises(RetentionLockedError, match="legal hold"):
        store.delete(Bucket.ARCHIVE, held.key, held.version_id)

    store.set_legal_hold(Bucket.ARCHIVE, held.key, False, held.version_id)
    assert not store.stat(Bucket.ARCHIVE, held.key).legal_hold
    store.delete(Bucket.ARCHIVE, held.key, held.version_id)
    with pytest.raises(ObjectNotFoundError):
        store.stat(Bucket.ARCHIVE, held.key)


def test_legal_hold_can_be_placed_on_a_stored_record(store: Store) -> None:
    record = store.put(Bucket.ARCHIVE, content(), content_type=PDF)
    store.set_legal_hold(Bucket.ARCHIVE, record.key, True)
    with pytest.raises(RetentionLockedError, match="legal hold"):
        store.delete(Bucket.ARCHIVE, record.key)
    store.set_legal_hold(Bucket.ARCHIVE, record.key, False)
    store.delete(Bucket.ARCHIVE, record.key)


def test_retention_and_legal_hold_exist_only_in_the_archive(store: Store) -> None:
    with pytest.raises(ValueError, match="object lock"):
        store.put(Bucket.WORKING, content(), content_type=PDF, retention=later(days=1))
    with pytest.raises(ValueError, match="object lock"):
        store.put(Bucket.EVIDENCE, content(), content_type=PDF, legal_hold=True)


# -- integrity ---------------------------------------------------------------------------------


def test_corrupted_object_is_caught_by_the_hash_check_on_read(backend: Backend) -> None:
    store = backend.store
    data = content("evidence")
    stored = store.put(Bucket.EVIDENCE, data, content_type=PDF)

    backend.tamper(Bucket.EVIDENCE, stored.key, content("altered"))

    with pytest.raises(IntegrityCheckError) as caught:
        store.get(Bucket.EVIDENCE, stored.key)
    assert caught.value.expected == stored.sha256
    assert caught.value.actual != stored.sha256


def test_corrupted_working_document_under_an_explicit_key_is_caught(backend: Backend) -> None:
    key = unique_key("drafts")
    backend.store.put(Bucket.WORKING, b"the real draft", content_type="text/plain", key=key)
    backend.tamper(Bucket.WORKING, key, b"not the real draft")
    with pytest.raises(IntegrityCheckError):
        backend.store.get(Bucket.WORKING, key)


# -- presigned downloads ---------------------------------------------------------------------


def test_presigned_url_downloads_the_bytes(store: Store) -> None:
    data = content()
    stored = store.put(Bucket.ARCHIVE, data, content_type=PDF)
    assert download(store.presigned_url(Bucket.ARCHIVE, stored.key)) == data


def test_presigned_url_for_an_old_version_downloads_that_version(store: Store) -> None:
    key = unique_key("drafts")
    old = store.put(Bucket.WORKING, b"old", content_type="text/plain", key=key)
    store.put(Bucket.WORKING, b"new", content_type="text/plain", key=key)
    assert download(store.presigned_url(Bucket.WORKING, key, old.version_id)) == b"old"


def test_expired_presigned_url_is_refused(backend: Backend) -> None:
    stored = backend.store.put(Bucket.EVIDENCE, content(), content_type=PDF)
    an_hour_ago = backend.with_clock(lambda: datetime.now(UTC) - timedelta(hours=1))
    url = an_hour_ago.presigned_url(Bucket.EVIDENCE, stored.key, expires=timedelta(minutes=10))
    with pytest.raises(urllib.error.HTTPError) as refused:
        download(url)
    assert refused.value.code == 403


# -- errors ------------------------------------------------------------------------------------


def test_unreachable_store_raises_storage_unavailable(backend: Backend) -> None:
    nowhere = backend.unreachable()
    began = time.monotonic()
    with pytest.raises(StorageUnavailableError):
        nowhere.put(Bucket.EVIDENCE, content(), content_type=PDF)
    with pytest.raises(StorageUnavailableError):
        nowhere.get(Bucket.EVIDENCE, "0" * 64)
    assert time.monotonic() - began < 5


def test_unknown_key_raises_object_not_found(store: Store) -> None:
    missing = hashlib.sha256(os.urandom(16)).hexdigest()
    for call in (
        lambda: store.get(Bucket.EVIDENCE, missing),
        lambda: store.stat(Bucket.EVIDENCE, missing),
        lambda: store.versions(Bucket.EVIDENCE, missing),
        lambda: store.delete(Bucket.WORKING, missing),
    ):
        with pytest.raises(ObjectNotFoundError) as caught:
            call()
        assert caught.value.key == missing


def test_unknown_version_raises_object_not_found(store: Store) -> None:
    stored = store.put(Bucket.EVIDENCE, content(), content_type=PDF)
    for bogus in ("000000000099-00000000", "00000000000000000000000000000000", "no-such-version"):
        with pytest.raises(ObjectNotFoundError):
            store.get(Bucket.EVIDENCE, stored.key, bogus)
        with pytest.raises(ObjectNotFoundError):
            store.stat(Bucket.EVIDENCE, stored.key, bogus)


@pytest.mark.parametrize("key", ["", "/absolute", "a/../b", "a//b", "line\nbreak"])
def test_unsafe_keys_are_refused(store: Store, key: str) -> None:
    with pytest.raises(ValueError):
        store.put(Bucket.WORKING, b"x", content_type="text/plain", key=key)
