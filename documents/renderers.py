"""One renderer per document type, and `render(document_type, data)`.

Two page heads are used.  Notices (补正、受理、不予受理、组庭、开庭、延期、延长审限) carry the
GB/T 9704 head: the issuing body in red, the document number centred under it and a red rule
across the type area.  Decisions of the tribunal (调解书、裁决书) and the mediation agreement
are set as 仲裁文书 are: the body's name, the spaced-out title and the number on the right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, TableStyle

from documents import schemas
from documents.flowables import (
    BODY_SIZE,
    LINE,
    RED,
    Content,
    GridTable,
    KeepTail,
    Para,
    Rule,
    SealSink,
    SignatureBlock,
    SignLine,
    Span,
    Style,
    spread,
)
from documents.fonts import HEI, KAI, SONG
from documents.layout import TEXT_WIDTH, DocumentInfo, build
from documents.text import arabic_date, chinese_date, chinese_number, chinese_time, item_number, money
from workflows.errors import FieldProblem, ValidationError
from workflows.ports import RenderedDocument

LAW = "《中华人民共和国劳动争议调解仲裁法》"

BODY = Style(first_indent=2 * BODY_SIZE)  # 正文: 3号, 首行缩进二字
FLUSH = Style()  # 主送机关: 顶格
CENTRE = Style(align="center")
RIGHT = Style(align="right")
TITLE = Style(size=22, leading=36, bold=True, align="center", space_after=LINE * 0.3)  # 2号小标宋
CELL = Style(size=12, leading=18, align="left")  # 小四
CELL_HEAD = CELL.but(font=HEI, align="center")
CELL_CENTRE = CELL.but(align="center")
CELL_RIGHT = CELL.but(align="right")
NOTE = Style(font=KAI, size=14, leading=24, first_indent=2 * 14)  # 楷体 4号: contact and remarks

RULINGS = {"granted": "支持", "partly_granted": "部分支持", "dismissed": "驳回"}
ROLE_LABELS = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}

Data = dict[str, Any]


# -- shared pieces --------------------------------------------------------------------------


def names(d: Data, role: str) -> list[str]:
    return [p["name"] for p in d["parties"] if p["role"] == role]


def joined(d: Data, role: str) -> str:
    return "、".join(names(d, role))


def case_phrase(d: Data, *, number: bool = True) -> str:
    """申请人张三与被申请人某公司劳动人事争议一案（案号）."""
    text = f"申请人{joined(d, 'applicant')}与被申请人{joined(d, 'respondent')}劳动人事争议一案"
    return text + (f"（{d['case_number']}）" if number and d.get("case_number") else "")


def addressee(d: Data, *roles: str) -> Para:
    who = d.get("addressee") or "、".join(n for r in roles for n in names(d, r))
    return Para(f"{who}：", FLUSH)


def body(*content: Content, style: Style = BODY) -> list[Flowable]:
    return [Para(c, style) for c in content]


def numbered(items: Sequence[str], style: Style = BODY) -> list[Flowable]:
    return [Para(f"{item_number(i)}{text}", style) for i, text in enumerate(items, 1)]


def labelled(label: str, paragraphs: Sequence[str] | None) -> list[Flowable]:
    """A section of running text whose first paragraph opens with a 黑体 label: 经审理查明：…"""
    if not paragraphs:
        return []
    first = Para([Span(f"{label}：", font=HEI), paragraphs[0]], BODY)
    return [first, *body(*paragraphs[1:])]


def fit_size(text: str, largest: float, share: float = 0.94) -> float:
    """The largest size up to `largest` at which `text` fits `share` of the type area."""
    return min(largest, TEXT_WIDTH * share / max(len(text), 1))


def official_head(d: Data, title: str) -> list[Flowable]:
    """GB/T 9704 head: red issuing body, document number, red rule; then the title."""
    size = fit_size(d["issuer"], 30)
    return [
        Para(d["issuer"], Style(size=size, leading=size * 1.35, bold=True, color=RED, align="center")),
        Spacer(1, LINE * 0.3),
        Para(d["document_number"], CENTRE),
        Rule(1.2, RED, space_before=1 * mm, space_after=LINE * 0.6),
        Para(title, TITLE),
    ]


def decision_head(d: Data, title: str) -> list[Flowable]:
    """仲裁文书 head: the body's name, the title spaced out, the number on the right."""
    size = fit_size(d["issuer"], 22)
    tracking = 22.0 if len(title) <= 4 else 6.0
    return [
        Para(d["issuer"], Style(size=size, leading=size * 1.5, bold=True, align="center")),
        Para(title, Style(size=26, leading=44, bold=True, align="center", tracking=tracking)),
        Para(d["document_number"], RIGHT.but(space_after=LINE * 0.3)),
    ]


