"""PDF/A-2b archival copies: make them (pikepdf) and check them.

`to_pdfa` adds what ISO 19005-2 level B asks of any reportlab PDF (our renderers write PDF/A
directly, see documents/pdfwriter.py): XMP metadata declaring
pdfaid:part=2 / conformance=B and agreeing with the document information dictionary, and an
sRGB OutputIntent carrying its ICC profile.  Fonts are already embedded (TrueType subsets)
and nothing is transparent, encrypted or scripted.

`check_pdfa` is our own checker (veraPDF is neither on PyPI nor in Debian): the rules that a
document of ours, or a sealed version of it, could break — metadata, output intent, embedded
fonts, no encryption, no JavaScript or forbidden actions, printable annotations, no
DeviceCMYK without a CMYK intent, no LZW, no embedded files, no XFA, an EOL before every
`endstream`.
"""

from __future__ import annotations

import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream

#: Where an sRGB ICC profile (ICC v2, zlib licence) comes from: Debian icc-profiles-free.
ICC_CANDIDATES = ("/usr/share/color/icc/sRGB.icc", "/usr/share/color/icc/colord/sRGB.icc")
ICC_ENV = "LABORCASE_ICC_PROFILE"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"

_INFO_TO_XMP = {
    "/Title": "dc:title",
    "/Author": "dc:creator",
    "/Subject": "dc:description",
    "/Keywords": "pdf:Keywords",
    "/Creator": "xmp:CreatorTool",
    "/Producer": "pdf:Producer",
    "/CreationDate": "xmp:CreateDate",
    "/ModDate": "xmp:ModifyDate",
}
_FORBIDDEN_ACTIONS = {
    "/JavaScript", "/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/Hide",
    "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView",
}  # fmt: skip
_FORBIDDEN_ANNOTATIONS = {"/Sound", "/Movie", "/Screen", "/3D", "/FileAttachment", "/RichMedia"}


@lru_cache(maxsize=1)
def compressed_srgb_profile() -> bytes:
    """`srgb_profile()` deflated, once per process: every document embeds it."""
    return zlib.compress(srgb_profile(), 9)


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """An sRGB ICC profile: $LABORCASE_ICC_PROFILE, Debian's, or lcms's built-in (via Pillow)."""
    configured = os.environ.get(ICC_ENV)
    for candidate in ([configured] if configured else []) + list(ICC_CANDIDATES):
        path = Path(candidate)
        if path.is_file():
            return path.read_bytes()
    from PIL import ImageCms  # only when no profile file is installed

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def to_pdfa(pdf: bytes) -> bytes:
    """The same document as PDF/A-2b."""
    with Pdf.open(io.BytesIO(pdf)) as doc:
        info = doc.docinfo
        for key in list(info.keys()):
            value = info[key]
            if key == "/Trapped" or (isinstance(value, pikepdf.String) and not str(value)):
                del info[key]  # empty entries and Trapped have no XMP twin that must agree
        profile = Stream(doc, compressed_srgb_profile())
        profile["/Filter"] = Name.FlateDecode
        profile["/N"] = 3
        doc.Root.OutputIntents = Array(
            [
                Dictionary(
                    Type=Name.OutputIntent,
                    S=Name.GTS_PDFA1,
                    OutputConditionIdentifier=OUTPUT_CONDITION,
                    Info=OUTPUT_CONDITION,
                    RegistryName="http://www.color.org",
                    DestOutputProfile=doc.make_indirect(profile),
                )
            ]
        )
        with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(doc.docinfo)
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        out = io.BytesIO()
        # compress_streams=False: keep reportlab's compressed streams as they are (qpdf would
        # otherwise recompress them all, 10x slower) and the XMP packet plain, as PDF/A wants
        doc.save(out, fix_metadata_version=False, compress_streams=False)
        return out.getvalue()


@dataclass(frozen=True)
class PdfaReport:
    """What `check_pdfa` found; `ok` when there is no problem."""

    part: str | None
    conformance: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _objects(doc: Pdf) -> Iterator[pikepdf.Object]:
    """Every dictionary and stream in the file, direct ones nested in others included."""

    def visit(obj: pikepdf.Object) -> Iterator[pikepdf.Object]:
        if isinstance(obj, Dictionary | Stream):
            yield obj
            children = [obj[k] for k in obj.keys()]  # noqa: SIM118 (a Stream is no Mapping)
        elif isinstance(obj, Array):
            children = list(obj)
        else:
            return
        for child in children:
            if isinstance(child, Dictionary | Stream | Array) and not child.is_indirect:
                yield from visit(child)  # indirect ones come from doc.objects themselves

    for obj in doc.objects:
        yield from visit(obj)


