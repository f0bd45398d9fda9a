"""The employer's and the worker's labour-contract pages (design/law.md §8), over real components.

Dev PKI + our TSA, a local-folder store and the development SMS outbox; CSRF on (as in
production).  Employer: draft from the model template (a missing clause refused by name, next
to its fields), preview, send, seal, void.  Worker: told how signing works and that it is free,
identity by SMS code, sign, decline.  Another employer or worker gets 404; /verify shows both
signers of a concluded contract.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from documents import Renderer
from documents.contracts import ContractRenderer
from integrations.sms.outbox import OutboxSmsSender
from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from signing.contracts import ContractSigningService
from tests.contract_support import WORKER_RESIDENT_ID, sample_clauses
from tests.support import fixture_system
from tests.unit.workflows.contract_fixtures import WORKER_PHONE, Parties, last_code, make_parties
from tests.web.test_ui import csrf_token
from web.app import create_app
from workflows.contract_views import ContractViews
from workflows.contracts import chain_of_contract
from workflows.db import Database
from workflows.models import LabourContract, LabourContractTemplate
from workflows.ports import DocumentAdapters
from workflows.system import System, build_system

PASSWORD = "correct horse battery"


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxSmsSender:
    return OutboxSmsSender(tmp_path / "sms-outbox.jsonl")


@pytest.fixture
def system(
    db: Database,
    tmp_path: Path,
    signing: Signing,
    local_store: LocalFolderDocumentStore,
    outbox: OutboxSmsSender,
) -> System:
    base = fixture_system(db, tmp_path)
    adapters = DocumentAdapters(
        Renderer(),
        signing.sealer,
        local_store,
        signing.verifier,
        "https://lc.test/verify",
        contract_renderer=ContractRenderer(),
        contract_signer=ContractSigningService(signing.sealer, signing.pki),
    )
    return build_system(base.settings, database=db, documents=adapters, sms=outbox)


@pytest.fixture
def parties(db: Database) -> Parties:
    return make_parties(db)  # hr1 (北京某某科技有限公司), hr9 (another employer), two workers


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


def contract_form(token: str, **changes: str) -> dict[str, str]:
    """The employer's form filled in from tests.contract_support.sample_clauses."""
    form = {"csrf_token": token, "signing_order": "worker_first", "due_days": "7"}
    for clause, fields in sample_clauses().items():
        if clause == "employer":
            fields = {k: v for k, v in fields.items() if k not in ("name", "uscc")}  # bound by the system
        for name, value in fields.items():
            form[f"{clause}.{name}"] = str(value)
    form.update(changes)
    return form


