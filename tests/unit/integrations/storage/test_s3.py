"""MinioDocumentStore's translation of what an S3 server can answer, with a scripted fake server.

The real-server behaviour is in tests/integration/storage/; here are the answers SeaweedFS will
not give on demand: throttling, a proxy's HTML error page, a hung server, a refused delete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.storage.s3 import MinioDocumentStore
from workflows.errors import (
    ObjectNotFoundError,
    RetentionLockedError,
    StorageError,
    StorageUnavailableError,
)
from workflows.ports import Bucket

KEY = "a" * 64
Reply = tuple[int, dict[str, str], bytes]


def s3_error(code: str, message: str = "refused") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
        f"<Resource>/x</Resource><RequestId>1</RequestId></Error>"
    ).encode()


XML = {"Content-Type": "application/xml"}


class FakeS3:
    """Answers each HTTP method with a scripted reply (or hangs); counts the requests."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.hang = False
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                fake.requests.append(self.command)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if fake.hang:
                    time.sleep(2)
                    return
                status, headers, body = fake.replies.get(self.command, (404, XML, s3_error("NoSuchKey")))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def store(self, **options: float) -> MinioDocumentStore:
        return MinioDocumentStore.connect(
            f"127.0.0.1:{self.port}",
            access_key="ak",
            secret_key="sk",
            secure=False,
            **options,  # type: ignore[arg-type]
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeS3]:
    server = FakeS3()
    yield server
    server.close()


def test_throttling_is_retried_a_bounded_number_of_times_then_unavailable(fake: FakeS3) -> None:
    fake.replies["GET"] = (503, XML, s3_error("SlowDown", "Reduce your request rate"))
    with pytest.raises(StorageUnavailableError, match="SlowDown"):
        fake.store(retries=2).get(Bucket.EVIDENCE, KEY)
    assert fake.requests == ["GET", "GET", "GET"]


def test_a_proxy_error_page_means_unavailable(fake: FakeS3) -> None:
    fake.replies["GET"] = (502, {"Content-Type": "text/html"}, b"<html>Bad Gateway</html>")
    with pytest.raises(StorageUnavailableError):
        fake.store(retries=0).get(Bucket.EVIDENCE, KEY)


def test_a_hung_server_times_out_as_unavailable(fake: FakeS3) -> None:
    fake.hang = True
    began = time.monotonic()
    with pytest.raises(StorageUnavailableError):
        fake.store(retries=0, read_timeout=0.3).stat(Bucket.EVIDENCE, KEY)
    assert time.monotonic() - began < 1.5


def test_a_delete_the_server_refuses_is_retention_locked(fake: FakeS3) -> None:
    fake.replies["HEAD"] = (200, {"x-amz-meta-sha256": KEY, "x-amz-version-id": "v1"}, b"")
    fake.replies["DELETE"] = (403, XML, s3_error("AccessDenied", "Object is WORM protected"))
    with pytest.raises(RetentionLockedError, match="WORM"):
        fake.store(retries=0).delete(Bucket.ARCHIVE, KEY, "v1")


def test_access_denied_on_a_read_is_a_storage_error_not_a_lock(fake: FakeS3) -> None:
    fake.replies["GET"] = (403, XML, s3_error("AccessDenied"))
    with pytest.raises(StorageError) as caught:
        fake.store(retries=0).get(Bucket.EVIDENCE, KEY)
    assert not isinstance(caught.value, RetentionLockedError | StorageUnavailableError)


def test_no_such_version_is_object_not_found(fake: FakeS3) -> None:
    fake.replies["GET"] = (404, XML, s3_error("NoSuchVersion"))
    with pytest.raises(ObjectNotFoundError) as caught:
        fake.store(retries=0).get(Bucket.EVIDENCE, KEY, "v9")
    assert caught.value.version_id == "v9"


def test_stat_reads_retention_and_hold_from_the_headers(fake: FakeS3) -> None:
    fake.replies["HEAD"] = (
        200,
        {
            "Content-Type": "application/pdf",
            "x-amz-version-id": "v3",
            "X-Amz-Meta-Sha256": KEY,
            "X-Amz-Meta-Filename": "%E8%A3%81%E5%86%B3%E4%B9%A6.pdf",
            "x-amz-object-lock-mode": "COMPLIANCE",
            "x-amz-object-lock-retain-until-date": "2036-07-01T00:00:00.000Z",
            "x-amz-object-lock-legal-hold": "ON",
        },
        b"",
    )
    obj = fake.store(retries=0).stat(Bucket.ARCHIVE, KEY)
    assert (obj.version_id, obj.sha256, obj.content_type, obj.legal_hold) == (
        "v3",
        KEY,
        "application/pdf",
        True,
    )
    assert obj.retain_until is not None and obj.retain_until.isoformat() == "2036-07-01T00:00:00+00:00"
    assert dict(obj.metadata) == {"filename": "裁决书.pdf"}


def test_bucket_prefix_must_make_valid_bucket_names() -> None:
    with pytest.raises(ValueError, match="bucket name"):
        MinioDocumentStore.connect("127.0.0.1:9", access_key="a", secret_key="b", bucket_prefix="Laborcase")
