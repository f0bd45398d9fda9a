"""Acceptance test of electronic labour contracts, end to end in a real browser (design/law.md §8).

Headless Chromium drives `laborcase serve` (tests/e2e/conftest.py) through its pages only:

1. a worker with a real-name account (created as sign-up creates it: the browser sign-up is
   tests/e2e/test_arbitration_journey.py, and one SMS code a minute per phone would make this
   test wait) logs in on a phone-size screen (390×844);
2. the employer's agent drafts a contract from the model template (the clauses of 劳动合同法
   art.17), previews the PDF and sends it to the worker's real-name account;
3. the worker, on the phone, reads how signing works (free; view, download, print at any time),
   proves identity with the SMS one-time code and signs;
4. the employer seals with its own e-seal: the contract is concluded;
5. the worker downloads it; poppler's pdfsig finds two valid signatures (worker and employer),
   and the verification page of its code shows both signers.

A screenshot of every page worked on goes to test-artifacts/e2e-contracts/<nn>-<step>.png, with
the concluded contract as contract.pdf.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import ARTIFACTS
from tests.contract_support import WORKER_RESIDENT_ID, sample_clauses
from tests.e2e.conftest import AGENT, EMPLOYER, PASSWORD, LiveApp
from tests.e2e.test_arbitration_journey import pdfsig
from tests.support import SECRET
from tests.unit.workflows.contract_fixtures import last_code
from workflows.audit import SYSTEM
from workflows.db import Database
from workflows.identity import create_user
from workflows.roles import WORKER

pytestmark = pytest.mark.slow

WORKER_NAME = "王小明"
WORKER_PHONE = "13800138000"
PHONE = {"width": 390, "height": 844}


class Shots:
    """Numbered full-page screenshots of both parties' pages."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0

    def __call__(self, page: Any, step: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{step}.png"), full_page=True)


def fits_the_screen(page: Any) -> bool:
    """No sideways scrolling on the phone."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_employer_sends_worker_signs_on_a_phone_employer_seals_worker_downloads(
    live_app: LiveApp, browser: Any, tmp_path: Path, db: Database
) -> None:
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils (pdfsig) not installed")
    folder = ARTIFACTS / "e2e-contracts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shot = Shots(folder)
    phone = browser.new_context(
        base_url=live_app.url,
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    ).new_page()
    desk = browser.new_context(base_url=live_app.url, locale="zh-CN", accept_downloads=True).new_page()

    # 1. the worker logs in on the phone
    with db.transaction() as s:
        create_user(
            s, username=WORKER_PHONE, display_name=WORKER_NAME, password=PASSWORD, roles={WORKER},
            actor=SYSTEM, secret_key=SECRET, resident_id=WORKER_RESIDENT_ID, phone=WORKER_PHONE,
        )  # fmt: skip
    phone.goto("/login")
    phone.fill("#username", WORKER_PHONE)
    phone.fill("#password", PASSWORD)
    phone.click("#login-submit")
    phone.wait_for_url("**/portal")
    shot(phone, "worker-portal")

    # 2. the employer's agent drafts from the model template, previews and sends
    desk.goto("/login")
    desk.fill("#username", AGENT[0])
    desk.fill("#password", PASSWORD)
    desk.click("#login-submit")
    desk.wait_for_url("**/portal")
    desk.click("#nav-contracts")
    desk.click("#new-contract")
    desk.wait_for_url("**/employer/contracts/new")
    clauses = sample_clauses()
    del clauses["employer"]["name"], clauses["employer"]["uscc"]  # the employer's own, bound by the system
    for clause, fields in clauses.items():
        for name, value in fields.items():
            selector = f"#{clause}-{name}"
            if desk.eval_on_selector(selector, "e => e.tagName") == "SELECT":
                desk.select_option(selector, str(value))
            else:
                desk.fill(selector, str(value))
    desk.fill("#job-position", "")  # forgotten: refused, naming the clause's missing item
    desk.fill("#job-duties", "")
    desk.fill("#job-place", "")
    desk.fill("#job-region_code", "")
    desk.click("#contract-submit")
    assert "工作内容和工作地点（劳动合同法第十七条第一款第四项）" in desk.inner_text("#error-job")
    shot(desk, "employer-missing-clause")
    for name in ("position", "duties", "place", "region_code"):
        desk.fill(f"#job-{name}", str(clauses["job"][name]))
    desk.click("#contract-submit")
    desk.wait_for_url(re.compile(r".*/employer/contracts/\d+$"))
    contract_url = desk.url
    contract_id = int(contract_url.rsplit("/", 1)[1])
    assert "草稿" in desk.inner_text("#contract-state")
    preview = desk.request.get(f"/employer/contracts/{contract_id}/preview")
    assert preview.ok and preview.body().startswith(b"%PDF-")
    shot(desk, "employer-draft")
    desk.click("#send")
    assert "待签署" in desk.inner_text("#contract-state")
    shot(desk, "employer-sent")

    # 3. the worker reads how signing works, proves identity with the SMS code and signs
    phone.click("#nav-contracts")
    phone.wait_for_url("**/portal/contracts")
    shot(phone, "worker-contracts")
    phone.click(f"#to-sign #contract-{contract_id} a")
    phone.wait_for_url(f"**/portal/contracts/{contract_id}")
    notice = phone.inner_text("#free-notice")
    assert "不收取任何费用" in notice and "随时" in notice and "下载和打印" in notice
    assert fits_the_screen(phone)
    read = phone.request.get(f"/portal/contracts/{contract_id}/read")
    assert read.ok and read.body() == preview.body()  # what is signed is what was previewed
    shot(phone, "worker-before-signing")
    phone.click("#send-code")
    phone.wait_for_url(f"**/portal/contracts/{contract_id}#sign")
    phone.fill("#code", last_code(live_app.sms, WORKER_PHONE))
    phone.check("#agree")
    shot(phone, "worker-code")
    phone.click("#sign-submit")
    phone.wait_for_url(f"**/portal/contracts/{contract_id}")
    assert "劳动者已签名" in phone.inner_text("#contract-state")
    shot(phone, "worker-signed")

    # 4. the employer seals with its own e-seal: concluded
    desk.goto(contract_url)
    desk.click("#seal")
    assert "已订立" in desk.inner_text("#contract-state")
    shot(desk, "employer-sealed")

    # 5. the worker downloads the concluded contract; pdfsig and /verify list both signers
    phone.goto(f"/portal/contracts/{contract_id}")
    assert "已订立" in phone.inner_text("#contract-state")
    shot(phone, "worker-concluded")
    with phone.expect_download() as download:
        phone.click("#download")
    pdf = tmp_path / "contract.pdf"
    download.value.save_as(pdf)
    shutil.copy(pdf, folder / "contract.pdf")
    nss = tmp_path / "nss"
    nss.mkdir()
    report = pdfsig(pdf, live_app.root_certificate, nss)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert WORKER_NAME in report and EMPLOYER in report, report
    if shutil.which("certutil"):
        assert report.count("Certificate Validation: Certificate is Trusted.") == 2, report

    desk.click("#verification-code")
    assert "有效：双方已签署，合同已订立" in desk.inner_text("#contract-state")
    signers = desk.inner_text("#contract-signers")
    assert EMPLOYER in signers and "王*明" in signers and "尚未签署" not in signers
    shot(desk, "verify")