def _is_organisation(p: Mapping[str, Any]) -> bool:
    if p.get("kind"):
        return bool(p["kind"] == "organisation")
    return bool(p.get("uscc") or p.get("legal_representative"))


def _party_line(p: Mapping[str, Any], label: str) -> str:
    bits = [f"{label}：{p['name']}"]
    if _is_organisation(p):
        if p.get("uscc"):
            bits.append(f"统一社会信用代码{p['uscc']}")
        if p.get("address"):
            bits.append(f"住所地{p['address']}")
    else:
        if p.get("gender"):
            bits.append("男" if p["gender"] == "male" else "女")
        if p.get("ethnicity"):
            bits.append(p["ethnicity"])
        if p.get("birth_date"):
            bits.append(f"{arabic_date(p['birth_date'])}出生")
        if p.get("resident_id"):
            bits.append(f"公民身份号码{p['resident_id']}")
        if p.get("address"):
            bits.append(f"住{p['address']}")
    return "，".join(bits) + "。"


def _with(label: str, name: str, detail: str | None) -> Para:
    """法定代表人：王五，董事长。 / 委托代理人：李四，某律师事务所律师。"""
    return Para(f"{label}：{name}" + (f"，{detail}" if detail else "") + "。", BODY)


def parties(d: Data) -> list[Flowable]:
    """The parties, each with representative and agents, as the head of a decision sets them."""
    out: list[Flowable] = []
    agents = [p for p in d["parties"] if p["role"] == "agent"]
    placed: set[int] = set()
    for role, label in ROLE_LABELS.items():
        for p in (p for p in d["parties"] if p["role"] == role):
            out.append(Para(_party_line(p, label), BODY))
            if p.get("legal_representative"):
                out.append(
                    _with("法定代表人", p["legal_representative"], p.get("legal_representative_title"))
                )
            for a in p.get("agents") or []:
                out.append(_with("委托代理人", a["name"], a.get("description")))
            for i, a in enumerate(agents):
                if a.get("represents") == p["name"]:
                    placed.add(i)
                    out.append(_with("委托代理人", a["name"], a.get("description")))
    out += [
        _with("委托代理人", a["name"], a.get("description")) for i, a in enumerate(agents) if i not in placed
    ]
    return out


def when(day: date, at: time | None) -> str:
    return arabic_date(day) + (chinese_time(at) if at else "")


def close_notice(story: list[Flowable], d: Data, sink: SealSink) -> list[Flowable]:
    """特此通知 and the issuing body over the date, the seal over both; the last line of the
    body goes over to the next page with them rather than leave them alone there."""
    block = SignatureBlock(
        [SignLine(d["issuer"], "on_date"), SignLine(chinese_date(d["issue_date"]), "date")],
        sink,
        seal_lift=LINE * 0.8,
    )
    tail: list[Flowable] = [Para("特此通知。", BODY), Spacer(1, LINE * 0.25), block]
    if isinstance(story[-1], Para):
        return [*story[:-1], KeepTail(story[-1], tail)]
    return [*story, KeepTogether(tail)]


