"""Formal documents (文书): reportlab renderers after GB/T 9704, PDF/A-2b archival copies.

    from documents import Renderer, render
    rendered = render("award_document", data)   # RenderedDocument(pdf, pages, seal_position)

Document types (glossary names) and the data each needs: `documents.schemas`; sample data for
each: `documents.samples`.  Call `ensure_fonts()` at start-up to load the CJK fonts (~0.3 s)
before the first request rather than during it.  No database, storage, web or signing here.
"""

from documents.fonts import FontsMissingError, ensure_fonts
from documents.pdfa import PdfaReport, check_pdfa, to_pdfa
from documents.renderers import ALIASES, DOCUMENT_TYPES, DocumentType, Renderer, render, validate

__all__ = [
    "ALIASES",
    "DOCUMENT_TYPES",
    "DocumentType",
    "FontsMissingError",
    "PdfaReport",
    "Renderer",
    "check_pdfa",
    "ensure_fonts",
    "render",
    "to_pdfa",
    "validate",
]
