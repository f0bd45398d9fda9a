"""Render every document type to PNG so a reviewer can look at the layout.

Images land in ``test-artifacts/renders/<type>.png`` at the repository root (gitignored;
``LABORCASE_RENDER_DIR`` overrides): all pages side by side at 60 dpi, with the seal's place
outlined in red as the sealing service will fill it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from documents import render
from documents.samples import SAMPLES, sample_award_full, sample_final_award
from workflows.ports import RenderedDocument

from .conftest import needs_poppler, run

REPO = Path(__file__).resolve().parents[3]
OUT = Path(os.environ.get("LABORCASE_RENDER_DIR", REPO / "test-artifacts" / "renders"))
EXTRA = {"award_document-final": sample_final_award, "award_document-full": sample_award_full}


def with_seal_outline(doc: RenderedDocument) -> bytes:
    """The PDF with a red circle where the seal goes (review copy only)."""
    seal = doc.seal_position
    assert seal is not None
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(595.2756, 841.8898))
    c.setStrokeColorRGB(0.86, 0, 0)
    c.setLineWidth(1.5)
    c.setDash(4, 3)
    r = seal.size / 2
    c.circle(seal.x + r, seal.y + r, r - 1)
    c.save()
    with pikepdf.open(io.BytesIO(doc.pdf)) as pdf, pikepdf.open(buf) as overlay:
        pdf.pages[seal.page].add_overlay(overlay.pages[0])
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def side_by_side(pages: list[Path], target: Path) -> None:
    images = [Image.open(p).convert("RGB") for p in pages]
    gap = 12
    width = sum(i.width for i in images) + gap * (len(images) + 1)
    height = max(i.height for i in images) + 2 * gap
    sheet = Image.new("RGB", (width, height), (150, 150, 150))
    x = gap
    for image in images:
        sheet.paste(image, (x, gap))
        x += image.width + gap
    sheet.save(target)


@needs_poppler
@pytest.mark.parametrize("name", [*SAMPLES, *EXTRA])
def test_render_to_png_for_review(name: str, tmp_path: Path) -> None:
    make = EXTRA.get(name) or SAMPLES[name]
    doc = render(name.split("-")[0], make())
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(with_seal_outline(doc))
    run("pdftoppm", "-r", "60", "-png", pdf, tmp_path / "page")
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == doc.pages
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.png"
    side_by_side(pages, target)
    assert target.stat().st_size > 10_000
    print(f"{name}: {target}")
