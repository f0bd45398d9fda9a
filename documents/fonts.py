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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

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


class _FastFlate:
    """FlateDecode at zlib level 1 for embedded font subsets: 2× faster than reportlab's
    default level on CJK glyph data (100+ kB a subset), for ~9 % more bytes."""

    pdfname = "FlateDecode"

    def encode(self, text: bytes) -> bytes:
        return zlib.compress(text, 1)

    def decode(self, encoded: bytes) -> bytes:
        return zlib.decompress(encoded)


_FAST_FLATE = _FastFlate()


def _fast_subsets(font: TTFont) -> None:
    face = font.face
    add = face.addSubsetObjects

    def addSubsetObjects(doc: Any, fontname: str, subset: Any) -> Any:
        ref = add(doc, fontname, subset)
        stream = doc.idToObject.get(f"fontFile:{face.filename}({fontname})")
        if stream is not None and getattr(stream, "filters", None):
            stream.filters = [_FAST_FLATE]
        return ref

    face.addSubsetObjects = addSubsetObjects


def _register(role: str) -> FontInfo:
    tried = []
    for path, index in _configured(role):
        tried.append(f"{path}:{index}" if index else path)
        if not Path(path).is_file():
            continue
        font = TTFont(role, path, subfontIndex=index)
        _cache_tables(font)
        _fast_subsets(font)
        pdfmetrics.registerFont(font)
        coverage = frozenset(font.face.charToGlyph)
        return FontInfo(role, path, index, font.face.name.decode("latin-1", "replace"), coverage)
    raise FontsMissingError(role, tried)


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
