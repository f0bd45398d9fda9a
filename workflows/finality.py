"""Which awards are final (一裁终局), 调解仲裁法 art.47.

An award is final for these disputes: (1) claims for labour remuneration, medical expenses for
a work injury, economic compensation or damages not exceeding twelve months of the local
monthly minimum wage; (2) disputes over working time, rest and leave, social insurance under
the national labour standards.  The amount is judged item by item as awarded; an award mixing
final and non-final items is treated as non-final (解释(一) arts.19-20).  A final award takes
effect when made: the worker may still sue within 15 days (art.48), the employer may only
apply to the intermediate court to set it aside within 30 days (art.49).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

#: Claim categories an award item may carry, with their Chinese names.
MONEY_CATEGORIES = {
    "labour_remuneration": "劳动报酬",
    "injury_medical_expenses": "工伤医疗费",
    "economic_compensation": "经济补偿",
    "damages": "赔偿金",
}
STANDARD_CATEGORIES = {
    "working_time": "工作时间",
    "rest_and_leave": "休息休假",
    "social_insurance": "社会保险",
}
CATEGORIES = {**MONEY_CATEGORIES, **STANDARD_CATEGORIES, "other": "其他"}

#: 解释(一): twelve months of the local monthly minimum wage, per item.
MONTHS = 12


def item_qualifies(category: str | None, amount: Decimal | None, monthly_minimum_wage: Decimal) -> bool:
    """Whether one award item falls under art.47."""
    if category in STANDARD_CATEGORIES:
        return True
    if category in MONEY_CATEGORIES:
        return (amount or Decimal(0)) <= MONTHS * monthly_minimum_wage
    return False


def disqualified_items(items: Sequence[Mapping[str, Any]], monthly_minimum_wage: Decimal) -> list[int]:
    """Indexes of the award items (with `category` and awarded `amount`) outside art.47."""
    return [
        i
        for i, item in enumerate(items)
        if not item_qualifies(item.get("category"), item.get("amount"), monthly_minimum_wage)
    ]


def final_award_applies(items: Sequence[Mapping[str, Any]], monthly_minimum_wage: Decimal) -> bool:
    """Whether an award of these items is final: every item qualifies (art.47, 解释(一) art.20)."""
    return bool(items) and not disqualified_items(items, monthly_minimum_wage)
