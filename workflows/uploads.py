"""What an uploaded file is, judged from its bytes (never its name or the client's content type).

Evidence may be a PDF, a JPEG or a PNG: formats every office can open and print.  A PDF must
also open without a password and have pages, since a file nobody can read is no evidence; the
check uses pikepdf (qpdf), which reads the whole structure, not just the first bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

import pikepdf

from workflows.errors import FieldProblem


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str  # with the dot, as offered on download
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
JPEG = FileType("image/jpeg", ".jpg", "JPEG")
PNG = FileType("image/png", ".png", "PNG")
ALLOWED = (PDF, JPEG, PNG)
_EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}

#: a PDF header may follow a little junk (readers look within the first kilobyte)
PDF_HEADER_WINDOW = 1024
MAX_FILENAME = 120

TYPE_MESSAGE = "只能上传 PDF、JPG 或 PNG 格式的文件"
EMPTY_MESSAGE = "文件是空的，请重新选择"
ENCRYPTED_MESSAGE = "PDF 文件设置了密码或已加密，请去掉密码后重新上传"
UNREADABLE_MESSAGE = "PDF 文件已损坏或无法读取，请重新生成后上传"
NO_PAGES_MESSAGE = "PDF 文件没有页面"


def too_large_message(limit: int) -> str:
    return f"文件超过 {limit / (1024 * 1024):g} MB 的上限，请压缩或分成几个文件上传"


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload: its bytes, what they are, and a clean file name to offer on download."""

    filename: str
    data: bytes
    file_type: FileType
    sha256: str
    description: str = ""

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def content_type(self) -> str:
        return self.file_type.content_type


def sniff(data: bytes) -> FileType | None:
    """The allowed type these bytes are, by their signature; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if b"%PDF-" in data[:PDF_HEADER_WINDOW]:
        return PDF
    return None


def pdf_problem(data: bytes) -> str | None:
    """Why this PDF cannot be accepted (encrypted, unreadable, no pages), or None."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:  # an owner password alone still restricts printing and copying
                return ENCRYPTED_MESSAGE
            if len(pdf.pages) == 0:
                return NO_PAGES_MESSAGE
    except pikepdf.PasswordError:
        return ENCRYPTED_MESSAGE
    except (pikepdf.PdfError, ValueError, RuntimeError):
        return UNREADABLE_MESSAGE
    return None


def clean_filename(name: str, file_type: FileType) -> str:
    """The base name without paths or control characters, ending in the type's extension."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().strip(".") or "evidence"
    stem, dot, ext = base.rpartition(".")
    if not dot or f".{ext.lower()}" not in _EXTENSIONS[file_type]:
        stem = base
        ext = file_type.extension[1:]
    stem = stem[: MAX_FILENAME - len(ext) - 1]
    return f"{stem}.{ext.lower()}"


def check_file(
    filename: str, data: bytes, max_bytes: int, pointer: str, description: str = ""
) -> tuple[CheckedFile | None, FieldProblem | None]:
    """Accept the file or say why not (the problem points at `pointer`)."""
    if not data:
        return None, FieldProblem(pointer, EMPTY_MESSAGE)
    if len(data) > max_bytes:
        return None, FieldProblem(pointer, too_large_message(max_bytes))
    file_type = sniff(data)
    if file_type is None:
        return None, FieldProblem(pointer, TYPE_MESSAGE)
    if file_type is PDF:
        problem = pdf_problem(data)
        if problem is not None:
            return None, FieldProblem(pointer, problem)
    checked = CheckedFile(
        filename=clean_filename(filename, file_type),
        data=data,
        file_type=file_type,
        sha256=hashlib.sha256(data).hexdigest(),
        description=description.strip(),
    )
    return checked, None
