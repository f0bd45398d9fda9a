"""一裁终局: which awards are final (调解仲裁法 art.47, 解释(一) arts.19-20)."""

from __future__ import annotations

from decimal import Decimal

from workflows.finality import final_award_applies, item_qualifies

WAGE = Decimal("2210")  # 12 x 2,210 = 26,520


def test_money_claim_up_to_twelve_months_minimum_wage_is_final() -> None:
    assert item_qualifies("labour_remuneration", Decimal("26520"), WAGE)
    assert not item_qualifies("labour_remuneration", Decimal("26520.01"), WAGE)
    assert item_qualifies("economic_compensation", None, WAGE)


def test_working_time_rest_and_social_insurance_disputes_are_final_whatever_the_amount() -> None:
    for category in ("working_time", "rest_and_leave", "social_insurance"):
        assert item_qualifies(category, Decimal("1000000"), WAGE)


def test_other_claims_are_not_final() -> None:
    assert not item_qualifies("other", Decimal("1"), WAGE)
    assert not item_qualifies(None, Decimal("1"), WAGE)


def test_amounts_are_judged_item_by_item_and_a_mixed_award_is_not_final() -> None:
    small = {"category": "labour_remuneration", "amount": Decimal("20000")}
    big = {"category": "damages", "amount": Decimal("40000")}
    assert final_award_applies([small, dict(small)], WAGE)  # 40,000 in total, each item within
    assert not final_award_applies([small, big], WAGE)
    assert not final_award_applies([], WAGE)
