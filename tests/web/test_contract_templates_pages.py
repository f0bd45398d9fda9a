"""The employer's template pages (/employer/contract-templates): create from the model, edit into a
new version (CSRF, base version, problems beside their fields), history, 样本 preview, retire;
another employer gets 404.  Real components, CSRF on (fixtures of test_contract_pages)."""

from __future__ import annotations

# ruff: noqa: F811 - the fixtures of test_contract_pages are imported and used by name
import io
import re

import pikepdf
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.workflows.contract_fixtures import Parties
from tests.web.test_contract_pages import (  # noqa: F401 - fixtures
    app,
    browser,
    draft,
    outbox,
    parties,
    system,
    token_of,
)
from workflows.contract_template_service import electronic_form_article
from workflows.db import Database
from workflows.models import LabourContract, LabourContractTemplate

BASE = "/employer/contract-templates"


def create(hr: FlaskClient, title: str = "本公司劳动合同", **extra: str) -> str:
    r = hr.post(f"{BASE}/new", data={"csrf_token": token_of(hr, BASE), "title": title, **extra})
    assert r.status_code == 302, r.get_data(as_text=True)
    found = re.search(rf"{BASE}/([a-z0-9_-]+)/edit$", r.headers["Location"])
    assert found
    return found.group(1)


def edit_form(hr: FlaskClient, key: str) -> dict[str, str]:
    """The edit form as the browser would submit it (inputs, textareas and selected options)."""
    html = hr.get(f"{BASE}/{key}/edit").get_data(as_text=True)
    form: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        form[name] = value
    for name, value in re.findall(r'<input[^>]*value="([^"]*)"[^>]*name="([^"]+)"', html):
        form.setdefault(value, name)
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        form[name] = unescape(text)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        form[name] = chosen.group(1) if chosen else ""
    return {k: unescape(v) for k, v in form.items()}


