"""One behaviour suite, two adapters: `backend` runs each test on the local folder and on S3.

A backend is the adapter plus what only a test may do to it: build a twin with another clock,
tamper with stored bytes behind the adapter's back, point a store at nowhere, and download a
presigned URL over real HTTP (S3 serves its own; the local store is served by a tiny stand-in
for the web layer that calls `open_presigned`).
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.storage.common import Clock
from integrations.storage.factory import store_from_url
from integrations.storage.local import LocalFolderDocumentStore
from integrations.storage.s3 import MinioDocumentStore
from tests.storage_support import STORAGE_SECRET, SeaweedFS, free_port
from workflows.errors import IntegrityCheckError, ObjectNotFoundError, PermissionDeniedError
from workflows.ports import Bucket

Store = LocalFolderDocumentStore | MinioDocumentStore


@dataclass
class LocalBackend:
    name = "local"
    store: LocalFolderDocumentStore
    download_base: str

    def with_clock(self, clock: Clock) -> Store:
        return LocalFolderDocumentStore(
            self.store.root, STORAGE_SECRET, download_base=self.download_base, clock=clock, fsync=False
        )

    def tamper(self, bucket: Bucket, key: str, data: bytes) -> None:
        """Flip one byte of the newest version's file, as bit rot or a careless admin would."""
        del data
        digest = hashlib.sha256(key.encode()).hexdigest()
        folder = self.store.root / bucket.value / digest[:2] / digest
        newest = sorted(folder.glob("*.data"))[-1]
        newest.chmod(0o644)
        raw = bytearray(newest.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        newest.write_bytes(bytes(raw))

    def unreachable(self) -> Store:
        return LocalFolderDocumentStore(self.store.root.parent / "not-mounted", STORAGE_SECRET)


@dataclass
class S3Backend:
    name = "s3"
    store: MinioDocumentStore
    server: SeaweedFS

    def with_clock(self, clock: Clock) -> Store:
        twin = store_from_url(self.server.url(self.store.bucket_prefix), STORAGE_SECRET, clock=clock)
        assert isinstance(twin, MinioDocumentStore)
        return twin

    def tamper(self, bucket: Bucket, key: str, data: bytes) -> None:
        """Write a new version with the raw client, keeping the old sha256 metadata: someone with
        the credentials bypassing the adapter."""
        old = self.store.stat(bucket, key).sha256
        self.server.client().put_object(
            self.store.bucket_name(bucket), key, io.BytesIO(data), len(data), metadata={"sha256": old}
        )

    def unreachable(self) -> Store:
        store = store_from_url(f"http://ak:sk@127.0.0.1:{free_port()}/nowhere?retries=0", STORAGE_SECRET)
        assert isinstance(store, MinioDocumentStore)
        return store


Backend = LocalBackend | S3Backend


class _Downloads(BaseHTTPRequestHandler):
    """The web layer's job for the local store, reduced to its core: token in, bytes or 403 out."""

    store: LocalFolderDocumentStore

    def do_GET(self) -> None:
        token = self.path.rsplit("/", 1)[-1]
        try:
            obj, data = self.store.open_presigned(token)
        except PermissionDeniedError as exc:
            self._send(403, exc.message.encode(), "text/plain")
        except ObjectNotFoundError as exc:
            self._send(404, exc.message.encode(), "text/plain")
        except IntegrityCheckError as exc:
            self._send(500, exc.message.encode(), "text/plain")
        else:
            self._send(200, data, obj.content_type)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_backend(local_store: LocalFolderDocumentStore) -> Iterator[LocalBackend]:
    handler: type[_Downloads] = type("Downloads", (_Downloads,), {})  # per test: its own store
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/files/"
    store = LocalFolderDocumentStore(local_store.root, STORAGE_SECRET, download_base=base, fsync=False)
    handler.store = store
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield LocalBackend(store, base)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def s3_backend(s3_store: MinioDocumentStore, seaweedfs: SeaweedFS) -> S3Backend:
    return S3Backend(s3_store, seaweedfs)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each behaviour test runs on both adapters."""
    result = request.getfixturevalue(f"{request.param}_backend")
    assert isinstance(result, LocalBackend | S3Backend)
    return result


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.store
