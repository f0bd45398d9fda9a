"""Briefings beside a step's form: limitation and venue warnings (调解仲裁法 arts.21, 27), the
request a recusal or postponement decision answers, the award items judged final or not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import Staff, complete_step, drive_to, open_arbitration
from workflows.briefings import limitation_warnings, venue_warning
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.models import Claim, Organisation
from workflows.system import System

system = arbitration.system
staff = arbitration.staff


def claim(position: int, claim_type: str, period_end: date | None) -> Claim:
    return Claim(position=position, claim_type=claim_type, description="", period_end=period_end)


def test_claim_whose_period_ended_over_a_year_before_the_application_is_flagged_art_27() -> None:
    received = date(2026, 3, 2)
    warnings = limitation_warnings(
        [
            claim(1, "economic_compensation", date(2025, 2, 27)),  # limitation ended 2026-02-27
            claim(2, "economic_compensation", date(2025, 3, 2)),  # ends 2026-03-02: still in time
            claim(3, "wage_arrears", date(2024, 12, 31)),
            claim(4, "damages", None),
        ],
        received,
    )
    assert len(warnings) == 2
    assert warnings[0].startswith("第1项请求") and "第二十七条" in warnings[0]
    assert "2026-02-27" in warnings[0]
    assert warnings[1].startswith("第3项请求") and "劳动关系存续期间" in warnings[1]  # the wage exemption


def test_employer_registered_outside_the_commissions_area_is_flagged_art_21() -> None:
    beijing = Organisation(kind="commission", name="某区仲裁委", region_code="110108")
    local = Organisation(kind="employer", name="本地公司", uscc="91110108MA01D7K3XW")
    elsewhere = Organisation(kind="employer", name="外地公司", uscc="91440101MA5CK2QJ4C")
    assert venue_warning(beijing, [local]) is None
    warning = venue_warning(beijing, [local, elsewhere])
    assert warning is not None and "外地公司（登记地 440101）" in warning and "第二十一条" in warning
    assert "本地公司" not in warning
    assert venue_warning(Organisation(kind="commission", name="x"), [elsewhere]) is None  # no region set


def test_clerk_reviewing_an_application_sees_the_warnings(system: System, staff: Staff) -> None:
    case_id = system.cases.open_case(
        staff.clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title="李四与外地某公司经济补偿争议",
            organisation_id=staff.people.org_id,
            parties=[
                PartyInput("applicant", "李四", user_id=staff.worker.user_id),
                PartyInput("respondent", "外地某公司", kind="organisation", uscc="91440101MA5CK2QJ4C"),
            ],
            claims=[
                ClaimInput("economic_compensation", "支付经济补偿", Decimal(9000), None, date(2020, 1, 31))
            ],
        ),
    ).id
    [task] = [t for t in system.tasks.inbox(staff.clerk) if t.case_id == case_id]
    briefing = system.briefings.for_task(staff.clerk, task.id)
    assert len(briefing.warnings) == 2
    assert "第二十七条" in briefing.warnings[0] and "第二十一条" in briefing.warnings[1]


def test_head_approving_an_award_sees_each_item_judged_art_47(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    items = [
        {"claim": "支付拖欠工资", "category": "labour_remuneration", "ruling": "granted", "amount": 12000},
        {"claim": "支付赔偿金", "category": "damages", "ruling": "partly_granted", "amount": 40000},
    ]
    award = {"award_scope": "full", "award_items": items, "award_reasoning": "证据充分。"}
    complete_step(system, staff, case_id, "draft_award", award)
    [task] = [t for t in system.tasks.inbox(staff.commission_head) if t.case_id == case_id]
    briefing = system.briefings.for_task(staff.commission_head, task.id)
    assert ("裁决效力", "非终局裁决") in briefing.facts
    assert ("月最低工资标准（元）", "2,540.00") in briefing.facts
    assert [row[-1] for row in briefing.table] == ["终局", "非终局"]
    assert briefing.table[1][:4] == ["支付赔偿金", "赔偿金", "部分支持", "40,000.00"]
