"""LocalFolderDocumentStore internals: the folder layout, atomic versions, locking, download tokens.

The behaviour it shares with S3 is tested on both adapters in tests/integration/storage/.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations.storage.local import LocalFolderDocumentStore
from workflows.errors import (
    IntegrityCheckError,
    ObjectNotFoundError,
    PermissionDeniedError,
    RetentionLockedError,
    StorageUnavailableError,
)
from workflows.ports import Bucket, Retention

SECRET = "unit-test-secret"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> LocalFolderDocumentStore:
    s = LocalFolderDocumentStore(tmp_path / "storage", SECRET, clock=clock, fsync=False)
    s.ensure_buckets()
    return s


def key_folder(store: LocalFolderDocumentStore, bucket: Bucket, key: str) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return store.root / bucket.value / digest[:2] / digest


# -- layout and atomic writes ------------------------------------------------------------------


def test_each_version_is_a_read_only_content_file_with_a_json_record(store: LocalFolderDocumentStore) -> None:
    stored = store.put(Bucket.EVIDENCE, b"payslip", content_type="text/plain", metadata={"case": "12"})
    folder = key_folder(store, Bucket.EVIDENCE, stored.key)

    data_file = folder / f"{stored.version_id}.data"
    record = json.loads((folder / f"{stored.version_id}.json").read_text())

    assert data_file.read_bytes() == b"payslip"
    assert stat.S_IMODE(data_file.stat().st_mode) == 0o444
    assert record["key"] == stored.key
    assert record["sha256"] == hashlib.sha256(b"payslip").hexdigest()
    assert record["metadata"] == {"case": "12"}
    assert record["created"] == NOW.isoformat()


def test_a_new_version_never_rewrites_an_older_one(store: LocalFolderDocumentStore) -> None:
    first = store.put(Bucket.WORKING, b"one", content_type="text/plain", key="draft.txt")
    folder = key_folder(store, Bucket.WORKING, "draft.txt")
    before = (folder / f"{first.version_id}.data").stat()
    store.put(Bucket.WORKING, b"two", content_type="text/plain", key="draft.txt")
    after = (folder / f"{first.version_id}.data").stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_no_temporary_files_remain_after_writes(store: LocalFolderDocumentStore) -> None:
    stored = store.put(Bucket.ARCHIVE, b"record", content_type="text/plain")
    store.set_legal_hold(Bucket.ARCHIVE, stored.key, True)
    names = os.listdir(key_folder(store, Bucket.ARCHIVE, stored.key))
    assert not [n for n in names if n.startswith(".tmp-")]


def test_a_version_whose_record_was_never_written_is_invisible(store: LocalFolderDocumentStore) -> None:
    """A crash between the content file and its JSON leaves an orphan nobody sees."""
    stored = store.put(Bucket.WORKING, b"committed", content_type="text/plain", key="k")
    folder = key_folder(store, Bucket.WORKING, "k")
    (folder / "000000000002-deadbeef.data").write_bytes(b"half-written")
    (folder / ".tmp-0123456789abcdef").write_bytes(b"half")
    assert [v.version_id for v in store.versions(Bucket.WORKING, "k")] == [stored.version_id]
    assert store.get(Bucket.WORKING, "k") == b"committed"


def test_versions_stay_in_order_past_nine(store: LocalFolderDocumentStore) -> None:
    ids = [
        store.put(Bucket.WORKING, f"v{i}".encode(), content_type="text/plain", key="k").version_id
        for i in range(12)
    ]
    assert [v.version_id for v in store.versions(Bucket.WORKING, "k")] == ids[::-1]
    assert store.get(Bucket.WORKING, "k") == b"v11"


def test_fsync_mode_writes_the_same_files(tmp_path: Path) -> None:
    durable = LocalFolderDocumentStore(tmp_path / "durable", SECRET)  # fsync on: the production default
    durable.ensure_buckets()
    stored = durable.put(Bucket.EVIDENCE, b"durable", content_type="text/plain")
    assert durable.get(Bucket.EVIDENCE, stored.key) == b"durable"


def test_any_key_maps_to_a_fixed_length_folder_inside_the_bucket(store: LocalFolderDocumentStore) -> None:
    key = "案件/2026/劳仲字第12号/裁决书.pdf"
    store.put(Bucket.WORKING, b"award", content_type="application/pdf", key=key)
    folder = key_folder(store, Bucket.WORKING, key)
    assert folder.is_dir()
    assert folder.parent.parent == store.root / "working"
    assert store.get(Bucket.WORKING, key) == b"award"


@pytest.mark.parametrize("version_id", ["../../../etc/passwd", "1", "000000000001-XYZ", ""])
def test_malformed_version_ids_are_not_found(store: LocalFolderDocumentStore, version_id: str) -> None:
    stored = store.put(Bucket.WORKING, b"x", content_type="text/plain", key="k")
    assert stored.version_id is not None
    with pytest.raises(ObjectNotFoundError):
        store.get(Bucket.WORKING, "k", version_id or "bad")


# -- concurrency -------------------------------------------------------------------------------


def run_together(count: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_writers_to_one_working_key_each_get_their_own_version(
    store: LocalFolderDocumentStore,
) -> None:
    results = run_together(
        8, lambda i: store.put(Bucket.WORKING, f"edit {i}".encode(), content_type="t", key="k")
    )
    assert not [r for r in results if isinstance(r, Exception)]
    versions = store.versions(Bucket.WORKING, "k")
    assert len(versions) == 8
    assert len({v.version_id for v in versions}) == 8


def test_concurrent_different_uploads_to_one_evidence_key_admit_exactly_one(
    store: LocalFolderDocumentStore,
) -> None:
    results = run_together(
        8, lambda i: store.put(Bucket.EVIDENCE, f"upload {i}".encode(), content_type="t", key="k")
    )
    refused = [r for r in results if isinstance(r, RetentionLockedError)]
    assert len(refused) == 7
    assert len(store.versions(Bucket.EVIDENCE, "k")) == 1


# -- retention, hold, damage -------------------------------------------------------------------


def test_delete_is_allowed_once_retention_has_ended(store: LocalFolderDocumentStore, clock: Clock) -> None:
    sealed = store.put(
        Bucket.ARCHIVE, b"record", content_type="t", retention=Retention(NOW + timedelta(days=1))
    )
    with pytest.raises(RetentionLockedError):
        store.delete(Bucket.ARCHIVE, sealed.key)
    clock.now = NOW + timedelta(days=1, seconds=1)
    store.delete(Bucket.ARCHIVE, sealed.key)
    with pytest.raises(ObjectNotFoundError):
        store.get(Bucket.ARCHIVE, sealed.key)


def test_retention_end_is_rounded_up_to_the_second(store: LocalFolderDocumentStore) -> None:
    until = NOW + timedelta(days=1, microseconds=1)
    sealed = store.put(Bucket.ARCHIVE, b"r", content_type="t", retention=Retention(until))
    assert sealed.retain_until == NOW + timedelta(days=1, seconds=1)


def test_legal_hold_changes_only_the_hold(store: LocalFolderDocumentStore) -> None:
    stored = store.put(Bucket.ARCHIVE, b"r", content_type="t", metadata={"case": "7"})
    store.set_legal_hold(Bucket.ARCHIVE, stored.key, True)
    held = store.stat(Bucket.ARCHIVE, stored.key)
    assert held.legal_hold
    assert held == dataclasses.replace(stored, legal_hold=True)
    assert store.get(Bucket.ARCHIVE, stored.key) == b"r"


def test_a_missing_content_file_is_an_integrity_error(store: LocalFolderDocumentStore) -> None:
    stored = store.put(Bucket.EVIDENCE, b"gone", content_type="t")
    (key_folder(store, Bucket.EVIDENCE, stored.key) / f"{stored.version_id}.data").unlink()
    with pytest.raises(IntegrityCheckError, match="missing"):
        store.get(Bucket.EVIDENCE, stored.key)


def test_a_broken_record_is_an_integrity_error(store: LocalFolderDocumentStore) -> None:
    stored = store.put(Bucket.EVIDENCE, b"x", content_type="t")
    record = key_folder(store, Bucket.EVIDENCE, stored.key) / f"{stored.version_id}.json"
    record.chmod(0o644)
    record.write_text("{not json")
    with pytest.raises(IntegrityCheckError):
        store.stat(Bucket.EVIDENCE, stored.key)


def test_an_edited_record_does_not_hide_edited_content(store: LocalFolderDocumentStore) -> None:
    """Rewriting both the bytes and the recorded sha256 is caught by the content address."""
    stored = store.put(Bucket.EVIDENCE, b"original", content_type="t")
    folder = key_folder(store, Bucket.EVIDENCE, stored.key)
    for name in (f"{stored.version_id}.data", f"{stored.version_id}.json"):
        (folder / name).chmod(0o644)
    (folder / f"{stored.version_id}.data").write_bytes(b"forged")
    record = json.loads((folder / f"{stored.version_id}.json").read_text())
    record["sha256"] = hashlib.sha256(b"forged").hexdigest()
    (folder / f"{stored.version_id}.json").write_text(json.dumps(record))
    with pytest.raises(IntegrityCheckError) as caught:
        store.get(Bucket.EVIDENCE, stored.key)
    assert caught.value.expected == stored.sha256


def test_a_missing_storage_folder_means_the_store_is_unavailable(tmp_path: Path) -> None:
    store = LocalFolderDocumentStore(tmp_path / "unmounted", SECRET)
    with pytest.raises(StorageUnavailableError, match="missing"):
        store.put(Bucket.EVIDENCE, b"x", content_type="t")


def test_a_full_disk_means_the_store_is_unavailable_and_leaves_no_debris(
    store: LocalFolderDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageUnavailableError, match="No space left"):
        store.put(Bucket.EVIDENCE, b"x", content_type="t")
    monkeypatch.undo()
    folder = key_folder(store, Bucket.EVIDENCE, hashlib.sha256(b"x").hexdigest())
    assert sorted(os.listdir(folder)) == [".lock"]
    with pytest.raises(ObjectNotFoundError):
        store.get(Bucket.EVIDENCE, hashlib.sha256(b"x").hexdigest())


# -- download tokens ---------------------------------------------------------------------------


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def test_download_url_is_the_base_followed_by_a_token(tmp_path: Path) -> None:
    store = LocalFolderDocumentStore(tmp_path, SECRET, download_base="https://cases.example/dl/")
    url = store.presigned_url(Bucket.EVIDENCE, "k")
    assert url.startswith("https://cases.example/dl/")
    assert "/" not in token_of(url)


def test_a_valid_token_grants_the_object_until_it_expires(
    store: LocalFolderDocumentStore, clock: Clock
) -> None:
    stored = store.put(Bucket.EVIDENCE, b"bytes", content_type="text/plain")
    token = token_of(store.presigned_url(Bucket.EVIDENCE, stored.key, expires=timedelta(minutes=10)))

    target = store.verify_presigned(token)
    assert (target.bucket, target.key, target.version_id) == (Bucket.EVIDENCE, stored.key, None)
    assert target.expires_at == NOW + timedelta(minutes=10)
    obj, data = store.open_presigned(token)
    assert (obj.version_id, data) == (stored.version_id, b"bytes")

    clock.now = NOW + timedelta(minutes=10)
    with pytest.raises(PermissionDeniedError, match="expired"):
        store.verify_presigned(token)


def test_a_token_for_a_version_serves_that_version(store: LocalFolderDocumentStore) -> None:
    old = store.put(Bucket.WORKING, b"old", content_type="t", key="k")
    store.put(Bucket.WORKING, b"new", content_type="t", key="k")
    token = token_of(store.presigned_url(Bucket.WORKING, "k", old.version_id))
    assert store.open_presigned(token)[1] == b"old"


def test_a_token_changed_in_any_way_is_refused(store: LocalFolderDocumentStore) -> None:
    token = token_of(store.presigned_url(Bucket.EVIDENCE, "k"))
    body, signature = token.split(".")
    other = token_of(store.presigned_url(Bucket.EVIDENCE, "other-key"))
    for forged in (
        f"{other.split('.')[0]}.{signature}",  # another object's claims, this signature
        f"{body}.{signature[:-2]}AA",
        f"{body[:-1]}A.{signature}",
    ):
        with pytest.raises(PermissionDeniedError):
            store.verify_presigned(forged)


def test_a_token_signed_with_another_secret_is_refused(
    store: LocalFolderDocumentStore, tmp_path: Path
) -> None:
    stranger = LocalFolderDocumentStore(store.root, "another-secret", clock=Clock())
    token = token_of(stranger.presigned_url(Bucket.EVIDENCE, "k"))
    with pytest.raises(PermissionDeniedError, match="not valid"):
        store.verify_presigned(token)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b", "%%%.%%%", "eyJ9.", "x" * 500])
def test_garbage_tokens_are_refused(store: LocalFolderDocumentStore, garbage: str) -> None:
    with pytest.raises(PermissionDeniedError):
        store.verify_presigned(garbage)


def test_a_download_of_a_corrupted_object_is_an_integrity_error(store: LocalFolderDocumentStore) -> None:
    stored = store.put(Bucket.EVIDENCE, b"evidence", content_type="t")
    path = key_folder(store, Bucket.EVIDENCE, stored.key) / f"{stored.version_id}.data"
    path.chmod(0o644)
    path.write_bytes(b"evidencE")
    with pytest.raises(IntegrityCheckError):
        store.open_presigned(token_of(store.presigned_url(Bucket.EVIDENCE, stored.key)))


@pytest.mark.parametrize("expires", [timedelta(0), timedelta(days=7, seconds=1)])
def test_download_links_last_between_a_second_and_seven_days(
    store: LocalFolderDocumentStore, expires: timedelta
) -> None:
    with pytest.raises(ValueError, match="7 days"):
        store.presigned_url(Bucket.EVIDENCE, "k", expires=expires)


def test_a_secret_is_required(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        LocalFolderDocumentStore(tmp_path, "")


def test_a_new_version_is_durable_its_files_its_folder_and_every_folder_made_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalFolderDocumentStore(tmp_path / "store", "secret")
    store.ensure_buckets()
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    obj = store.put(Bucket.ARCHIVE, b"%PDF-1.7 award", content_type="application/pdf", key="case/7/award.pdf")
    bucket = tmp_path / "store" / Bucket.ARCHIVE.value
    key_folder = next(p for p in bucket.rglob("*") if p.is_dir() and (p / ".lock").exists())
    content = [s for s in synced if Path(s).name.startswith(".tmp-")]
    assert len(content) == 2  # the content and its JSON, before they were renamed into place
    assert str(key_folder) in synced  # the renames
    made = [key_folder, *[p for p in key_folder.parents if p != bucket and bucket in p.parents]]
    assert all(str(p.parent) in synced for p in made)  # the new folders' names
    assert store.get(Bucket.ARCHIVE, "case/7/award.pdf", obj.version_id) == b"%PDF-1.7 award"
