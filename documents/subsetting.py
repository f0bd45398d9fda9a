"""TrueType subsets for embedding, deflated: reportlab's subsetting, with less work per subset.

reportlab's `TTFontFile.makeSubset` builds each subset's font program reading the font file
glyph by glyph, and its writer then deflates all of it, the tables copied unchanged from the
font too (`name` with the copyright and licence: 22 kB in AR PL UMing; `OS/2`, `cvt `,
`fpgm`, `prep`, `post`), which were so compressed again for every subset of every document.

`SubsetMaker` writes the same tables with the same contents, but puts the unchanged ones last
(the table directory stays sorted by tag; the order of the table data is free) and deflates
them once per font: a zlib stream may end one deflate run with a sync flush (byte-aligned, no
final block) and go on with a raw deflate stream compressed on its own, since that one never
refers back before its own start.  Only the variable tables (`cmap`, `glyf`, `head`, `hhea`,
`hmtx`, `loca`, `maxp`) are compressed per subset.  Glyphs are kept once read (padded, with
their components): a document mostly uses the characters of the one before.  The per-subset
deflate is ISA-L's (`documents.flate`), the once-per-font one zlib's best.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from reportlab.lib.rl_accel import add32, calcChecksum

from documents import flate

#: Composite glyph flags (OpenType `glyf`).
_ARGS_ARE_WORDS = 0x0001
_HAVE_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_HAVE_XY_SCALE = 0x0040
_HAVE_2X2 = 0x0080
#: Tables copied unchanged, when the font has them (as reportlab does), and `post` (made once).
_CONSTANT = ("OS/2", "cvt ", "fpgm", "name", "prep")
_ZLIB_HEADER = b"\x78\x01"  # deflate, 32 kB window, "fastest" (FLEVEL 0); a multiple of 31


@dataclass(frozen=True)
class Program:
    """A subset's font program: zlib-compressed data and its uncompressed length (/Length1)."""

    data: bytes
    length: int


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _with_ushort(table: bytes, offset: int, value: int) -> bytes:
    return table[:offset] + struct.pack(">H", value) + table[offset + 2 :]


def _components(glyph: bytes) -> list[tuple[int, int]]:
    """(offset of the glyph index, glyph index) of each component of a composite glyph."""
    found = []
    pos = 10
    flags = _MORE_COMPONENTS
    while flags & _MORE_COMPONENTS:
        flags, index = struct.unpack_from(">HH", glyph, pos)
        found.append((pos + 2, index))
        pos += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        if flags & _HAVE_SCALE:
            pos += 2
        elif flags & _HAVE_XY_SCALE:
            pos += 4
        elif flags & _HAVE_2X2:
            pos += 8
    return found