def tribunal_signature(d: Data, sink: SealSink, last: Para) -> Flowable:
    """Arbitrators, date and clerk as a column on the right; the seal over the date."""
    lines: list[SignLine] = []
    if d.get("tribunal_kind") == "sole" or not d.get("other_arbitrators"):
        lines.append(SignLine(f"仲裁员　{spread(d['presiding_arbitrator'], 3)}", "column"))
    else:
        lines.append(SignLine(f"首席仲裁员　{spread(d['presiding_arbitrator'], 3)}", "column"))
        lines += [
            SignLine(f"{spread('仲裁员', 5)}　{spread(n, 3)}", "column") for n in d["other_arbitrators"]
        ]
    lines.append(SignLine(chinese_date(d["issue_date"]), "date"))
    if d.get("clerk"):
        lines.append(SignLine(f"{spread('书记员', 5)}　{spread(d['clerk'], 3)}", "column"))
    block = SignatureBlock(lines, sink, right_pad=2 * BODY_SIZE, seal_lift=14.0)
    return KeepTail(last, [Spacer(1, LINE * 0.25), block])


def note(text: str | None) -> list[Flowable]:
    return [Para(text, NOTE.but(space_before=LINE * 0.3))] if text else []


# -- the documents --------------------------------------------------------------------------


def mediation_agreement(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*decision_head(d, "调解协议书"), *parties(d)]
    story += labelled("争议事项及调解情况", d.get("mediation_summary"))
    story += body(f"经{d['issuer']}调解员{d['mediator']}主持调解，双方当事人在平等自愿的基础上达成如下协议：")
    story += numbered(d["agreement_terms"])
    if d.get("performance_due_on"):
        story += body(f"上述协议内容应当于{arabic_date(d['performance_due_on'])}前履行完毕。")
    story += body(
        "本协议书由双方当事人签名或者盖章，经调解员签名并加盖调解组织印章后生效，"
        "对双方当事人具有约束力，当事人应当履行（" + LAW + "第十四条）。",
        "一方当事人在协议约定期限内不履行调解协议的，另一方当事人可以依法申请仲裁（第十五条）。"
        "因支付拖欠劳动报酬、工伤医疗费、经济补偿或者赔偿金事项达成调解协议，用人单位在协议约定"
        "期限内不履行的，劳动者可以持调解协议书依法向人民法院申请支付令（第十六条）。",
        "双方当事人可以自本协议生效之日起三十日内，共同向人民法院申请司法确认。",
    )
    last = Para(
        f"本协议书一式{chinese_number(d['copies'])}份，双方当事人各执一份，其余由调解组织存档。", BODY
    )
    sign = Style(leading=LINE * 1.4)
    signers = [
        *(Para(f"申请人（签名）：{'　' * 8}", sign) for _ in names(d, "applicant")),
        *(Para(f"被申请人（签名或者盖章）：{'　' * 6}", sign) for _ in names(d, "respondent")),
        Para(f"调解员（签名）：{'　' * 8}", sign),
    ]
    block = SignatureBlock(
        [SignLine(d["issuer"], "on_date"), SignLine(chinese_date(d["issue_date"]), "date")],
        sink,
        seal_lift=LINE * 0.8,
    )
    return [*story, KeepTail(last, [Spacer(1, LINE * 0.3), *signers, Spacer(1, LINE * 0.2), block])]


def supplement_notice(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*official_head(d, "补正通知书"), addressee(d, "applicant")]
    story += body(
        f"你（单位）于{arabic_date(d['application_received_on'])}向本委提出的仲裁申请，经审查，申请材料"
        f"尚不齐全。现一次性告知需要补正的全部材料，请于{arabic_date(d['supplement_due_on'])}前向本委补正："
    )
    story += numbered(d["supplement_items"])
    story += body("本委自收到你（单位）补正的全部材料之日起审查是否受理。")
    return close_notice(story, d, sink)


