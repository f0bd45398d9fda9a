"""Files from a multipart request, handed to the domain as bytes (it judges what they are)."""

from __future__ import annotations

from werkzeug.datastructures import FileStorage

from workflows.evidence import Upload


def upload_of(storage: FileStorage | None, description: str = "") -> Upload | None:
    """The upload in a file field; None when the field was left empty (no file chosen).

    An empty file that was chosen (it has a name) is passed on, for the domain to refuse.
    """
    if storage is None or not storage.filename:
        return None
    return Upload(filename=storage.filename, data=storage.read(), description=description.strip())
