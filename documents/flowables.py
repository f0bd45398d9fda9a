"""Platypus flowables for Chinese formal documents.

`Para` replaces reportlab's Paragraph for Chinese text: it breaks lines by the rules of
`documents.text` (禁则, unbreakable Latin runs), justifies every line but the last with
character spacing, falls back per character to another font when one lacks a glyph, and can
be split between pages line by line.  `SignatureBlock` sets the signer lines and the date and
records, when drawn, where the seal goes.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise, repeat
from typing import Any, Literal, NamedTuple

from reportlab.lib import colors
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Table

from documents.fonts import SONG, fallback_runs, font_for
from documents.pdfwriter import Run, draw_text
from documents.text import Unit, break_lines, is_latin, split_units
from workflows.ports import SealPosition

BLACK = colors.Color(0, 0, 0)
RED = colors.Color(0.86, 0.0, 0.0)  # 发文机关标志 and 分隔线: red (GB/T 9704 7.2.1, 7.2.4)
GREY = colors.Color(0.35, 0.35, 0.35)

Align = Literal["justify", "left", "center", "right"]

#: 3号 = 16 pt; 22 lines on a 225 mm type area (GB/T 9704 5.2.2) → a 28.95 pt line pitch.
BODY_SIZE = 16.0
LINE = 225 / 22 * 72 / 25.4
#: A 42 mm round seal, the common size for an agency seal.
SEAL_SIZE = 42 * 72 / 25.4
#: Baseline below the top of a line box, as a fraction of the font size (CJK ink sits high).
_ASCENT = 0.86
_BOLD_STROKE = 0.035  # faux bold stroke width, as a fraction of the font size


@dataclass(frozen=True)
class Style:
    font: str = SONG
    size: float = BODY_SIZE
    leading: float = LINE
    color: colors.Color = BLACK
    align: Align = "justify"
    first_indent: float = 0.0
    left_indent: float = 0.0
    right_indent: float = 0.0
    tracking: float = 0.0  # extra space after each character (spaced-out titles)
    bold: bool = False  # faux bold: fill and stroke, as no bold CJK TrueType is packaged
    space_before: float = 0.0
    space_after: float = 0.0

    def but(self, **changes: Any) -> Style:
        return replace(self, **changes)


@dataclass(frozen=True)
class Span:
    """A piece of a paragraph in another font, colour or weight."""

    text: str
    font: str | None = None
    color: colors.Color | None = None
    bold: bool | None = None


Content = str | Span | Sequence[str | Span]


@lru_cache(maxsize=100_000)
def _advance(font: str, ch: str) -> float:
    return pdfmetrics.stringWidth(ch, font, 1.0)


#: A character's style: font, colour, faux bold (one shared tuple per span and font).
_CharStyle = tuple[str, colors.Color, bool]


class _Line(NamedTuple):
    segments: tuple[Run, ...]
    width: float  # natural width, without tracking after the last character
    glyphs: int
    first: bool  # the paragraph's first line (indented)
    justify: bool  # broken for width: stretch to the full measure


def _spans(content: Content) -> list[Span]:
    if isinstance(content, str | Span):
        content = [content]
    return [c if isinstance(c, Span) else Span(c) for c in content]


@lru_cache(maxsize=200_000)
def _drawn(ch: str, primary: str) -> tuple[str, str]:
    """(font, character) a paragraph draws for `ch`: white space as a space in `primary`."""
    return (primary, " ") if ch.isspace() else font_for(ch, primary)


def _runs(
    shown: list[str], styles: list[_CharStyle], changes: list[int], start: int, end: int
) -> tuple[Run, ...]:
    """Characters start … end-1 as runs of one style each (`changes`: where the style changes)."""
    cuts = [start, *changes[bisect_right(changes, start) : bisect_left(changes, end)], end]
    return tuple(
        Run(styles[a][0], "".join(shown[a:b]), styles[a][1], styles[a][2]) for a, b in pairwise(cuts)
    )


#: Paragraph layouts by (spans, style, width), oldest dropped first; lines are immutable and shared.
_LAYOUTS: OrderedDict[tuple[tuple[Span, ...], Style, float], list[_Line]] = OrderedDict()
_LAYOUTS_KEPT = 20_000
_LAYOUTS_LOCK = threading.Lock()


class Para(Flowable):
    """A paragraph of Chinese text (see the module docstring)."""

    def __init__(self, content: Content, style: Style | None = None, *, _lines: list[_Line] | None = None):
        super().__init__()
        self.style = style or Style()
        self.content = _spans(content) if _lines is None else []
        self._fixed = _lines
        self._cache: dict[float, list[_Line]] = {}
        self.spaceBefore = self.style.space_before
        self.spaceAfter = self.style.space_after
        self.width = 0.0
        self.height = 0.0

    # -- layout ---------------------------------------------------------------------------

    def _chars(self) -> tuple[list[str], list[_CharStyle]]:
        """The characters as drawn (font fallback applied, white space as spaces) and the
        style of each."""
        st = self.style
        shown: list[str] = []
        styles: list[_CharStyle] = []
        for span in self.content:
            primary = span.font or st.font
            color = span.color or st.color
            bold = st.bold if span.bold is None else span.bold
            pairs = list(map(_drawn, span.text, repeat(primary)))
            keys = {name: (name, color, bold) for name in {name for name, _ in pairs}}
            shown += [ch for _, ch in pairs]
            styles += [keys[name] for name, _ in pairs]
        return shown, styles

    def _layout(self, avail: float) -> list[_Line]:
        if self._fixed is not None:
            return self._fixed
        cached = self._cache.get(avail)
        if cached is None:
            # the same paragraph in the same style and width breaks the same way in every
            # document: the fixed text of a template is laid out once per process
            key = (tuple(self.content), self.style, avail)
            cached = _LAYOUTS.get(key)
            if cached is None:
                cached = self._break(avail)
                with _LAYOUTS_LOCK:
                    _LAYOUTS[key] = cached
                    if len(_LAYOUTS) > _LAYOUTS_KEPT:
                        _LAYOUTS.popitem(last=False)
            self._cache[avail] = cached
        return cached

    def _break(self, avail: float) -> list[_Line]:
        st = self.style
        shown, styles = self._chars()
        size, tracking = st.size, st.tracking
        advances = [_advance(key[0], ch) * size + tracking for ch, key in zip(shown, styles, strict=True)]
        measure = avail - st.left_indent - st.right_indent
        widths = [measure - st.first_indent, measure]
        narrowest = min(widths)
        units: list[Unit] = []
        starts: list[int] = []  # first character of each unit
        pos = 0
        for piece in split_units("".join(shown)):
            end = pos + len(piece)
            if end - pos == 1:
                units.append(Unit(piece, advances[pos]))
                starts.append(pos)
            elif is_latin(piece[0]) and sum(advances[pos:end]) > narrowest:
                for k in range(pos, end):  # a Latin run longer than a line: split anywhere
                    units.append(Unit(shown[k], advances[k]))
                    starts.append(k)
            else:
                units.append(Unit(piece, sum(advances[pos:end])))
                starts.append(pos)
            pos = end
        starts.append(pos)
        changes = [
            i for i in range(1, len(styles)) if styles[i] is not styles[i - 1] and styles[i] != styles[i - 1]
        ]
        breaks = break_lines(units, widths)
        lines: list[_Line] = []
        for n, (a, b) in enumerate(breaks):
            first, last = (starts[a], starts[b]) if b > a else (0, 0)
            natural = sum([u.width for u in units[a:b]]) - (tracking if last > first else 0.0)
            segments = _runs(shown, styles, changes, first, last) if last > first else ()
            lines.append(_Line(segments, natural, last - first, n == 0, n < len(breaks) - 1))
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        lines = self._layout(availWidth)
        self.width = availWidth
        self.height = len(lines) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        lines = self._layout(availWidth)
        fit = int((availHeight + 1e-6) // self.style.leading)
        if fit <= 0:
            return []
        if fit >= len(lines):
            return [self]
        head = Para("", self.style.but(space_after=0.0), _lines=lines[:fit])
        tail = Para("", self.style.but(space_before=0.0), _lines=lines[fit:])
        return [head, tail]

    # -- drawing --------------------------------------------------------------------------

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        """Draw at (x, y) between q … Q, as `Flowable.drawOn` does, but with the operators
        written directly: reportlab's saveState/restoreState copy the canvas's whole state,
        for every paragraph and table cell.  `draw` leaves the canvas's own state alone."""
        code = canvas._code
        code += ("q", f"1 0 0 1 {fp_str(self._hAlignAdjust(x, _sW), y)} cm")
        self.canv = canvas
        self.draw()
        del self.canv
        code.append("Q")

    def draw(self) -> None:
        st = self.style
        canv = self.canv
        lines = self._layout(self.width)
        measure = self.width - st.left_indent - st.right_indent
        if any(seg.bold for line in lines for seg in line.segments):  # the stroke of faux bold
            canv._code.append(f"{fp_str(st.size * _BOLD_STROKE)} w")
        for i, line in enumerate(lines):
            if not line.segments:
                continue
            indent = st.first_indent if line.first else 0.0
            room = measure - indent
            x = st.left_indent + indent
            spacing = st.tracking
            slack = room - line.width
            if st.align == "justify" and line.justify and line.glyphs > 1 and 0 < slack < st.size * 6:
                spacing += slack / (line.glyphs - 1)
            elif st.align == "center":
                x += slack / 2
            elif st.align == "right":
                x += slack
            y = self.height - i * st.leading - (st.leading - st.size) / 2 - st.size * _ASCENT
            draw_text(canv, x, y, st.size, line.segments, char_space=spacing)