def unescape(text: str) -> str:
    return (
        text.replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def test_the_contract_list_links_to_the_templates(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    html = hr.get("/employer/contracts").get_data(as_text=True)
    assert f'href="{BASE}"' in html
    assert 'id="no-templates"' in hr.get(BASE).get_data(as_text=True)


def test_an_agent_creates_edits_and_previews_a_template_and_sees_its_history(
    app: Flask, parties: Parties
) -> None:
    hr = browser(app, "hr1")
    key = create(hr)
    form = edit_form(hr, key)
    assert form["base_version"] == "1" and form["title"] == "本公司劳动合同"
    assert form["defaults.social_insurance.description"].startswith("甲方依法为乙方缴纳")
    assert electronic_form_article() not in form["closing"]  # kept by the system, not edited
    form.update(
        {
            "title": "本公司劳动合同（2027）",
            "defaults.job.place": "北京市海淀区",
            "defaults.pay.pay_period": "monthly",
            "defaults.pay.payday": "15",
            "other_terms": "甲方每年组织一次免费体检。\n\n甲方提供工作餐。",
        }
    )
    r = hr.post(f"{BASE}/{key}/edit", data=form)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{BASE}/{key}")
    html = hr.get(f"{BASE}/{key}").get_data(as_text=True)
    assert 'id="version-2"' in html and 'id="version-1"' in html and "本公司劳动合同（2027）" in html
    again = edit_form(hr, key)
    assert again["base_version"] == "2" and again["defaults.pay.payday"] == "15"
    assert again["other_terms"] == "甲方每年组织一次免费体检。\n甲方提供工作餐。"
    preview = hr.get(f"{BASE}/{key}/preview?version=1")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert preview.data.startswith(b"%PDF-") and "inline" in preview.headers["Content-Disposition"]
    with pikepdf.open(io.BytesIO(preview.data)) as doc:
        assert "本公司劳动合同（样本）" in str(doc.docinfo["/Title"])
    listing = hr.get(BASE).get_data(as_text=True)
    assert f'id="template-{key}"' in listing and "第 2 版" in listing


def test_problems_are_shown_beside_their_fields_and_nothing_is_saved(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    key = create(hr)
    form = edit_form(hr, key)
    form.update(
        {
            "title": "",
            "section.pay.heading": "",
            "defaults.social_insurance.description": "",
            "defaults.pay.payday": "45",
            "defaults.working_time.system": "comprehensive",
        }
    )
    r = hr.post(f"{BASE}/{key}/edit", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for field in (
        "title",
        "section-pay-heading",
        "defaults-social_insurance-description",
        "defaults-pay-payday",
        "defaults-working_time-approval",
    ):
        assert f'id="error-{field}"' in html, field
    assert "劳动合同法第十七条第一款第七项" in html  # the blanked clause is named
    assert 'value="45"' in html  # what was typed is kept
    assert 'id="version-2"' not in hr.get(f"{BASE}/{key}").get_data(as_text=True)


def test_saving_over_a_version_saved_meanwhile_asks_to_reload(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    key = create(hr)
    mine, theirs = edit_form(hr, key), edit_form(hr, key)
    theirs["title"] = "他人的修改"
    assert hr.post(f"{BASE}/{key}/edit", data=theirs).status_code == 302
    mine["title"] = "我的修改"
    r = hr.post(f"{BASE}/{key}/edit", data=mine)
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and 'id="error-form"' in html and "重新载入" in html
    assert "我的修改" in html  # the edit is not lost from the page
    detail = hr.get(f"{BASE}/{key}").get_data(as_text=True)
    assert "他人的修改" in detail and 'id="version-3"' not in detail


def test_forms_need_the_csrf_token(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    key = create(hr)
    form = edit_form(hr, key)
    form.pop("csrf_token")
    assert hr.post(f"{BASE}/{key}/edit", data=form).status_code == 400
    assert hr.post(f"{BASE}/new", data={"title": "x"}).status_code == 400
    assert hr.post(f"{BASE}/{key}/retire").status_code == 400


def test_retiring_hides_the_edit_and_restoring_brings_it_back(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    key = create(hr)
    page = f"{BASE}/{key}"
    r = hr.post(f"{page}/retire", data={"csrf_token": token_of(hr, page)})
    assert r.status_code == 302
    html = hr.get(page).get_data(as_text=True)
    assert 'id="unretire"' in html and 'id="edit"' not in html and "已停用" in html
    form = edit_form(hr, key)
    assert hr.post(f"{page}/edit", data=form).status_code == 409
    assert hr.post(f"{page}/unretire", data={"csrf_token": token_of(hr, page)}).status_code == 302
    assert 'id="retire"' in hr.get(page).get_data(as_text=True)


def test_creating_without_a_title_shows_the_problem_beside_it(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    r = hr.post(f"{BASE}/new", data={"csrf_token": token_of(hr, BASE), "title": " "})
    assert r.status_code == 422 and 'id="error-title"' in r.get_data(as_text=True)


def test_another_employer_and_a_worker_get_404(app: Flask, parties: Parties) -> None:
    key = create(browser(app, "hr1"))
    other = browser(app, "hr9")
    for path in (f"{BASE}/{key}", f"{BASE}/{key}/edit", f"{BASE}/{key}/preview"):
        assert other.get(path).status_code == 404, path
    r = other.post(f"{BASE}/{key}/retire", data={"csrf_token": token_of(other, BASE)})
    assert r.status_code == 404
    assert f"template-{key}" not in other.get(BASE).get_data(as_text=True)
    worker = browser(app, "13800138000")
    assert worker.get(BASE).status_code == 404


def test_the_draft_page_keeps_using_the_model_whatever_other_templates_exist(
    app: Flask, parties: Parties, db: Database
) -> None:
    hr = browser(app, "hr1")
    key = create(hr)
    for _ in range(2):  # versions 2 and 3 of "own", ahead of the model's version 1
        assert hr.post(f"{BASE}/{key}/edit", data=edit_form(hr, key)).status_code == 302
    contract_id = draft(hr)
    with db.transaction() as s:
        contract = s.get(LabourContract, contract_id)
        assert contract is not None
        template = s.get(LabourContractTemplate, contract.template_id)
        assert template is not None and template.template_key == "model"