def acceptance_notice(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*official_head(d, "受理通知书"), addressee(d, "applicant")]
    story += body(
        f"你（单位）与{joined(d, 'respondent')}劳动人事争议一案，本委经审查认为符合受理条件，"
        f"于{arabic_date(d['accepted_on'])}决定受理，案号为{d['case_number']}。现将有关事项通知如下："
    )
    items = [
        "本委将在受理之日起五日内将仲裁申请书副本送达被申请人（" + LAW + "第三十条）。",
        "仲裁庭的组成情况及开庭日期、地点，本委将另行书面通知（第三十二条、第三十五条）。",
        "当事人对自己提出的主张，有责任提供证据（第六条）。"
        + (
            f"请于{arabic_date(d['evidence_due_on'])}前向本委提交证据材料。"
            if d.get("evidence_due_on")
            else ""
        ),
        "当事人可以委托代理人参加仲裁活动；委托他人参加仲裁活动的，应当向本委提交有委托人签名或者盖章"
        "的委托书，委托书应当载明委托事项和权限（第二十四条）。",
    ]
    story += numbered(items)
    return [*close_notice(story, d, sink), *note(d.get("contact"))]


def refusal_notice(d: Data, sink: SealSink) -> list[Flowable]:
    ground = schemas.REFUSAL_GROUNDS[d["refusal_ground"]]
    against = f"（被申请人：{joined(d, 'respondent')}）" if names(d, "respondent") else ""
    reason = d.get("refusal_reason") or []
    story = [*official_head(d, "不予受理通知书"), addressee(d, "applicant")]
    opening = (
        f"你（单位）于{arabic_date(d['application_received_on'])}向本委提出的仲裁申请{against}，经审查，"
    )
    if ground:
        story += body(f"{opening}{ground}，不符合受理条件。", *reason)
    else:
        story += body(opening + reason[0], *reason[1:])
    story += body(f"根据{LAW}第二十九条的规定，本委决定不予受理。")
    if d["refusal_ground"] == "no_jurisdiction" and d.get("competent_body"):
        story += body(f"你（单位）可以向{d['competent_body']}申请仲裁。")
    story += body("对本委不予受理的决定不服的，你（单位）可以就该劳动争议事项向人民法院提起诉讼。")
    return close_notice(story, d, sink)


def form_tribunal_notice(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*official_head(d, "仲裁庭组成通知书"), addressee(d, "applicant", "respondent")]
    story += body(
        f"{case_phrase(d)}，本委已依法受理。根据{LAW}第三十一条的规定，现将仲裁庭组成情况通知如下："
    )
    if d.get("tribunal_kind") == "sole":
        members = [f"本案由仲裁员{d['presiding_arbitrator']}独任仲裁。"]
    else:
        members = [
            f"首席仲裁员：{d['presiding_arbitrator']}。",
            f"仲裁员：{'、'.join(d['other_arbitrators'])}。",
        ]
    if d.get("clerk"):
        members.append(f"书记员：{d['clerk']}。")
    story += body(*members)
    if d.get("simplified_procedure"):
        story += body("本案适用简易程序审理。")
    story += body(
        f"当事人认为仲裁员有{LAW}第三十三条规定情形之一的，有权以口头或者书面方式提出回避申请，并说明理由。"
    )
    return close_notice(story, d, sink)


def hearing_notice(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*official_head(d, "开庭通知书"), addressee(d, "applicant", "respondent")]
    story += body(
        f"{case_phrase(d)}，仲裁庭定于{when(d['hearing_date'], d.get('hearing_time'))}在{d['hearing_place']}"
        "开庭审理。请准时到庭，并携带身份证明、授权委托书和证据原件。"
    )
    story += body("注意事项：", style=BODY)
    items = [
        "当事人有正当理由的，可以在开庭三日前请求延期开庭。是否延期，由本委决定（" + LAW + "第三十五条）。",
        "申请人收到本通知，无正当理由拒不到庭或者未经仲裁庭同意中途退庭的，可以视为撤回仲裁申请（第三十六条）。",
        "被申请人收到本通知，无正当理由拒不到庭或者未经仲裁庭同意中途退庭的，可以缺席裁决（第三十六条）。",
        *d.get("notes", []),
    ]
    story += numbered(items)
    return close_notice(story, d, sink)