class SubsetMaker:
    """Font programs of subsets of one reportlab `TTFontFace` (see the module docstring)."""

    def __init__(self, face: Any, level: int):
        self.face = face
        self.level = level
        self.glyf: bytes = face.get_table("glyf")
        self.positions: list[int] = face.glyphPos
        post = face.get_table("post")
        constant = {tag: face.get_table(tag) for tag in _CONSTANT if tag in face.table}
        constant["post"] = b"\x00\x03\x00\x00" + post[4:16] + b"\x00" * 16
        self.constant = dict(sorted(constant.items()))
        self.tail = b"".join(_pad(t) for t in self.constant.values())
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # once: the best compression
        self.tail_deflated = packer.compress(self.tail) + packer.flush(zlib.Z_FINISH)
        self.tail_checksums = {tag: calcChecksum(t) for tag, t in self.constant.items()}
        self.hhea: bytes = face.get_table("hhea")
        self.maxp: bytes = face.get_table("maxp")
        self.head: bytes = face.get_table("head")
        self.advances = [int(aw) for aw, _ in face.hmetrics]
        self.bearings = [int(lsb) for _, lsb in face.hmetrics]
        self._glyphs: dict[int, tuple[bytes, list[tuple[int, int]]]] = {}

    def _glyph(self, gid: int) -> tuple[bytes, list[tuple[int, int]]]:
        """A glyph's data padded to 4 bytes and its components (for a composite glyph); kept,
        since most glyphs of a document are in the next one too."""
        found = self._glyphs.get(gid)
        if found is None:
            start, end = self.positions[gid], self.positions[gid + 1]
            data = self.glyf[start:end]
            composite = end - start > 2 and data[0] & 0x80  # numberOfContours < 0
            found = self._glyphs[gid] = (_pad(data), _components(data) if composite else [])
        return found

    def glyphs(self, subset: list[int]) -> tuple[list[int], dict[int, int]]:
        """New glyph order (old indices; .notdef first, then by first use, then the components
        of composite glyphs) and each character code's new glyph index."""
        char_to_glyph = self.face.charToGlyph
        order = [0]
        new_index = {0: 0}
        for code in subset:
            gid = char_to_glyph.get(code, 0)
            if gid not in new_index:
                new_index[gid] = len(order)
                order.append(gid)
        for old in order:  # grows while it is walked: components of components
            for _, gid in self._glyph(old)[1]:
                if gid not in new_index:
                    new_index[gid] = len(order)
                    order.append(gid)
        return order, {code: new_index[char_to_glyph.get(code, 0)] for code in subset}

    def _glyf_loca(self, order: list[int]) -> tuple[bytes, list[int]]:
        new_index = {gid: n for n, gid in enumerate(order)}
        pieces: list[bytes] = []
        for gid in order:
            data, components = self._glyph(gid)
            if components:
                fixed = bytearray(data)
                for at, old in components:
                    struct.pack_into(">H", fixed, at, new_index[old])
                data = bytes(fixed)
            pieces.append(data)
        return b"".join(pieces), [0, *accumulate(map(len, pieces))]

    def _hmtx(self, order: list[int]) -> tuple[bytes, int]:
        advances = [self.advances[g] for g in order]
        bearings = [self.bearings[g] for g in order]
        full = len(order)  # trailing glyphs with the last advance keep only their bearing
        while full > 1 and advances[full - 1] == advances[full - 2]:
            full -= 1
        values: list[int] = []
        for aw, lsb in zip(advances[:full], bearings[:full], strict=True):
            values += (aw, lsb)
        values += bearings[full:]
        return struct.pack(f">{len(values)}H", *(v & 0xFFFF for v in values)), full

    def make(self, subset: list[int]) -> Program:
        """The font program for `subset` (character codes 0 … 255 → Unicode code points)."""
        order, code_to_glyph = self.glyphs(subset)
        glyf, offsets = self._glyf_loca(order)
        long_loca = (offsets[-1] + 1) >> 1 > 0xFFFF
        if long_loca:
            loca = struct.pack(f">{len(offsets)}L", *offsets)
        else:
            loca = struct.pack(f">{len(offsets)}H", *(o >> 1 for o in offsets))
        hmtx, metrics_count = self._hmtx(order)
        cmap = struct.pack(
            f">{11 + len(subset)}H",
            0, 1, 1, 0, 0, 12, 6, 10 + 2 * len(subset), 0, 0, len(subset),  # one format 6 table
            *(code_to_glyph[code] for code in subset),
        )  # fmt: skip
        variable = {
            "cmap": cmap,
            "glyf": glyf,
            "head": _with_ushort(self.head[:8] + b"\0\0\0\0" + self.head[12:], 50, int(long_loca)),
            "hhea": _with_ushort(self.hhea, 34, metrics_count),
            "hmtx": hmtx,
            "loca": loca,
            "maxp": _with_ushort(self.maxp, 4, len(order)),
        }
        return self._deflate(self._font_file(variable))

    def _font_file(self, variable: dict[str, bytes]) -> bytearray:
        """Offset table, table directory (sorted by tag) and the variable tables; the unchanged
        tables, which follow, are counted in the directory and the checksum adjustment."""
        count = len(variable) + len(self.constant)
        search = 1 << (count.bit_length() - 1)
        header = struct.pack(
            ">lHHHH", 0x00010000, count, search * 16, search.bit_length() - 1, (count - search) * 16
        )
        checksums = {tag: calcChecksum(data) for tag, data in variable.items()} | self.tail_checksums
        places: dict[str, tuple[int, int]] = {}
        offset = 12 + 16 * count
        for tag, data in [*variable.items(), *self.constant.items()]:
            places[tag] = (offset, len(data))
            offset += -(-len(data) // 4) * 4
        directory = b"".join(
            tag.encode("latin-1") + struct.pack(">LLL", checksums[tag], *places[tag])
            for tag in sorted(places)
        )
        body = bytearray(header + directory + b"".join(_pad(t) for t in variable.values()))
        total = add32(calcChecksum(bytes(body)), sum(self.tail_checksums.values()) & 0xFFFFFFFF)
        struct.pack_into(">L", body, places["head"][0] + 8, add32(0xB1B0AFBA, -total))  # checkSumAdjustment
        return body

    def _deflate(self, body: bytearray) -> Program:
        """zlib header, `body` deflated up to a sync flush, the unchanged tables deflated once
        (ending the stream), and the Adler-32 of it all."""
        packer = flate.raw_compressor(self.level)
        deflated = packer.compress(body) + packer.flush(flate.SYNC_FLUSH)
        adler = zlib.adler32(self.tail, zlib.adler32(body))
        data = _ZLIB_HEADER + deflated + self.tail_deflated + struct.pack(">L", adler)
        return Program(data, len(body) + len(self.tail))
