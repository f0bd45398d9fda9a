"""Build the document store named by `Settings.storage_url`.

- `file:///abs/path` or `file://relative/path` → LocalFolderDocumentStore
  (query: `download_base=/storage/`; `fsync=0` skips fsync in throw-away set-ups).
- `s3://ACCESS:SECRET@host:port/prefix?secure=0&region=us-east-1` → MinioDocumentStore; also
  `http://` (plain) and `https://` (TLS).  `s3://` uses TLS unless `secure=0`.  The one path
  segment is the bucket prefix (default `laborcase`).  More query options: `retries`,
  `connect_timeout`, `read_timeout` (seconds), `cert_check=0`.  Percent-encode `/`, `+`, `@`
  and `:` in the secret.

The caller (web, the composition root) calls `ensure_buckets()` once at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from .common import Clock, utcnow
from .local import LocalFolderDocumentStore
from .s3 import MinioDocumentStore

DocumentStoreAdapter = LocalFolderDocumentStore | MinioDocumentStore

if TYPE_CHECKING:  # mypy proves both adapters implement the port
    from workflows.ports import DocumentStore

    _LOCAL_IS_A_STORE: type[DocumentStore] = LocalFolderDocumentStore
    _S3_IS_A_STORE: type[DocumentStore] = MinioDocumentStore

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class LocalStorageConfig:
    root: Path
    download_base: str = "/storage/"
    fsync: bool = True


@dataclass(frozen=True)
class S3StorageConfig:
    endpoint: str  # host:port
    access_key: str
    secret_key: str = field(repr=False)
    secure: bool = True
    region: str = "us-east-1"
    bucket_prefix: str = "laborcase"
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retries: int = 2
    cert_check: bool = True


def store_from_url(url: str, secret: str | bytes, *, clock: Clock = utcnow) -> DocumentStoreAdapter:
    """The adapter for `url`; `secret` signs the local store's download links (S3 signs its own)."""
    config = parse_storage_url(url)
    if isinstance(config, LocalStorageConfig):
        return LocalFolderDocumentStore(
            config.root, secret, download_base=config.download_base, clock=clock, fsync=config.fsync
        )
    return MinioDocumentStore.connect(
        config.endpoint,
        access_key=config.access_key,
        secret_key=config.secret_key,
        secure=config.secure,
        region=config.region,
        bucket_prefix=config.bucket_prefix,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        retries=config.retries,
        cert_check=config.cert_check,
        clock=clock,
    )


def parse_storage_url(url: str) -> LocalStorageConfig | S3StorageConfig:
    """What a storage URL says; ValueError (without echoing the secret) when it is malformed."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    scheme = parts.scheme.lower()
    if scheme == "file":
        return _local(parts, query)
    if scheme in ("s3", "http", "https"):
        return _s3(scheme, parts, query)
    raise ValueError(
        f"unsupported storage URL scheme {parts.scheme!r} (use file://, s3://, http:// or https://)"
    )


def _local(parts: SplitResult, query: dict[str, str]) -> LocalStorageConfig:
    # file:///abs and file://localhost/abs are absolute; file://instance/storage is relative
    netloc, path = parts.netloc, parts.path
    root = unquote(path) if netloc in ("", "localhost") else unquote(netloc + path)
    if not root:
        raise ValueError("file:// storage URL needs a folder")
    _unknown(query, {"download_base", "fsync"})
    return LocalStorageConfig(
        root=Path(root),
        download_base=query.get("download_base", "/storage/"),
        fsync=_flag(query, "fsync", True),
    )


def _s3(scheme: str, parts: SplitResult, query: dict[str, str]) -> S3StorageConfig:
    if not parts.hostname:
        raise ValueError("S3 storage URL needs a host")
    if not parts.username or parts.password is None:
        raise ValueError("S3 storage URL needs credentials: s3://ACCESS_KEY:SECRET_KEY@host:port/prefix")
    _unknown(query, {"secure", "region", "retries", "connect_timeout", "read_timeout", "cert_check"})
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 1:
        raise ValueError("S3 storage URL path is one bucket prefix, e.g. /laborcase")
    return S3StorageConfig(
        endpoint=f"{host}:{parts.port}" if parts.port else host,
        access_key=unquote(parts.username),
        secret_key=unquote(parts.password),
        secure=scheme == "https" or (scheme == "s3" and _flag(query, "secure", True)),
        region=query.get("region") or "us-east-1",
        bucket_prefix=unquote(segments[0]) if segments else "laborcase",
        connect_timeout=float(query.get("connect_timeout", 5.0)),
        read_timeout=float(query.get("read_timeout", 60.0)),
        retries=int(query.get("retries", 2)),
        cert_check=_flag(query, "cert_check", True),
    )


def _flag(query: dict[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"storage URL option {name}={value!r} is not a boolean")


def _unknown(query: dict[str, str], known: set[str]) -> None:
    extra = sorted(set(query) - known)
    if extra:
        raise ValueError(f"unknown storage URL option(s): {', '.join(extra)}")