class GridTable(Table):
    """reportlab's Table, laid out once per width.

    KeepTogether measures its content with unlimited height, then the frame measures it again
    with the room left.  reportlab's layout (`_calc`, behind both `wrap` and `split`) depends on
    the height offered only in that it stops at the first row past it; so once every row has
    been measured, the same width and at least the table's height give the same layout again.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._laid_out_for: float | None = None

    def _calc(self, availWidth: float, availHeight: float) -> None:
        if self._laid_out_for == availWidth and availHeight >= self._height:
            return
        self._laid_out_for = None
        super()._calc(availWidth, availHeight)
        if self._hmax == len(self._cellvalues):  # every row measured
            self._laid_out_for = availWidth


class Rule(Flowable):
    """A horizontal line across the type area (the red 分隔线 under the document number)."""

    def __init__(
        self,
        thickness: float = 1.0,
        color: colors.Color = RED,
        space_before: float = 0.0,
        space_after: float = 0.0,
    ):
        super().__init__()
        self.thickness = thickness
        self.color = color
        self.spaceBefore = space_before
        self.spaceAfter = space_after
        self.width = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, self.thickness

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setStrokeColor(self.color)
        c.setLineWidth(self.thickness)
        c.line(0, self.thickness / 2, self.width, self.thickness / 2)
        c.restoreState()


@dataclass
class SealSink:
    """Where the seal went; filled in when the signature block is drawn."""

    position: SealPosition | None = None


@dataclass(frozen=True)
class SignLine:
    """One line of a signature block.

    kind: "date" (right-aligned, `right_pad` from the right edge), "on_date" (centred over the
    date: the issuing body's name), "column" (the arbitrators and clerk: a left-aligned
    column whose widest line ends where the date ends).
    """

    text: str
    kind: Literal["date", "on_date", "column"]


class SignatureBlock(Flowable):
    """Signer lines and date; the seal box is centred over the date, a little above it, so
    that the date sits in the lower half of the seal (GB/T 9704 7.3.5.1: 居中下压…偏下)."""

    def __init__(
        self,
        lines: Sequence[SignLine],
        sink: SealSink,
        *,
        right_pad: float = 4 * BODY_SIZE,  # 成文日期右空四字
        seal_lift: float = 14.0,  # seal centre above the date's baseline
        style: Style | None = None,
        seal_size: float = SEAL_SIZE,
    ):
        super().__init__()
        self.lines = list(lines)
        self.sink = sink
        self.right_pad = right_pad
        self.seal_lift = seal_lift
        self.style = style or Style(align="left")
        self.seal_size = seal_size
        self.width = 0.0
        self.height = 0.0
        self._placed: list[tuple[str, float, float]] = []  # text, x, baseline below the top
        self._seal = (0.0, 0.0)  # seal centre: x, depth below the top

    def _text_width(self, text: str) -> float:
        st = self.style
        return sum(_advance(*font_for(ch, st.font)) * st.size for ch in text)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        st = self.style
        date_index = next((i for i, ln in enumerate(self.lines) if ln.kind == "date"), len(self.lines) - 1)
        date_right = availWidth - self.right_pad
        date_w = self._text_width(self.lines[date_index].text)
        centre = date_right - date_w / 2
        column_w = max((self._text_width(ln.text) for ln in self.lines if ln.kind == "column"), default=0.0)
        placed: list[tuple[str, float, float]] = []
        for i, ln in enumerate(self.lines):
            baseline = i * st.leading + (st.leading - st.size) / 2 + st.size * _ASCENT
            w = self._text_width(ln.text)
            x = {"date": date_right - w, "on_date": centre - w / 2, "column": date_right - column_w}[ln.kind]
            placed.append((ln.text, x, baseline))
        seal_depth = placed[date_index][2] - self.seal_lift
        half = self.seal_size / 2
        shift = max(0.0, half - seal_depth)  # room above the first line for the seal's top
        self._placed = [(t, x, b + shift) for t, x, b in placed]
        self._seal = (centre, seal_depth + shift)
        self.width = availWidth
        # the seal may hang below the last line (into blank space or the bottom margin), as on
        # paper; above, room is kept so that it does not cover the text before the block
        self.height = len(self.lines) * st.leading + shift
        return self.width, self.height

    def draw(self) -> None:
        st = self.style
        c = self.canv
        for text, x, baseline in self._placed:
            draw_text(c, x, self.height - baseline, st.size, fallback_runs(text, st.font))
        centre, depth = self._seal
        cx, cy = c.absolutePosition(centre, self.height - depth)
        half = self.seal_size / 2
        self.sink.position = SealPosition(
            page=c.getPageNumber() - 1,
            x=round(cx - half, 2),
            y=round(cy - half, 2),
            size=round(self.seal_size, 2),
        )


def spread(text: str, width: int) -> str:
    """Space a short label out to `width` characters with ideographic spaces: 仲裁员 → 仲　裁　员."""
    if len(text) >= width or len(text) < 2:
        return text
    gaps = len(text) - 1
    pad = width - len(text)
    if pad % gaps:
        return text
    return ("　" * (pad // gaps)).join(text)


class KeepTail(Flowable):
    """A paragraph and what must follow it on the same page (the signature block): when both
    do not fit, the paragraph splits so that its last `lines` lines go over with the block,
    rather than the whole paragraph (GB/T 9704: no signature page without body text)."""

    def __init__(self, para: Para, block: Sequence[Flowable], lines: int = 1):
        super().__init__()
        self.para = para
        self.block = list(block)
        self.lines = lines
        self.width = 0.0
        self.height = 0.0
        self._heights: list[float] = []

    def _block_height(self, availWidth: float) -> float:
        total = 0.0
        for i, f in enumerate(self.block):
            _, h = f.wrap(availWidth, 1e6)
            total += (
                h
                + (f.getSpaceBefore() if i else 0.0)
                + (f.getSpaceAfter() if i < len(self.block) - 1 else 0.0)
            )
        return total

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        _, ph = self.para.wrap(availWidth, availHeight)
        self.width = availWidth
        self.height = ph + self.para.getSpaceAfter() + self._block_height(availWidth)
        return self.width, self.height

    def getSpaceBefore(self) -> float:
        return float(self.para.getSpaceBefore())

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        if self.height <= availHeight:
            return [self]
        lines = self.para._layout(availWidth)
        leading = self.para.style.leading
        head = min(len(lines) - self.lines, int((availHeight + 1e-6) // leading))
        if head <= 0:
            return []
        first, rest = self.para.split(availWidth, head * leading)
        assert isinstance(first, Para) and isinstance(rest, Para)
        return [first, KeepTail(rest, self.block, self.lines)]

    def draw(self) -> None:
        y = self.height
        items: list[Flowable] = [self.para, *self.block]
        for i, f in enumerate(items):
            if i:
                y -= f.getSpaceBefore()
            _, h = f.wrap(self.width, 1e6)
            y -= h
            f.drawOn(self.canv, 0, y)
            y -= f.getSpaceAfter() if i < len(items) - 1 else 0.0
