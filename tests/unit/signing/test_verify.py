"""The verifier: every changed byte is a modification, and bad uploads get a clear answer."""

from __future__ import annotations

import io
import re

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.pdfgen.canvas import Canvas

from signing.seal import SealingService
from signing.verify import SignatureVerifier
from workflows.errors import DocumentRejectedError
from workflows.ports import SealLevel, SealPosition

from .conftest import make_pdf


@pytest.fixture(scope="module")
def sealed(sealer: SealingService, plain_pdf: bytes) -> bytes:
    return sealer.seal(plain_pdf, SealPosition(1, 380, 120), SealLevel.B_B)


def _flip(pdf: bytes, pos: int) -> bytes:
    data = bytearray(pdf)
    data[pos] ^= 0x01
    return bytes(data)


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf)
    assert m is not None
    a, b, c, d = (int(x) for x in m.groups())
    return a, b, c, d


def _assert_modified(verifier: SignatureVerifier, pdf: bytes) -> None:
    report = verifier.verify(pdf)
    assert report.modified_after_signing and not report.valid, report


def test_an_untouched_seal_verifies(verifier: SignatureVerifier, sealed: bytes) -> None:
    report = verifier.verify(sealed)
    assert report.valid and not report.modified_after_signing and report.problems == ()


@pytest.mark.parametrize(
    "where", ["header", "page content", "first range end", "xref", "trailer", "last byte"]
)
def test_a_byte_changed_in_the_signed_range_is_a_modification(
    verifier: SignatureVerifier, sealed: bytes, where: str
) -> None:
    _, b, c, d = _byte_range(sealed)
    positions = {
        "header": 0,
        "page content": sealed.index(b"stream") + 20,
        "first range end": b - 1,
        "xref": sealed.rindex(b"\nxref") + 30,
        "trailer": sealed.rindex(b"/Root") + 2,
        "last byte": c + d - 2,
    }
    _assert_modified(verifier, _flip(sealed, positions[where]))


def test_a_byte_changed_in_the_signature_container_is_a_modification(
    verifier: SignatureVerifier, sealed: bytes
) -> None:
    a, b, c, _ = _byte_range(sealed)
    hole = range(a + b + 1, c - 1)
    for pos in [*list(hole)[:: max(1, len(hole) // 120)], c - 3]:  # c - 3: zero padding at the end
        _assert_modified(verifier, _flip(sealed, pos))


def test_every_sampled_byte_of_the_file_is_covered(verifier: SignatureVerifier, sealed: bytes) -> None:
    for pos in range(0, len(sealed), max(1, len(sealed) // 150)):
        _assert_modified(verifier, _flip(sealed, pos))


def test_garbage_appended_after_the_seal_is_a_modification(
    verifier: SignatureVerifier, sealed: bytes
) -> None:
    _assert_modified(verifier, sealed + b"appended by someone\n")
    _assert_modified(verifier, sealed + b"\n%%EOF\n")


def _unsigned_update(pdf: bytes) -> bytes:
    """An incremental update nobody signed: a new annotation-like object and a changed page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stream = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 600 Td (VOID) Tj ET"))
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_unsigned_incremental_update_is_a_modification(verifier: SignatureVerifier, sealed: bytes) -> None:
    updated = _unsigned_update(sealed)
    _assert_modified(verifier, updated)
    # and a byte changed inside that unsigned area too
    tail = len(sealed) + (len(updated) - len(sealed)) // 2
    _assert_modified(verifier, _flip(updated, tail))


def test_the_report_says_who_sealed_and_what_level(verifier: SignatureVerifier, sealed: bytes) -> None:
    (sig,) = verifier.verify(sealed).signatures
    assert sig.field_name == "AgencySeal1"
    assert sig.level == "B-B" and not sig.certified
    assert sig.signed_at is not None


def _encrypted_pdf() -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, encrypt="secret")
    c.drawString(72, 720, "encrypted")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 a zip file, not a pdf", "not a PDF"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 20, "corrupt"),
        (make_pdf(), "no signature"),
        (_encrypted_pdf(), "encrypted"),
    ],
    ids=["empty", "not-pdf", "corrupt", "unsigned", "encrypted"],
)
def test_bad_uploads_are_rejected_with_a_clear_message(
    verifier: SignatureVerifier, data: bytes, message: str
) -> None:
    with pytest.raises(DocumentRejectedError, match=message) as info:
        verifier.verify(data)
    assert info.value.code == "document_rejected"
    assert re.search(r"[\u4e00-\u9fff]", info.value.message), "the message is in Chinese as well"


def test_an_oversized_upload_is_rejected_before_it_is_read(verifier: SignatureVerifier) -> None:
    with pytest.raises(DocumentRejectedError, match="too large"):
        verifier.verify(b"%PDF-1.7\n" + b"0" * (verifier.max_bytes + 1))
