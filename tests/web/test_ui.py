"""The server-rendered case UI: CSRF on every form, staff one-time code, task forms validated."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.support import SECRET, People
from tests.web.test_api import open_loop_case
from workflows.audit import SYSTEM
from workflows.identity import create_user
from workflows.system import System

PASSWORD = "correct horse battery"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def staff_secret(system: System, people: People) -> str:
    with system.db.transaction() as s:
        _, secret = create_user(
            s, username="clerk_ui", display_name="王书记员", password=PASSWORD, roles={"clerk"},
            organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
    assert secret
    return secret


def login(client: Any, username: str, code: str | None) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    form = {"csrf_token": token, "username": username, "password": PASSWORD}
    if code:
        form["totp"] = code
    return client.post("/login", data=form)


@pytest.fixture
def browser_client(app: Flask) -> Any:
    app.config["TESTING"] = False  # keep CSRF checks on, as in production
    return app.test_client()


def test_login_without_csrf_token_is_refused(browser_client: Any, staff_secret: str) -> None:
    r = browser_client.post("/login", data={"username": "clerk_ui", "password": PASSWORD})
    assert r.status_code == 400


def test_staff_login_needs_the_one_time_code(browser_client: Any, staff_secret: str) -> None:
    r = login(browser_client, "clerk_ui", None)
    assert r.status_code == 200 and "动态验证码" in r.get_data(as_text=True)
    assert browser_client.get("/inbox").status_code == 302
    r = login(browser_client, "clerk_ui", pyotp.TOTP(staff_secret).now())
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox")
    assert browser_client.get("/inbox").status_code == 200


def test_task_form_shows_schema_errors_then_completes(
    browser_client: Any, staff_secret: str, as_user: Any, people: People
) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    login(browser_client, "clerk_ui", pyotp.TOTP(staff_secret).now())
    page = browser_client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="again"' in page and 'name="note"' in page
    token = csrf_token(page)
    r = browser_client.post(f"/tasks/{task_id}", data={"csrf_token": token, "note": "x" * 600})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="error-note"' in html
    r = browser_client.post(f"/tasks/{task_id}", data={"csrf_token": token, "note": "已核实"})
    assert r.status_code == 302
    assert as_user(people.clerk).get(f"/tasks/{task_id}").get_json()["state"] == "completed"


def test_task_post_without_csrf_changes_nothing(
    browser_client: Any, staff_secret: str, as_user: Any, people: People
) -> None:
    case = open_loop_case(as_user(people.worker), people)
    task_id = case["open_tasks"][0]["id"]
    login(browser_client, "clerk_ui", pyotp.TOTP(staff_secret).now())
    r = browser_client.post(f"/tasks/{task_id}", data={"note": "forged"})
    assert r.status_code == 400
    assert as_user(people.clerk).get(f"/tasks/{task_id}").get_json()["state"] == "open"


def test_english_is_available(browser_client: Any) -> None:
    browser_client.get("/lang/en")
    html = browser_client.get("/login").get_data(as_text=True)
    assert "Log in" in html


def test_party_sees_own_case_but_not_anothers(browser_client: Any, as_user: Any, people: People) -> None:
    case = open_loop_case(as_user(people.worker), people)
    login(browser_client, "worker2", None)
    assert browser_client.get(f"/cases/{case['id']}").status_code == 404
    browser_client.post("/logout")
    login(browser_client, "worker1", None)
    assert case["case_number"] in browser_client.get(f"/cases/{case['id']}").get_data(as_text=True)
