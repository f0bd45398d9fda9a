"""Recusal and postponement requests through the API (调解仲裁法 art.33-35), good and bad paths."""

from __future__ import annotations

from typing import Any

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import Staff, drive_to, open_arbitration, open_names
from workflows.system import System

system = arbitration.system
staff = arbitration.staff


def test_party_asks_for_recusal_and_the_commission_gets_the_decision(
    as_user: Any, system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "conduct_hearing")
    worker = as_user(staff.worker)
    missing = worker.post(f"/cases/{case_id}/recusal", json={"reason": "有利害关系"})
    assert missing.status_code == 422 and missing.content_type == "application/problem+json"
    assert [e["pointer"] for e in missing.get_json()["errors"]] == ["/arbitrator"]
    outsider = worker.post(f"/cases/{case_id}/recusal", json={"arbitrator": "孙路人", "reason": "有利害关系"})
    assert outsider.status_code == 422
    assert [e["pointer"] for e in outsider.get_json()["errors"]] == ["/arbitrator"]
    stranger = as_user(staff.people.other_worker)
    assert (
        stranger.post(
            f"/cases/{case_id}/recusal", json={"arbitrator": "王仲裁", "reason": "有利害关系"}
        ).status_code
        == 404
    )
    assert open_names(system, staff, case_id) == {"conduct_hearing"}  # nothing moved yet

    ok = worker.post(f"/cases/{case_id}/recusal", json={"arbitrator": "王仲裁", "reason": "系对方近亲属"})
    assert ok.status_code == 202, ok.get_json()
    assert ok.get_json()["message"] == "recusal_requested"
    assert open_names(system, staff, case_id) == {"decide_recusal"}
    again = worker.post(f"/cases/{case_id}/recusal", json={"arbitrator": "王仲裁", "reason": "系对方近亲属"})
    assert again.status_code == 409  # the tribunal is already stopped, the decision pending


def test_postponement_through_the_api_only_while_a_hearing_is_notified(
    as_user: Any, system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "notify_hearing")
    worker = as_user(staff.worker)
    early = worker.post(f"/cases/{case_id}/postponement", json={"reason": "出差"})
    assert early.status_code == 409
    drive_to(system, staff, case_id, "conduct_hearing")
    assert worker.post(f"/cases/{case_id}/postponement", json={"reason": "x"}).status_code == 422
    ok = worker.post(f"/cases/{case_id}/postponement", json={"reason": "申请人住院治疗"})
    assert ok.status_code == 202
    assert open_names(system, staff, case_id) == {"decide_postponement"}


def test_applicant_asks_for_advance_execution_of_eligible_claims_art_44(
    as_user: Any, system: System, staff: Staff
) -> None:
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "conduct_hearing")
    worker = as_user(staff.worker)
    bad = worker.post(f"/cases/{case_id}/advance-execution", json={"claims": [3], "reason": "生活困难"})
    assert bad.status_code == 422
    assert [e["pointer"] for e in bad.get_json()["errors"]] == ["/claims/0"]
    ok = worker.post(f"/cases/{case_id}/advance-execution", json={"claims": [1], "reason": "生活困难"})
    assert ok.status_code == 202 and ok.get_json()["message"] == "advance_execution_requested"
    assert open_names(system, staff, case_id) == {"decide_advance_execution"}
