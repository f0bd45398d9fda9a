"""CJK fonts for the documents: found on the system, registered once, embedded as subsets.

reportlab embeds only TrueType-outline fonts (`glyf`), so the CFF-based Noto CJK fonts cannot be
used.  GB/T 9704 asks for 仿宋 (body), 黑体 (headings), 楷体 and 小标宋 (titles); no free
TrueType 仿宋/小标宋 with simplified-Chinese coverage is packaged, so we substitute:

=======  ==========================  ============================  ===================
role     GB/T 9704 face              font used                     Debian package
=======  ==========================  ============================  ===================
song     仿宋_GB2312 (body, 3号)     AR PL UMing CN (明体)         fonts-arphic-uming
title    小标宋 (titles, 2号)        AR PL UMing CN, faux bold     fonts-arphic-uming
hei      黑体 (headings)             WenQuanYi Zen Hei             fonts-wqy-zenhei
kai      楷体_GB2312                 LXGW WenKai (or AR PL UKai)   fonts-lxgw-wenkai
=======  ==========================  ============================  ===================

All three carry 18 000+ CJK ideographs (rare name characters such as 珺, 堃, 喆 included).
A character a font lacks is drawn from the next font that has it; one no font has becomes
〓 (the typesetter's mark for a missing character), never a .notdef box (PDF/A forbids it).

Override a role with an environment variable holding a path, optionally `:index` for a
collection: ``LABORCASE_FONT_SONG=/opt/fonts/simfang.ttf``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFName
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont

from documents.flate import FONT_LEVEL
from documents.pdfwriter import Formatted, Run, Stream
from documents.subsetting import SubsetMaker
from workflows.errors import LaborcaseError

#: The registered reportlab font names, one per role.
SONG = "LcSong"
HEI = "LcHei"
KAI = "LcKai"
ROLES = (SONG, HEI, KAI)

#: Where each role is looked for, best first: (path, index inside a .ttc collection).
CANDIDATES: dict[str, tuple[tuple[str, int], ...]] = {
    SONG: (
        ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # AR PL UMing CN
        ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),  # AR PL SungtiL GB
    ),
    HEI: (
        ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # WenQuanYi Zen Hei
        ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ),
    KAI: (
        ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0),
        ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),  # AR PL UKai CN
        ("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", 0),
    ),
}
ENV = {SONG: "LABORCASE_FONT_SONG", HEI: "LABORCASE_FONT_HEI", KAI: "LABORCASE_FONT_KAI"}
PACKAGES = ("fonts-arphic-uming", "fonts-wqy-zenhei", "fonts-lxgw-wenkai")

#: Drawn for a character no font has (U+3013 GETA MARK).
MISSING_MARK = "〓"

_lock = threading.Lock()


class FontsMissingError(LaborcaseError):
    """No usable TrueType CJK font for a role; says what to install."""

    code = "fonts_missing"

    def __init__(self, role: str, tried: Sequence[str]):
        super().__init__(
            f"no TrueType CJK font for {role}; tried {', '.join(tried)}. "
            f"Install the Debian packages {' '.join(PACKAGES)} or set {ENV[role]}"
        )
        self.role = role
        self.tried = list(tried)


@dataclass(frozen=True)
class FontInfo:
    name: str  # the reportlab name (SONG, HEI, KAI)
    path: str
    index: int
    face: str  # the font's own name, e.g. "AR PL UMing CN"
    coverage: frozenset[int]  # code points the font has a glyph for


def _configured(role: str) -> list[tuple[str, int]]:
    value = os.environ.get(ENV[role], "").strip()
    if not value:
        return list(CANDIDATES[role])
    head, sep, tail = value.rpartition(":")
    if sep and tail.isdigit():
        return [(head, int(tail))]
    return [(value, 0)]


def _cache_tables(font: TTFont) -> None:
    """Keep the font's tables once read: reportlab copies the whole `glyf` table (megabytes
    for a CJK font) out of the file for every subset it embeds, a few times per document."""
    face = font.face
    read = face.get_table
    tables: dict[str, bytes] = {}

    def get_table(tag: str) -> bytes:
        data = tables.get(tag)
        if data is None:
            data = tables[tag] = read(tag)
        return data

    face.get_table = get_table


class EmbeddedFont(TTFont):
    """A TrueType font that writes its subsets into the PDF with less work than reportlab's
    `TTFont.addObjects`, and as PDF/A wants them: the same objects (font, descriptor, font
    program, ToUnicode CMap per 256-character subset), with the /Widths array formatted
    directly, the font program deflated at `FONT_LEVEL`, and every stream a `Stream`."""

    def __init__(self, name: str, filename: str, *, subfontIndex: int = 0):
        super().__init__(name, filename, subfontIndex=subfontIndex)
        self._width_text: dict[int, str] = {}  # character code → its /Widths entry
        self._subset_maker: SubsetMaker | None = None
        self._metrics_text: bytes | None = None

    def addObjects(self, doc: Any) -> None:
        state = self.state.get(doc) or self._assignState(doc)
        state.frozen = 1
        fonts = doc.idToObject["BasicFonts"].dict
        for n, subset in enumerate(state.subsets):
            internal = self.getSubsetInternalName(n, doc)[1:]
            fonts[internal] = self._add_subset(doc, internal, n, subset)
        del self.state[doc]

    def _add_subset(self, doc: Any, internal: str, n: int, subset: list[int]) -> Formatted:
        """Font, descriptor, font program and ToUnicode CMap of subset `n`, added to `doc`."""
        face = self.face
        base = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
        name = PDFName(base).encode("ascii")
        program = self._subsets().make(subset)
        program_stream = Stream(program.data, flate=True, Length1=program.length)
        descriptor = Formatted(
            b"<< /Type /FontDescriptor /FontName %s %s /FontFile2 " % (name, self._metrics()),
            program_stream,
            b" >>",
        )
        cmap = Stream(to_unicode_cmap(base, subset), level=FONT_LEVEL)
        font = Formatted(
            b"<< /Type /Font /Subtype /TrueType /Name /%s /BaseFont %s" % (internal.encode("ascii"), name),
            b" /FirstChar 0 /LastChar %d /Widths %s" % (len(subset) - 1, self._widths(subset)),
            b" /ToUnicode ",
            cmap,
            b" /FontDescriptor ",
            descriptor,
            b" >>",
        )
        doc.Reference(program_stream, f"fontFile:{face.filename}({base})")
        doc.Reference(descriptor, f"fontDescriptor:{base}")
        doc.Reference(cmap, f"toUnicodeCMap:{base}")
        doc.Reference(font, internal)
        return font

    def _subsets(self) -> SubsetMaker:
        if self._subset_maker is None:
            self._subset_maker = SubsetMaker(self.face, FONT_LEVEL)
        return self._subset_maker

    def _metrics(self) -> bytes:
        """The FontDescriptor entries every subset shares (as `TTFontFace.addSubsetObjects`)."""
        if self._metrics_text is None:
            face = self.face
            flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
            self._metrics_text = (
                f"/Ascent {fp_str(face.ascent)} /CapHeight {fp_str(face.capHeight)} "
                f"/Descent {fp_str(face.descent)} /Flags {flags} /FontBBox [{fp_str(*face.bbox)}] "
                f"/ItalicAngle {fp_str(face.italicAngle)} /StemV {fp_str(face.stemV)} "
                f"/MissingWidth {fp_str(face.defaultWidth)}"
            ).encode("ascii")
        return self._metrics_text

    def _widths(self, subset: list[int]) -> bytes:
        """The /Widths array, formatted (reportlab formats it number by number, per document)."""
        texts = self._width_text
        for code in subset:
            if code not in texts:
                texts[code] = fp_str(self.face.getCharWidth(code))
        return f"[{' '.join([texts[code] for code in subset])}]".encode("ascii")


_CMAP_HEAD = """/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo
<< /Registry ({name})
/Ordering ({name})
/Supplement 0
>> def
/CMapName /{name} def
/CMapType 2 def
1 begincodespacerange
<00> <{last:02X}>
endcodespacerange
{count} beginbfchar
"""
_CMAP_TAIL = """
endbfchar
endcmap
CMapName currentdict /CMap defineresource pop
end
end"""


@cache
def _utf16_hex(code: int) -> str:
    return chr(code).encode("utf-16-be").hex().upper()


def to_unicode_cmap(name: str, subset: list[int]) -> bytes:
    """The ToUnicode CMap of a subset: code i → subset[i] (as reportlab's `makeToUnicodeCMap`,
    with characters beyond the BMP as UTF-16 surrogate pairs)."""
    head = _CMAP_HEAD.format(name=name, last=len(subset) - 1, count=len(subset))
    body = "\n".join([f"<{i:02X}> <{_utf16_hex(code)}>" for i, code in enumerate(subset)])
    return (head + body + _CMAP_TAIL).encode("ascii")


def _register(role: str) -> FontInfo:
    tried = []
    for path, index in _configured(role):
        tried.append(f"{path}:{index}" if index else path)
        if not Path(path).is_file():
            continue
        font = EmbeddedFont(role, path, subfontIndex=index)
        _cache_tables(font)
        _register_own(font)
        coverage = frozenset(font.face.charToGlyph)
        return FontInfo(role, path, index, font.face.name.decode("latin-1", "replace"), coverage)
    raise FontsMissingError(role, tried)


def _register_own(font: EmbeddedFont) -> None:
    """Register `font` for its role even when the process already has a font of the same face.

    reportlab hands out the first font registered for a face under every later name: a seal's
    lettering (`signing.fonts`, a plain `TTFont` of the same file) drawn before the first
    document would then serve the role, and its font streams lack the EOL before `endstream`
    that PDF/A requires.  The face is registered under a name of its own for the moment of
    registration (the name reportlab de-duplicates by), and keeps its real name in the PDF."""
    face = font.face
    real = face.name
    face.name = real + b"+" + font.fontName.encode("ascii")
    try:
        pdfmetrics.registerFont(font)
    finally:
        face.name = real
    if pdfmetrics.getFont(font.fontName) is not font:
        raise RuntimeError(f"font role {font.fontName} is registered to another font")


@cache
def font(role: str) -> FontInfo:
    """The font registered for a role (SONG, HEI or KAI), registering it on first use."""
    with _lock:
        return _register(role)


def ensure_fonts() -> tuple[FontInfo, ...]:
    """Register every role now (at start-up) rather than on the first render."""
    return tuple(font(r) for r in ROLES)


def fallback_chain(primary: str) -> tuple[str, ...]:
    """The fonts tried for a character, in order, when drawing in `primary`."""
    return (primary, *(r for r in (SONG, HEI, KAI) if r != primary))


@lru_cache(maxsize=200_000)
def font_for(ch: str, primary: str) -> tuple[str, str]:
    """(font, character) to draw `ch` with: the first font of the chain that has it."""
    code = ord(ch)
    for name in fallback_chain(primary):
        if code in font(name).coverage:
            return name, ch
    return primary, MISSING_MARK


def fallback_runs(text: str, primary: str) -> list[Run]:
    """`text` as runs of one font each, each character in the first font of the chain that has it."""
    pairs = [font_for(ch, primary) for ch in text]
    return [Run(name, "".join(ch for _, ch in group)) for name, group in groupby(pairs, key=itemgetter(0))]
