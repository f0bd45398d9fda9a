"""Responses that hand a stored file to the browser: as an attachment, never cached; and the
route behind the local folder store's presigned URLs (`/storage/<token>`)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response

from web.auth import system
from workflows.errors import NotFoundError
from workflows.ports import PresignedDownloads

bp = Blueprint("storage", __name__)


@bp.get("/storage/<token>")
def presigned_download(token: str) -> Response:
    """The object a presigned link grants, to whoever holds the link until it expires (like an
    S3 presigned GET): the token is the access check, signed by the instance secret.  A forged
    or expired link is 403, a store that serves its own links (S3) has nothing here: 404."""
    store = system().store
    if not isinstance(store, PresignedDownloads):
        raise NotFoundError("download link", token[:16])
    obj, data = store.open_presigned(token)
    return file_response(data, obj.content_type, obj.key.rsplit("/", 1)[-1], obj.sha256)


def file_response(data: bytes, content_type: str, filename: str, sha256: str | None = None) -> Response:
    """`data` as a download named `filename` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    headers = {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}
    if sha256:
        headers["Digest"] = f"sha-256={sha256}"
    return Response(data, mimetype=content_type, headers=headers)
