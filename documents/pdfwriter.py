"""The reportlab canvas our documents are written with: PDF/A-2b as written, in one pass.

reportlab writes a document that misses a few things ISO 19005-2 asks for; rather than
repair them afterwards (a pikepdf open/save round trip that cost as much as the layout of a
page), `ArchivalCanvas` writes them in the first place:

- XMP metadata (plain, uncompressed) declaring pdfaid:part=2 / conformance=B and agreeing
  with the document information dictionary, which carries no /Trapped and no empty entries;
- an sRGB OutputIntent with its ICC profile (compressed once per process);
- an EOL marker before every `endstream` (6.1.7.1; reportlab writes none), which is why every
  stream of our documents is a `Stream`: page contents, forms, fonts, CMaps, metadata.

The trailer /ID and the binary comment after the header come from reportlab.  `check_pdfa`
(documents/pdfa.py) stays the independent check of the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFCatalog,
    PDFDictionary,
    PDFInfo,
    PDFName,
    PDFObject,
    PDFStream,
    PDFString,
)
from reportlab.pdfgen.canvas import Canvas

from documents.flate import CONTENT_LEVEL, compress
from documents.pdfa import OUTPUT_CONDITION, compressed_srgb_profile

_ENDSTREAM = b"endstream\n"


class Stream(PDFStream):
    """A stream object written with an EOL before `endstream`, its data compressed here
    (`level`) or already (`flate=True`), so reportlab applies no filters of its own."""

    def __init__(self, data: bytes, *, level: int | None = None, flate: bool = False, **entries: Any):
        if level is not None:
            data = compress(data, level)
            flate = True
        super().__init__(PDFDictionary(dict(entries)), data)
        if flate:
            self.dictionary["Filter"] = PDFName("FlateDecode")

    def format(self, document: Any) -> bytes:
        out: bytes = super().format(document)
        return out[: -len(_ENDSTREAM)] + b"\n" + _ENDSTREAM


class Formatted(PDFObject):
    """An indirect object written from ready-made bytes, the objects among `parts` replaced by
    references to them at write time (reportlab's generic formatting goes key by key through
    a slow codec: the font dictionaries of a document cost a tenth of a millisecond each)."""

    __RefOnly__ = 1

    def __init__(self, *parts: bytes | PDFObject):
        self.parts = parts

    def format(self, document: Any) -> bytes:
        return b"".join(
            p if isinstance(p, bytes) else document.Reference(p).format(document) for p in self.parts
        )


def pdf_text(value: str) -> bytes:
    """A PDF text string: literal when printable ASCII, else UTF-16BE with a BOM, in hex."""
    if value.isascii() and value.isprintable():
        return (
            b"(" + value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("ascii") + b")"
        )
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode("ascii") + b">"


class Run(NamedTuple):
    """Text in one font, optionally in a colour (else the current fill) and faux bold."""

    font: str
    text: str
    color: Color | None = None
    bold: bool = False


def draw_text(
    canvas: Canvas, x: float, y: float, size: float, runs: Iterable[Run], char_space: float | None = None
) -> None:
    """Append one text object (BT … ET) at (x, y) to the canvas's content stream.

    The operators are those reportlab's `PDFTextObject` writes for setFont / setFillColor /
    setTextRenderMode / textOut calls, less the repeated ones (a font, colour or mode set again
    to what it is), and without the per-call overhead, which made drawing text a tenth of
    the cost of a document.  Like reportlab, the text render mode is taken to be 0 at BT.
    """
    doc = canvas._doc
    ops = [f"BT 1 0 0 1 {fp_str(x, y)} Tm"]
    if char_space is not None:
        ops.append(f"{fp_str(char_space)} Tc")
    size_op = fp_str(size)
    font_op = fill = stroke = None
    mode = 0
    for run in runs:
        if run.color is not None and run.color != fill:
            fill = run.color
            ops.append(f"{fp_str(fill.red, fill.green, fill.blue)} rg")
        if run.bold and run.color is not None and run.color != stroke:
            stroke = run.color
            ops.append(f"{fp_str(stroke.red, stroke.green, stroke.blue)} RG")
        if (2 if run.bold else 0) != mode:
            mode = 2 if run.bold else 0
            ops.append(f"{mode} Tr")
        font = pdfmetrics.getFont(run.font)
        for subset, data in font.splitString(run.text, doc):
            name = font.getSubsetInternalName(subset, doc)
            if name != font_op:
                font_op = name
                ops.append(f"{name} {size_op} Tf")
            ops.append(f"({escapePDF(data)}) Tj")
    ops.append("ET")
    canvas._code.append(" ".join(ops))


class _ArchivalInfo(PDFInfo):
    """The information dictionary as PDF/A wants it: no /Trapped (it would need an XMP
    twin), no empty strings, and both dates from `moment`, which the XMP repeats.

    No /Producer either: pyHanko, writing the B-LTA document timestamp of a sealed copy,
    appends itself to an Info Producer but replaces the XMP one, and the two would then
    disagree (PDF/A 6.6.2.3).  Without one it writes the same value to both.  /Creator
    still names the application."""

    def __init__(self, moment: datetime):
        super().__init__()
        self.moment = moment

    def entries(self) -> dict[str, str]:
        """The text entries, by PDF key, that are not empty."""
        values = {
            "Title": self.title,
            "Author": self.author,
            "Subject": self.subject,
            "Keywords": self.keywords,
            "Creator": self.creator,
        }
        return {k: str(v) for k, v in values.items() if v}

    def format(self, document: Any) -> bytes:
        entries = {**self.entries(), "CreationDate": pdf_date(self.moment), "ModDate": pdf_date(self.moment)}
        return b"<< " + b" ".join(b"/%s %s" % (k.encode(), pdf_text(v)) for k, v in entries.items()) + b" >>"


class _ArchivalCatalog(PDFCatalog):
    """The catalog with an /OutputIntents entry (reportlab writes only the keys it knows)."""

    __NoDefault__: ClassVar[list[str]] = [*PDFCatalog.__NoDefault__, "OutputIntents"]


def pdf_date(moment: datetime) -> str:
    """D:YYYYMMDDHHmmSS+HH'mm' (PDF 1.7, 7.9.4)."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{hours:02d}'{mins:02d}'"


