"""Registry of statutory periods: how long, counted how, on what legal basis, and whether extendable.

Every period of /work/shared/design/law.md is a `StatutoryRule` keyed by a dotted name that BPMN
user tasks refer to (``deadline="arbitration.accept"``).  The unit is a per-rule setting (law.md
"Counting periods"): the 3-, 5- and 10-day arbitration periods count working days (办案规则 art.82,
source mark [M]), the 15- and 45-day ones calendar days; 行政处罚法 art.85 makes its 3/5/7-day
periods working days.  Year and month periods follow 民法典 art.202 (the corresponding date).

`source` repeats law.md's mark: L read in the official text, P quoted by a secondary source,
M not verified — an M or P rule is a configurable default (`with_overrides`), not settled law.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from workflows.document_kinds import KINDS
from workflows.errors import FieldProblem, NotFoundError, ValidationError

Unit = Literal["working_days", "calendar_days", "months", "years"]
Direction = Literal["after", "before"]
UNITS: tuple[str, ...] = ("working_days", "calendar_days", "months", "years")

ARBITRATION_WORKING_DAYS = "《劳动人事争议仲裁办案规则》第八十二条（三日、五日、十日指工作日）"
PENALTY_WORKING_DAYS = "《中华人民共和国行政处罚法》第八十五条（三日、五日、七日指工作日）"
CALENDAR_DAYS = (
    "《中华人民共和国民事诉讼法》第八十五条"
    "（期间届满的最后一日是法定休假日的，以法定休假日后的第一日为期间届满的日期）"
)


class UnknownRuleError(NotFoundError):
    """No statutory rule has this key."""

    code = "unknown_deadline_rule"

    def __init__(self, key: str):
        super().__init__("statutory rule", key)
        self.key = key


@dataclass(frozen=True)
class StatutoryRule:
    """One statutory period.

    `direction="after"`: the period runs forward from the day after the trigger (receipt,
    acceptance, …).  `direction="before"`: the trigger is a future event (the hearing) and the
    due date is the latest day to act, `period` units before it.
    Extension days and suspended days are counted in the rule's day unit: working days for a
    working-day rule, calendar days for all others.  `extension_max=None` with
    `extension_allowed=True` means the law allows an approved extension without a fixed cap.
    """

    key: str
    label: str
    period: int
    unit: Unit
    legal_basis: str
    article: str
    trigger: str
    source: Literal["L", "P", "M"] = "L"
    direction: Direction = "after"
    extension_allowed: bool = False
    extension_max: int | None = None
    approver_role: str | None = None
    unit_basis: str = ""
    #: the formal document (workflows.document_kinds) that tells the parties of an approved
    #: extension, where the law requires written notice (法43: 延长审限通知书)
    extension_notice: str | None = None

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if self.period <= 0:
            problems.append(FieldProblem("/period", "期间必须为正整数"))
        if self.unit not in UNITS:
            problems.append(FieldProblem("/unit", f"未知的计算单位 {self.unit!r}"))
        if self.direction not in ("after", "before"):
            problems.append(FieldProblem("/direction", f"未知的方向 {self.direction!r}"))
        if self.extension_allowed and not self.approver_role:
            problems.append(FieldProblem("/approver_role", "可延长的期间须指定批准人角色"))
        if not self.extension_allowed and self.extension_max:
            problems.append(FieldProblem("/extension_max", "不可延长的期间不能有延长上限"))
        if self.extension_max is not None and self.extension_max < 0:
            problems.append(FieldProblem("/extension_max", "延长上限不能为负"))
        if self.extension_notice is not None and (
            not self.extension_allowed or self.extension_notice not in KINDS
        ):
            problems.append(FieldProblem("/extension_notice", "须为可延长期间的已知文书类型"))
        if self.direction == "before" and self.extension_allowed:
            problems.append(FieldProblem("/extension_allowed", "开庭前类期间不能延长"))
        if len(self.key) > 64 or len(self.legal_basis) > 200:
            problems.append(FieldProblem("/key", "规则键不超过64字符，法律依据不超过200字符"))
        if problems:
            raise ValidationError(f"期间规则 {self.key} 配置有误", problems)

    @property
    def day_unit(self) -> Literal["working_days", "calendar_days"]:
        """Unit of extension and suspension days."""
        return "working_days" if self.unit == "working_days" else "calendar_days"


def _arb(
    key: str, label: str, period: int, article_no: str, art: str, trigger: str, **kw: Any
) -> StatutoryRule:
    unit = kw.pop("unit", "working_days" if period in (3, 5, 10) else "calendar_days")
    return StatutoryRule(
        key=key,
        label=label,
        period=period,
        unit=unit,
        legal_basis=f"《劳动争议调解仲裁法》{article_no}",
        article=f"调解仲裁法第{art}条",
        trigger=trigger,
        unit_basis=kw.pop(
            "unit_basis", ARBITRATION_WORKING_DAYS if unit == "working_days" else CALENDAR_DAYS
        ),
        **kw,
    )


_RULES: tuple[StatutoryRule, ...] = (
    # ---- 1. Mediation (调解仲裁法 ch.2) ------------------------------------------------------
    _arb("mediation.mediate", "调解期限", 15, "第十四条", "14", "自调解组织收到调解申请之日起"),
    StatutoryRule(
        key="mediation.court_confirmation",
        label="申请司法确认调解协议期限",
        period=30,
        unit="calendar_days",
        legal_basis="《中华人民共和国民事诉讼法》第二百零五条",
        article="民诉法第205条",
        trigger="自调解协议生效之日起",
        unit_basis=CALENDAR_DAYS,
    ),
    StatutoryRule(
        key="mediation.arbitration_review",
        label="仲裁审查调解协议期限",
        period=15,
        unit="calendar_days",
        legal_basis="《劳动人事争议仲裁办案规则》第七十四条至第七十八条",
        article="办案规则第74-78条",
        trigger="自仲裁委员会收到审查申请之日起",
        source="P",
        unit_basis=CALENDAR_DAYS,
    ),
    # ---- 2. Arbitration (调解仲裁法 ch.3; 办案规则) -------------------------------------------
    _arb(
        "arbitration.limitation",
        "仲裁时效",
        1,
        "第二十七条",
        "27",
        "自当事人知道或者应当知道其权利被侵害之日起",
        unit="years",
        unit_basis="《中华人民共和国民法典》第二百零二条",
    ),
    _arb("arbitration.accept", "受理审查期限", 5, "第二十九条", "29", "自仲裁委员会收到仲裁申请之日起"),
    _arb(
        "arbitration.serve_respondent", "送达仲裁申请书副本期限", 5, "第三十条", "30", "自受理仲裁申请之日起"
    ),
    _arb("arbitration.defence", "答辩期限", 10, "第三十条", "30", "自被申请人收到仲裁申请书副本之日起"),
    _arb(
        "arbitration.serve_defence", "送达答辩书副本期限", 5, "第三十条", "30", "自仲裁委员会收到答辩书之日起"
    ),
    _arb(
        "arbitration.form_tribunal",
        "组庭通知期限",
        5,
        "第三十一条、第三十二条",
        "31-32",
        "自受理仲裁申请之日起",
    ),
    StatutoryRule(
        key="arbitration.recusal_decision",
        label="回避决定期限",
        period=3,
        unit="working_days",
        legal_basis="《劳动争议调解仲裁法》第三十三条，《劳动人事争议仲裁办案规则》第十一条、第十二条",
        article="调解仲裁法第33条；办案规则第11-12条",
        trigger="自提出回避申请之日起",
        source="P",
        unit_basis=ARBITRATION_WORKING_DAYS,
    ),
    _arb(
        "arbitration.hearing_notice",
        "开庭通知期限（开庭前）",
        5,
        "第三十五条",
        "35",
        "开庭日期之前",
        direction="before",
    ),
    _arb(
        "arbitration.postpone_hearing_request",
        "申请延期开庭期限（开庭前）",
        3,
        "第三十五条",
        "35",
        "开庭日期之前",
        direction="before",
    ),
    _arb(
        "arbitration.award",
        "仲裁审理期限",
        45,
        "第四十三条",
        "43",
        "自仲裁委员会受理仲裁申请之日起",
        extension_allowed=True,
        extension_max=15,
        approver_role="commission_head",
        extension_notice="extension_notice",
    ),
    _arb(
        "arbitration.worker_sue_final_award",
        "劳动者不服终局裁决起诉期限",
        15,
        "第四十八条",
        "48",
        "自劳动者收到仲裁裁决书之日起",
    ),
    _arb(
        "arbitration.set_aside_final_award",
        "用人单位申请撤销终局裁决期限",
        30,
        "第四十九条",
        "49",
        "自用人单位收到仲裁裁决书之日起",
    ),
    _arb(
        "arbitration.sue_non_final_award",
        "不服非终局裁决起诉期限",
        15,
        "第五十条",
        "50",
        "自当事人收到仲裁裁决书之日起",
    ),
    # ---- 3. Labour-security inspection -------------------------------------------------------
    StatutoryRule(
        key="inspection.register",
        label="投诉受理立案期限",
        period=5,
        unit="working_days",
        legal_basis="《关于实施〈劳动保障监察条例〉若干规定》第十八条",
        article="若干规定第18条",
        trigger="自收到投诉之日起",
        source="P",
    ),
    StatutoryRule(
        key="inspection.limitation",
        label="劳动保障监察时效",
        period=2,
        unit="years",
        legal_basis="《劳动保障监察条例》第二十条",
        article="监察条例第20条",
        trigger="自违法行为发生之日起",
        unit_basis="《中华人民共和国民法典》第二百零二条",
    ),
    StatutoryRule(
        key="inspection.investigate",
        label="监察案件办结期限",
        period=60,
        unit="working_days",
        legal_basis="《劳动保障监察条例》第十七条",
        article="监察条例第17条",
        trigger="自立案之日起",
        extension_allowed=True,
        extension_max=30,
        approver_role="department_head",
    ),
    StatutoryRule(
        key="inspection.hearing_request",
        label="申请听证期限",
        period=5,
        unit="working_days",
        legal_basis="《中华人民共和国行政处罚法》第六十四条",
        article="行政处罚法第64条",
        trigger="自行政机关告知听证权利之日起",
        source="M",
        unit_basis=PENALTY_WORKING_DAYS,
    ),
    StatutoryRule(
        key="inspection.serve_decision",
        label="处罚决定书送达期限",
        period=7,
        unit="working_days",
        legal_basis="《中华人民共和国行政处罚法》第六十一条",
        article="行政处罚法第61条",
        trigger="自宣告行政处罚决定之日起（当事人不在场）",
        source="M",
        unit_basis=PENALTY_WORKING_DAYS,
    ),
    StatutoryRule(
        key="administrative.reconsideration",
        label="申请行政复议期限",
        period=60,
        unit="calendar_days",
        legal_basis="《中华人民共和国行政复议法》第二十条",
        article="行政复议法第20条",
        trigger="自知道或者应当知道该行政行为之日起",
        unit_basis=CALENDAR_DAYS,
    ),
    StatutoryRule(
        key="administrative.lawsuit",
        label="提起行政诉讼期限",
        period=6,
        unit="months",
        legal_basis="《中华人民共和国行政诉讼法》第四十六条",
        article="行政诉讼法第46条",
        trigger="自知道或者应当知道作出行政行为之日起",
        unit_basis="《中华人民共和国民法典》第二百零二条",
    ),
    StatutoryRule(
        key="inspection.dishonesty_list_term",
        label="拖欠农民工工资失信名单列入期限",
        period=3,
        unit="years",
        legal_basis="《保障农民工工资支付条例》第四十八条，《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》",
        article="农民工条例第48条；人社部令第45号",
        trigger="自列入失信名单之日起",
        source="P",
    ),
    StatutoryRule(
        key="inspection.dishonesty_list_early_removal",
        label="申请提前移出失信名单的最短期限",
        period=6,
        unit="months",
        legal_basis="《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》（人社部令第45号）",
        article="人社部令第45号",
        trigger="自列入失信名单之日起（已改正且作出信用承诺）",
        source="P",
    ),
    # ---- 4. Petitions (信访工作条例 2022) ------------------------------------------------------
    StatutoryRule(
        key="petition.register",
        label="信访事项登记转送交办期限",
        period=15,
        unit="calendar_days",
        legal_basis="《信访工作条例》第二十二条",
        article="信访条例第22条",
        trigger="自收到信访事项之日起",
    ),
    StatutoryRule(
        key="petition.notify_acceptance",
        label="告知信访人是否受理期限",
        period=15,
        unit="calendar_days",
        legal_basis="《信访工作条例》第十九条、第二十三条",
        article="信访条例第19、23条",
        trigger="自收到信访事项之日起",
    ),
    StatutoryRule(
        key="petition.handle",
        label="信访事项办理期限",
        period=60,
        unit="calendar_days",
        legal_basis="《信访工作条例》第三十三条、第三十四条",
        article="信访条例第33-34条",
        trigger="自受理之日起",
        extension_allowed=True,
        extension_max=30,
        approver_role="department_head",
    ),
    StatutoryRule(
        key="petition.review_request",
        label="请求复查期限",
        period=30,
        unit="calendar_days",
        legal_basis="《信访工作条例》第三十五条",
        article="信访条例第35条",
        trigger="自收到书面答复之日起",
    ),
    StatutoryRule(
        key="petition.review_answer",
        label="复查意见期限",
        period=30,
        unit="calendar_days",
        legal_basis="《信访工作条例》第三十五条",
        article="信访条例第35条",
        trigger="自收到复查请求之日起",
    ),
    StatutoryRule(
        key="petition.re_review_request",
        label="请求复核期限",
        period=30,
        unit="calendar_days",
        legal_basis="《信访工作条例》第三十六条",
        article="信访条例第36条",
        trigger="自收到复查意见之日起",
    ),
    StatutoryRule(
        key="petition.re_review_answer",
        label="复核意见期限",
        period=30,
        unit="calendar_days",
        legal_basis="《信访工作条例》第三十六条",
        article="信访条例第36条",
        trigger="自收到复核请求之日起",
    ),
    # ---- 5. Work injury (工伤保险条例; 工伤认定办法) ----------------------------------------------
    StatutoryRule(
        key="injury.employer_apply",
        label="用人单位申请工伤认定期限",
        period=30,
        unit="calendar_days",
        legal_basis="《工伤保险条例》第十七条",
        article="工伤条例第17条",
        trigger="自事故伤害发生之日或者被诊断、鉴定为职业病之日起",
        extension_allowed=True,
        extension_max=None,
        approver_role="department_head",
    ),
    StatutoryRule(
        key="injury.worker_apply",
        label="职工申请工伤认定期限",
        period=1,
        unit="years",
        legal_basis="《工伤保险条例》第十七条",
        article="工伤条例第17条",
        trigger="自事故伤害发生之日或者被诊断、鉴定为职业病之日起",
        unit_basis="《中华人民共和国民法典》第二百零二条",
    ),
    StatutoryRule(
        key="injury.accept",
        label="工伤认定受理审查期限",
        period=15,
        unit="calendar_days",
        legal_basis="《工伤保险条例》第十八条，《工伤认定办法》第八条",
        article="工伤条例第18条；认定办法第8条",
        trigger="自收到工伤认定申请（或补正材料）之日起",
        source="P",
    ),
    StatutoryRule(
        key="injury.decide",
        label="工伤认定决定期限",
        period=60,
        unit="calendar_days",
        legal_basis="《工伤保险条例》第二十条",
        article="工伤条例第20条",
        trigger="自受理工伤认定申请之日起",
    ),
    StatutoryRule(
        key="injury.decide_clear_case",
        label="事实清楚的工伤认定决定期限",
        period=15,
        unit="calendar_days",
        legal_basis="《工伤保险条例》第二十条",
        article="工伤条例第20条",
        trigger="自受理工伤认定申请之日起（事实清楚、权利义务明确）",
    ),
    StatutoryRule(
        key="injury.serve_decision",
        label="工伤认定决定书送达期限",
        period=20,
        unit="calendar_days",
        legal_basis="《工伤认定办法》第二十二条",
        article="认定办法第22条",
        trigger="自作出工伤认定决定之日起",
        source="P",
    ),
    StatutoryRule(
        key="appraisal.conclude",
        label="劳动能力鉴定结论期限",
        period=60,
        unit="calendar_days",
        legal_basis="《工伤保险条例》第二十五条",
        article="工伤条例第25条",
        trigger="自收到劳动能力鉴定申请之日起",
        extension_allowed=True,
        extension_max=30,
        approver_role="department_head",
    ),
    StatutoryRule(
        key="appraisal.re_appraisal_request",
        label="申请再次鉴定期限",
        period=15,
        unit="calendar_days",
        legal_basis="《工伤保险条例》第二十六条",
        article="工伤条例第26条",
        trigger="自收到劳动能力鉴定结论之日起",
    ),
    StatutoryRule(
        key="injury_benefit.reimburse",
        label="工伤医疗费用核定支付期限",
        period=20,
        unit="working_days",
        legal_basis="《社会保险经办条例》第二十一条、第二十二条",
        article="社会保险经办条例第21-22条",
        trigger="自受理申请之日起",
    ),
    # ---- 6. One matter, one go: social-insurance handling ----------------------------------------
    StatutoryRule(
        key="social_insurance.register",
        label="个人社会保险登记办理期限",
        period=10,
        unit="working_days",
        legal_basis="《社会保险经办条例》第六条",
        article="社会保险经办条例第6条",
        trigger="自收到登记申请之日起",
    ),
    StatutoryRule(
        key="social_insurance.pension_claim",
        label="养老金申领办理期限",
        period=20,
        unit="working_days",
        legal_basis="《社会保险经办条例》第十八条",
        article="社会保险经办条例第18条",
        trigger="自收到申领申请之日起",
    ),
)


def _index(rules: tuple[StatutoryRule, ...]) -> dict[str, StatutoryRule]:
    out: dict[str, StatutoryRule] = {}
    for rule in rules:
        if rule.key in out:
            raise ValueError(f"duplicate statutory rule {rule.key}")
        out[rule.key] = rule
    return out


RULES: Mapping[str, StatutoryRule] = MappingProxyType(_index(_RULES))


def get_rule(key: str, rules: Mapping[str, StatutoryRule] | None = None) -> StatutoryRule:
    """The rule named `key` in `rules` (default: the statutory registry)."""
    try:
        return (RULES if rules is None else rules)[key]
    except KeyError:
        raise UnknownRuleError(key) from None


_OVERRIDABLE = frozenset(
    {
        "label",
        "period",
        "unit",
        "legal_basis",
        "article",
        "trigger",
        "source",
        "direction",
        "extension_allowed",
        "extension_max",
        "approver_role",
        "unit_basis",
    }
)


def with_overrides(
    overrides: Mapping[str, Mapping[str, Any]], base: Mapping[str, StatutoryRule] | None = None
) -> Mapping[str, StatutoryRule]:
    """A copy of the registry with configured changes.

    E.g. ``{"arbitration.accept": {"unit": "calendar_days"}}``, for rules whose source is P or M
    (law.md: "a configurable default, never settled law").
    """
    rules = dict(RULES if base is None else base)
    for key, changes in overrides.items():
        rule = get_rule(key, rules)
        unknown = set(changes) - _OVERRIDABLE
        if unknown:
            raise ValidationError(
                f"期间规则 {key} 的配置项无效",
                [FieldProblem(f"/{key}/{name}", "不可配置的字段") for name in sorted(unknown)],
            )
        rules[key] = dataclasses.replace(rule, **changes)
    return MappingProxyType(rules)
