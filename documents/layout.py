"""The page after GB/T 9704-2012 on A4, and building the PDF from a story.

Type area 156 × 225 mm, top margin 37 mm, left margin 28 mm (5.2.1); 22 lines of 3号 text
(5.2.2).  Page numbers in 4号 as "— 1 —", 7 mm below the type area, odd pages on the right and
even pages on the left, one character in from the edge (7.5).  Every page carries, in the
bottom margin away from the page number, a QR code and the short verification code that lead
to the document's verification page.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import zxingcpp
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFFormXObject
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from documents.flate import CONTENT_LEVEL
from documents.flowables import GREY
from documents.fonts import SONG, ensure_fonts, fallback_runs
from documents.pdfwriter import ArchivalCanvas, DocumentCanvas, Stream, draw_text

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_TOP = 37 * mm
MARGIN_LEFT = 28 * mm
TEXT_WIDTH = 156 * mm
TEXT_HEIGHT = 225 * mm
MARGIN_BOTTOM = PAGE_HEIGHT - MARGIN_TOP - TEXT_HEIGHT  # 35 mm
PAGE_NUMBER_SIZE = 14.0  # 4号
PAGE_NUMBER_GAP = 7 * mm  # top of the page number below the type area
QR_SIZE = 15 * mm
QR_BOTTOM = 7 * mm
NOTE_SIZE = 7.5
_DARK_RUN = re.compile(rb"\x01+")


@dataclass(frozen=True)
class DocumentInfo:
    """What goes into the PDF's metadata and onto every page's margin."""

    title: str
    author: str  # the issuing body
    subject: str  # title and document number
    keywords: str
    verification_url: str
    verification_code: str


@dataclass(frozen=True)
class Built:
    pdf: bytes
    pages: int


def qr_modules(value: str) -> list[list[bool]]:
    """The QR code's dark modules (error correction M, no quiet zone).

    Encoded by zxing-cpp: the pure-Python `qrcode` package took a tenth of issuing a document
    (Reed-Solomon in Python), zxing-cpp about a twentieth of that, best mask chosen included.
    """
    symbol = zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    pixels = memoryview(cast(Any, symbol.to_image(scale=1, add_quiet_zones=False))).tobytes()
    size = math.isqrt(len(pixels))  # one byte a module, 0 for dark, row by row; QR codes are square
    return [[pixels[i] == 0 for i in range(row, row + size)] for row in range(0, len(pixels), size)]


@lru_cache(maxsize=8)
def _qr_grid(count: int, size: float) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    """Module size, and the formatted x of each column and width of each run length."""
    box = size / (count + 4)
    return (
        box,
        tuple(f"{(i + 2) * box:.3f}" for i in range(count)),
        tuple(f"{k * box:.3f}" for k in range(count + 1)),
    )


def _qr_form(c: Canvas, modules: list[list[bool]], size: float) -> str:
    """Define the QR code once per document as a form XObject (black runs as rectangles, a
    2-module quiet zone inside `size`); pages then just place it."""
    name = "verification-qr"
    box, xs, widths = _qr_grid(len(modules), size)
    height = f"{box:.3f}"
    ops: list[str] = ["0 0 0 rg"]
    for r, row in enumerate(modules):
        y = f"{size - (r + 3) * box:.3f}"
        for run in _DARK_RUN.finditer(bytes(row)):
            ops.append(f"{xs[run.start()]} {y} {widths[run.end() - run.start()]} {height} re")
    ops.append("f")
    form = PDFFormXObject(0, 0, size, size)
    form.Contents = Stream("\n".join(ops).encode("ascii"), level=CONTENT_LEVEL)
    c._doc.addForm(name, form)
    return name


def _draw_text(c: Canvas, x: float, y: float, text: str, size: float, *, anchor: str = "left") -> None:
    """One line in SONG with per-character fallback; `anchor` left, right or centre."""
    runs = fallback_runs(text, SONG)
    width = sum(c.stringWidth(run.text, run.font, size) for run in runs)
    if anchor == "right":
        x -= width
    elif anchor == "centre":
        x -= width / 2
    draw_text(c, x, y, size, runs)


class _Decorator:
    """Draws the page number and the verification mark on every page."""

    def __init__(self, info: DocumentInfo):
        self.info = info
        self.modules = qr_modules(info.verification_url)
        self.form: str | None = None

    def __call__(self, c: Canvas, doc: Any) -> None:
        page = c.getPageNumber()
        odd = page % 2 == 1
        c.saveState()
        baseline = MARGIN_BOTTOM - PAGE_NUMBER_GAP - PAGE_NUMBER_SIZE * 0.86
        label = f"— {page} —"
        if odd:
            _draw_text(
                c,
                MARGIN_LEFT + TEXT_WIDTH - PAGE_NUMBER_SIZE,
                baseline,
                label,
                PAGE_NUMBER_SIZE,
                anchor="right",
            )
        else:
            _draw_text(c, MARGIN_LEFT + PAGE_NUMBER_SIZE, baseline, label, PAGE_NUMBER_SIZE)
        # verification mark on the other side
        c.setFillColor(GREY)
        code_line = f"验证码 {self.info.verification_code}"
        url_line = f"扫码或访问 {self.info.verification_url} 核验"
        if odd:
            qr_x = MARGIN_LEFT
            text_x, anchor = qr_x + QR_SIZE + 2 * mm, "left"
        else:
            qr_x = MARGIN_LEFT + TEXT_WIDTH - QR_SIZE
            text_x, anchor = qr_x - 2 * mm, "right"
        if self.form is None:
            self.form = _qr_form(c, self.modules, QR_SIZE)
        c.saveState()
        c.translate(qr_x, QR_BOTTOM)
        c.doForm(self.form)
        c.restoreState()
        c.setFillColor(GREY)
        _draw_text(c, text_x, QR_BOTTOM + QR_SIZE * 0.55, code_line, NOTE_SIZE + 1, anchor=anchor)
        _draw_text(c, text_x, QR_BOTTOM + QR_SIZE * 0.2, url_line, NOTE_SIZE, anchor=anchor)
        c.restoreState()


def build(story: list[Flowable], info: DocumentInfo, *, pdfa: bool = True) -> Built:
    """Lay the story out on GB/T 9704 A4 pages; returns the PDF (PDF/A-2b unless `pdfa` is
    false) and its page count."""
    ensure_fonts()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=PAGE_WIDTH - MARGIN_LEFT - TEXT_WIDTH,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=info.title,
        author=info.author,
        subject=info.subject,
        keywords=info.keywords,
        creator="Laborcase",
        lang="zh-CN",
        displayDocTitle=True,
        initialFontName=SONG,  # else an unembedded Helvetica lands in every page's resources
        initialFontSize=16,
        pageCompression=1,
    )
    frame = Frame(
        MARGIN_LEFT,
        MARGIN_BOTTOM,
        TEXT_WIDTH,
        TEXT_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="type-area",
    )
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=_Decorator(info))])
    doc.build(story, canvasmaker=ArchivalCanvas if pdfa else DocumentCanvas)
    return Built(buf.getvalue(), doc.page)
