"""The kinds of claim a worker brings (仲裁请求的类别), as codes in Claim.claim_type.

One list for the claim form, the documents that recite the claims, and the rules that depend
on the kind: the wage exemption from the one-year limitation (调解仲裁法 art.27) and
pre-judgment execution (art.44).
"""

from __future__ import annotations

#: what a worker may ask for, in the words of the form
CLAIM_TYPES: dict[str, str] = {
    "wage_arrears": "拖欠工资",
    "overtime_pay": "加班费",
    "economic_compensation": "经济补偿",
    "damages": "赔偿金",
    "social_insurance": "社会保险",
    "other": "其他",
}
#: older codes still found on cases opened before the fixed list
_ALIASES = {"wages": "拖欠工资", "compensation": "赔偿金", "overtime": "加班费"}

#: labour remuneration (劳动报酬): no limitation while the employment lasts (法27 para.4)
REMUNERATION = frozenset({"wage_arrears", "overtime_pay", "wages", "overtime"})
#: may be executed before the award (法44), and an unperformed mediation agreement on them may go to
#: the court for a payment order (支付令, 法16): remuneration, injury medical expenses, compensation,
#: damages
ADVANCE_EXECUTABLE = REMUNERATION | {
    "economic_compensation",
    "damages",
    "compensation",
    "injury_medical_expenses",
}


def claim_type_label(code: str) -> str:
    """The Chinese name of a claim type; unknown codes are shown as they are."""
    return CLAIM_TYPES.get(code) or _ALIASES.get(code) or code


PAYMENT_ORDER = ADVANCE_EXECUTABLE
