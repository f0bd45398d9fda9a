"""The clauses a labour contract must contain (劳动合同法 art.17 para.1) and their sanity rules.

Each mandatory clause is a section of the contract's `clauses` document (JSON), with the fields
that make it concrete.  `check_clauses` refuses a contract lacking one with a ValidationError
that names the clause and its item of art.17 (pointer `/clauses/<key>`), and checks what the
law makes checkable: the probation period against the term (art.19), probation pay (art.20) and
pay against the local minimum wage (劳动法 art.48, 最低工资规定 art.12).

Pay below the minimum wage is refused, not warned about: such a term is void (劳动合同法
art.26) and the employer, who answers for the text (design/law.md §8 item 2), cannot mean it.
Where the table of minimum wages has no standard for the workplace's region the check cannot be
made; that is a warning, so that employers in regions not yet in the table are not locked out.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from workflows.errors import FieldProblem, ValidationError
from workflows.identity import is_valid_resident_id
from workflows.minimum_wages import MinimumWageMissingError, MinimumWages

ART17 = "劳动合同法第十七条第一款"
TERM_KINDS = {"fixed": "固定期限", "open_ended": "无固定期限", "task": "以完成一定工作任务为期限"}
WORKING_TIME_SYSTEMS = {
    "standard": "标准工时制",
    "comprehensive": "综合计算工时工作制",
    "flexible": "不定时工作制",
}
PAY_PERIODS = {"monthly": "按月", "semi_monthly": "按半月", "weekly": "按周", "daily": "按日"}
MAX_PROBATION_MONTHS = 6
STANDARD_HOURS_PER_DAY = 8  # 国务院关于职工工作时间的规定 art.3
STANDARD_HOURS_PER_WEEK = 40


@dataclass(frozen=True)
class Clause:
    """A mandatory clause: its key in `clauses`, its name, its item of art.17 para.1, its fields."""

    key: str
    name: str
    item: str  # 第一项 …
    fields: Mapping[str, str]  # required field -> its name

    @property
    def citation(self) -> str:
        return f"{self.name}（{ART17}{self.item}）"


CLAUSES: tuple[Clause, ...] = (
    Clause(
        "employer",
        "用人单位的名称、住所和法定代表人或者主要负责人",
        "第一项",
        {"name": "名称", "address": "住所", "legal_representative": "法定代表人或者主要负责人"},
    ),
    Clause(
        "worker",
        "劳动者的姓名、住址和居民身份证号码",
        "第二项",
        {"name": "姓名", "address": "住址", "resident_id": "居民身份证号码"},
    ),
    Clause("term", "劳动合同期限", "第三项", {"kind": "期限类型", "start_date": "起始日期"}),
    Clause("job", "工作内容和工作地点", "第四项", {"position": "工作岗位", "place": "工作地点"}),
    Clause("working_time", "工作时间和休息休假", "第五项", {"system": "工时制度", "rest": "休息休假"}),
    Clause("pay", "劳动报酬", "第六项", {"monthly_amount": "月工资", "pay_period": "工资支付周期"}),
    Clause("social_insurance", "社会保险", "第七项", {"description": "社会保险约定"}),
    Clause(
        "protection",
        "劳动保护、劳动条件和职业危害防护",
        "第八项",
        {
            "labour_protection": "劳动保护",
            "working_conditions": "劳动条件",
            "occupational_hazards": "职业危害防护",
        },
    ),
)
CLAUSE_BY_KEY = {c.key: c for c in CLAUSES}


@dataclass(frozen=True)
class CheckedClauses:
    """The clauses as they will be rendered (defaults applied, amounts normalised), and warnings."""

    clauses: dict[str, Any]
    warnings: tuple[str, ...]
    starts_on: date
    ends_on: date | None


def apply_defaults(clauses: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The template's defaults under the given clauses (field by field; given values win)."""
    merged: dict[str, Any] = copy.deepcopy(dict(defaults))
    for key, value in clauses.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def max_probation_months(kind: str, start: date, end: date | None) -> int:
    """劳动合同法 art.19: the longest probation the term allows (0: none may be agreed)."""
    if kind == "task":
        return 0
    if kind == "open_ended" or end is None:
        return MAX_PROBATION_MONTHS
    after_last_day = end + timedelta(days=1)
    if add_months(start, 3 * 12) <= after_last_day:
        return 6
    if add_months(start, 12) <= after_last_day:
        return 2
    if add_months(start, 3) <= after_last_day:
        return 1
    return 0


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() and amount > 0 else None


