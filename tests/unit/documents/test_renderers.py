"""Every document renders: A4, fonts embedded, the right text, the seal over the date."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from documents import ALIASES, DOCUMENT_TYPES, Renderer, render
from documents.renderers import document_type
from documents.samples import SAMPLES, sample, sample_award, sample_award_full, sample_final_award
from documents.text import NO_LINE_END, NO_LINE_START
from workflows.ports import DocumentRenderer, RenderedDocument

from .conftest import needs_poppler, pdf_text, run, squeeze

A4 = (595.28, 841.89)


def test_every_document_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(DOCUMENT_TYPES)


def test_the_renderer_implements_the_port() -> None:
    renderer: DocumentRenderer = Renderer()
    assert isinstance(renderer.render("refusal_notice", sample("refusal_notice")), RenderedDocument)


def test_keys_of_the_workflow_document_kinds_resolve_to_renderers_with_the_same_title() -> None:
    kinds = pytest.importorskip("workflows.document_kinds")
    for key, kind in kinds.KINDS.items():
        assert document_type(key).title == kind.title, key
    assert set(ALIASES.values()) <= set(DOCUMENT_TYPES)


@pytest.mark.parametrize("document_type", list(SAMPLES))
def test_every_type_renders_on_a4_with_its_seal_on_the_last_page(
    document_type: str, rendered: dict[str, RenderedDocument]
) -> None:
    doc = rendered[document_type]
    assert doc.pdf.startswith(b"%PDF-")
    with pikepdf.open(io.BytesIO(doc.pdf)) as pdf:
        assert len(pdf.pages) == doc.pages
        for page in pdf.pages:
            assert [round(float(v), 2) for v in page.mediabox[2:]] == list(A4)
    seal = doc.seal_position
    assert seal is not None
    assert seal.page == doc.pages - 1
    assert seal.x > 0 and seal.x + seal.size < A4[0]
    assert seal.y > 35 * 72 / 25.4 - 30 and seal.y + seal.size < A4[1] - 37 * 72 / 25.4


def test_two_page_award_sample_has_two_pages(rendered: dict[str, RenderedDocument]) -> None:
    assert rendered["award_document"].pages == 2


@needs_poppler
@pytest.mark.parametrize("document_type", list(SAMPLES))
def test_all_fonts_are_embedded(
    document_type: str, rendered: dict[str, RenderedDocument], pdf_file: Callable[[bytes, str], Path]
) -> None:
    out = run("pdffonts", pdf_file(rendered[document_type].pdf, document_type))
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    for row in rows:
        emb = row[-5]  # name type encoding emb sub uni object ID
        assert emb == "yes", out


def _key_strings(document_type: str, data: dict[str, Any]) -> list[str]:
    title = DOCUMENT_TYPES[document_type].title
    roles = ("applicant",) if document_type == "supplement_notice" else ("applicant", "respondent")
    names = [p["name"] for p in data["parties"] if p["role"] in roles]
    return [data["issuer"], data["document_number"], title, *names, data["verification_code"], "二〇二六年"]


@needs_poppler
@pytest.mark.parametrize("document_type", list(SAMPLES))
def test_text_carries_number_title_parties_and_verification_code(
    document_type: str, rendered: dict[str, RenderedDocument], pdf_file: Callable[[bytes, str], Path]
) -> None:
    text = squeeze(pdf_text(pdf_file(rendered[document_type].pdf, document_type)))
    for key in _key_strings(document_type, sample(document_type)):
        assert squeeze(key) in text, key
    assert "—1—" in text  # page numbers in the GB/T 9704 style


@needs_poppler
def test_award_shows_each_claims_result_and_the_appeal_route(
    rendered: dict[str, RenderedDocument], pdf_file: Callable[[bytes, str], Path]
) -> None:
    text = squeeze(pdf_text(pdf_file(rendered["award_document"].pdf, "award")))
    for s in ("仲裁请求", "裁决结果", "支持", "部分支持", "18,600.00", "1,900.00", "57,700.00", "非终局裁决"):
        assert s in text, s
    assert "十五日内向江城市江岸区人民法院提起诉讼" in text  # art.50


@needs_poppler
def test_final_award_states_finality_and_both_sides_routes(pdf_file: Callable[[bytes, str], Path]) -> None:
    # 调解仲裁法 art.47: final on issue; art.48: the worker may sue in 15 days;
    # art.49: the employer may only apply to the intermediate court to set it aside in 30 days
    doc = render("award_document", sample_final_award())
    text = squeeze(pdf_text(pdf_file(doc.pdf, "final-award")))
    assert "本裁决为终局裁决" in text
    assert "劳动者对本裁决不服的，可以自收到本裁决书之日起十五日内向人民法院提起诉讼" in text
    assert "三十日内向江城市中级人民法院申请撤销裁决" in text


@needs_poppler
def test_long_claims_table_spans_pages_with_its_header_repeated(
    pdf_file: Callable[[bytes, str], Path],
) -> None:
    data = sample_award()
    item = data["award_items"][0]
    data["award_items"] = [
        {**item, "claim": f"支付2025年{m}月至2026年{m}月期间拖欠的各项工资及补贴（第{n}项）", "order": None}
        for n, m in enumerate(list(range(1, 13)) * 4, 1)
    ]
    data["award_orders"] = ["被申请人于本裁决生效之日起五日内支付申请人上表所列各项工资及补贴。"]
    doc = render("award_document", data)
    assert doc.pages >= 3
    pages = pdf_text(pdf_file(doc.pdf, "long-table")).split("\f")
    with_table = [squeeze(p) for p in pages if "（第" in p]
    assert len(with_table) >= 2, "the table should run over a page break"
    for page in with_table:
        assert "序号仲裁请求" in page  # repeated header row
    assert "（第48项）" in squeeze("".join(pages))
    assert "—2—" in squeeze(pages[1]) and "—3—" in squeeze(pages[2])


@needs_poppler
def test_line_breaking_keeps_the_rules_in_the_rendered_pdf(pdf_file: Callable[[bytes, str], Path]) -> None:
    doc = render("award_document", sample_award_full())
    text = pdf_text(pdf_file(doc.pdf, "award-full"), layout=True)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    body = [ln for ln in lines if not re.match(r"^(—|验证码|扫码)", ln)]
    assert len(body) > 60
    for line in body:
        assert line[0] not in NO_LINE_START, line
        assert line[-1] not in NO_LINE_END, line


@needs_poppler
@pytest.mark.parametrize("document_type", ["refusal_notice", "award_document", "mediation_agreement"])
def test_seal_lands_over_the_date(
    document_type: str, rendered: dict[str, RenderedDocument], pdf_file: Callable[[bytes, str], Path]
) -> None:
    """GB/T 9704 7.3.5.1: the seal presses down on the date, which sits below its centre."""
    doc = rendered[document_type]
    seal = doc.seal_position
    assert seal is not None
    html = run(
        "pdftotext",
        "-bbox",
        "-f",
        str(seal.page + 1),
        "-l",
        str(seal.page + 1),
        pdf_file(doc.pdf, f"bbox-{document_type}"),
        "-",
    )
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', html)
    date = [w for w in words if w[4].startswith("二〇二六年")]
    assert date, html
    x0, y0, x1, y1 = (float(v) for v in date[-1][:4])  # top-left origin in pdftotext
    centre_x, centre_y = (x0 + x1) / 2, A4[1] - (y0 + y1) / 2
    # a 42 mm seal is narrower than a 3号 date: it is centred on it (居中下压)
    assert seal.y < centre_y < seal.y + seal.size / 2 + 8  # in the lower half, near the middle
    assert abs(centre_x - (seal.x + seal.size / 2)) < 2


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg (zbar-tools) not installed")
def test_qr_code_decodes_to_the_verification_url(
    rendered: dict[str, RenderedDocument], pdf_file: Callable[[bytes, str], Path], tmp_path: Path
) -> None:
    doc = rendered["hearing_notice"]
    run("pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", pdf_file(doc.pdf, "qr"), tmp_path / "qr")
    image = next(tmp_path.glob("qr*.png"))
    found = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True).stdout
    assert found.strip() == sample("hearing_notice")["verification_url"]


def test_rare_name_characters_fall_back_and_unknown_ones_become_a_missing_mark() -> None:
    data = sample("refusal_notice")
    data["parties"][0]["name"] = "张\U0002b81d珺"  # an Extension-D ideograph no packaged font has
    doc = render("refusal_notice", data)
    assert doc.pages == 1


def test_renders_the_data_the_issuing_service_assembles() -> None:
    """Case data as `workflows.issuing` freezes it (bare parties, claims without wording, form
    fields as JSON strings, extra keys) under a document_kinds key, is enough for a notice."""
    data = {
        "case_number": "仲〔2026〕12号",
        "case_title": "张三诉某公司",
        "issuer": "江城市劳动人事争议仲裁委员会",
        "parties": [
            {"role": "applicant", "name": "张三"},
            {"role": "respondent", "name": "江城某某有限公司"},
            {"role": "agent", "name": "李四"},
        ],
        "claims": [{"position": 1, "claim_type": "wages", "description": "", "amount": "1000.00"}],
        "hearing_date": "2026-12-08",
        "hearing_time": "09:30",
        "hearing_place": "第三仲裁庭",
        "hearing_notice_served_on": "2026-11-24",
        "document_number": "劳人仲开字〔2026〕第1号",
        "issue_date": "2026-11-23",
        "verification_code": "ABCDEFGH23",
        "verification_url": "http://127.0.0.1:5000/verify/ABCDEFGH23",
    }
    assert render("hearing_notice", data).pages >= 1
    tribunal = data | {"presiding_arbitrator": "孙立平", "tribunal_kind": "sole"}
    assert render("tribunal_notice", tribunal).seal_position is not None  # document_kinds' key


@needs_poppler
def test_award_names_claim_types_in_words_partial_rulings_and_a_partial_award(
    pdf_file: Callable[[bytes, str], Path],
) -> None:
    # 调解仲裁法 art.43 para.2: a partial award (先行裁决) says the rest is decided later
    data = sample_award()
    data["claims"] = [{"position": 1, "claim_type": "economic_compensation", "claim_type_label": "经济补偿"}]
    data["award_items"] = [
        {"claim": "支付经济补偿", "ruling": "partly_granted", "amount": "5000.00", "order": None}
    ]
    data["award_orders"] = None
    data["award_scope"] = "partial"
    text = squeeze(pdf_text(pdf_file(render("award_document", data).pdf, "partial-award")))
    assert "申请人请求：一、经济补偿" in text and "economic_compensation" not in text
    assert "部分支持申请人关于“支付经济补偿”的仲裁请求" in text
    assert "先行作出的裁决" in text and "其余仲裁请求另行裁决" in text
