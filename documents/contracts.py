"""Labour contracts (电子劳动合同) and their completion certificates, as PDF/A-2b.

`render_contract(data)` sets the employer's template text with the agreed clauses, and ends
with two empty signature fields (`EmployerSeal`, `WorkerSignature`, see `workflows.ports`) in
boxes under 甲方 and 乙方: the parties' signatures fill them by incremental update, so the PDF
shown as the preview is byte for byte the one signed.  `render_certificate(data)` is the
completion certificate: who signed, when, how identity was checked, from where, the document
hashes and each signature as the verifier saw it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pikepdf
from marshmallow import EXCLUDE, Schema, fields, validate
from marshmallow import ValidationError as SchemaError
from reportlab.platypus import Flowable, Spacer

from documents.flowables import BODY_SIZE, LINE, Para, Style
from documents.fonts import HEI
from documents.layout import DocumentInfo, build
from documents.schemas import VERIFICATION_CODE, _problems
from documents.text import chinese_date
from workflows.errors import ValidationError
from workflows.ports import EMPLOYER_SEAL_FIELD, WORKER_SIGNATURE_FIELD

TEXT = Style(size=12, leading=21, first_indent=24)  # 小四, contract body
FLUSH = Style(size=12, leading=21)
HEADING = Style(font=HEI, size=14, leading=26, space_before=6)
TITLE = Style(size=26, leading=40, bold=True, align="center")
SUBTITLE = Style(size=14, leading=24, align="center", space_after=LINE * 0.5)
SMALL = Style(size=9, leading=13)
SIGNATURE_BOX = (200.0, 80.0)  # width, height of each signature field (pt)

TERM_KINDS = {"fixed": "固定期限", "open_ended": "无固定期限", "task": "以完成一定工作任务为期限"}
SYSTEMS = {"standard": "标准工时制", "comprehensive": "综合计算工时工作制", "flexible": "不定时工作制"}
PAY_PERIODS = {"monthly": "按月", "semi_monthly": "按半月", "weekly": "按周", "daily": "按日"}


def _text(max_length: int = 500, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class _Loose(Schema):
    class Meta:
        unknown = EXCLUDE


class EmployerSchema(_Loose):
    name = _text(100, required=True)
    address = _text(200, required=True)
    legal_representative = _text(60, required=True)
    uscc = fields.String(load_default=None)


class WorkerSchema(_Loose):
    name = _text(60, required=True)
    address = _text(200, required=True)
    resident_id = fields.String(required=True, validate=validate.Length(equal=18))
    phone = fields.String(load_default=None)


class TermSchema(_Loose):
    kind = fields.String(required=True, validate=validate.OneOf(list(TERM_KINDS)))
    start_date = fields.Date(required=True)
    end_date = fields.Date(load_default=None)
    task_description = _text(500, load_default=None)
    probation_months = fields.Integer(load_default=0, validate=validate.Range(min=0, max=6))


class JobSchema(_Loose):
    position = _text(120, required=True)
    duties = _text(1000, load_default=None)
    place = _text(200, required=True)
    region_code = fields.String(load_default=None)


class WorkingTimeSchema(_Loose):
    system = fields.String(required=True, validate=validate.OneOf(list(SYSTEMS)))
    hours_per_day = fields.Float(load_default=None)
    hours_per_week = fields.Float(load_default=None)
    approval = _text(120, load_default=None)
    rest = _text(1000, required=True)


class PaySchema(_Loose):
    monthly_amount = fields.Decimal(required=True, places=2, validate=validate.Range(min=0))
    probation_amount = fields.Decimal(load_default=None, places=2, validate=validate.Range(min=0))
    pay_period = fields.String(required=True, validate=validate.OneOf(list(PAY_PERIODS)))
    payday = fields.Integer(load_default=None, validate=validate.Range(min=1, max=31))
    other = _text(1000, load_default=None)


class SocialInsuranceSchema(_Loose):
    description = _text(1000, required=True)


class ProtectionSchema(_Loose):
    labour_protection = _text(1000, required=True)
    working_conditions = _text(1000, required=True)
    occupational_hazards = _text(1000, required=True)


class ClausesSchema(_Loose):
    employer = fields.Nested(EmployerSchema, required=True)
    worker = fields.Nested(WorkerSchema, required=True)
    term = fields.Nested(TermSchema, required=True)
    job = fields.Nested(JobSchema, required=True)
    working_time = fields.Nested(WorkingTimeSchema, required=True)
    pay = fields.Nested(PaySchema, required=True)
    social_insurance = fields.Nested(SocialInsuranceSchema, required=True)
    protection = fields.Nested(ProtectionSchema, required=True)
    other_terms = fields.List(_text(1000), load_default=list)


class SectionSchema(_Loose):
    clause = fields.String(required=True)
    heading = _text(60, required=True)
    text = fields.List(_text(2000), load_default=list)


class TemplateSchema(_Loose):
    title = _text(60, required=True)
    subtitle = _text(60, load_default=None)
    preamble = fields.List(_text(2000), load_default=list)
    sections = fields.List(fields.Nested(SectionSchema), required=True, validate=validate.Length(min=1))
    closing = fields.List(_text(2000), load_default=list)


class LabourContractSchema(_Loose):
    """What `render_contract` needs: the template, the clauses and the verification mark."""

    contract_number = _text(40, required=True)
    verification_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    verification_code = fields.String(required=True, validate=validate.Regexp(VERIFICATION_CODE))
    template = fields.Nested(TemplateSchema, required=True)
    clauses = fields.Nested(ClausesSchema, required=True)


def _load(schema: Schema, data: Mapping[str, Any], what: str) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(dict(data))
    except SchemaError as exc:
        problems = _problems(exc.messages, [])
        summary = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in problems[:5])
        raise ValidationError(f"invalid data for {what}: {summary}", problems) from None
    return loaded


_CONTRACT_SCHEMA = LabourContractSchema()  # schemas are reusable; building one costs more than a load


def validate_contract(data: Mapping[str, Any]) -> dict[str, Any]:
    return _load(_CONTRACT_SCHEMA, data, "labour_contract")


# -- the contract ----------------------------------------------------------------------------


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def _clause_lines(key: str, c: Mapping[str, Any]) -> list[str]:
    """The agreed particulars of one clause, as lines of the contract."""
    if key == "employer":
        e = c["employer"]
        lines = [
            f"名称：{e['name']}",
            f"住所：{e['address']}",
            f"法定代表人（主要负责人）：{e['legal_representative']}",
        ]
        return lines + ([f"统一社会信用代码：{e['uscc']}"] if e.get("uscc") else [])
    if key == "worker":
        w = c["worker"]
        return [f"姓名：{w['name']}", f"住址：{w['address']}", f"居民身份证号码：{w['resident_id']}"]
    if key == "term":
        t = c["term"]
        start = chinese_date(t["start_date"])
        if t["kind"] == "fixed":
            line = f"固定期限：自{start}起至{chinese_date(t['end_date'])}止。"
        elif t["kind"] == "open_ended":
            line = f"无固定期限：自{start}起至依法解除、终止劳动合同时止。"
        else:
            line = f"以完成一定工作任务为期限：自{start}起至{t['task_description']}工作任务完成时即行终止。"
        months = t.get("probation_months") or 0
        return [line, f"试用期 {months} 个月（包含在劳动合同期限内）。" if months else "不约定试用期。"]
    if key == "job":
        j = c["job"]
        lines = [f"乙方同意在{j['position']}岗位工作。", f"工作地点：{j['place']}。"]
        return lines + ([f"工作内容：{j['duties']}"] if j.get("duties") else [])
    if key == "working_time":
        w = c["working_time"]
        if w["system"] == "standard":
            per_day = _hours(w.get("hours_per_day") or 8)
            per_week = _hours(w.get("hours_per_week") or 40)
            line = (
                f"乙方实行标准工时制，每日工作时间不超过 {per_day} 小时，每周工作时间不超过 {per_week} 小时。"
            )
        else:
            line = f"乙方所在岗位实行{SYSTEMS[w['system']]}，经人力资源社会保障部门批准（{w['approval']}）。"
        return [line, f"休息休假：{w['rest']}"]
    if key == "pay":
        p = c["pay"]
        lines = [f"乙方月工资为 {_yuan(p['monthly_amount'])}。"]
        if p.get("probation_amount") is not None and c["term"].get("probation_months"):
            lines.append(f"试用期月工资为 {_yuan(p['probation_amount'])}。")
        payday = (
            f"，发薪日为每月 {p['payday']} 日" if p["pay_period"] == "monthly" and p.get("payday") else ""
        )
        lines.append(f"甲方{PAY_PERIODS[p['pay_period']]}以货币形式支付乙方工资{payday}。")
        return lines + ([p["other"]] if p.get("other") else [])
    if key == "social_insurance":
        return [c["social_insurance"]["description"]]
    if key == "protection":
        p = c["protection"]
        return [
            f"劳动保护：{p['labour_protection']}",
            f"劳动条件：{p['working_conditions']}",
            f"职业危害防护：{p['occupational_hazards']}",
        ]
    return []


def _hours(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class FieldSink:
    """Where the signature boxes were drawn: field name -> (page index, x1, y1, x2, y2)."""

    boxes: dict[str, tuple[int, float, float, float, float]] = field(default_factory=dict)


class SignatureFields(Flowable):
    """The parties' labels, each over an empty box for its signature field (one or two columns)."""

    def __init__(self, sink: FieldSink, columns: list[tuple[str, str]]):
        super().__init__()
        self.sink, self.columns = sink, columns
        self.width = 0.0
        self.height = SIGNATURE_BOX[1] + 2 * 21

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, self.height

    def draw(self) -> None:
        c = self.canv
        w, h = SIGNATURE_BOX
        for i, (label, name) in enumerate(self.columns):
            x = 0.0 if i == 0 else self.width / 2 + 10
            para = Para(label, FLUSH)
            para.wrap(self.width / len(self.columns) - 10, 21 * 2)
            para.drawOn(c, x, self.height - 21)
            c.saveState()
            c.setStrokeGray(0.6)
            c.setLineWidth(0.5)
            c.rect(x, 0, w, h)
            c.restoreState()
            x1, y1 = c.absolutePosition(x, 0)
            self.sink.boxes[name] = (c.getPageNumber() - 1, x1, y1, x1 + w, y1 + h)