def draft(client: FlaskClient, **changes: str) -> int:
    r = client.post(
        "/employer/contracts/new", data=contract_form(token_of(client, "/employer/contracts/new"), **changes)
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    found = re.search(r"/employer/contracts/(\d+)$", r.headers["Location"])
    assert found
    return int(found.group(1))


def post(client: FlaskClient, path: str, page: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": token_of(client, page), **data})


def test_employer_drafts_previews_sends_and_the_worker_signs_then_the_employer_seals(
    app: Flask, parties: Parties, outbox: OutboxSmsSender, system: System, signing: Signing
) -> None:
    hr = browser(app, "hr1")
    contract_id = draft(hr)
    page = f"/employer/contracts/{contract_id}"
    html = hr.get(page).get_data(as_text=True)
    assert "草稿" in html and 'id="send"' in html and 'id="seal"' not in html
    preview = hr.get(f"{page}/preview")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert preview.data.startswith(b"%PDF-") and "inline" in preview.headers["Content-Disposition"]
    worker = browser(app, WORKER_PHONE)
    assert (
        worker.get(f"/portal/contracts/{contract_id}").status_code == 404
    )  # a draft is not the worker's yet

    assert post(hr, f"{page}/send", page).status_code == 302
    assert "待签署" in hr.get("/employer/contracts").get_data(as_text=True)

    listing = worker.get("/portal/contracts").get_data(as_text=True)
    assert 'id="to-sign"' in listing and f"/portal/contracts/{contract_id}" in listing
    mine = f"/portal/contracts/{contract_id}"
    html = worker.get(mine).get_data(as_text=True)
    assert "签署不收取任何费用" in html and "随时在本页免费查看、下载和打印" in html  # law.md §8 item 3
    read = worker.get(f"{mine}/read")
    assert read.status_code == 200 and read.data == preview.data  # what is signed is what was previewed

    assert post(worker, f"{mine}/code", mine).status_code == 302
    wrong = "000000" if last_code(outbox) != "000000" else "111111"
    r = post(worker, f"{mine}/sign", mine, code=wrong, agree="yes")
    assert r.status_code == 422 and 'id="error-code"' in r.get_data(as_text=True)
    r = post(worker, f"{mine}/sign", mine, code=last_code(outbox))  # not ticked "I agree"
    assert r.status_code == 422 and 'id="error-agree"' in r.get_data(as_text=True)
    assert post(worker, f"{mine}/code", mine).status_code in (302, 429)  # one code a minute per phone
    r = post(worker, f"{mine}/sign", mine, code=last_code(outbox), agree="yes")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert "劳动者已签名" in worker.get(mine).get_data(as_text=True)

    html = hr.get(page).get_data(as_text=True)
    assert 'id="seal"' in html and 'id="void"' not in html  # the worker signed: no voiding any more
    assert post(hr, f"{page}/seal", page).status_code == 302
    assert "已订立" in hr.get(page).get_data(as_text=True)

    final = worker.get(f"{mine}/download")
    assert final.status_code == 200 and "attachment" in final.headers["Content-Disposition"]
    report = signing.verifier.verify(final.data)
    assert report.valid and len(report.signatures) == 2
    assert all(s.timestamp is not None for s in report.signatures)
    assert worker.get(f"{mine}/certificate").data.startswith(b"%PDF-")
    assert hr.get(f"{page}/certificate").status_code == 200
    actions = [e.action for e in system.contracts.events(contract_id)]  # type: ignore[union-attr]
    assert (
        "labour_contract.identity_verified" in actions and actions[-1] == "labour_contract.labour_use_filed"
    )
    assert all(e.chain == chain_of_contract(contract_id) for e in system.contracts.events(contract_id))  # type: ignore[union-attr]

    code = re.search(r'id="verification-code">(LC\w+)<', hr.get(page).get_data(as_text=True))
    assert code
    verify = app.test_client().get(f"/verify?code={code.group(1)}", follow_redirects=True)
    html = verify.get_data(as_text=True)
    assert verify.status_code == 200 and 'id="contract-record"' in html
    assert "有效：双方已签署，合同已订立" in html
    assert "北京某某科技有限公司" in html and "王*明" in html and html.count("尚未签署") == 0


def test_a_missing_mandatory_clause_is_refused_by_name_next_to_its_fields_art_17(
    app: Flask, parties: Parties, db: Database
) -> None:
    hr = browser(app, "hr1")
    form = contract_form(
        token_of(hr, "/employer/contracts/new"), **{"job.position": "", "job.place": "", "job.duties": ""}
    )
    form.pop("job.region_code")
    r = hr.post("/employer/contracts/new", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="error-job"' in html
    assert "缺少必备条款：工作内容和工作地点（劳动合同法第十七条第一款第四项）" in html
    assert hr.get("/employer/contracts").get_data(as_text=True).count("/employer/contracts/1") == 0

    form = contract_form(token_of(hr, "/employer/contracts/new"), **{"pay.monthly_amount": "1000"})
    html = hr.post("/employer/contracts/new", data=form).get_data(as_text=True)
    assert 'id="error-pay-monthly_amount"' in html and "最低工资标准" in html  # 劳动法 art.48

    form = contract_form(
        token_of(hr, "/employer/contracts/new"), **{"worker.resident_id": "", "worker.phone": "13700137000"}
    )
    html = hr.post("/employer/contracts/new", data=form).get_data(as_text=True)
    assert 'id="error-worker-phone"' in html and "实名注册账号" in html  # nobody registered that phone

    by_phone = contract_form(
        token_of(hr, "/employer/contracts/new"), **{"worker.resident_id": "", "worker.phone": WORKER_PHONE}
    )
    by_phone.pop("worker.name")
    r = hr.post("/employer/contracts/new", data=by_phone)
    assert r.status_code == 302  # name and resident ID come from the worker's real-name account
    found = re.search(r"/employer/contracts/(\d+)$", r.headers["Location"])
    assert found
    named = ContractViews(db).get(parties.agent, int(found.group(1))).clauses["worker"]
    assert named["resident_id"] == WORKER_RESIDENT_ID and named["name"] == "王小明"


def test_another_employer_or_worker_gets_404_and_forms_need_the_csrf_token(
    app: Flask, parties: Parties
) -> None:
    hr = browser(app, "hr1")
    contract_id = draft(hr)
    page = f"/employer/contracts/{contract_id}"
    assert post(hr, f"{page}/send", page).status_code == 302

    other_hr = browser(app, "hr9")
    for path in ("", "/preview", "/download", "/certificate"):
        assert other_hr.get(f"{page}{path}").status_code == 404, path
    token = token_of(other_hr, "/employer/contracts")
    for action in ("send", "seal", "void"):
        r = other_hr.post(f"{page}/{action}", data={"csrf_token": token, "reason": "x"})
        assert r.status_code == 404, action
    assert f"/employer/contracts/{contract_id}" not in other_hr.get("/employer/contracts").get_data(
        as_text=True
    )

    other_worker = browser(app, "13900139000")
    mine = f"/portal/contracts/{contract_id}"
    for path in ("", "/read", "/download", "/certificate"):
        assert other_worker.get(f"{mine}{path}").status_code == 404, path
    token = token_of(other_worker, "/portal/contracts")
    for action in ("code", "sign", "decline"):
        r = other_worker.post(f"{mine}/{action}", data={"csrf_token": token, "code": "123456", "reason": "x"})
        assert r.status_code == 404, action
    assert "没有待签署的劳动合同" in other_worker.get("/portal/contracts").get_data(as_text=True)
    assert other_worker.get(page).status_code == 404  # the employer's pages are not a worker's

    worker = browser(app, WORKER_PHONE)
    assert worker.post(f"{mine}/decline", data={"reason": "不同意"}).status_code == 400  # no CSRF token
    assert hr.post(f"{page}/void", data={"reason": "招错人"}).status_code == 400
    assert hr.post("/employer/contracts/new", data=contract_form("forged")).status_code == 400


def test_the_worker_declines_with_a_reason_and_the_employer_voids_before_signing(
    app: Flask, parties: Parties, system: System
) -> None:
    hr = browser(app, "hr1")
    worker = browser(app, WORKER_PHONE)
    declined, voided = draft(hr), draft(hr)
    for contract_id in (declined, voided):
        page = f"/employer/contracts/{contract_id}"
        assert post(hr, f"{page}/send", page).status_code == 302

    mine = f"/portal/contracts/{declined}"
    r = post(worker, f"{mine}/decline", mine, reason=" ")
    assert r.status_code == 422 and 'id="error-reason"' in r.get_data(as_text=True)
    assert post(worker, f"{mine}/decline", mine, reason="工资与面试时所说不符").status_code == 302
    assert "劳动者已拒签（工资与面试时所说不符）" in hr.get(f"/employer/contracts/{declined}").get_data(
        as_text=True
    )

    page = f"/employer/contracts/{voided}"
    assert post(hr, f"{page}/void", page, reason="").status_code == 422
    assert post(hr, f"{page}/void", page, reason="岗位已取消").status_code == 302
    html = worker.get(f"/portal/contracts/{voided}").get_data(as_text=True)
    assert "已作废（岗位已取消）" in html and 'id="sign"' not in html
    r = post(worker, f"/portal/contracts/{voided}/code", f"/portal/contracts/{voided}")
    assert r.status_code == 409  # nothing to sign any more
    actions = [e.action for e in system.contracts.events(voided)]  # type: ignore[union-attr]
    assert actions[-1] == "labour_contract.voided"


def test_the_demo_worker_finds_a_contract_to_sign_and_was_told_by_text(
    system: System, outbox: OutboxSmsSender, tmp_path: Path
) -> None:
    from workflows.audit import SYSTEM
    from workflows.definitions import read_all
    from workflows.demo import DEMO_WORKER_IDENTITY, load_demo
    from workflows.identity import actor_for_user
    from workflows.models import User

    with system.db.transaction() as s:  # the demo's cases run the product processes
        system.definitions.deploy(s, read_all(Path(__file__).resolve().parents[2] / "bpmn"), SYSTEM)
    load_demo(system, tmp_path / "demo")
    assert system.notifications is not None and system.notifications.run_pending() == 1
    (text,) = [m.text for m in outbox.messages(DEMO_WORKER_IDENTITY["phone"])]
    assert "签署不收取任何费用" in text
    with system.db.transaction() as s:
        worker = s.execute(select(User).where(User.username == "worker")).scalar_one()
        actor = actor_for_user(worker)
    (listed,) = ContractViews(system.db).for_actor(actor)
    assert listed.state == "sent"


def test_the_employer_drafts_from_its_own_template_with_its_defaults(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    token = token_of(hr, "/employer/contract-templates")
    r = hr.post("/employer/contract-templates/new", data={"csrf_token": token, "title": "门店员工劳动合同"})
    assert r.status_code == 302, r.get_data(as_text=True)
    found = re.search(r"/employer/contract-templates/([^/]+)/edit$", r.headers["Location"])
    assert found
    key = found.group(1)
    page = hr.get(f"/employer/contracts/new?template={key}").get_data(as_text=True)
    assert "门店员工劳动合同" in page and f'name="template_key" value="{key}"' in page
    contract_id = draft(hr, template_key=key)
    with app.extensions["laborcase"].db.transaction() as s:
        contract = s.get(LabourContract, contract_id)
        assert contract is not None
        template = s.get(LabourContractTemplate, contract.template_id)
        assert template is not None and template.template_key == key
    assert hr.get("/employer/contracts/new?template=nosuch").status_code == 404
