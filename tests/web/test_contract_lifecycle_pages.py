"""The lifecycle pages of a labour contract (web/contract_lifecycle.py) over real components, CSRF on:
the employer's 变更 / 解除或终止 / 续订 forms (good and bad input), linked documents on both
parties' pages, the worker's free paper copy and the employer's list of paper-copy requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.unit.workflows.contract_fixtures import WORKER_PHONE, Setup, conclude, draft
from tests.web.test_ui import csrf_token
from web.app import create_app
from workflows.models import PhoneChallenge
from workflows.system import System


@pytest.fixture
def system(contract_system: System) -> System:
    return contract_system


PASSWORD = "correct horse battery"


@pytest.fixture
def app(system: System) -> Flask:
    app = create_app(system=system)
    app.config["TESTING"] = False  # CSRF checks on, as in production
    return app


def browser(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def token_of(client: FlaskClient, path: str) -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def signed(setup: Setup, contract_id: int, order: str = "worker_first") -> None:
    with setup.service.db.transaction() as s:  # one SMS code a minute per phone: move earlier ones back
        s.execute(update(PhoneChallenge).values(created_at=PhoneChallenge.created_at - timedelta(hours=2)))
    conclude(setup, contract_id, order)


def concluded(setup: Setup) -> int:
    contract_id = draft(setup)
    signed(setup, contract_id)
    return contract_id


def new_id(response: object) -> int:
    found = re.search(r"/employer/contracts/(\d+)$", response.headers["Location"])  # type: ignore[attr-defined]
    assert found, response.headers["Location"]  # type: ignore[attr-defined]
    return int(found.group(1))


def form_of(html: str) -> dict[str, str]:
    """The values the amendment form shows (inputs, selected options, textareas)."""
    values = dict(re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', html))
    values.update(re.findall(r'<textarea id="[^"]*" name="([^"]+)" rows="\d+"[^>]*>([^<]*)</textarea>', html))
    for name, body in re.findall(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        if chosen:
            values[name] = chosen.group(1)
    return {k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&") for k, v in values.items()}


# -- the employer -----------------------------------------------------------------------------


def test_the_employer_amends_a_concluded_contract_and_both_see_the_linked_document(
    app: Flask, setup: Setup
) -> None:
    contract_id = concluded(setup)
    hr = browser(app, "hr1")
    page = f"/employer/contracts/{contract_id}"
    html = hr.get(page).get_data(as_text=True)
    assert 'id="linked-documents"' in html and 'id="amend"' in html and 'id="terminate"' in html
    assert 'id="renew"' in html

    form_page = hr.get(f"{page}/amend")
    assert form_page.status_code == 200
    shown = form_of(form_page.get_data(as_text=True))
    assert shown["pay.monthly_amount"] == "12000.00" and shown["job.position"] == "软件工程师"
    assert "worker.resident_id" not in shown  # who the parties are is not amended
    data = {**shown, "csrf_token": token_of(hr, f"{page}/amend"), "pay.monthly_amount": "12500"}
    data.update({"effective_on": "2027-07-01", "signing_order": "employer_first", "due_days": "7"})
    r = hr.post(f"{page}/amend", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    amendment_id = new_id(r)
    html = hr.get(f"/employer/contracts/{amendment_id}").get_data(as_text=True)
    assert 'id="original"' in html and f"/employer/contracts/{contract_id}" in html and 'id="send"' in html
    assert "用人单位先盖章" in html
    html = hr.get(page).get_data(as_text=True)
    assert 'id="linked-list"' in html and f"/employer/contracts/{amendment_id}" in html
    assert 'id="amend"' not in html  # one change at a time

    worker = browser(app, WORKER_PHONE)
    mine = worker.get(f"/portal/contracts/{contract_id}").get_data(as_text=True)
    assert f"/portal/contracts/{amendment_id}" not in mine  # a draft is not the worker's yet
    hr.post(f"/employer/contracts/{amendment_id}/send", data={"csrf_token": token_of(hr, page)})
    mine = worker.get(f"/portal/contracts/{contract_id}").get_data(as_text=True)
    assert f"/portal/contracts/{amendment_id}" in mine and "劳动合同变更协议书" in mine


def test_the_amendment_form_refuses_bad_input_next_to_its_fields(app: Flask, setup: Setup) -> None:
    contract_id = concluded(setup)
    hr = browser(app, "hr1")
    page = f"/employer/contracts/{contract_id}/amend"
    shown = form_of(hr.get(page).get_data(as_text=True))

    def post(**changes: str) -> tuple[int, str]:
        r = hr.post(
            page, data={**shown, "csrf_token": token_of(hr, page), "effective_on": "2027-07-01", **changes}
        )
        return r.status_code, r.get_data(as_text=True)

    status, html = post(**{"job.position": ""})
    assert status == 422 and 'id="error-job-position"' in html
    status, html = post(**{"pay.monthly_amount": "1000"})
    assert status == 422 and 'id="error-pay-monthly_amount"' in html and "最低工资" in html
    status, html = post()  # nothing changed
    assert status == 422 and 'id="error-clauses"' in html
    status, html = post(**{"pay.monthly_amount": "12500", "effective_on": "later"})
    assert status == 422 and 'id="error-effective_on"' in html
    assert hr.post(page, data={**shown, "effective_on": "2027-07-01"}).status_code == 400  # no CSRF token
    assert browser(app, "hr9").get(page).status_code == 404  # another employer's contract


def test_the_employer_issues_a_certificate_of_termination_the_worker_sees_it(
    app: Flask, setup: Setup
) -> None:
    contract_id = concluded(setup)
    hr = browser(app, "hr1")
    page = f"/employer/contracts/{contract_id}/terminate"
    assert 'id="terminate-form"' in hr.get(page).get_data(as_text=True)
    bad = {
        "csrf_token": token_of(hr, page),
        "mode": "certificate",
        "legal_basis": "art40",
        "ended_on": "2027-09-30",
        "reason": "",
        "compensation": "很多",
    }
    r = hr.post(page, data=bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="error-reason"' in html and 'id="error-compensation"' in html
    r = hr.post(page, data={**bad, "ended_on": ""})
    assert r.status_code == 422 and 'id="error-ended_on"' in r.get_data(as_text=True)
    good = {
        **bad,
        "csrf_token": token_of(hr, page),
        "reason": "乙方不能胜任工作，经培训仍不能胜任",
        "compensation": "18000",
    }
    r = hr.post(page, data=good)
    assert r.status_code == 302, r.get_data(as_text=True)
    certificate_id = new_id(r)
    detail = f"/employer/contracts/{certificate_id}"
    html = hr.get(detail).get_data(as_text=True)
    assert 'id="issue"' in html and "仅由用人单位盖章" in html and 'id="seal"' not in html
    assert hr.post(f"{detail}/issue", data={"csrf_token": token_of(hr, detail)}).status_code == 302
    assert "已订立" in hr.get(detail).get_data(as_text=True)

    original = hr.get(f"/employer/contracts/{contract_id}").get_data(as_text=True)
    assert 'id="ended"' in original and "2027-09-30" in original and 'id="amend"' not in original
    worker = browser(app, WORKER_PHONE)
    mine = worker.get(f"/portal/contracts/{contract_id}").get_data(as_text=True)
    assert 'id="ended"' in mine and f"/portal/contracts/{certificate_id}" in mine
    certificate = worker.get(f"/portal/contracts/{certificate_id}/download")
    assert certificate.status_code == 200 and certificate.data.startswith(b"%PDF-")
    assert hr.get(page).status_code == 200
    r = hr.post(page, data={**good, "csrf_token": token_of(hr, page)})
    assert r.status_code == 409  # an ended contract is not ended again


def test_the_renewal_form_needs_a_start_after_the_current_term(app: Flask, setup: Setup) -> None:
    contract_id = concluded(setup)
    hr = browser(app, "hr1")
    page = f"/employer/contracts/{contract_id}/renew"
    html = hr.get(page).get_data(as_text=True)
    assert 'value="2030-01-01"' in html  # the day after the current term ends
    data = {"csrf_token": token_of(hr, page), "term.kind": "fixed", "term.start_date": "2029-06-01"}
    data["term.end_date"] = "2032-12-31"
    r = hr.post(page, data=data)
    assert r.status_code == 422 and 'id="error-term-start_date"' in r.get_data(as_text=True)
    r = hr.post(page, data={**data, "csrf_token": token_of(hr, page), "term.start_date": "2030-01-01"})
    assert r.status_code == 302, r.get_data(as_text=True)
    renewal_id = new_id(r)
    html = hr.get(f"/employer/contracts/{renewal_id}").get_data(as_text=True)
    assert "2030-01-01" in html and 'id="send"' in html


# -- paper copies -----------------------------------------------------------------------------


def test_the_worker_asks_for_a_paper_copy_the_employer_prints_and_hands_it_over(
    app: Flask, setup: Setup
) -> None:
    contract_id = concluded(setup)
    worker = browser(app, WORKER_PHONE)
    mine = f"/portal/contracts/{contract_id}"
    html = worker.get(mine).get_data(as_text=True)
    assert 'id="paper-copy-form"' in html
    r = worker.post(f"{mine}/paper-copy", data={"csrf_token": token_of(worker, mine), "delivery": "mail"})
    assert r.status_code == 422 and 'id="error-paper-copy-address"' in r.get_data(as_text=True)
    assert worker.post(f"{mine}/paper-copy", data={"delivery": "pickup"}).status_code == 400  # no CSRF
    other = browser(app, "13900139000")
    r = other.post(
        f"{mine}/paper-copy", data={"csrf_token": token_of(other, "/portal/contracts"), "delivery": "pickup"}
    )
    assert r.status_code == 404
    r = worker.post(
        f"{mine}/paper-copy",
        data={
            "csrf_token": token_of(worker, mine),
            "delivery": "mail",
            "address": "北京市朝阳区某某路2号 王小明",
        },
    )
    assert r.status_code == 302
    html = worker.get(mine).get_data(as_text=True)
    assert "已申请" in html and 'id="paper-copy-form"' not in html

    hr = browser(app, "hr1")
    listing = "/employer/contracts/paper-copies"
    html = hr.get(listing).get_data(as_text=True)
    found = re.search(r'id="print-(\d+)"', html)
    assert found and "北京市朝阳区某某路2号" in html
    request_id = int(found.group(1))
    printed = hr.get(f"/employer/contracts/paper-copies/{request_id}/print")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF-")
    outsider = browser(app, "hr9")
    assert outsider.get(f"/employer/contracts/paper-copies/{request_id}/print").status_code == 404
    assert 'id="no-paper-copies"' in outsider.get(listing).get_data(as_text=True)
    r = outsider.post(
        f"/employer/contracts/paper-copies/{request_id}/printed",
        data={"csrf_token": token_of(outsider, listing)},
    )
    assert r.status_code == 404
    assert (
        hr.post(
            f"/employer/contracts/paper-copies/{request_id}/printed",
            data={"csrf_token": token_of(hr, listing)},
        ).status_code
        == 302
    )
    r = hr.post(
        f"/employer/contracts/paper-copies/{request_id}/handed-over",
        data={"csrf_token": token_of(hr, listing), "note": "EMS 1234567890"},
    )
    assert r.status_code == 302
    assert 'id="no-paper-copies"' in hr.get(listing).get_data(as_text=True)
    assert "已交付" in hr.get(f"{listing}?all=1").get_data(as_text=True)
    html = worker.get(mine).get_data(as_text=True)
    assert "已交付" in html and "EMS 1234567890" in html
    actions = [e.action for e in setup.service.events(contract_id)][-3:]
    assert actions == [
        "labour_contract.paper_copy_requested",
        "labour_contract.paper_copy_printed",
        "labour_contract.paper_copy_handed_over",
    ]