def both_parties(sink: FieldSink, employer: str, worker: str) -> SignatureFields:
    """甲方（盖章） and 乙方（签名） side by side: the fields of a document both parties sign."""
    return SignatureFields(
        sink,
        [
            (f"甲方（盖章）：{employer}", EMPLOYER_SEAL_FIELD),
            (f"乙方（签名）：{worker}", WORKER_SIGNATURE_FIELD),
        ],
    )


def _contract_story(d: Mapping[str, Any], sink: FieldSink) -> list[Flowable]:
    template, clauses = d["template"], d["clauses"]
    story: list[Flowable] = [Para(template["title"], TITLE)]
    if template.get("subtitle"):
        story.append(Para(template["subtitle"], SUBTITLE))
    story.append(Para(f"合同编号：{d['contract_number']}", FLUSH.but(align="right")))
    story += [Para(p, TEXT) for p in template["preamble"]]
    for section in template["sections"]:
        story.append(Para(section["heading"], HEADING))
        story += [Para(p, TEXT) for p in section["text"]]
        story += [Para(line, TEXT) for line in _clause_lines(section["clause"], clauses)]
    if clauses.get("other_terms"):
        story.append(Para("其他约定", HEADING))
        story += [Para(p, TEXT) for p in clauses["other_terms"]]
    story += [Para(p, TEXT) for p in template["closing"]]
    story.append(Spacer(1, LINE))
    story.append(both_parties(sink, clauses["employer"]["name"], clauses["worker"]["name"]))
    return story


