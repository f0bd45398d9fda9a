"""The employer's bulk-send pages (web/contract_batches.py) over real components, CSRF on: upload
form and samples, progress (page and JSON), failed lines and their CSV; another employer or a
worker gets 404."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.unit.workflows.contract_fixtures import WORKER_PHONE, Parties
from tests.web import test_contract_pages as pages
from tests.web.test_contract_pages import browser, token_of
from workflows.contract_spreadsheets import COLUMN_BY_KEY, parse_spreadsheet, sample_table
from workflows.system import System

PAGE = "/employer/contract-batches"

# the contract pages' fixtures: real signing, a local store, the SMS outbox, CSRF on
outbox, system, parties, app = (
    pages.outbox,
    pages.system,
    pages.parties,
    pages.app,
)


def sheet(*changes: dict[str, str]) -> bytes:
    """The sample's example line once per `changes` (by column key), as CSV."""
    header, example = sample_table()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for change in changes:
        values = dict(zip(header, example, strict=True))
        for key, value in change.items():
            values[COLUMN_BY_KEY[key].header] = value
        writer.writerow(values.values())
    return out.getvalue().encode("utf-8")


def upload(client: FlaskClient, content: bytes, filename: str = "入职.csv", **fields: str) -> Any:
    data: dict[str, Any] = {
        "csrf_token": token_of(client, PAGE),
        "signing_order": "worker_first",
        "due_days": "7",
        "file": (io.BytesIO(content), filename),
        **fields,
    }
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def uploaded(client: FlaskClient, content: bytes) -> str:
    r = upload(client, content)
    assert r.status_code == 302, r.get_data(as_text=True)
    location: str = r.headers["Location"]
    return location


def test_the_contracts_list_links_to_the_upload_form_with_its_samples(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    assert f'href="{PAGE}"' in hr.get("/employer/contracts").get_data(as_text=True)
    html = hr.get(PAGE).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert 'id="sample-xlsx"' in html and 'id="no-batches"' in html
    for name in ("sample.csv", "sample.xlsx"):
        r = hr.get(f"{PAGE}/{name}")
        assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
        sample = parse_spreadsheet(r.data)
        assert len(sample.rows) == 1 and sample.rows[0].problems == ()


def test_an_upload_is_worked_through_with_progress_and_the_failed_lines_as_csv(
    app: Flask, parties: Parties, system: System
) -> None:
    hr = browser(app, "hr1")
    page = uploaded(hr, sheet({}, {"term.probation_months": "9"}, {"pay.monthly_amount": "面议"}))
    assert page.startswith(f"{PAGE}/")
    html = hr.get(page).get_data(as_text=True)
    assert 'id="progress-bar"' in html and 'max="3"' in html and "contract_batch.js" in html
    assert 'data-state="queued"' in html
    progress = hr.get(f"{page}/progress").get_json()
    assert {k: progress[k] for k in ("state", "total", "sent", "failed", "pending")} == {
        "state": "queued",
        "total": 3,
        "sent": 0,
        "failed": 1,
        "pending": 2,
    }

    assert system.contract_batches is not None
    assert system.contract_batches.run_pending() == 2

    progress = hr.get(f"{page}/progress").get_json()
    assert (progress["state"], progress["sent"], progress["failed"], progress["percent"]) == (
        "done",
        1,
        2,
        100,
    )
    html = hr.get(page).get_data(as_text=True)
    assert 'id="row-3"' in html and "劳动合同法第十九条" in html and 'id="row-4"' in html
    assert 'id="row-2"' not in html and 'id="failures-csv"' in html
    r = hr.get(f"{page}/failures.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [row[0] for row in lines] == ["行号", "3", "4"]
    assert "月工资（元）" in lines[0] and "面议" in lines[2]
    assert 'id="batch-' in hr.get(PAGE).get_data(as_text=True)
    assert "待签署" in hr.get("/employer/contracts").get_data(as_text=True)  # the one sent


def test_a_bad_file_or_missing_file_is_refused_on_the_form_with_the_reason(
    app: Flask, parties: Parties
) -> None:
    hr = browser(app, "hr1")
    r = upload(hr, "居民身份证号码,奖金\n110101199003071233,1\n".encode())
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="error-file"' in html and "「奖金」" in html
    r = hr.post(
        PAGE, data={"csrf_token": token_of(hr, PAGE), "due_days": "7"}, content_type="multipart/form-data"
    )
    assert r.status_code == 422 and 'id="error-file"' in r.get_data(as_text=True)
    r = upload(hr, sheet({}), due_days="999")
    assert r.status_code == 422 and 'id="error-due_days"' in r.get_data(as_text=True)
    r = upload(hr, b"%PDF-1.7 not a sheet", "contract.csv")
    assert r.status_code == 422 and "不是 CSV 或 XLSX" in r.get_data(as_text=True)
    assert 'id="no-batches"' in hr.get(PAGE).get_data(as_text=True)


def test_uploading_needs_the_csrf_token(app: Flask, parties: Parties) -> None:
    hr = browser(app, "hr1")
    r = hr.post(
        PAGE,
        data={"due_days": "7", "file": (io.BytesIO(sheet({})), "a.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    assert 'id="no-batches"' in hr.get(PAGE).get_data(as_text=True)


def test_another_employer_or_a_worker_gets_404(app: Flask, parties: Parties) -> None:
    page = uploaded(browser(app, "hr1"), sheet({}))
    for client in (browser(app, "hr9"), browser(app, WORKER_PHONE)):
        for path in (page, f"{page}/progress", f"{page}/failures.csv"):
            assert client.get(path).status_code == 404, path
    assert browser(app, WORKER_PHONE).get(PAGE).status_code == 404
    assert page not in browser(app, "hr9").get(PAGE).get_data(as_text=True)
