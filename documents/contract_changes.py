"""The documents of a labour contract's lifecycle, as PDF/A-2b (layout and fonts of documents.contracts).

- `render_amendment`: 劳动合同变更协议书 (劳动合同法 art.35): each changed clause, before → after,
  with the same two empty signature fields as a contract (`EmployerSeal`, `WorkerSignature`).
- `render_termination`: 解除劳动合同协议书 (art.36, both sign) or the employer's
  解除（终止）劳动合同证明 (art.50 para.1: only the employer's seal field): legal basis, reason,
  last day, economic compensation (arts.46-47) and the work handover.
- `render_paper_copy`: the file an employer prints for a worker's free paper copy (指引 §7): a
  cover page naming the electronic original (number, verification code and URL, 免费提供), then
  the concluded PDF itself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pikepdf
from marshmallow import fields, validate
from reportlab.platypus import Flowable, Spacer

from documents.contracts import (
    FLUSH,
    HEADING,
    SMALL,
    TEXT,
    TITLE,
    ClausesSchema,
    FieldSink,
    SignatureFields,
    _clause_lines,
    _load,
    _Loose,
    _text,
    _yuan,
    add_signature_fields,
    both_parties,
)
from documents.flowables import LINE, Para
from documents.layout import DocumentInfo, build
from documents.schemas import VERIFICATION_CODE
from documents.text import chinese_date
from workflows.ports import EMPLOYER_SEAL_FIELD

CLAUSE_TITLES = {
    "employer": "用人单位信息",
    "worker": "劳动者信息",
    "term": "劳动合同期限",
    "job": "工作内容和工作地点",
    "working_time": "工作时间和休息休假",
    "pay": "劳动报酬",
    "social_insurance": "社会保险",
    "protection": "劳动保护、劳动条件和职业危害防护",
    "other_terms": "其他约定",
}


class _Marked(_Loose):
    contract_number = _text(40, required=True)
    verification_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    verification_code = fields.String(required=True, validate=validate.Regexp(VERIFICATION_CODE))


class _Party(_Loose):
    name = _text(100, required=True)


class ChangeSchema(_Loose):
    clause = fields.String(required=True, validate=validate.OneOf(list(CLAUSE_TITLES)))
    name = _text(60, required=True)


class AmendmentSchema(_Marked):
    original_number = _text(40, required=True)
    effective_on = fields.Date(required=True)
    employer = fields.Nested(_Party, required=True)
    worker = fields.Nested(_Party, required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True, validate=validate.Length(min=1))
    before_clauses = fields.Nested(ClausesSchema, required=True)
    after_clauses = fields.Nested(ClausesSchema, required=True)


class TerminationSchema(_Marked):
    mode = fields.String(required=True, validate=validate.OneOf(["agreement", "certificate"]))
    original_number = _text(40, required=True)
    legal_basis_text = _text(200, required=True)
    reason = _text(2000, required=True)
    ended_on = fields.Date(required=True)
    compensation = fields.Decimal(
        load_default=None, allow_none=True, places=2, validate=validate.Range(min=0)
    )
    handover = fields.String(load_default=None, allow_none=True)
    follows = fields.String(load_default=None, allow_none=True)
    employer = fields.Nested(_Party, required=True)
    worker = fields.Nested(_Party, required=True)
    clauses = fields.Nested(ClausesSchema, required=True)


class PaperCopySchema(_Marked):
    kind_label = _text(40, required=True)
    employer = _text(100, required=True)
    worker = _text(60, required=True)
    concluded_at = fields.String(required=True)
    final_sha256 = fields.String(required=True)
    requested_at = fields.String(required=True)


_AMENDMENT, _TERMINATION, _PAPER_COPY = AmendmentSchema(), TerminationSchema(), PaperCopySchema()


def _section_lines(key: str, clauses: Mapping[str, Any]) -> list[str]:
    if key == "other_terms":
        return list(clauses.get("other_terms") or []) or ["（无）"]
    return _clause_lines(key, clauses) or ["（无）"]


def _info(title: str, d: Mapping[str, Any], author: str, keyword: str) -> DocumentInfo:
    return DocumentInfo(
        title=f"{title} {d['contract_number']}",
        author=author,
        subject=title,
        keywords=f"{d['contract_number']} {keyword}",
        verification_url=d["verification_url"],
        verification_code=d["verification_code"],
    )


def render_amendment(data: Mapping[str, Any]) -> bytes:
    """劳动合同变更协议书 with both empty signature fields."""
    d = _load(_AMENDMENT, data, "labour_contract_amendment")
    employer, worker = d["employer"]["name"], d["worker"]["name"]
    sink = FieldSink()
    story: list[Flowable] = [
        Para("劳动合同变更协议书", TITLE),
        Para(f"协议编号：{d['contract_number']}", FLUSH.but(align="right")),
        Para(f"甲方（用人单位）：{employer}", FLUSH),
        Para(f"乙方（劳动者）：{worker}", FLUSH),
        Spacer(1, LINE * 0.5),
        Para(
            f"甲乙双方订立的第 {d['original_number']} 号劳动合同，经平等自愿、协商一致，"
            "依照《中华人民共和国劳动合同法》第三十五条的规定，变更下列条款：",
            TEXT,
        ),
    ]
    for n, change in enumerate(d["changes"], 1):
        key = change["clause"]
        story.append(Para(f"{n}. {CLAUSE_TITLES[key]}", HEADING))
        story.append(Para("变更前：", FLUSH))
        story += [Para(line, TEXT) for line in _section_lines(key, d["before_clauses"])]
        story.append(Para("变更后：", FLUSH))
        story += [Para(line, TEXT) for line in _section_lines(key, d["after_clauses"])]
    story += [
        Para(f"本协议自{chinese_date(d['effective_on'])}起生效执行。", TEXT),
        Para(
            "原劳动合同其他条款不变，继续履行。本协议是原劳动合同的组成部分，以电子形式订立，双方各执同等效力的电子文本。",
            TEXT,
        ),
        Spacer(1, LINE),
        both_parties(sink, employer, worker),
    ]
    built = build(story, _info("劳动合同变更协议书", d, employer, "labour_contract_amendment"))
    return add_signature_fields(built.pdf, sink.boxes)


def _money(amount: Decimal | None) -> str:
    return _yuan(amount) if amount is not None else "无"


def render_termination(data: Mapping[str, Any]) -> bytes:
    """解除劳动合同协议书 (both sign) or 解除（终止）劳动合同证明 (only the employer's seal field)."""
    d = _load(_TERMINATION, data, "labour_contract_termination")
    employer, worker = d["employer"]["name"], d["worker"]["name"]
    rid = d["clauses"]["worker"]["resident_id"]
    last_day: date = d["ended_on"]
    position = d["clauses"]["job"]["position"]
    start = chinese_date(d["clauses"]["term"]["start_date"])
    sink = FieldSink()
    if d["mode"] == "agreement":
        title = "解除劳动合同协议书"
        story: list[Flowable] = [
            Para(title, TITLE),
            Para(f"协议编号：{d['contract_number']}", FLUSH.but(align="right")),
            Para(f"甲方（用人单位）：{employer}", FLUSH),
            Para(f"乙方（劳动者）：{worker}　居民身份证号码：{rid}", FLUSH),
            Spacer(1, LINE * 0.5),
            Para(
                f"甲乙双方于{start}起履行的第 {d['original_number']} 号劳动合同，经协商一致，"
                "依照《中华人民共和国劳动合同法》第三十六条的规定，同意解除，并约定如下：",
                TEXT,
            ),
            Para(f"一、双方劳动关系于{chinese_date(last_day)}解除，该日为乙方最后工作日。", TEXT),
            Para(f"二、解除原因：{d['reason']}", TEXT),
            Para(f"三、甲方依法支付乙方经济补偿：{_money(d['compensation'])}。", TEXT),
            Para(f"四、工作交接：{d['handover'] or '乙方按甲方要求办理工作交接。'}", TEXT),
            Para(
                "五、甲方在解除劳动合同时出具解除劳动合同的证明，并在十五日内为乙方办理档案和社会保险关系转移手续"
                "（劳动合同法第五十条）。",
                TEXT,
            ),
            Para("本协议以电子形式订立，双方签署并加盖可信时间戳后生效。", TEXT),
            Spacer(1, LINE),
            both_parties(sink, employer, worker),
        ]
    else:
        title = "解除（终止）劳动合同证明"
        story = [
            Para(title, TITLE),
            Para(f"证明编号：{d['contract_number']}", FLUSH.but(align="right")),
            Spacer(1, LINE * 0.5),
            Para(
                f"兹证明{worker}（居民身份证号码：{rid}）自{start}起在本单位{position}岗位工作，"
                f"双方订立的第 {d['original_number']} 号劳动合同于{chinese_date(last_day)}解除（终止）。",
                TEXT,
            ),
            Para(f"法律依据：《中华人民共和国劳动合同法》{d['legal_basis_text']}。", TEXT),
            Para(f"解除（终止）原因：{d['reason']}", TEXT),
            Para(f"经济补偿：{_money(d['compensation'])}。", TEXT),
            Para(f"工作交接：{d['handover'] or '按本单位规定办理。'}", TEXT),
        ]
        if d.get("follows"):
            story.append(Para(f"双方已签订第 {d['follows']} 号解除劳动合同协议书。", TEXT))
        story += [
            Para(
                "本单位将在十五日内为劳动者办理档案和社会保险关系转移手续；本证明依照劳动合同法第五十条第一款出具。",
                TEXT,
            ),
            Spacer(1, LINE),
            SignatureFields(sink, [(f"用人单位（盖章）：{employer}", EMPLOYER_SEAL_FIELD)]),
        ]
    built = build(story, _info(title, d, employer, "labour_contract_termination"))
    return add_signature_fields(built.pdf, sink.boxes)


def render_paper_copy_cover(data: Mapping[str, Any]) -> bytes:
    """The cover page of a paper copy: what it is a copy of, how to verify it, that it is free."""
    d = _load(_PAPER_COPY, data, "labour_contract_paper_copy")
    story: list[Flowable] = [
        Para("电子劳动合同纸质文本", TITLE),
        Spacer(1, LINE * 0.5),
        Para(
            f"本文本为电子{d['kind_label']}（编号 {d['contract_number']}）的纸质打印件，"
            "内容与电子文本一致，由用人单位打印并加盖公章后交付劳动者。",
            TEXT,
        ),
        Para(f"用人单位：{d['employer']}", FLUSH),
        Para(f"劳动者：{d['worker']}", FLUSH),
        Para(f"电子文本订立时间：{d['concluded_at']}", FLUSH),
        Para(f"电子文本摘要（SHA-256）：{d['final_sha256']}", SMALL),
        Para(f"核验码：{d['verification_code']}", FLUSH),
        Para(f"核验网址：{d['verification_url']}", FLUSH),
        Para(f"申请日期：{d['requested_at']}", FLUSH),
        Spacer(1, LINE * 0.5),
        Para(
            "免费提供：依照《电子劳动合同订立指引》，用人单位应劳动者要求免费提供盖章的纸质劳动合同文本。",
            TEXT,
        ),
        Spacer(1, LINE * 2),
        Para(f"用人单位（盖章）：{d['employer']}", FLUSH),
        Para("日期：　　　　年　　月　　日", FLUSH),
    ]
    info = _info("电子劳动合同纸质文本", d, d["employer"], "labour_contract_paper_copy")
    return build(story, info).pdf


def render_paper_copy(data: Mapping[str, Any], document: bytes) -> bytes:
    """The print file: the cover page, then the pages of the concluded `document`, its signature
    and seal appearances flattened into the page so that they print (not a signed PDF any more:
    the electronic original is the one named on the cover)."""
    cover = render_paper_copy_cover(data)
    with pikepdf.open(io.BytesIO(cover)) as out, pikepdf.open(io.BytesIO(document)) as original:
        original.flatten_annotations("print")  # the signatures' and seal's appearances onto the page
        out.pages.extend(original.pages)
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
