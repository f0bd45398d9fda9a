"""The visible seal: a red round official seal drawn in vector with reportlab.

Ring, five-pointed star, the agency's name along the upper arc, an optional line under the star
(e.g. 仲裁专用章) and the seal number along the lower arc — after the usual layout of Chinese
official seals.  It is drawn once per sealing service into a one-page PDF whose page becomes the
signature field's appearance (a static stamp), so the lettering travels as an embedded subset of a
CJK TrueType font and the shapes stay sharp at any zoom.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from functools import lru_cache

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.pdfgen.canvas import Canvas

from .fonts import register_cjk_font

SEAL_RED = (0.86, 0.05, 0.08)


@dataclass(frozen=True)
class SealDesign:
    """What the seal says.  `seal_number` is the seal's registration code (printed small, bottom)."""

    organisation: str
    seal_number: str | None = None
    label: str | None = None  # horizontal line under the star, e.g. 仲裁专用章
    color: tuple[float, float, float] = SEAL_RED


def draw_seal(design: SealDesign, size: float = 120.0, *, font: str | None = None) -> bytes:
    """A one-page PDF, `size` points square, holding the seal in vector form."""
    font_name = register_cjk_font(font)
    buf = io.BytesIO()
    # initialFontName: otherwise reportlab lists a (non-embedded) Helvetica in the page resources
    c = Canvas(buf, pagesize=(size, size), pageCompression=1, invariant=1, initialFontName=font_name)
    c.setTitle("seal")
    s = size
    centre = s / 2
    c.setStrokeColorRGB(*design.color)
    c.setFillColorRGB(*design.color)

    # the ring
    ring_width = 0.033 * s
    outer = s / 2 - 0.01 * s
    c.setLineWidth(ring_width)
    c.circle(centre, centre, outer - ring_width / 2, stroke=1, fill=0)
    inner = outer - ring_width

    # the star
    _star(c, centre, centre + 0.01 * s, 0.17 * s)

    # the name along the upper arc: letters upright to the outside, read left to right
    name = design.organisation.strip()
    if name:
        height = 0.135 * s if len(name) <= 14 else 0.135 * s * 14 / len(name) ** 0.9
        baseline = inner - 0.035 * s - 0.88 * height
        span = min(220.0, 21.0 * max(len(name) - 1, 1))
        _arc_text(c, name, font_name, height, centre, baseline, 90 + span / 2, 90 - span / 2, upper=True)

    if design.label:
        height = 0.085 * s
        c.setFont(font_name, height)
        width = c.stringWidth(design.label, font_name, height)
        room = 0.5 * s
        c.saveState()
        c.translate(centre, centre - 0.255 * s)
        if width > room:
            c.scale(room / width, 1)
        _letters(c, design.label, font_name, height, 0.0, 0.03 * height)
        c.restoreState()

    # the seal number along the lower arc: letters upright to the inside, read left to right
    if design.seal_number:
        number = design.seal_number.strip()
        height = 0.06 * s
        baseline = inner - 0.035 * s
        span = min(100.0, 6.2 * max(len(number) - 1, 1))
        _arc_text(c, number, font_name, height, centre, baseline, 270 - span / 2, 270 + span / 2, upper=False)

    c.showPage()
    c.save()
    return buf.getvalue()


@lru_cache(maxsize=256)  # an employer's seal mark is the same all day, for every contract it seals
def draw_signature_mark(
    name: str, detail: str, width: float, height: float, *, font: str | None = None
) -> bytes:
    """A personal signature's visible mark: the signer's name large, `detail` (e.g. the date) small."""
    font_name = register_cjk_font(font)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), pageCompression=1, invariant=1, initialFontName=font_name)
    ink = (0.1, 0.15, 0.45)
    c.setStrokeColorRGB(*ink)
    c.setFillColorRGB(*ink)
    c.setLineWidth(0.6)
    c.rect(0.5, 0.5, width - 1, height - 1, stroke=1, fill=0)
    size = min(height * 0.45, width / max(len(name), 1) * 0.9)
    _letters_at(c, name, font_name, size, width / 2, height * 0.42)
    small = min(height * 0.16, width / max(len(detail), 1) * 1.6)
    _letters_at(c, detail, font_name, small, width / 2, height * 0.12)
    c.showPage()
    c.save()
    return buf.getvalue()


