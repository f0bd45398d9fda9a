"""The portal says where the case stands in plain words, and after a mediation agreement on wages
or compensation tells the worker about the payment order (支付令, 调解仲裁法 art.16)."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient

from tests.functional import test_mediation_process as mediation
from tests.functional.test_mediation_process import AGREEMENT, CHINA, Mediation, complete
from tests.web import test_portal_claims as portal
from tests.web.test_portal_claims import log_in
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.system import System

system, browser, med = portal.system, portal.browser, mediation.med
SIGNED = {
    "agreement_terms": "公司于2026年12月31日前支付拖欠工资8000元",
    "performance_due_on": "2026-12-31",
    "agreement_signed": True,
    "agreement_signed_on": datetime.now(CHINA).date().isoformat(),
}


def agreed_mediation(system: System, med: Mediation, claim_type: str) -> int:
    case_id = system.cases.open_case(
        med.mediator,
        OpenCase(
            process_key="mediation",
            case_type="mediation",
            title="张三与某科技有限公司工资争议调解",
            organisation_id=med.org_id,
            parties=[
                PartyInput("applicant", "张三", user_id=med.people.worker.user_id),
                PartyInput("respondent", "某科技有限公司", kind="organisation"),
            ],
            claims=[ClaimInput(claim_type, "支付拖欠工资")],
        ),
    ).id
    complete(system, med, case_id, "mediate", AGREEMENT)
    complete(system, med, case_id, "record_agreement", SIGNED)
    return case_id


def test_agreement_on_wages_points_the_worker_to_the_payment_order_art_16(
    browser: FlaskClient, system: System, med: Mediation
) -> None:
    wages = agreed_mediation(system, med, "wage_arrears")
    other = agreed_mediation(system, med, "other")
    log_in(browser, "worker1")
    page = browser.get(f"/portal/cases/{wages}").get_data(as_text=True)
    assert 'id="case-stage"' in page and "已达成调解协议" in page
    assert 'id="payment-order-hint"' in page and "支付令" in page and "第十六条" in page
    assert 'id="payment-order-hint"' not in browser.get(f"/portal/cases/{other}").get_data(as_text=True)
