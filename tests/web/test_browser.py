"""The case UI in headless Chromium: a clerk logs in with a one-time code and completes a task."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from tests.browser_support import ARTIFACTS, staff_login
from tests.support import SECRET, People
from tests.web.test_api import open_loop_case
from workflows.access import CaseAccessDeniedError
from workflows.audit import SYSTEM
from workflows.identity import create_user
from workflows.system import System

pytestmark = pytest.mark.slow  # fixtures live_server and page: tests/web/conftest.py

PASSWORD = "correct horse battery"


def make_clerk(system: System, people: People, username: str) -> str:
    """A clerk of people's commission; returns the TOTP secret staff log in with."""
    with system.db.transaction() as s:
        _, secret = create_user(
            s, username=username, display_name="王书记员", password=PASSWORD, roles={"clerk"},
            organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
    assert secret
    return secret


def test_clerk_logs_in_with_code_and_completes_a_task_in_the_browser(
    page: Any, system: System, people: People, as_user: Any
) -> None:
    secret = make_clerk(system, people, "clerk_web")
    case = open_loop_case(as_user(people.worker), people)

    page.goto("/login")
    page.fill("#username", "clerk_web")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    assert "动态验证码" in page.inner_text("main")  # staff without the code are refused
    page.fill("#password", PASSWORD)
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
    assert "task.completed" in page.inner_text("#audit-history")


def test_case_page_draws_the_process_diagram_with_the_current_step_highlighted(
    page: Any, system: System, people: People, as_user: Any
) -> None:
    secret = make_clerk(system, people, "clerk_diagram")
    case = open_loop_case(as_user(people.worker), people)
    staff_login(page, "clerk_diagram", PASSWORD, secret)

    page.goto(f"/cases/{case['id']}")
    page.wait_for_selector("#process-diagram[data-rendered]", timeout=20_000)
    assert page.get_attribute("#process-diagram", "data-rendered") == "true"
    [(current, name)] = system.diagrams.for_case(people.clerk, case["id"]).active.items()
    assert name in page.inner_text("#diagram-steps")  # named as in the diagram, not by its id
    marked = page.locator(f'#process-diagram [data-element-id="{current}"].step-active')
    assert marked.count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-diagram.png"), full_page=True)
    # another organisation's clerk gets no diagram of this case
    other = system.diagrams
    with pytest.raises(CaseAccessDeniedError):
        other.for_case(people.other_clerk, case["id"])