def _xmp_values(doc: Pdf) -> dict[str, str]:
    meta = doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
    values: dict[str, str] = {}
    for key in ("pdfaid:part", "pdfaid:conformance", *_INFO_TO_XMP.values()):
        value = meta.get(key)
        if value is not None:
            values[key] = value if isinstance(value, str) else ", ".join(sorted(map(str, value)))
    return values


def _info_value(key: str, value: pikepdf.Object) -> str:
    text = str(value)
    if key in ("/CreationDate", "/ModDate"):
        from pikepdf.models.metadata import decode_pdf_date

        return decode_pdf_date(text).isoformat()
    return text


def _same(key: str, info: str, xmp: str) -> bool:
    if key in ("/CreationDate", "/ModDate"):
        from datetime import datetime

        return datetime.fromisoformat(info) == datetime.fromisoformat(xmp)
    return info == xmp


def _check_metadata(doc: Pdf, problems: list[str]) -> tuple[str | None, str | None]:
    raw = doc.Root.get("/Metadata")
    if not isinstance(raw, Stream):
        problems.append("no XMP metadata stream in the catalog")
        return None, None
    if "/Filter" in raw:
        problems.append("the XMP metadata stream is compressed (must be readable without filters)")
    try:
        xmp = _xmp_values(doc)
    except Exception as exc:  # a broken packet is a finding, not a crash
        problems.append(f"XMP metadata unreadable: {exc}")
        return None, None
    part, conformance = xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")
    if part != "2":
        problems.append(f"XMP pdfaid:part is {part!r}, expected '2'")
    if conformance not in ("B", "U", "A"):
        problems.append(f"XMP pdfaid:conformance is {conformance!r}, expected 'B'")
    for key, xmp_key in _INFO_TO_XMP.items():
        if key not in doc.docinfo:
            continue
        info_value = _info_value(key, doc.docinfo[key])
        if xmp_key not in xmp:
            problems.append(f"Info {key} has no XMP {xmp_key}")
        elif not _same(key, info_value, xmp[xmp_key]):
            problems.append(f"Info {key} {info_value!r} disagrees with XMP {xmp_key} {xmp[xmp_key]!r}")
    return part, conformance


def _check_output_intent(doc: Pdf, problems: list[str]) -> int | None:
    intents = [i for i in doc.Root.get("/OutputIntents", Array()) if i.get("/S") == Name.GTS_PDFA1]
    if not intents:
        problems.append("no PDF/A OutputIntent (GTS_PDFA1)")
        return None
    profiles = {bytes(i.DestOutputProfile.read_bytes()) for i in intents if "/DestOutputProfile" in i}
    if len(profiles) != 1:
        problems.append("OutputIntents must carry exactly one ICC profile")
        return None
    profile = intents[0].DestOutputProfile
    components = int(profile.get("/N", 0))
    if components not in (1, 3, 4):
        problems.append(f"output profile has N={components}")
    header = next(iter(profiles))
    if len(header) < 128 or header[36:40] != b"acsp" or header[8] >= 5:
        problems.append("output profile is not an ICC profile of version 2 or 4")
    return components


def _check_fonts(doc: Pdf, problems: list[str]) -> None:
    for obj in _objects(doc):
        if obj.get("/Type") != Name.Font:
            continue
        subtype = obj.get("/Subtype")
        name = str(obj.get("/BaseFont", "?"))
        if subtype == Name.Type3:
            continue
        if subtype == Name.Type0:
            descendants = obj.get("/DescendantFonts", Array())
            descriptor = descendants[0].get("/FontDescriptor") if len(descendants) else None
        else:
            descriptor = obj.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            problems.append(f"font {name} is not embedded")
        if subtype == Name.TrueType and descriptor is not None:
            symbolic = int(descriptor.get("/Flags", 0)) & 4
            if symbolic and "/Encoding" in obj:
                problems.append(f"symbolic TrueType font {name} has an Encoding entry")