def _letters_at(c: Canvas, text: str, font: str, size: float, x: float, y: float) -> None:
    c.saveState()
    c.translate(x, y)
    _letters(c, text, font, size, 0.0, 0.0)
    c.restoreState()


def _star(c: Canvas, cx: float, cy: float, radius: float) -> None:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(126))
    path = c.beginPath()
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = math.radians(90 + 36 * i)
        x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
        if i == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    c.drawPath(path, stroke=0, fill=1)


def _arc_text(
    c: Canvas,
    text: str,
    font: str,
    height: float,
    centre: float,
    radius: float,
    start: float,
    end: float,
    *,
    upper: bool,
) -> None:
    """Each character placed on a circle of `radius`, from angle `start` to `end` (degrees)."""
    n = len(text)
    step = (end - start) / (n - 1) if n > 1 else 0.0
    # narrow the letters when the arc is crowded, as seal engravers do
    pitch = abs(math.radians(step)) * radius if n > 1 else height
    squeeze = min(1.0, 0.92 * pitch / height)
    weight = 0.035 * height
    for i, ch in enumerate(text):
        angle = start + step * i if n > 1 else (start + end) / 2
        theta = math.radians(angle)
        c.saveState()
        c.translate(centre + radius * math.cos(theta), centre + radius * math.sin(theta))
        c.rotate(angle - 90 if upper else angle + 90)
        c.scale(squeeze, 1)
        # upper arc: baseline inside, the letter grows outwards; lower arc: grows inwards (up)
        _letters(c, ch, font, height, 0.0, weight)
        c.restoreState()


def _letters(c: Canvas, text: str, font: str, height: float, y: float, weight: float) -> None:
    """Centred text, filled and outlined (`weight`) for the heavier strokes of an engraved seal."""
    text_obj = c.beginText()
    text_obj.setFont(font, height)
    text_obj.setTextRenderMode(2 if weight else 0)  # fill, then stroke
    text_obj.setTextOrigin(-c.stringWidth(text, font, height) / 2, y)
    text_obj.textOut(text)
    c.setLineWidth(weight)
    c.drawText(text_obj)


class _Readers(threading.local):
    """Parsed seal PDFs, per thread (a reader caches the objects it has read, but is not thread-safe)."""

    def __init__(self) -> None:
        self.by_pdf: dict[bytes, PdfFileReader] = {}


_readers = _Readers()


class SealAppearance(PdfContent):
    """The seal PDF's page as appearance content; make one per signature (pyHanko mutates it)."""

    def __init__(self, seal_pdf: bytes, width: float, height: float | None = None):
        super().__init__(box=layout.BoxConstraints(width=width, height=height or width))
        self._pdf = seal_pdf

    def render(self) -> bytes:
        reader = _readers.by_pdf.get(self._pdf)
        if reader is None:
            if len(_readers.by_pdf) > 16:
                _readers.by_pdf.clear()
            reader = _readers.by_pdf[self._pdf] = PdfFileReader(io.BytesIO(self._pdf))
        xobj = self._ensure_writer.import_page_as_xobject(reader, page_ix=0)
        self.resources.xobject["/Seal"] = xobj
        return b"/Seal Do"


def seal_stamp_style(seal_pdf: bytes, size: float, height: float | None = None) -> StaticStampStyle:
    """A borderless static stamp filling the whole field with the drawn PDF page."""
    return StaticStampStyle(
        background=SealAppearance(seal_pdf, size, height),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )
