"""What the person deciding a step should see beside its form.

A form alone hides what the decision rests on.  The clerk reviewing an application is warned
of a likely limitation or venue problem (调解仲裁法 arts.21, 27: warnings, the clerk decides);
the commission deciding a recusal or postponement reads the party's request (arts.33-35); the
head approving an award sees each item judged final or not and the minimum wage used (art.47).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import require_case_access
from workflows.audit import Actor
from workflows.claim_types import REMUNERATION
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.definitions import Definitions
from workflows.errors import NotFoundError
from workflows.finality import CATEGORIES
from workflows.models import Case, CaseParty, Claim, HumanTask, Organisation
from workflows.runtime import CaseRuntime


@dataclass(frozen=True)
class Briefing:
    """Warnings first, then facts (label, value), then an optional table."""

    warnings: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    table_head: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.warnings or self.facts or self.table)


def limitation_warnings(claims: list[Claim], received: date) -> list[str]:
    """Claims whose disputed period ended more than a year before the application (法27)."""
    out = []
    for c in claims:
        if c.period_end is None:
            continue
        last_day = compute_due("arbitration.limitation", c.period_end)
        if received <= last_day:
            continue
        text = (
            f"第{c.position}项请求所涉期间止于 {c.period_end.isoformat()}，"
            f"申请日已超过一年仲裁时效（{last_day.isoformat()} 届满）"
        )
        if c.claim_type in REMUNERATION:
            text += (
                "；劳动关系存续期间因拖欠劳动报酬发生争议的，不受一年时效限制，"
                "劳动关系终止的应自终止之日起一年内提出"
            )
        out.append(text + "（调解仲裁法第二十七条）。请核实是否存在时效中断、中止的情形。")
    return out


def venue_warning(commission: Organisation | None, employers: list[Organisation]) -> str | None:
    """The employer registered outside the commission's area (法21): the place of performance
    may still found jurisdiction, so the clerk checks it.  The region is digits 3-8 of the
    unified social credit code (GB 32100)."""
    region = (commission.region_code or "") if commission else ""
    if len(region) < 2:
        return None
    area = region[:4] if region[2:4] != "00" else region[:2]
    outside = [(o.name, o.uscc[2:8]) for o in employers if o.uscc and len(o.uscc) == 18]
    outside = [(name, code) for name, code in outside if not code.startswith(area)]
    if not outside:
        return None
    names = "、".join(f"{name}（登记地 {code}）" for name, code in outside)
    return (
        f"被申请人{names}不在本委辖区登记。劳动争议由劳动合同履行地或者用人单位所在地的仲裁委员会管辖"
        "（调解仲裁法第二十一条）：请核实劳动合同履行地是否在本委辖区。"
    )


def _yuan(value: Any) -> str:
    return "" if value is None else f"{Decimal(str(value)):,.2f}"


class BriefingService:
    def __init__(
        self,
        db: Database,
        definitions: Definitions,
        runtime: CaseRuntime,
        timezone: str = "Asia/Shanghai",
    ):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime
        self.zone = ZoneInfo(timezone)
        self._by_task: dict[str, Callable[[Session, Case, Mapping[str, Any]], Briefing]] = {
            "review_application": self._review,
            "decide_recusal": self._recusal,
            "decide_postponement": self._postponement,
            "approve_award": self._award,
        }

    def for_task(self, actor: Actor, task_id: str) -> Briefing:
        """The briefing of an open or closed task the actor may read (empty for most tasks)."""
        with self.db.transaction() as s:
            task = s.get(HumanTask, task_id)
            if task is None:
                raise NotFoundError("task", task_id)
            case = s.get(Case, task.case_id)
            if case is None:
                raise NotFoundError("case", task.case_id)
            require_case_access(s, actor, case, "read")
            brief = self._by_task.get(task.name)
            if brief is None:
                return Briefing()
            data = self.runtime.load(s, case, self.definitions.get(s, case.definition_id)).data
            return brief(s, case, data)

    def _review(self, s: Session, case: Case, data: Mapping[str, Any]) -> Briefing:
        claims = list(
            s.execute(select(Claim).where(Claim.case_id == case.id).order_by(Claim.position)).scalars()
        )
        received = _as_aware(case.created_at).astimezone(self.zone).date()
        employers = list(
            s.execute(
                select(Organisation)
                .join(CaseParty, CaseParty.organisation_id == Organisation.id)
                .where(CaseParty.case_id == case.id, CaseParty.role == "respondent")
            ).scalars()
        )
        warnings = limitation_warnings(claims, received)
        venue = venue_warning(s.get(Organisation, case.organisation_id), employers)
        if venue:
            warnings.append(venue)
        return Briefing(warnings=warnings, facts=[("收到申请日期", received.isoformat())])

    @staticmethod
    def _recusal(s: Session, case: Case, data: Mapping[str, Any]) -> Briefing:
        r = data.get("recusal_request") or {}
        return Briefing(
            facts=[
                ("被申请回避的仲裁员", str(r.get("challenged_arbitrator", ""))),
                ("申请人", str(r.get("requested_by", ""))),
                ("申请时间", str(r.get("requested_at", ""))[:16].replace("T", " ")),
                ("理由", str(r.get("reason", ""))),
            ]
        )

    @staticmethod
    def _postponement(s: Session, case: Case, data: Mapping[str, Any]) -> Briefing:
        r = data.get("postponement_request") or {}
        return Briefing(
            facts=[
                ("原定开庭日期", str(r.get("hearing_date") or "")),
                ("申请人", str(r.get("requested_by", ""))),
                ("申请时间", str(r.get("requested_at", ""))[:16].replace("T", " ")),
                ("理由", str(r.get("reason", ""))),
            ]
        )

    @staticmethod
    def _award(s: Session, case: Case, data: Mapping[str, Any]) -> Briefing:
        finality = data.get("award_finality")
        facts = [
            ("裁决效力", "终局裁决（第四十七条）" if finality == "final" else "非终局裁决"),
            ("月最低工资标准（元）", _yuan(data.get("monthly_minimum_wage"))),
        ]
        if data.get("award_scope") == "partial":
            facts.append(("裁决范围", "部分请求先行裁决（第四十三条）"))
        rulings = {"granted": "支持", "partly_granted": "部分支持", "dismissed": "驳回"}
        rows = [
            [
                str(item.get("claim", "")),
                CATEGORIES.get(str(item.get("category")), ""),
                rulings.get(str(item.get("ruling")), ""),
                _yuan(item.get("amount")),
                "终局" if item.get("final") else "非终局",
            ]
            for item in data.get("award_items") or []
        ]
        return Briefing(
            facts=facts, table_head=["仲裁请求", "类别", "裁决结果", "金额（元）", "效力"], table=rows
        )


def _as_aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
