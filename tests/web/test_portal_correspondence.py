"""Portal and staff case pages: messages from the commission, signing for documents, service ratings.

Browser-like: the Flask test client with CSRF checks on, forms posted without JavaScript.  The
real arbitration process; documents issued through faked ports (tests/correspondence_support).
"""

from __future__ import annotations

import html as htmllib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.correspondence_support import PortalCase, cheap_hashing, documents_system, make_portal_case  # noqa: F401
from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import Staff, complete_step
from tests.web.test_ui import csrf_token
from web.auth import SESSION_ACTOR
from workflows.audit import Actor
from workflows.db import Database
from workflows.models import CaseParty, ServiceRating, ServiceReceipt
from workflows.system import System

staff = arbitration.staff


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return documents_system(db, tmp_path)


@pytest.fixture
def pc(db: Database, tmp_path: Path, staff: Staff, system: System) -> PortalCase:
    return make_portal_case(db, tmp_path, staff, system)


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    app.config["TESTING"] = False  # CSRF checks on, as in production
    return app.test_client()


def sign_in(browser: FlaskClient, actor: Actor) -> None:
    """Start a session as `actor` (the login itself, with its one-time code, is tested in test_ui)."""
    with browser.session_transaction() as session:
        session.clear()
        session[SESSION_ACTOR] = {
            "id": actor.user_id,
            "label": actor.label,
            "roles": sorted(actor.roles),
            "org": actor.organisation_id,
        }


def page(browser: FlaskClient, url: str) -> str:
    r = browser.get(url)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def accepted(pc: PortalCase) -> int:
    """Accept the application; the 受理通知书 is issued.  Returns its id."""
    complete_step(pc.system, pc.staff, pc.case_id, "review_application")
    assert pc.system.issuing is not None and pc.system.issuing.run_pending() == 1
    [notice] = pc.system.issuing.for_case(pc.clerk, pc.case_id)
    return notice.id


def respondent_id(db: Database, case_id: int) -> int:
    with db.transaction() as s:
        return s.execute(
            select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.role == "respondent")
        ).scalar_one()


# -- messages ---------------------------------------------------------------------------------


def test_staff_write_from_the_case_page_and_the_worker_reads_and_replies_on_the_portal(
    browser: FlaskClient, pc: PortalCase, db: Database
) -> None:
    staff_page, portal_page = f"/cases/{pc.case_id}", f"/portal/cases/{pc.case_id}"
    post_url = f"/cases/{pc.case_id}/messages"
    sign_in(browser, pc.clerk)
    html = page(browser, staff_page)
    assert 'id="message-submit"' in html and 'name="party_id"' in html
    token = csrf_token(html)
    assert browser.post(post_url, data={"body": "通知"}).status_code == 400  # no CSRF token
    empty = browser.post(post_url, data={"csrf_token": token, "body": "  "})
    assert empty.status_code == 422 and 'id="error-body"' in empty.get_data(as_text=True)
    body = "<script>alert(1)</script>\n请于下周一前补交工资条原件。"
    sent = browser.post(post_url, data={"csrf_token": token, "body": body, "party_id": ""})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#messages")
    only_respondent = {
        "csrf_token": token,
        "body": "请携带营业执照副本",
        "party_id": str(respondent_id(db, pc.case_id)),
    }
    assert browser.post(post_url, data=only_respondent).status_code == 302
    [message, _] = pc.system.case_messages.for_case(pc.clerk, pc.case_id)

    sign_in(browser, pc.worker)
    html = page(browser, portal_page)
    assert 'id="unread-notice"' in html and f'id="read-{message.id}"' in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;<br>请于下周一前补交工资条原件。" in html
    )  # escaped, lines kept
    assert (
        "<script>alert" not in html and "营业执照副本" not in html
    )  # the respondent's message is not theirs
    token = csrf_token(html)
    assert (
        browser.post(f"{portal_page}/messages/{message.id}/read", data={"csrf_token": token}).status_code
        == 302
    )
    assert 'id="unread-notice"' not in page(browser, portal_page)

    reply_url = f"{portal_page}/messages/{message.id}/reply"
    field = f"reply-{message.id}-body"
    refused = browser.post(reply_url, data={"csrf_token": token, field: ""})
    assert refused.status_code == 422 and f'id="error-{field}"' in refused.get_data(as_text=True)
    replied = browser.post(reply_url, data={"csrf_token": token, field: "工资条原件已寄出，<b>请查收</b>。"})
    assert replied.status_code == 302
    html = page(browser, portal_page)
    assert "回复已发送给仲裁委员会" in html and "&lt;b&gt;请查收&lt;/b&gt;" in html

    sign_in(browser, pc.agent)  # the other side sees the commission's message, not the worker's reply
    html = page(browser, portal_page)
    assert "营业执照副本" in html and "请查收" not in html

    sign_in(browser, pc.clerk)
    html = page(browser, staff_page)
    assert "工资条原件已寄出" in html and "申请人 张三（worker1）" in html
    assert htmllib.escape("<script>") in html and "<script>alert" not in html
    assert "已读" in html and f'id="message-{message.id}"' in html


# -- electronic service ---------------------------------------------------------------------------


