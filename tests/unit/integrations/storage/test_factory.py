"""Settings.storage_url → the adapter: file:// for the embedded default, s3:// / http(s):// for S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.storage.factory import (
    LocalStorageConfig,
    S3StorageConfig,
    parse_storage_url,
    store_from_url,
)
from integrations.storage.local import LocalFolderDocumentStore
from integrations.storage.s3 import MinioDocumentStore
from workflows.config import Settings
from workflows.ports import Bucket


def test_the_default_setting_is_a_local_folder_in_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABORCASE_STORAGE_URL", raising=False)
    settings = Settings(instance_dir=tmp_path, secret_key="k")
    store = store_from_url(settings.storage_url, settings.secret_key)
    assert isinstance(store, LocalFolderDocumentStore)
    assert store.root == tmp_path / "storage"


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("file:///srv/laborcase/storage", Path("/srv/laborcase/storage")),
        ("file://localhost/srv/storage", Path("/srv/storage")),
        ("file://instance/storage", Path("instance/storage")),
        ("file:///srv/%E6%A1%A3%E6%A1%88", Path("/srv/档案")),
    ],
)
def test_file_urls_name_the_folder(url: str, root: Path) -> None:
    assert parse_storage_url(url) == LocalStorageConfig(root=root)


def test_file_url_options() -> None:
    config = parse_storage_url("file:///tmp/s?download_base=/dl/&fsync=0")
    assert config == LocalStorageConfig(root=Path("/tmp/s"), download_base="/dl/", fsync=False)


def test_s3_url_with_everything() -> None:
    config = parse_storage_url(
        "s3://AKIA:se%2Fcr%2Bet@minio.internal:9000/agency?secure=0&region=cn-north-1"
        "&retries=5&connect_timeout=2&read_timeout=30&cert_check=0"
    )
    assert config == S3StorageConfig(
        endpoint="minio.internal:9000",
        access_key="AKIA",
        secret_key="se/cr+et",
        secure=False,
        region="cn-north-1",
        bucket_prefix="agency",
        connect_timeout=2.0,
        read_timeout=30.0,
        retries=5,
        cert_check=False,
    )
    assert "se/cr+et" not in repr(config)


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("s3://a:b@h:9000", True),
        ("s3://a:b@h:9000?secure=0", False),
        ("http://a:b@h", False),
        ("https://a:b@h", True),
    ],
)
def test_tls_follows_the_scheme(url: str, secure: bool) -> None:
    config = parse_storage_url(url)
    assert isinstance(config, S3StorageConfig)
    assert config.secure is secure
    assert config.bucket_prefix == "laborcase"


def test_s3_url_builds_a_minio_store_with_prefixed_buckets() -> None:
    store = store_from_url("http://a:b@127.0.0.1:9/agency", "unused")
    assert isinstance(store, MinioDocumentStore)
    assert store.bucket_name(Bucket.ARCHIVE) == "agency-archive"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://h/x", "scheme"),
        ("s3://h:9000/p", "credentials"),
        ("s3://a:b@h/one/two", "one bucket prefix"),
        ("s3://a:b@h/p?colour=red", "unknown"),
        ("s3://a:b@h/p?secure=maybe", "boolean"),
        ("s3://a:b@h/Bad_Prefix", "bucket name"),
        ("file://", "folder"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        store_from_url(url, "secret")