def render_contract(data: Mapping[str, Any]) -> bytes:
    """The contract as PDF/A-2b with its two empty signature fields."""
    d = validate_contract(data)
    sink = FieldSink()
    employer = d["clauses"]["employer"]["name"]
    info = DocumentInfo(
        title=f"{d['template']['title']} {d['contract_number']}",
        author=employer,
        subject="劳动合同",
        keywords=f"{d['contract_number']} labour_contract",
        verification_url=d["verification_url"],
        verification_code=d["verification_code"],
    )
    built = build(_contract_story(d, sink), info)
    return add_signature_fields(built.pdf, sink.boxes)


def add_signature_fields(pdf: bytes, boxes: Mapping[str, tuple[int, float, float, float, float]]) -> bytes:
    """Empty, printable signature fields (with an empty appearance, as PDF/A wants) in `boxes`."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        acroform = doc.Root.get("/AcroForm")
        if acroform is None:
            acroform = doc.Root.AcroForm = doc.make_indirect(pikepdf.Dictionary(Fields=pikepdf.Array()))
        for name, (page_index, x1, y1, x2, y2) in boxes.items():
            page = doc.pages[page_index]
            appearance = doc.make_stream(b"")
            appearance.Type = pikepdf.Name.XObject
            appearance.Subtype = pikepdf.Name.Form
            appearance.BBox = pikepdf.Array([0, 0, x2 - x1, y2 - y1])
            widget = doc.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Widget,
                    FT=pikepdf.Name.Sig,
                    T=pikepdf.String(name),
                    F=4,  # Print
                    Rect=pikepdf.Array([x1, y1, x2, y2]),
                    P=page.obj,
                    AP=pikepdf.Dictionary(N=appearance),
                )
            )
            acroform.Fields.append(widget)
            if "/Annots" not in page.obj:
                page.obj.Annots = pikepdf.Array()
            page.obj.Annots.append(widget)
        out = io.BytesIO()
        doc.save(out, object_stream_mode=pikepdf.ObjectStreamMode.preserve, deterministic_id=False)
        return out.getvalue()


# -- the completion certificate ---------------------------------------------------------------


class EventSchema(_Loose):
    at = fields.String(required=True)
    action = _text(60, required=True)
    actor = _text(120, required=True)
    identity_method = fields.String(load_default=None)
    client_ip = fields.String(load_default=None)
    user_agent = fields.String(load_default=None)
    document_sha256 = fields.String(load_default=None)


class SignatureSchema(_Loose):
    field_name = fields.String(required=True)
    signer = fields.String(required=True)
    organisation = fields.String(load_default=None)
    signed_at = fields.String(load_default=None)
    timestamp = fields.String(load_default=None)
    level = fields.String(load_default=None)
    valid = fields.Boolean(required=True)


class CertificateSchema(_Loose):
    contract_number = _text(40, required=True)
    verification_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    verification_code = fields.String(required=True, validate=validate.Regexp(VERIFICATION_CODE))
    employer = _text(100, required=True)
    worker = _text(60, required=True)
    concluded_at = fields.String(required=True)
    document_sha256 = fields.String(required=True)
    final_sha256 = fields.String(required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)
    signatures = fields.List(fields.Nested(SignatureSchema), required=True)


_CERTIFICATE_SCHEMA = CertificateSchema()

ACTIONS = {
    "labour_contract.drafted": "起草合同",
    "labour_contract.sent": "发送合同并告知劳动者签署流程及查看、下载方式（免费）",
    "labour_contract.identity_verified": "劳动者身份核验",
    "labour_contract.worker_signed": "劳动者签名",
    "labour_contract.employer_sealed": "用人单位盖章",
    "labour_contract.concluded": "合同订立完成（可信时间戳）",
}


def _event_lines(events: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for n, e in enumerate(events, 1):
        parts = [f"{n}. {e['at']}　{ACTIONS.get(e['action'], e['action'])}　操作人：{e['actor']}"]
        if e.get("identity_method"):
            parts.append(f"身份核验方式：{e['identity_method']}")
        if e.get("client_ip"):
            parts.append(f"IP 地址：{e['client_ip']}")
        if e.get("user_agent"):
            parts.append(f"设备：{e['user_agent']}")
        if e.get("document_sha256"):
            parts.append(f"文件摘要（SHA-256）：{e['document_sha256']}")
        lines.append("；".join(parts))
    return lines


def render_certificate(data: Mapping[str, Any]) -> bytes:
    """The completion certificate (签署完成证明) as PDF/A-2b."""
    d = _load(_CERTIFICATE_SCHEMA, data, "labour_contract_certificate")
    story: list[Flowable] = [
        Para("电子劳动合同签署完成证明", TITLE),
        Spacer(1, LINE * 0.5),
        Para(f"合同编号：{d['contract_number']}", FLUSH),
        Para(f"用人单位：{d['employer']}", FLUSH),
        Para(f"劳动者：{d['worker']}", FLUSH),
        Para(f"订立完成时间：{d['concluded_at']}", FLUSH),
        Para(f"签署前合同文件摘要（SHA-256）：{d['document_sha256']}", FLUSH),
        Para(f"已签署合同文件摘要（SHA-256）：{d['final_sha256']}", FLUSH),
        Para("签名", HEADING),
    ]
    for s in d["signatures"]:
        who = s["signer"] + (f"（{s['organisation']}）" if s.get("organisation") else "")
        verdict = "有效" if s["valid"] else "无效"
        story.append(
            Para(
                f"{s['field_name']}：{who}；签署时间 {s.get('signed_at') or '—'}；"
                f"可信时间戳 {s.get('timestamp') or '—'}；级别 {s.get('level') or '—'}；验证结果：{verdict}",
                FLUSH,
            )
        )
    story.append(Para("签署过程记录", HEADING))
    story += [Para(line, SMALL) for line in _event_lines(d["events"])]
    story.append(Spacer(1, BODY_SIZE))
    story.append(Para("本证明由平台根据签署过程的审计记录生成，记录以哈希链防篡改，可凭验证码核验。", SMALL))
    info = DocumentInfo(
        title=f"电子劳动合同签署完成证明 {d['contract_number']}",
        author="Laborcase",
        subject="电子劳动合同签署完成证明",
        keywords=f"{d['contract_number']} labour_contract_certificate",
        verification_url=d["verification_url"],
        verification_code=d["verification_code"],
    )
    return build(story, info).pdf


class ContractRenderer:
    """The `ContractRenderer` port."""

    def validate_contract(self, data: Mapping[str, Any]) -> None:
        validate_contract(data)

    def render_contract(self, data: Mapping[str, Any]) -> bytes:
        return render_contract(data)

    def render_certificate(self, data: Mapping[str, Any]) -> bytes:
        return render_certificate(data)

    # the lifecycle documents live in documents.contract_changes (which imports this module)
    def render_amendment(self, data: Mapping[str, Any]) -> bytes:
        from documents.contract_changes import render_amendment

        return render_amendment(data)

    def render_termination(self, data: Mapping[str, Any]) -> bytes:
        from documents.contract_changes import render_termination

        return render_termination(data)

    def render_paper_copy(self, data: Mapping[str, Any], document: bytes) -> bytes:
        from documents.contract_changes import render_paper_copy

        return render_paper_copy(data, document)
