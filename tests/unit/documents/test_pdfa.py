"""Archival copies are PDF/A-2b, and the checker catches what breaks PDF/A."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from reportlab.pdfgen.canvas import Canvas

from documents import check_pdfa, render, to_pdfa
from documents.pdfa import srgb_profile
from documents.samples import SAMPLES, sample
from workflows.ports import RenderedDocument

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("document_type", list(SAMPLES))
def test_archival_copy_passes_the_pdfa_check(
    document_type: str, rendered: dict[str, RenderedDocument]
) -> None:
    report = check_pdfa(rendered[document_type].pdf)
    assert report.ok, report.problems
    assert (report.part, report.conformance) == ("2", "B")


def test_archival_copy_declares_pdfa_2b_and_an_srgb_output_intent(
    rendered: dict[str, RenderedDocument],
) -> None:
    with pikepdf.open(io.BytesIO(rendered["award_document"].pdf)) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"
        assert meta["dc:title"].startswith("裁决书")
        assert "/Filter" not in pdf.Root.Metadata  # XMP readable as plain text
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1"
        assert intent.DestOutputProfile.read_bytes() == srgb_profile()


def test_plain_rendering_is_not_pdfa_and_the_checker_says_why() -> None:
    problems = check_pdfa(render("refusal_notice", sample("refusal_notice"), pdfa=False).pdf).problems
    assert "no XMP metadata stream in the catalog" in problems
    assert "no PDF/A OutputIntent (GTS_PDFA1)" in problems


def _edit(pdf: bytes, change: object) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        change(doc)  # type: ignore[operator]
        out = io.BytesIO()
        doc.save(out, compress_streams=False)
        return out.getvalue()


@pytest.fixture
def archival(rendered: dict[str, RenderedDocument]) -> bytes:
    return rendered["refusal_notice"].pdf


def test_checker_catches_javascript(archival: bytes) -> None:
    def add_js(doc: pikepdf.Pdf) -> None:
        doc.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")

    problems = check_pdfa(_edit(archival, add_js)).problems
    assert any("JavaScript" in p for p in problems), problems


def test_checker_catches_encryption(archival: bytes) -> None:
    with pikepdf.open(io.BytesIO(archival)) as doc:
        out = io.BytesIO()
        doc.save(out, encryption=pikepdf.Encryption(owner="o", user="", R=6))
    assert "encrypted" in check_pdfa(out.getvalue()).problems


def test_checker_catches_metadata_out_of_step_with_info(archival: bytes) -> None:
    def retitle(doc: pikepdf.Pdf) -> None:
        doc.docinfo["/Title"] = "另一个标题"

    problems = check_pdfa(_edit(archival, retitle)).problems
    assert any("/Title" in p and "dc:title" in p for p in problems), problems


def test_checker_catches_a_hidden_annotation(archival: bytes) -> None:
    def annotate(doc: pikepdf.Pdf) -> None:
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10])
        doc.pages[0].Annots = doc.make_indirect(pikepdf.Array([doc.make_indirect(link)]))

    problems = check_pdfa(_edit(archival, annotate)).problems
    assert any("not set to print" in p for p in problems), problems


def test_checker_catches_an_unembedded_font() -> None:
    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 720, "not embedded")
    canvas.save()
    problems = check_pdfa(to_pdfa(buf.getvalue())).problems
    assert "font /Helvetica is not embedded" in problems


def test_checker_reports_garbage_instead_of_raising() -> None:
    report = check_pdfa(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nnot a pdf")
    assert not report.ok


def test_documents_stay_pdfa_when_a_seal_was_drawn_first_in_the_process() -> None:
    # a seal's lettering registers the same font file with reportlab; fonts are registered once
    # per process, so the order is tried in a fresh one
    script = """
from signing.appearance import SealDesign, draw_seal
draw_seal(SealDesign("某某市劳动人事争议仲裁委员会", "3201000012345", "仲裁专用章"), 119.0)
from documents import check_pdfa, render
from documents.samples import SAMPLES
for key in ("mediation_agreement", "award_document"):
    report = check_pdfa(render(key, SAMPLES[key]()).pdf)
    assert report.ok, (key, report.problems)
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