def postpone_hearing_notice(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*official_head(d, "延期审理通知书"), addressee(d, "applicant", "respondent")]
    text = case_phrase(d)
    if d.get("original_hearing_date"):
        text += f"，原定于{arabic_date(d['original_hearing_date'])}开庭审理"
    text += "。"
    if d.get("requested_by"):
        text += (
            f"{d['requested_by']}以{d['postponement_reason']}为由请求延期开庭，本委经审查决定延期开庭审理。"
        )
    else:
        text += f"因{d['postponement_reason']}，本委决定延期开庭审理。"
    if d.get("new_hearing_date"):
        place = d.get("hearing_place") or "原地点"
        text += (
            f"现定于{when(d['new_hearing_date'], d.get('new_hearing_time'))}在{place}开庭审理，请准时到庭。"
        )
    else:
        text += "开庭日期、地点另行通知。"
    story += body(text)
    return close_notice(story, d, sink)


def extension_notice(d: Data, sink: SealSink) -> list[Flowable]:
    days = d["extension_days"]
    story = [*official_head(d, "延长审理期限通知书"), addressee(d, "applicant", "respondent")]
    story += body(
        f"{case_phrase(d)}，本委于{arabic_date(d['accepted_on'])}受理。因{d['extension_reason']}，案情复杂"
        f"需要延期。经本委主任批准，根据{LAW}第四十三条第一款的规定，本案审理期限延长{days}日，"
        f"至{arabic_date(d['new_deadline'])}届满。",
        "逾期未作出仲裁裁决的，当事人可以就该劳动争议事项向人民法院提起诉讼。",
    )
    return close_notice(story, d, sink)


def _claims(d: Data) -> list[str]:
    if d.get("claims"):
        out = []
        for c in sorted(d["claims"], key=lambda c: c.get("position") or 0):
            text = (c["description"].strip() or c.get("claim_type_label") or c["claim_type"]).rstrip("。；;")
            if c.get("amount") is not None and "元" not in text:
                text += f"（人民币{money(c['amount'])}元）"
            out.append(text + "；")
        if out:
            out[-1] = out[-1][:-1] + "。"
        return out
    return [item["claim"].rstrip("。；;") + "；" for item in d.get("award_items", [])]


def claims_paragraph(d: Data) -> list[Flowable]:
    """申请人请求：一、…；二、…。 — one paragraph, as decisions set the claims."""
    claims = _claims(d)
    if not claims:
        return []
    return [
        Para(
            [
                Span("申请人请求：", font=HEI),
                "".join(f"{item_number(i)}{c}" for i, c in enumerate(claims, 1)),
            ],
            BODY,
        )
    ]


def procedure(d: Data, what: str) -> str:
    """Opening paragraph: acceptance, tribunal, hearing."""
    text = case_phrase(d, number=False)
    if d.get("accepted_on"):
        text += f"，本委于{arabic_date(d['accepted_on'])}受理后"
    text += "，依法组成仲裁庭"
    if d.get("tribunal_kind") == "sole" or not d.get("other_arbitrators"):
        text += f"（仲裁员{d['presiding_arbitrator']}独任仲裁）"
    if d.get("hearing_held_on"):
        text += f"，于{arabic_date(d['hearing_held_on'])}开庭进行了审理"
    if d.get("default_award"):
        text += "。被申请人经本委书面通知，无正当理由拒不到庭，仲裁庭依法缺席审理" + f"（{LAW}第三十六条）"
    return text + f"。{what}"


def mediation_statement(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*decision_head(d, "调解书"), *parties(d)]
    story += body(procedure(d, "仲裁庭在查明事实、分清是非的基础上主持调解。"))
    story += claims_paragraph(d)
    story += labelled("案件情况", d.get("case_summary"))
    story += body("经仲裁庭主持调解，双方当事人自愿达成如下协议：")
    story += numbered(d["mediation_statement_terms"])
    story += body("上述协议不违反法律、行政法规的强制性规定，仲裁庭予以确认。")
    last = Para(f"本调解书经双方当事人签收后，发生法律效力（{LAW}第四十二条）。", BODY)
    return [*story, tribunal_signature(d, sink, last)]