def _check_actions_and_annotations(doc: Pdf, problems: list[str]) -> None:
    names = doc.Root.get("/Names")
    if names is not None:
        if "/JavaScript" in names:
            problems.append("document-level JavaScript")
        if "/EmbeddedFiles" in names:
            problems.append("embedded files")
    if "/AA" in doc.Root:
        problems.append("additional actions (AA) on the catalog")
    form = doc.Root.get("/AcroForm")
    if form is not None:
        if "/XFA" in form:
            problems.append("XFA form")
        if form.get("/NeedAppearances") is True:
            problems.append("AcroForm NeedAppearances is true")
    for obj in _objects(doc):
        if "/JS" in obj or obj.get("/S") in _FORBIDDEN_ACTIONS:
            problems.append(f"forbidden action {obj.get('/S')}")
        filters = obj.get("/Filter") if isinstance(obj, Stream) else None
        if filters is not None:
            listed = filters if isinstance(filters, Array) else [filters]
            if Name.LZWDecode in listed:
                problems.append("LZW-compressed stream")
        if obj.get("/Interpolate") is True:
            problems.append("image with Interpolate true")
        if obj.get("/Type") == Name.Annot or (obj.get("/Subtype") and "/Rect" in obj and "/P" in obj):
            subtype = obj.get("/Subtype")
            if subtype in _FORBIDDEN_ANNOTATIONS:
                problems.append(f"forbidden annotation {subtype}")
            if subtype != Name.Popup:
                flags = int(obj.get("/F", 0))
                if not flags & 4 or flags & (1 | 2 | 32):
                    problems.append(f"annotation {subtype} is not set to print (or is hidden)")
        if "/AA" in obj and obj.get("/Type") == Name.Page:
            problems.append("additional actions (AA) on a page")


def _check_colour(doc: Pdf, components: int | None, problems: list[str]) -> None:
    """DeviceCMYK needs a CMYK output intent; DeviceRGB an RGB one (6.2.4.3)."""
    seen: set[str] = set()
    for page in doc.pages:
        for instruction in pikepdf.parse_content_stream(page):
            op = str(instruction.operator)
            if op in ("k", "K"):
                seen.add("cmyk")
            elif op in ("rg", "RG"):
                seen.add("rgb")
    if "cmyk" in seen and components != 4:
        problems.append("DeviceCMYK used without a CMYK output intent")
    if "rgb" in seen and components != 3:
        problems.append("DeviceRGB used without an RGB output intent")


def _check_syntax(pdf: bytes, problems: list[str]) -> None:
    """Header, binary comment, and an EOL marker before each `endstream` (6.1.2, 6.1.7.1)."""
    if not pdf.startswith(b"%PDF-1.") or pdf[7:8] not in b"01234567":
        problems.append("header is not %PDF-1.0 … %PDF-1.7")
    second = pdf.split(b"\n", 2)[1] if pdf.count(b"\n") > 1 else b""
    if not (second.startswith(b"%") and sum(b > 127 for b in second[1:5]) == 4):
        problems.append("no binary comment after the header")
    bare = sum(
        1 for m in re.finditer(rb"endstream", pdf) if pdf[m.start() - 1 : m.start()] not in (b"\n", b"\r")
    )
    if bare:
        problems.append(f"{bare} stream(s) without an EOL before endstream")


def check_pdfa(pdf: bytes) -> PdfaReport:
    """Check a PDF against the PDF/A-2b rules our documents can break (see the module doc)."""
    problems: list[str] = []
    _check_syntax(pdf, problems)
    try:
        doc = Pdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError:
        return PdfaReport(None, None, ("encrypted",))
    except pikepdf.PdfError as exc:
        return PdfaReport(None, None, (f"not a readable PDF: {exc}",))
    with doc:
        if doc.is_encrypted:
            problems.append("encrypted")
        if "/ID" not in doc.trailer:
            problems.append("no file identifier (trailer ID)")
        part, conformance = _check_metadata(doc, problems)
        components = _check_output_intent(doc, problems)
        _check_fonts(doc, problems)
        _check_actions_and_annotations(doc, problems)
        _check_colour(doc, components, problems)
    return PdfaReport(part, conformance, tuple(problems))
