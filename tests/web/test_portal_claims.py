"""The portal end to end: a worker applies for arbitration online with evidence, follows the case;
the employer's agent files its defence and the case moves on (调解仲裁法 arts. 28-30).

Browser-like: the Flask test client with CSRF checks on, forms posted as multipart without
JavaScript.  Real arbitration process, real local object store.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from documents import Renderer
from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    BPMN_DIR,
    Staff,
    complete_step,
    drive_to,
    open_names,
    process_data,
    step_data,
)
from tests.support import fixture_system, make_employer
from tests.unit.workflows.test_evidence import image_bytes, objects, pdf_bytes
from tests.web.test_ui import PASSWORD, csrf_token
from web.app import create_app
from workflows.audit import Actor, verify
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.identity import uscc_check_char
from workflows.models import Case, CaseParty, Claim, Evidence, StoredFile
from workflows.ports import DocumentAdapters
from workflows.system import System, build_system

staff = arbitration.staff  # clerk, arbitrator and commission head of one commission, and two workers

USCC = "91440101MA5CXXXX0" + uscc_check_char("91440101MA5CXXXX0")
BAD_USCC = USCC[:17] + ("0" if USCC[17] != "0" else "1")


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: LocalFolderDocumentStore) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR, store=local_store)


@pytest.fixture
def employer(db: Database) -> tuple[int, Actor]:
    return make_employer(db, "广州某科技有限公司", USCC, "hr_agent")


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    app.config["TESTING"] = False  # CSRF checks on, as in production
    return app.test_client()


def log_in(browser: FlaskClient, username: str) -> None:
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    r = browser.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)


def log_out(browser: FlaskClient) -> None:
    browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/portal").get_data(as_text=True))})


def claim_form(token: str, staff: Staff, **fields: Any) -> dict[str, Any]:
    """A complete application: two claims (the middle row left empty), facts, two evidence files."""
    form: dict[str, Any] = {
        "csrf_token": token,
        "commission_id": str(staff.people.org_id),
        "applicant_address": "广州市天河区某路1号",
        "employer_name": "广州某科技有限公司",
        "employer_uscc": USCC.lower()[:6] + " " + USCC.lower()[6:],  # as people type it
        "employer_address": "广州市黄埔区某路88号",
        "claims-0-claim_type": "wage_arrears",
        "claims-0-amount": "24,000.50",
        "claims-0-period_start": "2026-08-01",
        "claims-0-period_end": "2026-10-31",
        "claims-0-description": "支付2026年8月至10月拖欠的工资",
        "claims-2-claim_type": "economic_compensation",
        "claims-2-amount": "12000元",
        "facts": "2024年3月入职，任软件工程师，月工资8000元。2026年8月起单位未发工资，协商无果。",
        "evidence-0-file": (io.BytesIO(pdf_bytes()), "劳动合同.pdf"),
        "evidence-0-description": "证明劳动关系",
        "evidence-3-file": (io.BytesIO(image_bytes("JPEG")), "工资条.jpg"),
        "evidence-3-description": "证明工资标准",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


#: a claim without evidence: the file rows left empty
NO_FILES = {f"evidence-{i}-{f}": None for i in (0, 3) for f in ("file", "description")}


def post_claim(browser: FlaskClient, staff: Staff, **fields: Any) -> Any:
    token = csrf_token(browser.get("/portal/claims/new").get_data(as_text=True))
    return browser.post(
        "/portal/claims/new", data=claim_form(token, staff, **fields), content_type="multipart/form-data"
    )


def file_claim(browser: FlaskClient, staff: Staff, **fields: Any) -> int:
    r = post_claim(browser, staff, **fields)
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        return tuple(  # type: ignore[return-value]
            s.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Case, Evidence, StoredFile)
        )


# -- filing -----------------------------------------------------------------------------------


def test_worker_applies_online_with_evidence_and_follows_the_case(
    browser: FlaskClient, system: System, staff: Staff, db: Database, employer: tuple[int, Actor]
) -> None:
    log_in(browser, "worker1")
    home = browser.get("/portal").get_data(as_text=True)
    assert 'id="new-claim"' in home
    form = browser.get("/portal/claims/new").get_data(as_text=True)
    for name in ("commission_id", "applicant_address", "employer_uscc", "claims-4-amount", "evidence-4-file"):
        assert f'name="{name}"' in form
    assert 'enctype="multipart/form-data"' in form and "拖欠工资" in form and "<script" not in form

    case_id = file_claim(browser, staff)
    page = browser.get(f"/portal/cases/{case_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "仲裁申请已提交" in html
    assert "办理中" in html and "受理审查" in html and "第二十九条" in html  # next step and its basis
    assert "劳动合同.pdf" in html and "工资条.jpg" in html and "证明劳动关系" in html
    assert "24000.50 元" in html and "经济补偿" in html and "提交仲裁申请" in html

    with db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None and (case.case_type, case.organisation_id) == (
            "arbitration",
            staff.people.org_id,
        )
        parties = {
            p.role: p for p in s.execute(select(CaseParty).where(CaseParty.case_id == case_id)).scalars()
        }
        assert parties["applicant"].user_id == staff.worker.user_id
        assert parties["applicant"].address == "广州市天河区某路1号"
        assert parties["respondent"].organisation_id == employer[0]  # the employer on record, by its code
        assert parties["respondent"].address == "广州市黄埔区某路88号"
        claims = s.execute(select(Claim).where(Claim.case_id == case_id).order_by(Claim.position)).scalars()
        assert [(c.claim_type, str(c.amount)) for c in claims] == [
            ("wage_arrears", "24000.50"),
            ("economic_compensation", "12000.00"),
        ]
        evidence = s.execute(select(Evidence).where(Evidence.case_id == case_id)).scalars().all()
        assert {(e.purpose, e.party_id) for e in evidence} == {("application", parties["applicant"].id)}
        assert verify(s) == []
    assert open_names(system, staff, case_id) == {"review_application"}
    assert process_data(system, db, case_id)["facts_and_reasons"].startswith("2024年3月入职")

    [contract] = [e for e in system.evidence.for_case(staff.clerk, case_id) if e.filename == "劳动合同.pdf"]  # type: ignore[union-attr]
    download = browser.get(f"/portal/cases/{case_id}/evidence/{contract.id}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF-") and "attachment" in download.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E5%8A%B3" in download.headers["Content-Disposition"]

    # the employer's agent sees the case too (its organisation is the respondent)
    log_out(browser)
    log_in(browser, "hr_agent")
    assert f"/portal/cases/{case_id}" in browser.get("/portal").get_data(as_text=True)
    assert "劳动合同.pdf" in browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)


def test_employer_is_looked_up_by_name_or_code_and_picked(
    browser: FlaskClient, system: System, staff: Staff, db: Database, employer: tuple[int, Actor]
) -> None:
    log_in(browser, "worker1")
    by_name = browser.get("/portal/claims/new?employer_q=某科技").get_data(as_text=True)
    assert f'name="employer_id" value="{employer[0]}"' in by_name and USCC in by_name
    by_code = browser.get(f"/portal/claims/new?employer_q={USCC}").get_data(as_text=True)
    assert f'name="employer_id" value="{employer[0]}"' in by_code
    nothing = browser.get("/portal/claims/new?employer_q=不存在的公司").get_data(as_text=True)
    assert 'id="no-matches"' in nothing

    case_id = file_claim(
        browser,
        staff,
        employer_id=str(employer[0]),
        employer_name=None,
        employer_uscc=None,
        employer_q="某科技",
    )
    with db.transaction() as s:
        respondent = s.execute(
            select(CaseParty).where(CaseParty.case_id == case_id, CaseParty.role == "respondent")
        ).scalar_one()
        assert (respondent.organisation_id, respondent.name) == (employer[0], "广州某科技有限公司")


def test_bad_employer_code_is_shown_at_its_field_and_nothing_is_created(
    browser: FlaskClient, staff: Staff, db: Database, local_store: LocalFolderDocumentStore
) -> None:
    log_in(browser, "worker1")
    r = post_claim(browser, staff, employer_uscc=BAD_USCC, **{"claims-2-amount": "-5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="error-employer_uscc"' in html and "校验码" in html
    assert 'id="error-claims-2-amount"' in html and 'aria-invalid="true"' in html
    assert "广州市黄埔区某路88号" in html  # what was typed comes back
    assert 'id="reselect-files"' in html  # files are not: the browser must send them again
    assert counts(db) == (0, 0, 0) and objects(local_store) == 0


def test_a_rejected_file_creates_nothing_and_is_named_next_to_its_field(
    browser: FlaskClient, staff: Staff, db: Database, local_store: LocalFolderDocumentStore
) -> None:
    log_in(browser, "worker1")
    encrypted = pdf_bytes(owner="o", user="u")
    r = post_claim(browser, staff, **{"evidence-3-file": (io.BytesIO(encrypted), "工资条.pdf")})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="error-evidence-3-file"' in html and "去掉密码" in html
    assert 'id="error-evidence-0-file"' not in html
    assert counts(db) == (0, 0, 0) and objects(local_store) == 0

    r = post_claim(browser, staff, **{"evidence-0-file": (io.BytesIO(b"MZ\x90\x00evil"), "合同.pdf")})
    assert r.status_code == 422 and "只能上传 PDF、JPG 或 PNG" in r.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_a_file_over_the_limit_is_413_and_creates_nothing(
    browser: FlaskClient, app: Flask, system: System, staff: Staff, db: Database
) -> None:
    assert system.evidence is not None
    system.evidence.max_bytes = 1024
    log_in(browser, "worker1")
    r = post_claim(browser, staff, **{"evidence-0-file": (io.BytesIO(pdf_bytes(pages=20)), "大.pdf")})
    assert r.status_code == 413 and 'id="error-evidence-0-file"' in r.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)
    app.config["MAX_CONTENT_LENGTH"] = 4096  # the whole request: refused before any file is read
    r = post_claim(browser, staff, **{"evidence-0-file": (io.BytesIO(b"x" * 8192), "a.pdf")})
    assert r.status_code == 413 and "没有保存任何内容" in r.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_claim_needs_csrf_token_a_claim_and_facts(browser: FlaskClient, staff: Staff, db: Database) -> None:
    log_in(browser, "worker1")
    r = browser.post("/portal/claims/new", data={"commission_id": str(staff.people.org_id)})
    assert r.status_code == 400
    emptied = {f"claims-{i}-{f}": "" for i in (0, 2) for f in ("claim_type", "amount", "period_start")}
    emptied |= {"claims-0-period_end": "", "claims-0-description": ""}
    r = post_claim(browser, staff, facts="", commission_id="", **emptied)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for field in ("commission_id", "facts", "claims-0-claim_type"):
        assert f'id="error-{field}"' in html
    assert counts(db) == (0, 0, 0)


def test_only_workers_apply_online(browser: FlaskClient, employer: tuple[int, Actor]) -> None:
    log_in(browser, "hr_agent")
    assert browser.get("/portal/claims/new").status_code == 403
    assert 'id="new-claim"' not in browser.get("/portal").get_data(as_text=True)


# -- privacy ----------------------------------------------------------------------------------


def test_worker_cannot_see_another_workers_case_or_evidence(
    browser: FlaskClient, system: System, staff: Staff
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    assert system.evidence is not None
    [first, *_] = system.evidence.for_case(staff.clerk, case_id)
    log_out(browser)
    log_in(browser, "worker2")
    assert browser.get(f"/portal/cases/{case_id}").status_code == 404
    assert browser.get(f"/portal/cases/{case_id}/evidence/{first.id}").status_code == 404
    assert browser.get(f"/cases/{case_id}").status_code == 404
    token = csrf_token(browser.get("/portal").get_data(as_text=True))
    upload = {"csrf_token": token, "file": (io.BytesIO(pdf_bytes()), "x.pdf")}
    r = browser.post(f"/portal/cases/{case_id}/evidence", data=upload, content_type="multipart/form-data")
    assert r.status_code == 404
    own = file_claim(browser, staff)  # worker2's own case does not open worker1's evidence either
    assert browser.get(f"/portal/cases/{own}/evidence/{first.id}").status_code == 404


def test_party_hands_in_more_evidence_from_the_case_page(
    browser: FlaskClient, system: System, staff: Staff
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff, **NO_FILES)
    token = csrf_token(browser.get(f"/portal/cases/{case_id}").get_data(as_text=True))
    bad = {"csrf_token": token, "file": (io.BytesIO(b""), "empty.pdf"), "description": "考勤"}
    r = browser.post(f"/portal/cases/{case_id}/evidence", data=bad, content_type="multipart/form-data")
    assert r.status_code == 422 and 'id="error-file"' in r.get_data(as_text=True)
    good = {"csrf_token": token, "file": (io.BytesIO(image_bytes("PNG")), "考勤.png"), "description": "考勤"}
    r = browser.post(f"/portal/cases/{case_id}/evidence", data=good, content_type="multipart/form-data")
    assert r.status_code == 302
    assert system.evidence is not None
    assert [e.filename for e in system.evidence.for_case(staff.worker, case_id)] == ["考勤.png"]
    assert "提交证据：考勤.png" in browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)


# -- the employer's defence -------------------------------------------------------------------


def served(system: System, staff: Staff, case_id: int) -> None:
    """The clerk accepts the application and serves its copy on the employer: the defence is awaited."""
    complete_step(system, staff, case_id, "review_application")
    complete_step(system, staff, case_id, "serve_respondent")


def test_employer_files_its_defence_and_the_case_moves_on_art_30(
    browser: FlaskClient, system: System, staff: Staff, db: Database, employer: tuple[int, Actor]
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    log_out(browser)
    log_in(browser, "hr_agent")
    before = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="defence"' not in before  # not served yet: nothing to answer

    served(system, staff, case_id)
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="defence"' in page and "请在答辩期内提交答辩书" in page
    assert "仲裁申请书副本已送达被申请人" in page
    # 法30: ten days from receiving the copy (served today in this test), counted as the rule says
    due = compute_due("arbitration.defence", date.fromisoformat(arbitration.today()))
    assert f"期限：{due.isoformat()}" in page
    form = {
        "csrf_token": csrf_token(page),
        "summary": "工资已按约定足额支付，不同意申请人的请求。",
        "defence-evidence-0-file": (io.BytesIO(pdf_bytes()), "银行代发记录.pdf"),
        "defence-evidence-0-description": "证明已支付工资",
    }
    r = browser.post(f"/portal/cases/{case_id}/defence", data=form, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert "答辩书已提交" in browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)

    assert system.evidence is not None
    [filed] = [e for e in system.evidence.for_case(staff.clerk, case_id) if e.purpose == "defence"]
    assert (filed.party_role, filed.filename, filed.submitted_by) == (
        "respondent",
        "银行代发记录.pdf",
        "广州某科技有限公司经办人",
    )
    data = process_data(system, db, case_id)
    assert data["defence_status"] == "received"
    assert data["defence"] == {
        "summary": "工资已按约定足额支付，不同意申请人的请求。",
        "evidence_ids": [filed.id],
    }
    assert "serve_defence" in open_names(system, staff, case_id)  # copy to the applicant within 5 days
    with db.transaction() as s:
        assert verify(s) == []

    again = browser.post(
        f"/portal/cases/{case_id}/defence",
        data={"csrf_token": csrf_token(page), "summary": "补充答辩"},
        content_type="multipart/form-data",
    )
    assert again.status_code == 409 and "现在不接收答辩书" in again.get_data(as_text=True)

    log_out(browser)
    log_in(browser, "worker1")
    html = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert "被申请人提交答辩书" in html and "银行代发记录.pdf" in html and 'id="defence"' not in html


def test_defence_before_service_is_refused_and_stores_nothing(
    browser: FlaskClient,
    system: System,
    staff: Staff,
    db: Database,
    employer: tuple[int, Actor],
    local_store: LocalFolderDocumentStore,
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff, **NO_FILES)
    log_out(browser)
    log_in(browser, "hr_agent")
    token = csrf_token(browser.get(f"/portal/cases/{case_id}").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "summary": "不同意",
        "defence-evidence-0-file": (io.BytesIO(pdf_bytes()), "a.pdf"),
    }
    r = browser.post(f"/portal/cases/{case_id}/defence", data=form, content_type="multipart/form-data")
    assert r.status_code == 409 and "现在不接收答辩书" in r.get_data(as_text=True)
    assert counts(db) == (1, 0, 0) and objects(local_store) == 0
    assert "defence" not in process_data(system, db, case_id)


def test_only_the_respondent_files_a_defence(
    browser: FlaskClient, system: System, staff: Staff, db: Database, employer: tuple[int, Actor]
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    served(system, staff, case_id)
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="defence"' not in page and "等待被申请人提交答辩书" in page
    r = browser.post(
        f"/portal/cases/{case_id}/defence",
        data={"csrf_token": csrf_token(page), "summary": "冒充"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 403
    assert "defence" not in process_data(system, db, case_id)


def test_empty_defence_is_pointed_at(
    browser: FlaskClient, system: System, staff: Staff, employer: tuple[int, Actor]
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    served(system, staff, case_id)
    log_out(browser)
    log_in(browser, "hr_agent")
    token = csrf_token(browser.get(f"/portal/cases/{case_id}").get_data(as_text=True))
    r = browser.post(
        f"/portal/cases/{case_id}/defence",
        data={"csrf_token": token, "summary": "  "},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and 'id="error-summary"' in r.get_data(as_text=True)


def test_case_page_in_english(browser: FlaskClient, staff: Staff) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    browser.get("/lang/en")
    html = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert "Next step" in html and "Evidence" in html and "Wage arrears" in html
    assert "Apply for labour dispute arbitration" in browser.get("/portal/claims/new").get_data(as_text=True)


# -- documents: the hearing notice and other sealed documents ---------------------------------


@pytest.mark.slow
def test_parties_see_the_hearing_notice_and_download_the_sealed_documents_art_35(
    db: Database,
    tmp_path: Path,
    signing: Signing,
    local_store: LocalFolderDocumentStore,
    staff: Staff,
    employer: tuple[int, Actor],
) -> None:
    base = fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)
    adapters = DocumentAdapters(
        Renderer(), signing.sealer, local_store, signing.verifier, "https://lc.test/v"
    )
    system = build_system(base.settings, database=db, documents=adapters)
    app = create_app(system=system)
    browser = app.test_client()
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff)
    drive_to(system, staff, case_id, "conduct_hearing")  # accepted, served, defence in, hearing notified
    assert system.issuing is not None and system.issuing.run_pending() == 3
    log_out(browser)

    log_in(browser, "hr_agent")
    html = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    hearing = step_data("notify_hearing")
    assert 'id="hearing-notice"' in html
    assert hearing["hearing_place"] in html and hearing["hearing_date"] in html
    for title in ("受理通知书", "仲裁庭组成通知书", "开庭通知书"):
        assert title in html
    documents = system.issuing.for_case(staff.clerk, case_id)
    notice = next(d for d in documents if d.document_type == "hearing_notice")
    assert f"/portal/cases/{case_id}/documents/{notice.id}" in html
    assert f"出具开庭通知书（{notice.number}）" in html  # in the timeline too
    pdf = browser.get(f"/portal/cases/{case_id}/documents/{notice.id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert system.issuing.check_upload(pdf.data).report.valid
    assert browser.get(f"/portal/cases/{case_id + 1}/documents/{notice.id}").status_code == 404

    log_out(browser)
    log_in(browser, "worker2")  # not a party: the document is not there for them
    assert browser.get(f"/portal/cases/{case_id}/documents/{notice.id}").status_code == 404


# -- in a real browser, on a phone-sized screen, without JavaScript ----------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def browser_log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/portal")


@pytest.mark.slow
def test_worker_applies_and_employer_answers_on_a_phone_screen(
    page: Any, system: System, staff: Staff, employer: tuple[int, Actor], tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    contract = tmp_path / "劳动合同.pdf"
    contract.write_bytes(pdf_bytes())
    payslip = tmp_path / "工资条.jpg"
    payslip.write_bytes(image_bytes("JPEG"))

    browser_log_in(page, "worker1")
    page.click("#new-claim")
    page.fill("#employer_q", "某科技")
    page.click("#lookup-submit")  # a plain GET form: no JavaScript involved
    page.check(f'input[name="employer_id"][value="{employer[0]}"]')
    page.select_option("#commission_id", str(staff.people.org_id))
    page.fill("#applicant_address", "广州市天河区某路1号")
    page.fill("#employer_address", "广州市黄埔区某路88号")
    page.select_option("#claims-0-claim_type", "wage_arrears")
    page.fill("#claims-0-amount", "24000")
    page.fill("#claims-0-period_start", "2026-08-01")
    page.fill("#claims-0-period_end", "2026-10-31")
    page.fill("#claims-0-description", "支付2026年8月至10月拖欠的工资")
    page.select_option("#claims-1-claim_type", "economic_compensation")
    page.fill("#claims-1-amount", "16000")
    page.fill("#facts", "2024年3月入职，任软件工程师，月工资8000元。2026年8月起单位未发工资，协商无果。")
    page.set_input_files("#evidence-0-file", str(contract))
    page.fill("#evidence-0-description", "证明劳动关系")
    page.set_input_files("#evidence-1-file", str(payslip))
    page.fill("#evidence-1-description", "证明工资标准")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # one column, nothing cut off
    page.screenshot(path=str(ARTIFACTS / "portal-claim-form-390x844.png"), full_page=True)

    page.click("#claim-submit")
    page.wait_for_url("**/portal/cases/*")
    assert "仲裁申请已提交" in page.inner_text("main") and "劳动合同.pdf" in page.inner_text("#evidence")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "portal-case-worker-390x844.png"), full_page=True)
    case_id = int(page.url.rsplit("/", 1)[1])

    served(system, staff, case_id)
    page.click("#logout")
    browser_log_in(page, "hr_agent")
    page.goto(f"/portal/cases/{case_id}")
    page.fill("#summary", "工资已按约定足额支付，不同意申请人的请求。")
    page.set_input_files("#defence-evidence-0-file", str(payslip))
    page.fill("#defence-evidence-0-description", "银行代发记录")
    page.screenshot(path=str(ARTIFACTS / "portal-case-employer-defence-390x844.png"), full_page=True)
    page.click("#defence-submit")
    page.wait_for_url(f"**/portal/cases/{case_id}")
    assert "答辩书已提交" in page.inner_text("main") and "被申请人提交答辩书" in page.inner_text("#timeline")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_applicant_withdraws_from_the_case_page_and_the_respondent_cannot(
    browser: FlaskClient, staff: Staff, employer: tuple[int, Actor]
) -> None:
    log_in(browser, "worker1")
    case_id = file_claim(browser, staff, **NO_FILES)
    log_out(browser)
    log_in(browser, "hr_agent")  # the respondent's agent sees the case but no withdrawal
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="withdraw"' not in page
    refused = browser.post(
        f"/portal/cases/{case_id}/withdraw", data={"csrf_token": csrf_token(page), "reason": "撤回"}
    )
    assert refused.status_code == 403
    log_out(browser)

    log_in(browser, "worker1")
    url = f"/portal/cases/{case_id}/withdraw"
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert 'id="withdraw"' in page
    token = csrf_token(page)
    assert browser.post(url, data={"reason": "已与单位和解"}).status_code == 400  # no CSRF token
    short = browser.post(url, data={"csrf_token": token, "reason": "x"})
    assert short.status_code == 422 and 'id="error-reason"' in short.get_data(as_text=True)
    assert browser.post(url, data={"csrf_token": token, "reason": "已与单位和解"}).status_code == 302
    page = browser.get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert "已撤回" in page and 'id="withdraw"' not in page
