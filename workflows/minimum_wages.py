"""Local monthly minimum wages, the yardstick of the final award (一裁终局, 调解仲裁法 art.47).

An award item of money is final when it does not exceed twelve months of the local monthly
minimum wage in force when the award is made (解释(一) art.19).  Provinces set and revise the
standard, so the table is data: `minimum_wages.json` ships with the code and a deployment
points `LABORCASE_MINIMUM_WAGES` at its own file of the same shape.  A region without a
standard is an error, never a silent zero: a wrong yardstick would deny a party its court.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from workflows.errors import ValidationError
from workflows.finality import final_award_applies, item_qualifies

DEFAULT_TABLE = Path(__file__).with_name("minimum_wages.json")
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Standard:
    """One standard: in force from `effective` until the next one of the region."""

    effective: date
    monthly: Decimal


class MinimumWageMissingError(ValidationError):
    """No standard is on record for the region on that day."""

    def __init__(self, region_code: str | None, on: date):
        super().__init__(
            f"没有地区 {region_code or '（未设定）'} 在 {on.isoformat()} 适用的月最低工资标准，"
            "无法判断是否终局裁决",
            [],
        )
        self.region_code = region_code
        self.on = on


class MinimumWages:
    """Standards by region code (GB/T 2260: province 2 digits, city 4, district 6)."""

    def __init__(self, table: Mapping[str, Sequence[Standard]]):
        self.table = {code: sorted(rows, key=lambda r: r.effective) for code, rows in table.items()}

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> MinimumWages:
        raw = json.loads(path.read_text(encoding="utf-8"))
        table: dict[str, list[Standard]] = {}
        for code, rows in raw.items():
            if code.startswith("_"):
                continue
            if not (code.isdigit() and len(code) in (2, 4, 6)):
                raise ValueError(f"{path}: {code!r} is not a region code of 2, 4 or 6 digits")
            try:
                table[code] = [
                    Standard(date.fromisoformat(r["from"]), Decimal(str(r["monthly"]))) for r in rows
                ]
            except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
                raise ValueError(f"{path}: region {code}: each row needs from (a date) and monthly") from exc
            if any(s.monthly <= 0 for s in table[code]):
                raise ValueError(f"{path}: region {code}: a minimum wage must be positive")
        return cls(table)

    def monthly(self, region_code: str | None, on: date) -> Decimal:
        """The standard in force in the region on that day: the most specific region that has one."""
        code = (region_code or "").strip()
        for prefix in (code[:6], code[:4], code[:2]):
            if len(prefix) < 2 or prefix not in self.table:
                continue
            in_force = [s for s in self.table[prefix] if s.effective <= on]
            if in_force:
                return in_force[-1].monthly
        raise MinimumWageMissingError(region_code, on)


def award_finality_service(
    wages: MinimumWages, today: Callable[[], date] | None = None
) -> Callable[..., dict[str, Any]]:
    """The BPMN service `award_finality`: judges each award item and the award (art.47).

    Items qualify one by one; the award is final only if every item does — a mixed award is
    non-final (解释(一) art.20).  Returns the items marked `final`, the verdict and the
    standard used, so the award document states the yardstick it was judged by.
    """
    clock = today or _today_in_china

    def award_finality(award_items: Sequence[Mapping[str, Any]], region_code: str | None) -> dict[str, Any]:
        wage = wages.monthly(region_code, clock())
        items = []
        for item in award_items:
            amount = None if item.get("amount") is None else Decimal(str(item["amount"]))
            final = item_qualifies(item.get("category"), amount, wage)
            items.append({**item, "final": final})
        verdict = "final" if final_award_applies(items, wage) else "non_final"
        return {"award_items": items, "award_finality": verdict, "monthly_minimum_wage": str(wage)}

    return award_finality


def _today_in_china() -> date:
    return datetime.now(CHINA).date()
