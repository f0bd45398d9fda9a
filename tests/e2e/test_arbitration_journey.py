"""Acceptance test of online arbitration, end to end in a real browser (调解仲裁法 ch.3).

Headless Chromium drives `laborcase serve` (tests/e2e/conftest.py) through its pages only:

1. a worker signs up (resident ID, the SMS code read from the development outbox) and files a
   claim with evidence; a second worker signs up and files a second case;
2. the clerk accepts both and serves the respondent (法29, 30); the head forms the tribunals
   (法31, 32); the employer's agent files its defences in the portal (法30); the clerk serves the
   defence copies; the hearing is scheduled and notified (法35); the arbitrator holds the
   hearings, mediates without agreement (法42) and drafts the award of the first case;
3. the head approves the award (法46) and extends the award period of the second case (法43):
   the new due date is shown and the parties get the 延长审理期限通知书;
4. the worker downloads the award once the worker process has sealed it, pdfsig validates its
   seal, and the verification page its QR code leads to says it is valid (so does an upload);
5. the other worker gets 404 for the first worker's case page and award download.

Task titles and who does each step (the lane) are read from bpmn/arbitration; what is typed
into each task form is `form_data` (bpmn/arbitration/forms).  A full-page screenshot of every
page worked on is saved as test-artifacts/e2e/<nn>-<step>.png, with the award as award.pdf
(runs on further backends, LABORCASE_E2E_BACKENDS, in test-artifacts/e2e/<backend>/).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from tests.browser_support import ARTIFACTS, staff_login
from tests.e2e.conftest import AGENT, E2E_BACKENDS, EMPLOYER_USCC, PASSWORD, STAFF, LiveApp
from tests.unit.workflows.test_evidence import image_bytes, pdf_bytes
from workflows.deadlines import compute_due
from workflows.identity import resident_id_check_char
from workflows.roles import ARBITRATOR, COMMISSION_HEAD, EMPLOYER_AGENT

pytestmark = pytest.mark.slow

CHINA = ZoneInfo("Asia/Shanghai")
#: how long a user keeps reloading a page for a document the worker process seals
SEAL_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Person:
    name: str
    resident_id: str
    phone: str


WORKER = Person("刘劳动者", "44010619900307123" + resident_id_check_char("44010619900307123"), "13800138000")
OTHER_WORKER = Person(
    "陈劳动者", "44030619851120456" + resident_id_check_char("44030619851120456"), "13900139000"
)

#: the steps of the main path in order; "defence" is the employer's, in the portal
MAIN_PATH = (
    "review_application",
    "serve_respondent",
    "form_tribunal",
    "defence",
    "serve_defence",
    "notify_hearing",
    "conduct_hearing",
    "mediate",
    "draft_award",
    "approve_award",
)
#: steps taken on the first case only: the second one stays at the award stage
AWARD_STEPS = ("draft_award", "approve_award")
BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "arbitration" / "arbitration.bpmn"


def user_tasks() -> dict[str, tuple[str, str]]:
    """Each user task of the arbitration process: its title (as pages show it) and lane (role)."""
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    tree = ElementTree.parse(BPMN)
    lanes = {
        str(ref.text): str(lane.get("name"))
        for lane in tree.iterfind(".//bpmn:lane", ns)
        for ref in lane.iterfind("bpmn:flowNodeRef", ns)
    }
    return {
        str(t.get("id")): (str(t.get("name")), lanes[str(t.get("id"))])
        for t in tree.iterfind(".//bpmn:userTask", ns)
    }


def today() -> date:
    return datetime.now(CHINA).date()


def form_data(task: str) -> dict[str, Any]:
    """What each role types into the task forms (bpmn/arbitration/forms/<task>.json)."""
    data: dict[str, dict[str, Any]] = {
        "review_application": {
            "acceptance_decision": "accept",
            "accepted_on": today().isoformat(),
            "review_note": "材料齐全，属于本委管辖",
        },
        "serve_respondent": {
            "respondent_service_method": "electronic",
            "respondent_served_on": today().isoformat(),
        },
        "form_tribunal": {
            "tribunal_kind": "sole",
            "presiding_arbitrator": STAFF[ARBITRATOR][1],
            "simplified_procedure": True,
            "simplified_ground": "clear_facts",
            "tribunal_notice_served_on": today().isoformat(),
        },
        "serve_defence": {
            "defence_copy_service_method": "electronic",
            "defence_copy_served_on": today().isoformat(),
        },
        "notify_hearing": {  # where it is a plain task form; else booked on the scheduling page
            "hearing_date": (today() + timedelta(days=21)).isoformat(),  # served 5 working days before
            "hearing_time": "09:30",
            "hearing_place": "第一仲裁庭",
            "hearing_notice_served_on": today().isoformat(),
        },
        "conduct_hearing": {
            "hearing_outcome": "held",
            "hearing_held_on": today().isoformat(),
            "hearing_record_summary": "双方到庭，围绕工资发放情况举证质证。",
        },
        "mediate": {"tribunal_mediation_result": "no_agreement", "mediation_note": "被申请人不同意调解方案"},
        "draft_award": {
            "award_scope": "full",
            "default_award": False,
            "award_items": [  # finality is judged item by item by the process (法47)
                {
                    "claim": "支付2026年8月至10月拖欠的工资",
                    "category": "labour_remuneration",
                    "ruling": "granted",
                    "amount": 24000,
                },
                {
                    "claim": "支付解除劳动合同的经济补偿",
                    "category": "economic_compensation",
                    "ruling": "partly_granted",
                    "amount": 8000,
                },
            ],
            "award_reasoning": "被申请人未按约定支付劳动报酬，申请人提交的劳动合同和工资条足以证明。",
        },
        "approve_award": {"award_approval": "approve", "approval_comment": "同意"},
    }
    return data[task]


def form_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form field names of task data: rows of an array are <name>-<row>[-<field>] (web/forms.py)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, list):
            for i, row in enumerate(value):
                if isinstance(row, Mapping):
                    out.update({f"{name}-{i}-{k}": v for k, v in row.items()})
                else:
                    out[f"{name}-{i}"] = row
        else:
            out[name] = value
    return out


class Journey:
    """One browser tab, numbering a full-page screenshot of every page it shows."""

    def __init__(self, page: Any, app: LiveApp, folder: Path):
        self.page = page
        self.app = app
        self.folder = folder
        self.shots = 0
        self.tasks = user_tasks()

    def shot(self, step: str) -> None:
        self.shots += 1
        self.page.screenshot(path=str(self.folder / f"{self.shots:02d}-{step}.png"), full_page=True)

    def main_text(self) -> str:
        return str(self.page.inner_text("main"))

    def errors(self) -> list[str]:
        """The messages of a refused form: on top of the page and next to its fields."""
        return [str(t) for t in self.page.locator(".flash.error, .field-error").all_inner_texts()]

    def submit(self, selector: str) -> None:
        """Press a submit button and wait for the page the server answers with."""
        with self.page.expect_navigation():
            self.page.click(selector)

    # -- parties --------------------------------------------------------------------------------

    def sms_code(self, phone: str) -> str:
        """The code as it arrived on the phone: the newest text in the development outbox."""
        message = self.app.sms.last_message(phone)
        assert message is not None, f"no text message to {phone}"
        match = re.search(r"\b(\d{6})\b", message.text)
        assert match, message.text
        return match.group(1)

    def sign_up(self, who: Person, step: str) -> None:
        page = self.page
        page.goto("/login")
        self.shot(f"{step}-login")
        page.click("#signup-link")
        page.wait_for_url("**/portal/signup")
        page.fill("#name", who.name)
        page.fill("#resident_id", who.resident_id)
        page.fill("#phone", who.phone)
        self.submit("#send-code")
        assert f"验证码已发送至 {who.phone[:3]}****{who.phone[-4:]}" in self.main_text()
        page.fill("#code", self.sms_code(who.phone))
        page.fill("#password", PASSWORD)
        page.fill("#password_confirm", PASSWORD)
        self.shot(f"{step}-signup")
        page.click("#signup-submit")
        page.wait_for_url("**/portal")
        assert "注册成功" in self.main_text()
        self.shot(f"{step}-portal")

    def party_login(self, username: str, step: str) -> None:
        self.page.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login-submit")
        self.page.wait_for_url("**/portal")
        self.shot(f"{step}-portal")

    def file_claim(self, evidence: list[tuple[Path, str]], step: str) -> tuple[int, str]:
        """Apply for arbitration with two claims and `evidence`; returns the case id and number."""
        page = self.page
        page.click("#new-claim")
        page.wait_for_url("**/portal/claims/new")
        page.fill("#employer_q", EMPLOYER_USCC)
        self.submit("#lookup-submit")  # a GET form: the employer on record, picked by a radio button
        page.check(f'input[name="employer_id"][value="{self.app.employer_id}"]')
        page.select_option("#commission_id", str(self.app.commission_id))
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
        for i, (path, description) in enumerate(evidence):
            page.set_input_files(f"#evidence-{i}-file", str(path))
            page.fill(f"#evidence-{i}-description", description)
        self.shot(f"{step}-claim-form")
        page.click("#claim-submit")
        page.wait_for_url("**/portal/cases/*")
        assert "仲裁申请已提交" in self.main_text()
        evidence_list = page.inner_text("#evidence")
        assert all(path.name in evidence_list for path, _ in evidence)
        self.shot(f"{step}-case")
        return int(page.url.rsplit("/", 1)[1]), str(page.inner_text("h1")).strip()

    def file_defence(self, case_number: str, evidence: Path, step: str) -> None:
        page = self.page
        page.goto("/portal")
        page.click(f'#my-cases a:text-is("{case_number}")')
        page.wait_for_url("**/portal/cases/*")
        page.fill("#summary", "工资已按约定足额支付，不同意申请人的请求。")
        page.set_input_files("#defence-evidence-0-file", str(evidence))
        page.fill("#defence-evidence-0-description", "银行代发工资记录")
        self.shot(f"{step}-defence-form")
        self.submit("#defence-submit")
        assert "答辩书已提交" in self.main_text()
        self.shot(f"{step}-defence-filed")

    def reload_until(self, selector: str, step: str) -> Any:
        """Reload the page until `selector` shows (a document the worker process seals meanwhile)."""
        found = self.page.locator(selector)
        deadline = time.monotonic() + SEAL_WAIT_SECONDS
        while found.count() == 0:
            assert time.monotonic() < deadline, f"no {selector} within {SEAL_WAIT_SECONDS:.0f} s"
            time.sleep(0.5)
            self.page.reload()
        self.shot(step)
        return found

    def wait_for_document(self, title: str, step: str) -> Any:
        """The portal case page's download link of the sealed document `title`, once it is there."""
        return self.reload_until(f'#documents a.document-link:text-is("{title}")', step)

    # -- staff ----------------------------------------------------------------------------------

    def staff_login(self, role: str, case_numbers: list[str]) -> None:
        username = STAFF[role][0]
        staff_login(self.page, username, PASSWORD, self.app.totp[username])
        inbox = self.main_text()
        assert all(n in inbox for n in case_numbers), inbox
        self.shot(f"{role}-inbox")

    def logout(self) -> None:
        self.page.click("#logout")
        self.page.wait_for_url("**/login")

    def fill_form(self, values: Mapping[str, Any]) -> None:
        """Type task data into the generic task form: selects, check boxes, text, dates, rows."""
        for name, value in form_fields(values).items():
            field = self.page.locator(f"#f-{name}")
            kind = field.evaluate("e => e.tagName === 'INPUT' ? e.type : e.tagName.toLowerCase()")
            if kind == "select":
                field.select_option(str(value))
            elif kind == "checkbox":
                field.set_checked(bool(value))
            else:
                field.fill(str(value))

    def open_case(self, case_id: int, step: str) -> None:
        if not self.page.url.endswith(f"/cases/{case_id}") or "/portal/" in self.page.url:
            self.page.goto(f"/cases/{case_id}")
            self.shot(f"{step}-case")

    def complete(self, case_id: int, case_number: str, task: str, step: str) -> None:
        """Open the task from the case page (or else the inbox), claim it, fill its form, submit it."""
        page = self.page
        title = self.tasks[task][0]
        if page.url.endswith(f"/cases/{case_id}") and "/portal/" not in page.url:
            page.click(f'#open-tasks a:text-is("{title}")')
        else:
            if not page.url.endswith("/inbox"):
                page.goto("/inbox")
                self.shot(f"{step}-inbox")
            page.click(f'#inbox tr:has(a:text-is("{case_number}")) a.task-link:text-is("{title}")')
        page.wait_for_url("**/tasks/*")
        if page.is_visible("#claim"):
            self.submit("#claim")
        if "/hearings/tasks/" in page.url:  # the hearing is booked on the scheduling page (web/hearings.py)
            self.schedule_hearing(case_id, f"{step}-{task}")
            return
        self.fill_form(form_data(task))
        self.shot(f"{step}-{task}")
        self.submit("#complete")
        assert page.url.endswith(f"/cases/{case_id}"), f"{task} refused: {self.errors()}"
        assert f"任务已完成：{title}" in self.main_text()
        self.shot(f"{step}-{task}-done")

    def schedule_hearing(self, case_id: int, step: str) -> None:
        """Pick the first free slot (room, day, session) the page offers and book it (法35)."""
        page = self.page
        self.shot(step)
        with page.expect_navigation():
            page.locator("#free-slots a.pick").first.click()
        assert page.input_value("#f-hearing_date") and page.input_value("#f-room_id")
        self.shot(f"{step}-picked")
        self.submit("#schedule")
        assert page.url.endswith(f"/cases/{case_id}"), f"hearing not scheduled: {self.errors()}"
        assert "已安排开庭" in self.main_text()
        self.shot(f"{step}-done")


