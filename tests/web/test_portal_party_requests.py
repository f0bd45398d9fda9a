"""Parties ask for recusal, postponement and pre-judgment execution on the portal case page
(调解仲裁法 arts. 33, 35, 44): the forms appear only when the process would take the request."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.functional.test_arbitration_process import Staff, drive_to, open_names
from tests.web import test_portal_claims as portal
from tests.web.test_portal_claims import file_claim, log_in, log_out
from tests.web.test_ui import csrf_token
from workflows.system import System

system, staff, employer, browser = portal.system, portal.staff, portal.employer, portal.browser


def test_worker_asks_for_recusal_on_the_case_page_art_33(
    browser: FlaskClient, system: System, staff: Staff
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="requests"' not in page  # no tribunal yet: nothing to ask
    drive_to(system, staff, case_id, "conduct_hearing")
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    for form in ('id="recusal"', 'id="postponement"', 'id="advance-execution"'):
        assert form in page
    assert "<option>王仲裁</option>" in page and 'name="advance-claims" value="1"' in page
    token = csrf_token(page)

    r = browser.post(
        f"/portal/cases/{case_id}/recusal", data={"csrf_token": token, "recusal-arbitrator": "王仲裁"}
    )
    assert r.status_code == 422 and 'id="error-recusal-reason"' in r.get_data(as_text=True)
    missing_csrf = browser.post(
        f"/portal/cases/{case_id}/recusal", data={"recusal-arbitrator": "王仲裁", "recusal-reason": "近亲属"}
    )
    assert missing_csrf.status_code == 400
    assert open_names(system, staff, case_id) == {"conduct_hearing"}

    form = {
        "csrf_token": token,
        "recusal-arbitrator": "王仲裁",
        "recusal-reason": "王仲裁系被申请人法定代表人之子",
    }
    r = browser.post(f"/portal/cases/{case_id}/recusal", data=form)
    assert r.status_code == 302
    assert open_names(system, staff, case_id) == {"decide_recusal"}
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert "当事人申请仲裁员回避" in page  # on the timeline
    assert 'id="recusal"' not in page  # the tribunal has stopped until the decision

    log_out(browser)
    log_in(browser, "worker2")  # not a party
    token = csrf_token(browser.get("/portal").get_data(as_text=True))
    assert (
        browser.post(
            f"/portal/cases/{case_id}/postponement", data={"csrf_token": token, "postponement-reason": "出差"}
        ).status_code
        == 404
    )


def test_advance_execution_is_offered_to_the_applicant_only_for_eligible_claims_art_44(
    browser: FlaskClient, system: System, staff: Staff, employer: tuple[int, object]
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)  # claim 1 wages, claim 2 economic compensation
    drive_to(system, staff, case_id, "conduct_hearing")
    token = csrf_token(browser.get(f"/portal/cases/{case_id}").get_data(as_text=True))
    r = browser.post(
        f"/portal/cases/{case_id}/advance-execution", data={"csrf_token": token, "advance-reason": "生活困难"}
    )
    assert r.status_code == 422 and 'id="error-advance-claims"' in r.get_data(as_text=True)
    r = browser.post(
        f"/portal/cases/{case_id}/advance-execution",
        data={"csrf_token": token, "advance-claims": ["1"], "advance-reason": "三个月未发工资，无力支付房租"},
    )
    assert r.status_code == 302
    assert open_names(system, staff, case_id) == {"decide_advance_execution"}
    log_out(browser)

    log_in(browser, "hr_agent")  # the respondent's agent: no advance execution for them
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="advance-execution"' not in page
