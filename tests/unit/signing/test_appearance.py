"""The visible seal is vector art with its lettering in an embedded CJK TrueType subset."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.appearance import SealDesign, draw_seal, draw_signature_mark
from signing.fonts import find_cjk_font
from workflows.errors import SealingError

from .conftest import AGENCY


def _fonts(pdf: bytes) -> list[dict[str, object]]:
    reader = PdfFileReader(io.BytesIO(pdf))
    page = reader.root["/Pages"]["/Kids"][0]
    resources = page["/Resources"]
    if "/Font" not in resources:
        return []
    fonts = resources["/Font"]
    return [fonts[name] for name in fonts]


def test_the_seal_is_one_square_page_of_vector_drawing() -> None:
    pdf = draw_seal(SealDesign(AGENCY, "3201000012345", "仲裁专用章"), 119.0)
    reader = PdfFileReader(io.BytesIO(pdf))
    page = reader.root["/Pages"]["/Kids"][0]
    assert [float(v) for v in page["/MediaBox"]] == [0, 0, 119.0, 119.0]
    assert "/XObject" not in page["/Resources"]  # no raster image anywhere


def test_the_seal_lettering_uses_only_embedded_truetype_subsets() -> None:
    pdf = draw_seal(SealDesign(AGENCY, "3201000012345"), 120.0)
    fonts = _fonts(pdf)
    assert fonts, "the agency name is text in a font"
    for font in fonts:
        descriptor = font["/FontDescriptor"]
        assert "/FontFile2" in descriptor  # embedded TrueType program
        assert str(font["/BaseFont"]).startswith("/") and "+" in str(font["/BaseFont"])  # a subset


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_finds_every_font_of_the_seal_embedded(tmp_path: Path) -> None:
    path = tmp_path / "seal.pdf"
    path.write_bytes(draw_seal(SealDesign(AGENCY, "3201000012345", "仲裁专用章"), 120.0))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), out


def test_the_signature_mark_embeds_its_font_too() -> None:
    pdf = draw_signature_mark("王小明", "电子签名 2026-11-23", 120.0, 48.0)
    assert all("/FontFile2" in f["/FontDescriptor"] for f in _fonts(pdf))


def test_a_missing_font_is_reported_with_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABORCASE_CJK_FONT", "/nonexistent/font.ttc")
    with pytest.raises(SealingError, match="fonts-wqy-zenhei"):
        find_cjk_font()