def pdfsig(pdf: Path, root_certificate: Path, folder: Path) -> str:
    """poppler's report on the seal; the dev root is trusted in an NSS database when certutil exists."""
    args = ["pdfsig"]
    if shutil.which("certutil"):
        nss = f"sql:{folder}"
        subprocess.run(["certutil", "-N", "-d", nss, "--empty-password"], check=True, capture_output=True)
        subprocess.run(
            ["certutil", "-A", "-n", "dev-root", "-t", "CT,C,C", "-i", str(root_certificate), "-d", nss],
            check=True,
            capture_output=True,
        )
        args += ["-nssdir", nss]
    out = subprocess.run([*args, str(pdf)], capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


def qr_code(pdf: Path, folder: Path) -> str | None:
    """What a phone reads from the QR code on the first page (None without poppler/zbar tools)."""
    if shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None:
        return None
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(pdf), str(folder / "qr")], check=True
    )
    [image] = folder.glob("qr*.png")
    found = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True, timeout=60)
    return found.stdout.strip()


def test_worker_files_online_staff_decide_and_the_sealed_award_verifies(
    live_app: LiveApp, browser: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if shutil.which("pdfsig") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdfsig, pdftotext) not installed")
    backend = request.node.callspec.params["db"]
    folder = ARTIFACTS / "e2e" / ("" if backend == E2E_BACKENDS[0] else backend)
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.png"), *folder.glob("*.pdf")]:
        old.unlink()
    contract, payslip = tmp_path / "劳动合同.pdf", tmp_path / "工资条.jpg"
    contract.write_bytes(pdf_bytes())
    payslip.write_bytes(image_bytes("JPEG"))

    context = browser.new_context(base_url=live_app.url, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    j = Journey(page, live_app, folder)

    # 1. two workers sign up and apply online, the first with evidence
    j.sign_up(WORKER, "worker")
    case1, number1 = j.file_claim([(contract, "证明劳动关系"), (payslip, "证明工资标准")], "worker")
    j.logout()
    j.sign_up(OTHER_WORKER, "other-worker")
    case2, number2 = j.file_claim([(payslip, "证明工资标准")], "other-worker")
    j.logout()
    cases = [(case1, number1), (case2, number2)]

    # 2-3. the main path, each step by the role in whose lane the process puts it: acceptance,
    # service, tribunal, defence (employer's agent, portal), hearing, mediation, award, approval
    role = ""
    for lane, run in groupby(
        MAIN_PATH, key=lambda step: EMPLOYER_AGENT if step == "defence" else j.tasks[step][1]
    ):
        steps = list(run)
        if role:
            j.logout()
        if lane == EMPLOYER_AGENT:
            j.party_login(AGENT[0], "employer")
            assert number1 in j.main_text() and number2 in j.main_text()
        else:
            j.staff_login(lane, [number1] if set(steps) <= set(AWARD_STEPS) else [number1, number2])
        role = lane
        for case_id, number in cases:
            for step in steps:
                if step == "defence":
                    j.file_defence(number, payslip, "employer")
                elif case_id == case1 or step not in AWARD_STEPS:
                    j.complete(case_id, number, step, lane)
    assert role == COMMISSION_HEAD  # the head approved the award
    assert page.inner_text("#case-status") == "closed"

    # 4. the head extends the award period of the second case by 15 days (法43)
    j.open_case(case2, "head-extension")
    award_row = page.locator('#deadlines tr[data-rule="arbitration.award"]')
    started_on = date.fromisoformat(award_row.locator("td").nth(2).inner_text().strip())
    due_before = date.fromisoformat(award_row.locator(".due").inner_text().strip())
    assert due_before == compute_due("arbitration.award", started_on)
    extension = page.locator("#extend-arbitration-award")
    extension.locator('input[name="days"]').fill("15")
    extension.locator('input[name="reason"]').fill("案情复杂，需补充调查工资发放记录")
    j.shot("head-extension-form")
    with page.expect_navigation():
        extension.locator("button").click()
    due_after = compute_due("arbitration.award", started_on, extension_days=15)
    assert f"已批准延长 15 日，届满日为 {due_after.isoformat()}" in j.main_text()
    assert award_row.locator(".due").inner_text().strip() == due_after.isoformat()
    assert page.locator("#extend-arbitration-award").count() == 0  # 15 days is the most (法43)
    j.shot("head-extension-approved")
    j.reload_until('#service-receipts a:text-is("延长审理期限通知书")', "head-extension-notice")  # sealed
    j.logout()

    # 5. the worker downloads the sealed award; pdfsig and the verification page say it is valid
    j.party_login(WORKER.phone, "worker-award")
    page.click(f'#my-cases a:text-is("{number1}")')
    page.wait_for_url(f"**/portal/cases/{case1}")
    link = j.wait_for_document("裁决书", "worker-award-case")
    assert "已结案" in page.inner_text("#case-status")
    award_url = str(link.get_attribute("href"))
    with page.expect_download() as download:
        link.click()
    award = tmp_path / "award.pdf"
    download.value.save_as(award)
    assert award.read_bytes().startswith(b"%PDF-")
    shutil.copy(award, folder / "award.pdf")
    nss = tmp_path / "nss"
    nss.mkdir()
    report = pdfsig(award, live_app.root_certificate, nss)
    assert "Signature Validation: Signature is Valid." in report, report
    if shutil.which("certutil"):
        assert "Certificate Validation: Certificate is Trusted." in report, report
    text = subprocess.run(["pdftotext", str(award), "-"], capture_output=True, text=True, check=True).stdout
    # both items qualify (法47; 24,000 yuan of pay is within 12 months of Beijing's minimum wage)
    assert "本裁决为终局裁决" in text, text
    printed = re.search(rf"{re.escape(live_app.url)}/verify/[0-9A-Z]+", text)
    assert printed, text
    scanned = qr_code(award, tmp_path)
    assert scanned in (None, printed.group(0)), scanned
    page.goto(printed.group(0))  # where the QR code leads
    assert "有效：已签发" in page.inner_text("#record-state")
    assert "裁决书" in page.inner_text("#record")
    j.shot("worker-verify-link")
    page.set_input_files("#u-file", str(award))
    j.submit("#verify-upload")
    assert "核验通过：签章有效，文书有效" in page.inner_text("#verdict")
    j.shot("worker-verify-upload")
    j.logout()

    # 6. the other worker: not the first worker's case nor its award; its own case was extended
    j.party_login(OTHER_WORKER.phone, "other-worker-end")
    for path in (f"/portal/cases/{case1}", f"/cases/{case1}"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        assert "未找到，或您无权查看" in j.main_text()
        j.shot("other-worker-404")
    document_id = award_url.rsplit("/", 1)[1]
    for path in (award_url, f"/portal/cases/{case2}/documents/{document_id}"):
        assert context.request.get(path).status == 404, path
    page.goto(f"/portal/cases/{case2}")
    j.wait_for_document("延长审理期限通知书", "other-worker-extension-notice")
    assert f"期限：{due_after.isoformat()}" in page.inner_text("#next-steps")
    j.logout()
    context.close()
