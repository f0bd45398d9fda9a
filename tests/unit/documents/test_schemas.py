"""Bad data is refused with a pointer to each offending field."""

from __future__ import annotations

from typing import Any

import pytest

from documents import DOCUMENT_TYPES, validate
from documents.samples import SAMPLES, sample, sample_award, sample_final_award
from documents.schemas import resident_id_ok, uscc_ok
from workflows.errors import ValidationError


def problems(document_type: str, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        validate(document_type, data)
    return {p.pointer: p.message for p in caught.value.problems}


@pytest.mark.parametrize("document_type", list(SAMPLES))
def test_sample_data_is_valid(document_type: str) -> None:
    assert validate(document_type, sample(document_type))["document_number"]


@pytest.mark.parametrize("document_type", list(DOCUMENT_TYPES))
def test_every_type_requires_the_common_fields(document_type: str) -> None:
    found = problems(document_type, {})
    for field in ("issuer", "document_number", "issue_date", "verification_url", "verification_code"):
        assert f"/{field}" in found, found


def test_unknown_type_points_at_the_type() -> None:
    assert "/document_type" in problems("award", sample_award())


def test_unknown_keys_from_the_case_data_are_ignored() -> None:
    data = sample_award() | {"case_title": "x", "whatever": {"nested": 1}}
    assert "whatever" not in validate("award_document", data)


def test_bad_values_point_into_nested_lists() -> None:
    data = sample_award()
    data["document_number"] = "第12号"
    data["issue_date"] = "2026-13-01"
    data["parties"][0]["resident_id"] = "420106199203142028"  # wrong check digit
    data["parties"][1]["uscc"] = "91420100MA4K8XY830"
    data["award_items"][0]["ruling"] = "won"
    data["award_items"][1]["amount"] = "-5"
    found = problems("award_document", data)
    assert set(found) >= {
        "/document_number",
        "/issue_date",
        "/parties/0/resident_id",
        "/parties/1/uscc",
        "/award_items/0/ruling",
        "/award_items/1/amount",
    }, found
    assert "GB 11643" in found["/parties/0/resident_id"]


def test_the_error_message_names_the_type_and_the_first_problems() -> None:
    data = sample_award()
    del data["award_reasoning"]
    with pytest.raises(ValidationError) as caught:
        validate("award_document", data)
    assert "award_document" in caught.value.message
    assert "/award_reasoning" in caught.value.message


def test_an_award_needs_both_sides() -> None:
    data = sample_award()
    data["parties"] = [p for p in data["parties"] if p["role"] != "respondent"]
    assert "respondent" in problems("award_document", data)["/parties"]


def test_a_dismissed_claim_awards_nothing_and_nothing_beyond_the_claim() -> None:
    data = sample_award()
    data["award_items"][0]["ruling"] = "dismissed"
    data["award_items"][1]["amount"] = "99999.00"  # claimed 37,200
    found = problems("award_document", data)
    assert found["/award_items/0/amount"] == "a dismissed claim awards nothing"
    assert found["/award_items/1/amount"] == "more than was claimed"


def test_final_award_refused_when_an_item_exceeds_twelve_months_minimum_wage() -> None:
    # 调解仲裁法 art.47(1): final only up to 12 x the local monthly minimum wage per item
    data = sample_award()  # item 2: damages 37,200 > 12 x 2,210 = 26,520
    data["award_finality"] = "final"
    found = problems("award_document", data)
    assert "item 2" in found["/award_finality"]


def test_final_award_check_needs_each_items_category() -> None:
    data = sample_final_award()
    data["award_items"][0]["category"] = None
    assert "/award_items/0/category" in problems("award_document", data)


def test_final_award_within_art_47_is_accepted() -> None:
    assert validate("award_document", sample_final_award())["award_finality"] == "final"


def test_a_tribunal_of_three_needs_two_other_arbitrators() -> None:
    # 调解仲裁法 art.31: three arbitrators, or one for a simple case
    data = sample("form_tribunal_notice")
    data["other_arbitrators"] = ["赵海燕"]
    assert "/other_arbitrators" in problems("form_tribunal_notice", data)
    data["tribunal_kind"] = "sole"
    assert "/other_arbitrators" in problems("form_tribunal_notice", data)


def test_extension_is_at_most_fifteen_days() -> None:
    # 调解仲裁法 art.43: the 45-day limit may be extended by at most 15 days
    data = sample("extension_notice")
    data["extension_days"] = 16
    assert "/extension_days" in problems("extension_notice", data)


def test_refusal_for_another_ground_needs_the_reason() -> None:
    data = sample("refusal_notice")
    data["refusal_ground"] = "other"
    data["refusal_reason"] = None
    assert "/refusal_reason" in problems("refusal_notice", data)


def test_hearing_must_be_after_the_notice() -> None:
    data = sample("hearing_notice")
    data["hearing_date"] = data["issue_date"]
    assert "/hearing_date" in problems("hearing_notice", data)


def test_running_text_takes_a_string_or_a_list() -> None:
    data = sample_award()
    data["award_reasoning"] = "第一段。\n\n第二段。"
    assert validate("award_document", data)["award_reasoning"] == ["第一段。", "第二段。"]
    data["award_reasoning"] = {"not": "text"}
    assert problems("award_document", data)["/award_reasoning"] == "must be text or a list of texts"


def test_identity_check_characters() -> None:
    assert resident_id_ok("11010519491231002X")  # the standard's own example
    assert not resident_id_ok("110105194912310021")
    assert uscc_ok("91350100M000100Y43")
    assert not uscc_ok("91350100M000100Y44")