#: Information dictionary entry → its XMP property and the form of its value (6.6.2.3.1).
_XMP_OF_INFO = {
    "Title": ("dc:title", '<rdf:Alt><rdf:li xml:lang="x-default">{}</rdf:li></rdf:Alt>'),
    "Author": ("dc:creator", "<rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq>"),
    "Subject": ("dc:description", '<rdf:Alt><rdf:li xml:lang="x-default">{}</rdf:li></rdf:Alt>'),
    "Keywords": ("pdf:Keywords", "{}"),
    "Producer": ("pdf:Producer", "{}"),
    "Creator": ("xmp:CreatorTool", "{}"),
}


def xmp_packet(info: dict[str, str], moment: datetime) -> bytes:
    """XMP for PDF/A-2b: the information dictionary's entries, the dates, pdfaid part/conformance."""
    when = moment.isoformat()
    props = [
        f"<{prop}>{form.format(escape(info[key]))}</{prop}>"
        for key, (prop, form) in _XMP_OF_INFO.items()
        if key in info
    ]
    props += [
        f"<xmp:CreateDate>{when}</xmp:CreateDate>",
        f"<xmp:ModifyDate>{when}</xmp:ModifyDate>",
        "<pdfaid:part>2</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
    ]
    body = "\n  ".join(props)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">\n'
        f"  {body}\n"
        "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def output_intents() -> PDFArray:
    """[ the sRGB OutputIntent (GTS_PDFA1) with its ICC profile ]."""
    profile = Stream(compressed_srgb_profile(), flate=True, N=3)
    intent = PDFDictionary(
        {
            "Type": PDFName("OutputIntent"),
            "S": PDFName("GTS_PDFA1"),
            "OutputConditionIdentifier": PDFString(OUTPUT_CONDITION),
            "Info": PDFString(OUTPUT_CONDITION),
            "RegistryName": PDFString("http://www.color.org"),
            "DestOutputProfile": profile,
        }
    )
    return PDFArray([intent])


class DocumentCanvas(Canvas):
    """A canvas whose page contents are `Stream`s: an EOL before `endstream`, and FlateDecode
    alone (reportlab adds an ASCII85 pass by default, 25 % more bytes for nothing)."""

    def showPage(self) -> None:
        pages = self._doc.Pages.pages
        super().showPage()
        page = pages[-1]
        page.Contents = Stream(page.stream.encode("utf-8"), level=CONTENT_LEVEL)


class ArchivalCanvas(DocumentCanvas):
    """`DocumentCanvas` writing PDF/A-2b (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        doc = self._doc
        # before the doc template sets title, author, … on it; reportlab's time, which also
        # seeds the file identifier
        doc.info = _ArchivalInfo(datetime.fromtimestamp(int(doc._timeStamp.t), UTC))
        catalog = _ArchivalCatalog()
        catalog.__dict__.update(doc.Catalog.__dict__)  # Pages, Lang, Outlines as reportlab set them
        catalog.OutputIntents = output_intents()
        doc.Catalog = doc._catalog = catalog

    def save(self) -> None:
        info = self._doc.info
        self._doc.Catalog.Metadata = Stream(
            xmp_packet(info.entries(), info.moment), Type=PDFName("Metadata"), Subtype=PDFName("XML")
        )
        super().save()