def _table(d: Data) -> GridTable:
    items = d["award_items"]
    has_claimed = any(i.get("claimed_amount") is not None for i in items)
    rows: list[list[Flowable]] = [
        [Para(h, CELL_HEAD) for h in ("序号", "仲裁请求", "请求金额", "裁决结果", "裁决金额")]
    ]
    for n, item in enumerate(items, 1):
        claim = item["claim"]
        rows.append(
            [
                Para(str(n), CELL_CENTRE),
                Para(claim, CELL),
                Para(
                    money(item["claimed_amount"]) if item.get("claimed_amount") is not None else "—",
                    CELL_RIGHT,
                ),
                Para(RULINGS[item["ruling"]], CELL_CENTRE),
                Para(money(item["amount"]) if item.get("amount") is not None else "—", CELL_RIGHT),
            ]
        )
    awarded = sum((i.get("amount") or Decimal(0) for i in items), Decimal(0))
    claimed = sum((i.get("claimed_amount") or Decimal(0) for i in items), Decimal(0))
    rows.append(
        [
            Para("", CELL),
            Para("合计", CELL_HEAD),
            Para(money(claimed) if has_claimed else "—", CELL_RIGHT),
            Para("", CELL),
            Para(money(awarded), CELL_RIGHT),
        ]
    )
    widths = [11 * mm, 71 * mm, 26 * mm, 22 * mm, 26 * mm]
    table = GridTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SONG, 12),  # else Table sets Helvetica (unembedded)
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    table.spaceBefore = LINE * 0.3
    table.spaceAfter = LINE * 0.5
    return table


def _orders(d: Data) -> list[str]:
    """The operative part: `award_orders`, else each item's `order`, else a plain wording."""
    if d.get("award_orders"):
        return list(d["award_orders"])
    orders: list[str] = []
    dismissed: list[int] = []
    for n, item in enumerate(d["award_items"], 1):
        if item.get("order"):
            orders.append(item["order"])
        elif item["ruling"] == "dismissed":
            dismissed.append(n)
        else:
            amount = f"，金额为人民币{money(item['amount'])}元" if item.get("amount") is not None else ""
            verb = "部分支持" if item["ruling"] == "partly_granted" else "支持"
            orders.append(f"{verb}申请人关于“{item['claim'].rstrip('。；;')}”的仲裁请求{amount}。")
    if dismissed:
        which = "、".join(f"第{i}项" for i in dismissed)
        orders.append(f"驳回申请人的{which}仲裁请求。")
    return orders


def finality_notice(d: Data) -> list[str]:
    """Whether the award is final and what each side may do (调解仲裁法 art.47-50)."""
    if d["award_finality"] == "final":
        court = d.get("intermediate_court") or "本委所在地的中级人民法院"
        return [
            f"本裁决为终局裁决，裁决书自作出之日起发生法律效力（{LAW}第四十七条）。劳动者对本裁决不服的，"
            "可以自收到本裁决书之日起十五日内向人民法院提起诉讼（第四十八条）。",
            "用人单位有证据证明本裁决有第四十九条第一款规定情形之一的，可以自收到本裁决书之日起三十日内"
            f"向{court}申请撤销裁决（第四十九条）。",
        ]
    court = d.get("basic_court") or "人民法院"
    return [
        "本裁决为非终局裁决。当事人对本裁决不服的，可以自收到本裁决书之日起十五日内向"
        f"{court}提起诉讼；期满不起诉的，本裁决书发生法律效力。",
    ]


def award_document(d: Data, sink: SealSink) -> list[Flowable]:
    story = [*decision_head(d, "裁决书"), *parties(d)]
    story += body(procedure(d, "本案现已审理终结。"))
    story += claims_paragraph(d)
    story += labelled("申请人称", d.get("applicant_statement"))
    story += labelled("被申请人辩称", d.get("respondent_defence"))
    story += labelled("经审理查明", d.get("findings"))
    story += labelled("仲裁庭认为", d["award_reasoning"])
    # the caption stays with the table; a table longer than a page still splits in place
    story += [KeepTogether([Para("仲裁请求及裁决结果如下表（金额单位：元）：", BODY), _table(d)])]
    basis = d.get("legal_basis")
    story += body(f"根据{basis}的规定，裁决如下：" if basis else "裁决如下：")
    story += numbered(_orders(d))
    if d.get("award_scope") == "partial":
        story += body(
            f"本裁决系就部分仲裁请求先行作出的裁决（{LAW}第四十三条第二款），其余仲裁请求另行裁决。"
        )
    notice = finality_notice(d)
    story += body(*notice[:-1])
    return [*story, tribunal_signature(d, sink, Para(notice[-1], BODY))]


