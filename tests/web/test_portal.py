"""The worker portal: sign-up without JavaScript (CSRF, field errors, code by SMS), the worker's
home page, large-font mode, and the registration API (problem+json pointers, 429 Retry-After)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from integrations.sms.outbox import OutboxSmsSender
from tests.support import People, fixture_system
from tests.web.test_api import open_loop_case
from tests.web.test_ui import csrf_token
from workflows.db import Database
from workflows.identity import resident_id_check_char
from workflows.models import RealNameVerification, User
from workflows.system import System

PHONE = "13800138000"
PASSWORD = "correct horse battery"
RID = "11010119900307123" + resident_id_check_char("11010119900307123")
OTHER_RID = "44030619851120456" + resident_id_check_char("44030619851120456")


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxSmsSender:
    return OutboxSmsSender(tmp_path / "sms-outbox.jsonl")


@pytest.fixture
def system(db: Database, tmp_path: Path, outbox: OutboxSmsSender) -> System:
    return fixture_system(db, tmp_path, sms=outbox)


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    app.config["TESTING"] = False  # CSRF checks on, as in production
    return app.test_client()


def last_code(outbox: OutboxSmsSender, phone: str = PHONE) -> str:
    message = outbox.last_message(phone)
    assert message is not None, "no SMS in the outbox"
    match = re.search(r"\b(\d{6})\b", message.text)
    assert match
    return match.group(1)


def signup_form(token: str, **fields: str) -> dict[str, str]:
    form = {"csrf_token": token, "name": "刘劳动者", "resident_id": RID, "phone": PHONE}
    form.update(fields)
    return form


def sign_up_in_browser(browser: FlaskClient, outbox: OutboxSmsSender, **fields: str) -> Any:
    token = csrf_token(browser.get("/portal/signup").get_data(as_text=True))
    sent = browser.post("/portal/signup", data=signup_form(token, action="send_code", **fields))
    assert sent.status_code == 200, sent.get_data(as_text=True)
    form = signup_form(
        token,
        action="register",
        code=last_code(outbox, fields.get("phone", PHONE)),
        password=PASSWORD,
        password_confirm=PASSWORD,
        **fields,
    )
    return browser.post("/portal/signup", data=form)


# -- pages ------------------------------------------------------------------------------------


def test_login_page_links_to_sign_up_and_pages_fit_a_phone_screen(browser: FlaskClient) -> None:
    login = browser.get("/login").get_data(as_text=True)
    assert 'href="/portal/signup"' in login
    page = browser.get("/portal/signup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for name in ("name", "resident_id", "phone", "code", "password", "password_confirm"):
        assert f'name="{name}"' in html
    assert 'value="send_code"' in html and 'autocomplete="one-time-code"' in html
    css = browser.get("/static/app.css").get_data(as_text=True)
    assert "@media (max-width: 600px)" in css and "body.large-font" in css


def test_worker_signs_up_without_javascript_and_lands_on_the_portal_logged_in(
    browser: FlaskClient, outbox: OutboxSmsSender
) -> None:
    token = csrf_token(browser.get("/portal/signup").get_data(as_text=True))
    sent = browser.post("/portal/signup", data=signup_form(token, action="send_code"))
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "验证码已发送至 138****8000" in html
    assert 'value="刘劳动者"' in html and f'value="{RID}"' in html  # what was typed comes back
    form = signup_form(
        token, action="register", code=last_code(outbox), password=PASSWORD, password_confirm=PASSWORD
    )
    done = browser.post("/portal/signup", data=form)
    assert done.status_code == 302 and done.headers["Location"].endswith("/portal")
    home = browser.get("/portal").get_data(as_text=True)
    assert "我的案件" in home and "刘劳动者" in home and "注册成功" in home
    assert 'id="nav-portal"' in home and 'id="nav-inbox"' not in home

    browser.post("/logout", data={"csrf_token": csrf_token(home)})
    assert browser.get("/portal").status_code == 302
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    login = browser.post("/login", data={"csrf_token": token, "username": PHONE, "password": PASSWORD})
    assert login.status_code == 302 and login.headers["Location"].endswith("/portal")


def test_sign_up_without_csrf_token_is_refused(browser: FlaskClient, outbox: OutboxSmsSender) -> None:
    r = browser.post("/portal/signup", data={"action": "send_code", "phone": PHONE})
    assert r.status_code == 400 and outbox.last_message(PHONE) is None


def test_bad_check_digit_and_password_mismatch_are_shown_at_their_fields(
    browser: FlaskClient, outbox: OutboxSmsSender
) -> None:
    token = csrf_token(browser.get("/portal/signup").get_data(as_text=True))
    browser.post("/portal/signup", data=signup_form(token, action="send_code"))
    bad = RID[:17] + ("0" if RID[-1] != "0" else "1")
    form = signup_form(
        token,
        action="register",
        resident_id=bad,
        code=last_code(outbox),
        password=PASSWORD,
        password_confirm=PASSWORD + "x",
    )
    r = browser.post("/portal/signup", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="error-resident_id"' in html and "校验码" in html
    assert 'id="error-password_confirm"' in html and "两次输入的密码不一致" in html
    assert 'aria-invalid="true"' in html
    # nothing was spent: the same code still signs up once the fields are right
    fixed = dict(form, resident_id=RID, password_confirm=PASSWORD)
    assert browser.post("/portal/signup", data=fixed).status_code == 302


def test_asking_for_a_second_code_at_once_says_how_long_to_wait(
    browser: FlaskClient, outbox: OutboxSmsSender
) -> None:
    token = csrf_token(browser.get("/portal/signup").get_data(as_text=True))
    assert browser.post("/portal/signup", data=signup_form(token, action="send_code")).status_code == 200
    again = browser.post("/portal/signup", data=signup_form(token, action="send_code"))
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 50
    assert "验证码发送过于频繁" in again.get_data(as_text=True)
    assert len(outbox.messages(PHONE)) == 1


def test_duplicate_resident_id_is_refused_in_the_page(browser: FlaskClient, outbox: OutboxSmsSender) -> None:
    assert sign_up_in_browser(browser, outbox).status_code == 302
    browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/portal").get_data(as_text=True))})
    r = sign_up_in_browser(browser, outbox, phone="13900139000")
    assert r.status_code == 422 and "该身份证号已注册" in r.get_data(as_text=True)


def test_portal_home_lists_only_the_workers_own_cases(
    browser: FlaskClient, outbox: OutboxSmsSender, system: System, people: People, as_user: Any
) -> None:
    assert sign_up_in_browser(browser, outbox).status_code == 302
    with system.db.transaction() as s:
        me = s.execute(select(User.id).where(User.username == PHONE)).scalar_one()
    mine = open_loop_case(as_user(people.clerk), people, worker_user=me)
    theirs = open_loop_case(as_user(people.clerk), people)  # another worker's case
    html = browser.get("/portal").get_data(as_text=True)
    assert mine["case_number"] in html and theirs["case_number"] not in html
    assert browser.get(f"/cases/{mine['id']}").status_code == 200


def test_portal_home_needs_login(browser: FlaskClient) -> None:
    r = browser.get("/portal")
    assert r.status_code == 302 and "/login?next=/portal" in r.headers["Location"]


def test_large_font_mode_is_a_cookie_that_stays_on_the_same_site(browser: FlaskClient) -> None:
    assert 'class=""' in browser.get("/portal/signup").get_data(as_text=True).split("<body", 1)[1][:20]
    r = browser.get("/display/large", headers={"Referer": "http://localhost/portal/signup?x=1"})
    assert r.status_code == 302 and r.headers["Location"] == "/portal/signup?x=1"
    html = browser.get("/portal/signup").get_data(as_text=True)
    assert '<body class="large-font">' in html and 'id="font-standard"' in html
    away = browser.get("/display/standard", headers={"Referer": "https://evil.example/phish"})
    assert "evil.example" not in away.headers["Location"]
    assert '<body class="">' in browser.get("/portal/signup").get_data(as_text=True)
    assert browser.get("/display/huge").status_code == 404


def test_sign_up_page_in_english(browser: FlaskClient) -> None:
    browser.get("/lang/en")
    html = browser.get("/portal/signup").get_data(as_text=True)
    assert "Worker sign-up with real name" in html and "Send code" in html and "Resident ID number" in html


# -- API --------------------------------------------------------------------------------------


def test_api_sign_up_returns_a_token_that_works(client: FlaskClient, outbox: OutboxSmsSender) -> None:
    sent = client.post("/api/v1/registration/phone-code", json={"phone": "+86 138 0013 8000"})
    assert sent.status_code == 202
    assert sent.get_json() == {"phone_masked": "138****8000", "expires_in": 300, "resend_after": 60}
    body = {
        "name": "刘劳动者",
        "resident_id": RID,
        "phone": PHONE,
        "code": last_code(outbox),
        "password": PASSWORD,
    }
    r = client.post("/api/v1/registration/workers", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    data = r.get_json()
    assert data["username"] == PHONE and data["token_type"] == "Bearer" and "password" not in data
    cases = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {data['access_token']}"})
    assert cases.status_code == 200 and cases.get_json()["total"] == 0


def test_api_bad_input_is_problem_json_with_field_pointers(
    client: FlaskClient, outbox: OutboxSmsSender
) -> None:
    r = client.post("/api/v1/registration/phone-code", json={"phone": "02088886666"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/phone"]

    r = client.post("/api/v1/registration/workers", json={"name": "刘劳动者", "extra": 1})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert {e["pointer"] for e in r.get_json()["errors"]} >= {
        "/resident_id",
        "/phone",
        "/code",
        "/password",
        "/extra",
    }

    client.post("/api/v1/registration/phone-code", json={"phone": PHONE})
    bad = RID[:17] + ("0" if RID[-1] != "0" else "1")
    body = {
        "name": "刘劳动者",
        "resident_id": bad,
        "phone": PHONE,
        "code": last_code(outbox),
        "password": "short",
    }
    r = client.post("/api/v1/registration/workers", json=body)
    problem = r.get_json()
    assert r.status_code == 422 and problem["type"].endswith("/validation")
    assert {e["pointer"] for e in problem["errors"]} == {"/resident_id", "/password"}


def test_api_wrong_code_and_duplicate_are_pointed_at(client: FlaskClient, outbox: OutboxSmsSender) -> None:
    client.post("/api/v1/registration/phone-code", json={"phone": PHONE})
    code = last_code(outbox)
    body = {"name": "刘劳动者", "resident_id": RID, "phone": PHONE, "code": "000000", "password": PASSWORD}
    if code == "000000":
        body["code"] = "111111"
    r = client.post("/api/v1/registration/workers", json=body)
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "/code"
    assert client.post("/api/v1/registration/workers", json=dict(body, code=code)).status_code == 201
    client.post("/api/v1/registration/phone-code", json={"phone": "13900139000"})
    dup = dict(body, phone="13900139000", code=last_code(outbox, "13900139000"))
    r = client.post("/api/v1/registration/workers", json=dup)
    assert r.status_code == 422
    assert r.get_json()["errors"] == [{"pointer": "/resident_id", "detail": "该身份证号已注册，请直接登录"}]


def test_api_rate_limit_is_429_with_retry_after(client: FlaskClient) -> None:
    assert client.post("/api/v1/registration/phone-code", json={"phone": PHONE}).status_code == 202
    r = client.post("/api/v1/registration/phone-code", json={"phone": PHONE})
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["type"].endswith("/rate-limited") and problem["retry_after"] == int(
        r.headers["Retry-After"]
    )
    assert 55 <= problem["retry_after"] <= 60


def test_registration_is_documented_in_openapi(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    workers = spec["paths"]["/api/v1/registration/workers"]["post"]
    code = spec["paths"]["/api/v1/registration/phone-code"]["post"]
    assert "201" in workers["responses"] and "422" in workers["responses"]
    assert "202" in code["responses"] and "Retry-After" in code["responses"]["429"]["headers"]
    assert workers["security"] == [] and code["security"] == []


def test_without_an_sms_sender_sign_up_is_unavailable(db: Database, tmp_path: Path) -> None:
    from web.app import create_app

    app = create_app(system=fixture_system(db, tmp_path))
    r = app.test_client().post("/api/v1/registration/phone-code", json={"phone": PHONE})
    assert r.status_code == 503 and r.mimetype == "application/problem+json"


# -- in a real browser, on a phone-sized screen ----------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.slow
def test_worker_signs_up_on_a_phone_screen_in_large_font_mode(page: Any, outbox: OutboxSmsSender) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.click("#signup-link")
    page.wait_for_url("**/portal/signup")
    page.click("#font-large")
    assert "large-font" in (page.get_attribute("body", "class") or "")
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "20px"

    page.fill("#name", "刘劳动者")
    page.fill("#resident_id", RID)
    page.fill("#phone", PHONE)
    page.click("#send-code")  # a plain form submit: no JavaScript involved
    assert "验证码已发送至 138****8000" in page.inner_text("main")
    assert page.input_value("#name") == "刘劳动者"
    page.fill("#code", last_code(outbox))
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # one column, nothing cut off
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-signup-390x844-large-font.png"), full_page=True)

    page.press("#password_confirm", "Enter")  # Enter registers (it must not send another code)
    page.wait_for_url("**/portal")
    assert "注册成功" in page.inner_text("main") and "我的案件" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "portal-home-390x844-large-font.png"), full_page=True)


@pytest.mark.parametrize(("hops", "recorded"), [(0, "127.0.0.1"), (1, "198.51.100.9")])
def test_evidence_records_the_client_address_trusting_only_configured_proxies(
    system: System, outbox: OutboxSmsSender, hops: int, recorded: str
) -> None:
    from web.app import create_app

    system.settings = dataclasses.replace(system.settings, proxy_hops=hops)
    client = create_app(system=system).test_client()
    forwarded = {"X-Forwarded-For": "198.51.100.9", "User-Agent": "TestPhone/1.0"}
    client.post("/api/v1/registration/phone-code", json={"phone": PHONE}, headers=forwarded)
    body = {
        "name": "刘劳动者",
        "resident_id": RID,
        "phone": PHONE,
        "code": last_code(outbox),
        "password": PASSWORD,
    }
    assert client.post("/api/v1/registration/workers", json=body, headers=forwarded).status_code == 201
    with system.db.transaction() as s:
        evidence = s.execute(select(RealNameVerification)).scalar_one()
    assert (evidence.client_ip, evidence.user_agent) == (recorded, "TestPhone/1.0")
