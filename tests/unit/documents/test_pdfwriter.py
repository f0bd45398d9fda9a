"""Documents come out of reportlab as PDF/A-2b, with fonts, CMaps and QR codes as before."""

from __future__ import annotations

import io
import re
import struct

import pikepdf
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import makeToUnicodeCMap
from reportlab.pdfgen.canvas import Canvas

from documents import check_pdfa, ensure_fonts, render
from documents.fonts import SONG, EmbeddedFont, to_unicode_cmap
from documents.pdfwriter import pdf_date, pdf_text, xmp_packet
from documents.samples import sample, sample_award
from documents.subsetting import SubsetMaker


def test_a_fresh_rendering_is_pdfa_without_a_repair_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pikepdf(*args: object, **kwargs: object) -> None:
        raise AssertionError("render must not open the PDF again")

    monkeypatch.setattr(pikepdf.Pdf, "open", no_pikepdf)
    pdf = render("award_document", sample_award()).pdf
    monkeypatch.undo()
    report = check_pdfa(pdf)
    assert report.ok, report.problems
    assert b"/Trapped" not in pdf
    assert all(pdf[m.start() - 1 : m.start()] == b"\n" for m in re.finditer(rb"endstream", pdf))


def test_xmp_agrees_with_the_information_dictionary() -> None:
    with pikepdf.open(io.BytesIO(render("hearing_notice", sample("hearing_notice")).pdf)) as pdf:
        meta = pdf.open_metadata()
        info = pdf.docinfo
        assert meta["dc:title"] == str(info.Title)
        assert meta["dc:creator"] == [str(info.Author)]
        assert meta["pdf:Keywords"] == str(info.Keywords)
        assert meta["xmp:CreateDate"].startswith("20")
        assert "/Filter" not in pdf.Root.Metadata


def test_checker_catches_a_stream_without_eol_before_endstream() -> None:
    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(72, 720, "reportlab writes no EOL before endstream")
    canvas.save()
    problems = check_pdfa(buf.getvalue()).problems
    assert any("EOL before endstream" in p for p in problems), problems


def test_metadata_text_and_dates() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    assert pdf_text("Laborcase (a)") == b"(Laborcase \\(a\\))"
    assert pdf_text("裁决书") == b"<FEFF88C151B34E66>"
    assert pdf_date(datetime(2026, 11, 23, 14, 5, 22, tzinfo=UTC)) == "D:20261123140522+00'00'"
    east = timezone(timedelta(hours=8))
    assert pdf_date(datetime(2026, 11, 23, 22, 5, 22, tzinfo=east)) == "D:20261123220522+08'00'"
    packet = xmp_packet({"Title": "a < b & c"}, datetime(2026, 1, 1, tzinfo=UTC)).decode()
    assert "a &lt; b &amp; c" in packet and "<pdfaid:part>2</pdfaid:part>" in packet


def _tables(font: bytes) -> dict[str, bytes]:
    count = struct.unpack_from(">H", font, 4)[0]
    found = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sLLL", font, 12 + 16 * i)
        found[tag.decode("latin-1")] = font[offset : offset + length]
    return found


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}L", data)) & 0xFFFFFFFF


@pytest.mark.parametrize("size", [1, 60, 255])
def test_font_programs_have_reportlabs_tables_and_a_valid_checksum(size: int) -> None:
    import zlib

    ensure_fonts()
    font = pdfmetrics.getFont(SONG)
    assert isinstance(font, EmbeddedFont)
    chars = [ord(c) for c in "中华人民共和国劳动争议调解仲裁法第四十七条，。、（）0123456789ABCabc"]
    chars += [c for c in range(0x4E00, 0x4F00) if c in font.face.charToGlyph]
    subset = [0, *chars[: size - 1]]
    program = SubsetMaker(font.face, 1).make(subset)
    ours = zlib.decompress(program.data)
    assert len(ours) == program.length
    assert _checksum(ours) == 0xB1B0AFBA  # checkSumAdjustment right
    theirs = _tables(font.face.makeSubset(subset))
    mine = _tables(ours)
    assert mine.keys() == theirs.keys()
    for tag, data in mine.items():
        if tag == "head":  # differs in checkSumAdjustment only
            data, theirs[tag] = data[:8] + data[12:], theirs[tag][:8] + theirs[tag][12:]
        assert data == theirs[tag], tag


def test_to_unicode_cmap_is_reportlabs_with_surrogate_pairs_beyond_the_bmp() -> None:
    subset = [0, 32, 0x4E2D, 0x3013, 0xFF0C]
    assert to_unicode_cmap("AAAAAA+X", subset) == makeToUnicodeCMap("AAAAAA+X", subset).encode()
    assert b"<05> <D840DC0B>" in to_unicode_cmap("AAAAAA+X", [*subset, 0x2000B])
