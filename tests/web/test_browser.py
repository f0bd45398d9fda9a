"""The case UI in headless Chromium: a clerk logs in with a one-time code and completes a task."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.support import SECRET, People
from tests.web.test_api import open_loop_case
from workflows.audit import SYSTEM
from workflows.identity import create_user
from workflows.system import System

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    from waitress.server import create_server

    app.config["TESTING"] = False
    server = create_server(app, host="127.0.0.1", port=free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(base_url=live_server, locale="zh-CN")
        yield page
        browser.close()


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
