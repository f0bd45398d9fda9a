"""The case UI in headless Chromium: a clerk logs in with a one-time code and completes a task."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from tests.support import SECRET, People
from tests.web.test_api import open_loop_case
from workflows.audit import SYSTEM
from workflows.identity import create_user
from workflows.system import System

pytestmark = pytest.mark.slow  # fixtures live_server and page: tests/web/conftest.py


def test_clerk_logs_in_with_code_and_completes_a_task_in_the_browser(
    page: Any, system: System, people: People, as_user: Any
) -> None:
    with system.db.transaction() as s:
        _, secret = create_user(
            s, username="clerk_web", display_name="王书记员", password="correct horse battery",
            roles={"clerk"}, organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
    assert secret
    case = open_loop_case(as_user(people.worker), people)

    page.goto("/login")
    page.fill("#username", "clerk_web")
    page.fill("#password", "correct horse battery")
    page.click("#login-submit")
    assert "动态验证码" in page.inner_text("main")  # staff without the code are refused
    page.fill("#password", "correct horse battery")
    page.fill("#totp", pyotp.TOTP(secret).now())
    page.click("#login-submit")
    page.wait_for_url("**/inbox")
    assert case["case_number"] in page.inner_text("#inbox")

    page.click("#inbox a.task-link")
    page.click("#claim")
    page.fill("#f-note", "x" * 600)
    page.click("#complete")
    assert page.is_visible("#error-note")  # the server's schema check, shown at the field
    page.fill("#f-note", "材料齐全")
    page.click("#complete")
    page.wait_for_url(f"**/cases/{case['id']}")
    assert "任务已完成" in page.inner_text("main")
    assert "task.completed" in page.inner_text(".history")
