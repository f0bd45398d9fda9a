"""Branches of the arbitration process beyond the main path: recusal, postponement, the tribunal
of a collective case and of the simplified procedure, final awards judged per item, partial award."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    CHINA,
    Staff,
    case_view,
    complete,
    complete_step,
    drive_to,
    open_arbitration,
    open_names,
    pointers,
    process_data,
    step_data,
)
from tests.support import make_employer
from workflows.access import CaseAccessDeniedError
from workflows.audit import Actor
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.errors import ConflictError, PermissionDeniedError, ValidationError
from workflows.models import Organisation
from workflows.system import System

system = arbitration.system
staff = arbitration.staff


def today() -> date:
    return datetime.now(CHINA).date()


def at_hearing(system: System, staff: Staff, **data: Any) -> int:
    """A case whose hearing has been notified: conduct_hearing is open."""
    case_id = open_arbitration(system, staff, **data)
    drive_to(system, staff, case_id, "conduct_hearing")
    return case_id


def tribunal(**changes: Any) -> dict[str, Any]:
    return {**step_data("form_tribunal"), **changes}


def award(*items: dict[str, Any], scope: str = "full") -> dict[str, Any]:
    return {"award_scope": scope, "award_items": list(items), "award_reasoning": "事实清楚，证据充分。"}


# -- recusal (回避) -------------------------------------------------------------------------------


def test_recusal_granted_stops_the_tribunal_until_a_new_one_schedules_the_hearing_art_33_34(
    system: System, staff: Staff
) -> None:
    case_id = at_hearing(system, staff)
    system.party_requests.request_recusal(
        staff.worker, case_id, "王仲裁", "王仲裁系被申请人法定代表人的近亲属"
    )
    assert open_names(system, staff, case_id) == {"decide_recusal"}  # the challenged tribunal stops
    [deadline] = [
        d
        for d in case_view(system, staff, case_id).deadlines
        if d["rule"] == "arbitration.recusal_decision" and d["state"] == "running"
    ]
    assert deadline["due_on"] == compute_due("arbitration.recusal_decision", today())  # 3 working days
    assert "第三十三条" in deadline["legal_basis"]
    assert process_data(system, system.db, case_id)["recusal_request"]["challenged_arbitrator"] == "王仲裁"

    decision = {
        "recusal_decision": "granted",
        "recusal_decision_reason": "回避事由成立",
        "recusal_decided_on": today().isoformat(),
    }
    complete(system, staff.commission_head, case_id, "decide_recusal", decision)
    assert open_names(system, staff, case_id) == {"replace_arbitrator"}
    complete(
        system,
        staff.commission_head,
        case_id,
        "replace_arbitrator",
        tribunal(other_arbitrators=["赵仲裁", "钱仲裁"]),
    )
    assert open_names(system, staff, case_id) == {"notify_hearing"}  # the new tribunal schedules again
    complete_step(system, staff, case_id, "notify_hearing")
    assert open_names(system, staff, case_id) == {"conduct_hearing"}
    assert process_data(system, system.db, case_id)["other_arbitrators"] == ["赵仲裁", "钱仲裁"]


def test_recusal_refused_after_the_hearing_was_notified_keeps_the_hearing_art_34(
    system: System, staff: Staff
) -> None:
    case_id = at_hearing(system, staff)
    system.party_requests.request_recusal(staff.worker, case_id, "李首席", "怀疑首席仲裁员偏袒对方")
    decision = {
        "recusal_decision": "refused",
        "recusal_decision_reason": "无法定回避事由",
        "recusal_decided_on": today().isoformat(),
    }
    complete(system, staff.commission_head, case_id, "decide_recusal", decision)
    assert open_names(system, staff, case_id) == {"conduct_hearing"}


def test_recusal_refused_before_the_hearing_notice_goes_back_to_scheduling(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "notify_hearing")
    system.party_requests.request_recusal(staff.worker, case_id, "赵仲裁", "赵仲裁曾担任被申请人的代理人")
    decision = {
        "recusal_decision": "refused",
        "recusal_decision_reason": "事由不成立",
        "recusal_decided_on": today().isoformat(),
    }
    complete(system, staff.commission_head, case_id, "decide_recusal", decision)
    assert open_names(system, staff, case_id) == {"notify_hearing"}


def test_recusal_must_name_a_member_of_the_tribunal_and_come_while_the_tribunal_sits(
    system: System, staff: Staff
) -> None:
    case_id = at_hearing(system, staff)
    with pytest.raises(ValidationError) as bad:
        system.party_requests.request_recusal(staff.worker, case_id, "孙路人", "理由充分")
    assert pointers(bad.value) == ["/arbitrator"]
    with pytest.raises(ValidationError):
        system.party_requests.request_recusal(staff.worker, case_id, "王仲裁", " ")
    early = open_arbitration(system, staff)  # still under acceptance review: no tribunal yet
    with pytest.raises(ConflictError):
        system.party_requests.request_recusal(staff.worker, early, "王仲裁", "理由充分")
    assert open_names(system, staff, case_id) == {"conduct_hearing"}  # nothing moved


def test_a_stranger_cannot_ask_for_recusal_or_postponement_of_anothers_case(
    system: System, staff: Staff
) -> None:
    case_id = at_hearing(system, staff)
    stranger = Actor(user_id=staff.people.other_worker.user_id, label="other", roles=frozenset({"worker"}))
    with pytest.raises(CaseAccessDeniedError):
        system.party_requests.request_recusal(stranger, case_id, "王仲裁", "理由充分")
    with pytest.raises(CaseAccessDeniedError):
        system.party_requests.request_postponement(stranger, case_id, "身体不适住院")
    assert open_names(system, staff, case_id) == {"conduct_hearing"}


# -- postponement (延期开庭) ----------------------------------------------------------------------


def test_postponement_granted_sends_the_case_back_to_scheduling_art_35(system: System, staff: Staff) -> None:
    case_id = at_hearing(system, staff)  # hearing in 14 days
    system.party_requests.request_postponement(staff.worker, case_id, "申请人住院治疗，无法到庭")
    assert open_names(system, staff, case_id) == {"decide_postponement"}
    request = process_data(system, system.db, case_id)["postponement_request"]
    assert request["hearing_date"] == step_data("notify_hearing")["hearing_date"]
    assert request["requested_by"] == "applicant:张三"
    decision = {"postponement_decision": "granted", "postponement_reason": "申请人住院治疗"}
    complete(system, staff.commission_head, case_id, "decide_postponement", decision)
    assert open_names(system, staff, case_id) == {"notify_hearing"}
    data = process_data(system, system.db, case_id)
    assert (data["stage"], data["hearing_notified"]) == ("hearing_postponed", False)


def test_postponement_refused_keeps_the_hearing_art_35(system: System, staff: Staff) -> None:
    case_id = at_hearing(system, staff)
    system.party_requests.request_postponement(staff.worker, case_id, "工作繁忙")
    decision = {"postponement_decision": "refused", "postponement_reason": "理由不充分"}
    complete(system, staff.commission_head, case_id, "decide_postponement", decision)
    assert open_names(system, staff, case_id) == {"conduct_hearing"}


def test_postponement_asked_less_than_three_working_days_before_the_hearing_is_refused_art_35(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "notify_hearing")
    soon = today() + timedelta(days=1)
    complete_step(
        system,
        staff,
        case_id,
        "notify_hearing",
        {**step_data("notify_hearing"), "hearing_date": soon.isoformat()},
    )
    with pytest.raises(ValidationError, match="第三十五条") as late:
        system.party_requests.request_postponement(staff.worker, case_id, "申请人出差")
    assert pointers(late.value) == ["/reason"]
    assert open_names(system, staff, case_id) == {"conduct_hearing"}


def test_postponement_before_the_hearing_is_notified_is_refused(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "notify_hearing")
    with pytest.raises(ConflictError):
        system.party_requests.request_postponement(staff.worker, case_id, "申请人出差")


# -- the tribunal ---------------------------------------------------------------------------------


def test_collective_case_goes_to_a_three_arbitrator_tribunal_art_7(system: System, staff: Staff) -> None:
    applicants = [PartyInput("applicant", f"工人{i:02d}") for i in range(1, 13)]
    case_id = system.cases.open_case(
        staff.clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title="十二名劳动者与某建筑公司劳动报酬争议",
            organisation_id=staff.people.org_id,
            parties=[*applicants, PartyInput("respondent", "某建筑公司", kind="organisation")],
            claims=[ClaimInput("wage_arrears", "支付2026年拖欠工资")],
        ),
    ).id
    drive_to(system, staff, case_id, "serve_respondent")
    assert "form_collegiate_tribunal" in open_names(system, staff, case_id)
    assert "form_tribunal" not in open_names(system, staff, case_id)
    sole = tribunal(
        tribunal_kind="sole", other_arbitrators=[], simplified_procedure=True, simplified_ground="clear_facts"
    )
    with pytest.raises(ValidationError):
        complete(system, staff.commission_head, case_id, "form_collegiate_tribunal", sole)
    complete(system, staff.commission_head, case_id, "form_collegiate_tribunal", tribunal())
    assert "form_collegiate_tribunal" not in open_names(system, staff, case_id)


def test_sole_arbitrator_only_under_the_simplified_procedure_with_its_ground(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "form_tribunal")
    with pytest.raises(ValidationError) as bad:
        complete_step(
            system, staff, case_id, "form_tribunal", tribunal(tribunal_kind="sole", other_arbitrators=[])
        )
    assert {"/simplified_procedure", "/simplified_ground"} <= set(pointers(bad.value))
    ok = tribunal(
        tribunal_kind="sole",
        other_arbitrators=[],
        simplified_procedure=True,
        simplified_ground="small_amount",
    )
    complete_step(system, staff, case_id, "form_tribunal", ok)
    assert process_data(system, system.db, case_id)["simplified_ground"] == "small_amount"


# -- the award ------------------------------------------------------------------------------------

WAGE = {"claim": "支付拖欠工资", "category": "labour_remuneration", "ruling": "granted", "amount": 12000}
COMPENSATION = {"claim": "支付违法解除赔偿金", "category": "damages", "ruling": "granted", "amount": 50000}
OVERTIME_HOURS = {"claim": "确认每日工作时间不超过八小时", "category": "working_time", "ruling": "granted"}


def test_award_mixing_final_and_non_final_items_is_non_final_art_47(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "draft_award", award(WAGE, COMPENSATION, OVERTIME_HOURS))
    data = process_data(system, system.db, case_id)
    # Beijing (region 110108 of the fixture commission): 2,540 yuan a month since 2025-09-01
    assert data["monthly_minimum_wage"] == "2540.00"
    assert [item["final"] for item in data["award_items"]] == [True, False, True]  # 50,000 > 12 × 2,540
    assert data["award_finality"] == "non_final"  # a mixed award is non-final (解释(一) art.20)
    complete_step(system, staff, case_id, "approve_award")
    assert process_data(system, system.db, case_id)["final_award"] is False


def test_award_whose_every_item_qualifies_is_final_art_47(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    within = {**COMPENSATION, "amount": 30480}  # exactly 12 × 2,540
    complete_step(system, staff, case_id, "draft_award", award(WAGE, within, OVERTIME_HOURS))
    assert process_data(system, system.db, case_id)["award_finality"] == "final"


def test_award_without_a_minimum_wage_for_the_region_is_refused_and_nothing_moves(
    system: System, staff: Staff, db: Database
) -> None:
    with db.transaction() as s:
        s.execute(
            update(Organisation).where(Organisation.id == staff.people.org_id).values(region_code="990000")
        )
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    with pytest.raises(ValidationError, match="月最低工资标准"):
        complete_step(system, staff, case_id, "draft_award", award(WAGE))
    assert open_names(system, staff, case_id) == {"draft_award"}


def test_award_items_need_a_category(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    uncategorised = {k: v for k, v in WAGE.items() if k != "category"}
    with pytest.raises(ValidationError) as bad:
        complete_step(system, staff, case_id, "draft_award", award(uncategorised))
    assert pointers(bad.value) == ["/award_items/0/category"]


def test_partial_award_is_issued_and_the_rest_of_the_claims_go_on_to_the_award_art_43(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    complete_step(system, staff, case_id, "draft_award", award(WAGE, scope="partial"))
    complete_step(system, staff, case_id, "approve_award")
    assert process_data(system, system.db, case_id)["partial_awards"] == 1
    assert open_names(system, staff, case_id) == {"draft_award"}  # the remaining claims
    complete_step(system, staff, case_id, "draft_award", award(COMPENSATION))
    complete_step(system, staff, case_id, "approve_award")
    view = case_view(system, staff, case_id)
    assert view.open_tasks == [] and process_data(system, system.db, case_id)["stage"] == "awarded"


# -- pre-judgment execution (先予执行) -----------------------------------------------------------

GRANTED = {
    "advance_execution_decision": "granted",
    "advance_execution_amount": 12000,
    "advance_execution_reason": "拖欠工资事实清楚，申请人生活困难",
}


def test_advance_execution_of_wages_is_decided_by_the_tribunal_and_the_hearing_resumes_art_44(
    system: System, staff: Staff
) -> None:
    case_id = at_hearing(system, staff)
    system.party_requests.request_advance_execution(staff.worker, case_id, [1], "家庭生活困难，急需工资")
    assert open_names(system, staff, case_id) == {"decide_advance_execution"}
    assert process_data(system, system.db, case_id)["advance_execution_request"]["claims"] == [1]
    complete(system, staff.arbitrator, case_id, "decide_advance_execution", GRANTED)
    assert open_names(system, staff, case_id) == {"conduct_hearing"}


def test_advance_execution_asked_while_the_award_is_drafted_returns_to_the_award_art_44(
    system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    system.party_requests.request_advance_execution(staff.worker, case_id, [1], "家庭生活困难，急需工资")
    refused = {"advance_execution_decision": "refused", "advance_execution_reason": "权利义务关系尚不明确"}
    with pytest.raises(ValidationError) as bad:  # granting needs the amount
        complete(
            system,
            staff.arbitrator,
            case_id,
            "decide_advance_execution",
            {**refused, **{"advance_execution_decision": "granted"}},
        )
    assert pointers(bad.value) == ["/advance_execution_amount"]
    complete(system, staff.arbitrator, case_id, "decide_advance_execution", refused)
    assert open_names(system, staff, case_id) == {"draft_award"}


def test_advance_execution_only_for_eligible_claims_and_only_by_the_applicant_art_44(
    system: System, staff: Staff
) -> None:
    case_id = system.cases.open_case(
        staff.clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title="张三与某科技有限公司劳动争议",
            organisation_id=staff.people.org_id,
            parties=[
                PartyInput("applicant", "张三", user_id=staff.worker.user_id),
                PartyInput("respondent", "某科技有限公司", kind="organisation"),
            ],
            claims=[ClaimInput("wage_arrears", "支付拖欠工资"), ClaimInput("other", "出具离职证明")],
        ),
    ).id
    drive_to(system, staff, case_id, "conduct_hearing")
    with pytest.raises(ValidationError) as bad:
        system.party_requests.request_advance_execution(staff.worker, case_id, [1, 2, 7], "生活困难")
    assert pointers(bad.value) == ["/claims/1", "/claims/2"]
    with pytest.raises(ValidationError):
        system.party_requests.request_advance_execution(staff.worker, case_id, [], "生活困难")
    assert open_names(system, staff, case_id) == {"conduct_hearing"}


def test_the_respondent_may_ask_for_recusal_but_not_for_advance_execution_art_33_44(
    system: System, staff: Staff, db: Database
) -> None:
    uscc = "91310000MA1FL8XQ2B"
    _, agent = make_employer(db, "某科技有限公司", uscc, "hr_branches")
    case_id = at_hearing(system, staff)  # the respondent of open_arbitration carries this code
    with pytest.raises(PermissionDeniedError):
        system.party_requests.request_advance_execution(agent, case_id, [1], "不同意")
    system.party_requests.request_recusal(agent, case_id, "李首席", "首席仲裁员曾代理申请人")
    assert (
        process_data(system, system.db, case_id)["recusal_request"]["requested_by"]
        == "respondent:某科技有限公司"
    )


def test_the_booked_room_is_set_by_the_hearing_calendar_not_by_a_client(system: System, staff: Staff) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "notify_hearing")
    with pytest.raises(ValidationError) as bad:
        complete_step(
            system, staff, case_id, "notify_hearing", {**step_data("notify_hearing"), "hearing_room_id": 1}
        )
    assert pointers(bad.value) == ["/hearing_room_id"]
    assert open_names(system, staff, case_id) == {"notify_hearing"}