def test_worker_signs_for_a_document_once_and_staff_see_who_signed_when(
    browser: FlaskClient, pc: PortalCase, db: Database
) -> None:
    notice = accepted(pc)
    url = f"/portal/cases/{pc.case_id}"
    sign_in(browser, pc.agent)  # the acceptance notice is the applicant's to sign for
    assert f'id="acknowledge-{notice}"' not in page(browser, url)

    sign_in(browser, pc.worker)
    html = page(browser, url)
    assert f'id="acknowledge-{notice}"' in html and 'id="service-explained"' in html
    assert "签收就是送达" in html and "从送达的第二天开始计算" in html
    token = csrf_token(html)
    sign_url = f"{url}/documents/{notice}/acknowledge"
    assert browser.post(sign_url).status_code == 400  # no CSRF token
    first = browser.post(sign_url, data={"csrf_token": token}, headers={"User-Agent": "TestPhone/1.0"})
    assert first.status_code == 302 and first.headers["Location"].endswith("#documents")
    html = page(browser, url)
    assert (
        "送达日期为" in html and f'id="receipt-{notice}"' in html and f'id="acknowledge-{notice}"' not in html
    )
    assert browser.post(sign_url, data={"csrf_token": token}).status_code == 302  # again: same receipt
    with db.transaction() as s:
        [receipt] = s.execute(select(ServiceReceipt)).scalars()
        assert (receipt.user_agent, receipt.client_ip, receipt.signed_by_label) == (
            "TestPhone/1.0",
            "127.0.0.1",
            "worker1",
        )

    sign_in(browser, pc.clerk)
    html = page(browser, f"/cases/{pc.case_id}")
    row = html[html.index(f'id="service-{notice}"') :].split("</tr>", 1)[0]
    assert "受理通知书" in row and "申请人 张三" in row and "签收于" in row and "127.0.0.1" in row


# -- ratings ----------------------------------------------------------------------------------


def test_rating_form_refuses_bad_scores_and_a_silent_poor_rating_then_takes_one_rating(
    browser: FlaskClient, pc: PortalCase, db: Database
) -> None:
    accepted(pc)
    [step] = pc.system.ratings.steps(pc.worker, pc.case_id)
    url = f"/portal/cases/{pc.case_id}"
    rate_url = f"{url}/ratings/{step.task_id}"
    score, comment = f"rate-{step.task_id}-score", f"rate-{step.task_id}-comment"
    sign_in(browser, pc.worker)
    html = page(browser, url)
    assert 'id="ratings"' in html and f'id="rate-{step.task_id}"' in html and "受理审查" in html
    token = csrf_token(html)

    for bad in ("7", "0", "x"):
        r = browser.post(rate_url, data={"csrf_token": token, score: bad, comment: "好"})
        assert r.status_code == 422 and f'id="error-{score}"' in r.get_data(as_text=True)
    r = browser.post(rate_url, data={"csrf_token": token, comment: "没选分数"})
    assert r.status_code == 422 and f'id="error-{score}"' in r.get_data(as_text=True)
    silent = browser.post(rate_url, data={"csrf_token": token, score: "1", comment: " "})
    html = silent.get_data(as_text=True)
    assert silent.status_code == 422 and f'id="error-{comment}"' in html and "差评请写明不满意的原因" in html
    assert f'name="{score}" value="1" checked' in html  # the choice comes back with the message
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(ServiceRating)).scalar_one() == 0

    ok = browser.post(rate_url, data={"csrf_token": token, score: "2", comment: "等了很久才受理"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("#ratings")
    html = page(browser, url)
    assert 'id="my-ratings"' in html and f'id="rate-{step.task_id}"' not in html and "等了很久才受理" in html
    again = browser.post(rate_url, data={"csrf_token": token, score: "5", comment: ""})
    assert again.status_code == 409 and "每个环节只能评价一次" in again.get_data(as_text=True)

    sign_in(browser, pc.clerk)
    html = page(browser, f"/cases/{pc.case_id}")
    ratings = html[html.index('id="rating-list"') :].split("</table>", 1)[0]
    assert (
        "受理审查" in ratings
        and "申请人 张三" in ratings
        and "差评" in ratings
        and "等了很久才受理" in ratings
    )


# -- privacy ----------------------------------------------------------------------------------


def test_another_worker_can_do_nothing_on_a_case_that_is_not_theirs(
    browser: FlaskClient, pc: PortalCase, db: Database
) -> None:
    notice = accepted(pc)
    message = pc.system.case_messages.send(pc.clerk, pc.case_id, "通知")
    [step] = pc.system.ratings.steps(pc.worker, pc.case_id)
    sign_in(browser, pc.other_worker)
    token = csrf_token(page(browser, "/portal"))
    base = f"/portal/cases/{pc.case_id}"
    assert browser.get(base).status_code == 404
    for url, form in (
        (f"{base}/messages/{message.id}/reply", {f"reply-{message.id}-body": "冒充"}),
        (f"{base}/messages/{message.id}/read", {}),
        (f"{base}/documents/{notice}/acknowledge", {}),
        (
            f"{base}/ratings/{step.task_id}",
            {f"rate-{step.task_id}-score": "1", f"rate-{step.task_id}-comment": "差"},
        ),
        (f"/cases/{pc.case_id}/messages", {"body": "冒充仲裁委"}),
    ):
        r = browser.post(url, data={"csrf_token": token, **form})
        assert r.status_code == 404, url
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(ServiceReceipt)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ServiceRating)).scalar_one() == 0
    assert len(pc.system.case_messages.for_case(pc.clerk, pc.case_id)) == 1

    sign_in(browser, pc.worker)  # a party of the case still cannot write as the commission
    token = csrf_token(page(browser, base))
    assert (
        browser.post(f"/cases/{pc.case_id}/messages", data={"csrf_token": token, "body": "x"}).status_code
        == 403
    )


def test_correspondence_in_english(browser: FlaskClient, pc: PortalCase) -> None:
    accepted(pc)
    pc.system.case_messages.send(pc.clerk, pc.case_id, "通知")
    sign_in(browser, pc.worker)
    browser.get("/lang/en")
    html = page(browser, f"/portal/cases/{pc.case_id}")
    for text in (
        "Messages from the commission",
        "Sign for this document",
        "Service ratings",
        "Submit rating",
    ):
        assert text in html
