"""Responses that hand a stored file to the browser: as an attachment, never cached."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response


def file_response(data: bytes, content_type: str, filename: str, sha256: str | None = None) -> Response:
    """`data` as a download named `filename` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    headers = {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}
    if sha256:
        headers["Digest"] = f"sha-256={sha256}"
    return Response(data, mimetype=content_type, headers=headers)
