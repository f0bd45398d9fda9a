"""DER written by hand where asn1crypto cannot or is too slow: one tag-length-value."""

from __future__ import annotations


def tlv(tag: int, body: bytes) -> bytes:
    """`body` under a one-byte `tag`, with its definite length (short or long form)."""
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body
