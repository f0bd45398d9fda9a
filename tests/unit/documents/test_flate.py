"""ISA-L's deflate is plain deflate: zlib (what every PDF reader uses) inflates it."""

from __future__ import annotations

import os
import zlib

from documents import flate


def test_a_compressed_stream_inflates_with_zlib() -> None:
    data = os.urandom(2000) + b"glyf " * 4000
    packed = flate.compress(data, flate.CONTENT_LEVEL)
    assert zlib.decompress(packed) == data and len(packed) < len(data)


def test_a_sync_flushed_part_continues_with_a_separately_deflated_tail() -> None:
    """How a font subset is built: its own tables by ISA-L, then the font's fixed ones by zlib."""
    head, tail = b"variable tables " * 500, b"unchanged tables " * 500
    packer = flate.raw_compressor(flate.FONT_LEVEL)
    first = packer.compress(head) + packer.flush(flate.SYNC_FLUSH)
    rest = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = first + rest.compress(tail) + rest.flush(zlib.Z_FINISH)
    assert zlib.decompressobj(-15).decompress(stream) == head + tail