def check_clauses(
    clauses: Mapping[str, Any],
    *,
    wages: MinimumWages | None = None,
    region_code: str | None = None,
    on: date | None = None,
) -> CheckedClauses:
    """Refuse (ValidationError) a contract lacking a mandatory clause or breaking a rule above.

    `region_code` is where the work is done when the job clause does not say (`job.region_code`);
    `on` the day the minimum wage is taken for (default: the contract's start).
    """
    problems: list[FieldProblem] = []
    missing: list[Clause] = []
    data: dict[str, Any] = copy.deepcopy(dict(clauses))
    for clause in CLAUSES:
        section = data.get(clause.key)
        if not isinstance(section, Mapping) or all(_blank(section.get(f)) for f in clause.fields):
            missing.append(clause)
            problems.append(FieldProblem(f"/clauses/{clause.key}", f"缺少必备条款：{clause.citation}"))
            continue
        for name, label in clause.fields.items():
            if _blank(section.get(name)):
                problems.append(
                    FieldProblem(f"/clauses/{clause.key}/{name}", f"{clause.citation}缺少：{label}")
                )
    if missing:
        raise ValidationError("缺少必备条款：" + "；".join(c.citation for c in missing), problems)

    def bad(clause: str, name: str, message: str) -> None:
        problems.append(FieldProblem(f"/clauses/{clause}/{name}", message))

    worker = data["worker"]
    worker["resident_id"] = str(worker.get("resident_id") or "").strip().upper()
    if worker["resident_id"] and not is_valid_resident_id(worker["resident_id"]):
        bad("worker", "resident_id", "居民身份证号码无效（长度、出生日期或校验码不符）")

    term = data["term"]
    kind = term.get("kind")
    start, end = _date(term.get("start_date")), _date(term.get("end_date")) if term.get("end_date") else None
    if kind not in TERM_KINDS:
        bad("term", "kind", "期限类型须为固定期限、无固定期限或以完成一定工作任务为期限")
    if start is None:
        bad("term", "start_date", "起始日期须为 YYYY-MM-DD 格式的日期")
    if kind == "fixed":
        if end is None:
            bad("term", "end_date", f"{CLAUSE_BY_KEY['term'].citation}：固定期限劳动合同须约定终止日期")
        elif start is not None and end < start:
            bad("term", "end_date", "终止日期不能早于起始日期")
    elif kind in ("open_ended", "task"):
        end = None
        term.pop("end_date", None)
    if kind == "task" and _blank(term.get("task_description")):
        bad("term", "task_description", "以完成一定工作任务为期限的劳动合同须写明该工作任务")
    probation = term.get("probation_months", 0) or 0
    if not isinstance(probation, int) or isinstance(probation, bool) or probation < 0:
        bad("term", "probation_months", "试用期须为不小于 0 的整月数")
        probation = 0
    elif kind in TERM_KINDS and start is not None and not (kind == "fixed" and end is None):
        limit = max_probation_months(kind, start, end)
        if probation > limit:
            allowed = f"不得超过 {limit} 个月" if limit else "不得约定试用期"
            bad("term", "probation_months", f"按此合同期限，试用期{allowed}（劳动合同法第十九条）")
    term["probation_months"] = probation

    working_time = data["working_time"]
    system = working_time.get("system")
    if system not in WORKING_TIME_SYSTEMS:
        bad("working_time", "system", "工时制度须为标准工时制、综合计算工时工作制或不定时工作制")
    elif system == "standard":
        per_day = working_time.setdefault("hours_per_day", STANDARD_HOURS_PER_DAY)
        per_week = working_time.setdefault("hours_per_week", STANDARD_HOURS_PER_WEEK)
        if not isinstance(per_day, int | float) or not 0 < per_day <= STANDARD_HOURS_PER_DAY:
            bad("working_time", "hours_per_day", "标准工时制每日工作时间不超过 8 小时")
        if not isinstance(per_week, int | float) or not 0 < per_week <= STANDARD_HOURS_PER_WEEK:
            bad("working_time", "hours_per_week", "标准工时制每周工作时间不超过 40 小时")
    elif _blank(working_time.get("approval")):
        bad("working_time", "approval", "实行综合计算工时工作制或不定时工作制须写明人社部门的审批文号")

    pay = data["pay"]
    monthly = _money(pay.get("monthly_amount"))
    if monthly is None:
        bad("pay", "monthly_amount", "月工资须为大于 0 的金额")
    else:
        pay["monthly_amount"] = str(monthly)
    if pay.get("pay_period") not in PAY_PERIODS:
        bad(
            "pay",
            "pay_period",
            "工资至少每月支付一次（工资支付暂行规定第七条）：须为按月、按半月、按周或按日",
        )
    elif pay["pay_period"] == "monthly":
        payday = pay.get("payday")
        if not isinstance(payday, int) or isinstance(payday, bool) or not 1 <= payday <= 31:
            bad("pay", "payday", "按月支付工资须约定每月的发薪日（1–31 日）")
    probation_pay = None
    if probation:
        probation_pay = _money(pay.get("probation_amount"))
        if probation_pay is None:
            bad("pay", "probation_amount", "约定试用期的，须写明试用期月工资")
        else:
            pay["probation_amount"] = str(probation_pay)
            if monthly is not None and probation_pay < monthly * Decimal("0.8"):
                bad("pay", "probation_amount", "试用期工资不得低于约定工资的百分之八十（劳动合同法第二十条）")
    else:
        pay.pop("probation_amount", None)

    warnings: list[str] = []
    region = str(data["job"].get("region_code") or region_code or "").strip()
    if wages is not None and monthly is not None and start is not None:
        day = on or start
        try:
            minimum = wages.monthly(region, day)
        except MinimumWageMissingError:
            warnings.append(
                f"没有地区 {region or '（未设定）'} 的最低工资标准，未核对劳动报酬是否低于当地最低工资标准"
            )
        else:
            if monthly < minimum:
                bad(
                    "pay",
                    "monthly_amount",
                    f"月工资 {monthly} 元低于当地月最低工资标准 {minimum} 元（劳动法第四十八条）",
                )
            if probation_pay is not None and probation_pay < minimum:
                bad(
                    "pay",
                    "probation_amount",
                    f"试用期工资 {probation_pay} 元低于当地月最低工资标准 {minimum} 元（劳动合同法第二十条）",
                )
    if problems:
        raise ValidationError("劳动合同条款有误：" + problems[0].message, problems)
    assert start is not None
    return CheckedClauses(data, tuple(warnings), start, end)


ClauseChecker = Callable[[Mapping[str, Any]], CheckedClauses]
