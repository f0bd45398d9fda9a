"""The task page shows the briefing above the form (the request a decision answers)."""

from __future__ import annotations

from typing import Any

import pyotp
from flask import Flask

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import Staff, drive_to, open_arbitration
from tests.support import SECRET
from tests.web.test_ui import PASSWORD, login
from workflows.audit import SYSTEM
from workflows.identity import create_user
from workflows.system import System

system = arbitration.system
staff = arbitration.staff


def test_head_reads_the_recusal_request_beside_the_decision_form_art_33(
    app: Flask, system: System, staff: Staff
) -> None:
    with system.db.transaction() as s:
        _, secret = create_user(
            s, username="head_ui", display_name="主任", password=PASSWORD, roles={"commission_head"},
            organisation_id=staff.people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
    assert secret
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "conduct_hearing")
    system.party_requests.request_recusal(staff.worker, case_id, "王仲裁", "王仲裁<系>对方近亲属")
    [task] = [t for t in system.tasks.inbox(staff.commission_head) if t.case_id == case_id]
    app.config["TESTING"] = False
    browser: Any = app.test_client()
    login(browser, "head_ui", pyotp.TOTP(secret).now())
    html = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="briefing"' in html and "被申请回避的仲裁员" in html and "王仲裁" in html
    assert "王仲裁&lt;系&gt;对方近亲属" in html  # the party's words, escaped
    assert html.index('id="briefing"') < html.index('id="task-form"')