# -- registry and entry point -------------------------------------------------------------


@dataclass(frozen=True)
class DocumentType:
    key: str
    title: str
    schema: type[schemas.DocumentSchema]
    story: Callable[[Data, SealSink], list[Flowable]]


DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.key: t
    for t in (
        DocumentType(
            "mediation_agreement", "调解协议书", schemas.MediationAgreementSchema, mediation_agreement
        ),
        DocumentType("supplement_notice", "补正通知书", schemas.SupplementNoticeSchema, supplement_notice),
        DocumentType("acceptance_notice", "受理通知书", schemas.AcceptanceNoticeSchema, acceptance_notice),
        DocumentType("refusal_notice", "不予受理通知书", schemas.RefusalNoticeSchema, refusal_notice),
        DocumentType(
            "form_tribunal_notice", "仲裁庭组成通知书", schemas.FormTribunalNoticeSchema, form_tribunal_notice
        ),
        DocumentType("hearing_notice", "开庭通知书", schemas.HearingNoticeSchema, hearing_notice),
        DocumentType(
            "postpone_hearing_notice",
            "延期审理通知书",
            schemas.PostponeHearingNoticeSchema,
            postpone_hearing_notice,
        ),
        DocumentType(
            "extension_notice", "延长审理期限通知书", schemas.ExtensionNoticeSchema, extension_notice
        ),
        DocumentType("mediation_statement", "调解书", schemas.MediationStatementSchema, mediation_statement),
        DocumentType("award_document", "裁决书", schemas.AwardDocumentSchema, award_document),
    )
}

#: Keys used by workflows/document_kinds.py that differ from the glossary's names.
ALIASES = {
    "correction_notice": "supplement_notice",
    "rejection_notice": "refusal_notice",
    "tribunal_notice": "form_tribunal_notice",
    "postponement_notice": "postpone_hearing_notice",
}


def document_type(key: str) -> DocumentType:
    found = DOCUMENT_TYPES.get(ALIASES.get(key, key))
    if found is None:
        raise ValidationError(
            f"unknown document type {key!r}",
            [FieldProblem("/document_type", f"must be one of: {', '.join(DOCUMENT_TYPES)}")],
        )
    return found


def validate(key: str, data: Mapping[str, Any]) -> Data:
    """The data as the renderer will use it; ValidationError (with pointers) when invalid."""
    kind = document_type(key)
    return schemas.load(kind.schema, data, kind.key)


def render(document_type_key: str, data: Mapping[str, Any], *, pdfa: bool = True) -> RenderedDocument:
    """Render one document: validated data in, PDF (PDF/A-2b unless `pdfa=False`) and seal box out."""
    kind = document_type(document_type_key)
    d = schemas.load(kind.schema, data, kind.key)
    sink = SealSink()
    info = DocumentInfo(
        title=f"{kind.title} {d['document_number']}",
        author=d["issuer"],
        subject=kind.title,
        keywords=" ".join(x for x in (d["document_number"], d.get("case_number"), kind.key) if x),
        verification_url=d["verification_url"],
        verification_code=d["verification_code"],
    )
    built = build(kind.story(d, sink), info, pdfa=pdfa)
    if sink.position is None:  # every story ends with a signature block
        raise RuntimeError(f"{kind.key}: no seal position recorded")
    return RenderedDocument(built.pdf, built.pages, sink.position)


class Renderer:
    """The `DocumentRenderer` port: `Renderer().render("award_document", data)`."""

    def __init__(self, *, pdfa: bool = True):
        self.pdfa = pdfa

    def render(self, document_type: str, data: Mapping[str, Any]) -> RenderedDocument:
        return render(document_type, data, pdfa=self.pdfa)

    def validate(self, document_type: str, data: Mapping[str, Any]) -> None:
        validate(document_type, data)
