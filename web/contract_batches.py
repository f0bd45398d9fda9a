"""Employer pages for bulk sending labour contracts from a spreadsheet (workflows.contract_batches).

An employer's agent downloads the sample (CSV or XLSX), fills in one contract a line, uploads it
with the template, signing order and deadline, and watches the batch being worked through by the
background worker: a progress bar that refreshes itself (static/contract_batch.js polls the
small JSON endpoint; the page works without it, reloaded by hand), the failed lines with their
reasons, and those lines as CSV to fix and upload again.  Another employer's batch is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from web.auth import system
from web.contract_pages import views
from web.contracts_employer import DUE_DAYS, SIGNING_ORDER_LABELS
from web.downloads import file_response
from web.ui import ActionForm, login_required
from workflows.audit import Actor
from workflows.contract_batches import FAILED, ContractBatchService
from workflows.contract_spreadsheets import CSV_TYPE, MAX_BYTES, MAX_ROWS, XLSX_TYPE, sample_csv, sample_xlsx
from workflows.contracts import WORKER_FIRST
from workflows.errors import FieldProblem, StorageUnavailableError, ValidationError
from workflows.roles import EMPLOYER_AGENT
from workflows.runtime import utcnow

bp = Blueprint("contract_batches", __name__, url_prefix="/employer/contract-batches")

FAILED_ROWS_SHOWN = 500
#: form inputs for what every line shares when the sheet leaves it empty
EMPLOYER_DEFAULTS = {
    "employer.address": "用人单位住所",
    "employer.legal_representative": "法定代表人或者主要负责人",
}


def batches() -> ContractBatchService:
    service = system().contract_batches
    if service is None:
        raise StorageUnavailableError("电子劳动合同未开通：未配置文书签章、存储或短信服务")
    return service


def _agent(actor: Actor) -> Actor:
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        abort(404)
    return actor


def _errors(problems: list[FieldProblem]) -> dict[str, list[str]]:
    """Problems by form input: /file -> file, /due_at -> due_days, /template_id -> template_id."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        key = p.pointer.strip("/").split("/")[0] or "form"
        errors.setdefault({"due_at": "due_days"}.get(key, key), []).append(p.message)
    return errors


@bp.route("", methods=["GET", "POST"])
@login_required
def index(actor: Actor) -> Any:
    _agent(actor)
    values: dict[str, str] = {"signing_order": WORKER_FIRST, "due_days": "7", "template_id": ""}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400, "CSRF")
        values = {k: str(v) for k, v in request.form.items() if k != "csrf_token"}
        upload = request.files.get("file")
        raw_template = values.get("template_id", "").strip()
        raw_days = values.get("due_days", "7")
        if upload is None or not upload.filename:
            errors["file"] = [_("请选择要上传的 CSV 或 XLSX 文件")]
        if raw_template and not raw_template.isdigit():
            errors["template_id"] = [_("请选择合同模板")]
        if not raw_days.isdigit() or int(raw_days) not in DUE_DAYS:
            errors["due_days"] = [_("请选择签署期限")]
        if not errors and upload is not None:
            try:
                batch = batches().create(
                    actor,
                    content=upload.read(),
                    filename=upload.filename or "upload",
                    due_at=utcnow() + timedelta(days=int(raw_days)),
                    signing_order=values.get("signing_order", WORKER_FIRST),
                    template_id=int(raw_template) if raw_template else None,
                    employer_defaults={k: values.get(k, "") for k in EMPLOYER_DEFAULTS},
                )
            except ValidationError as exc:
                errors = _errors(exc.problems)
                flash(exc.message, "error")
            else:
                flash(_("已接收 %(total)s 行，正在后台逐行发送。", total=batch.total), "success")
                return redirect(url_for("contract_batches.detail", batch_id=batch.id))
        status = 422
    page = render_template(
        "contract_batches.html",
        items=batches().for_employer(actor, limit=50).items,
        templates=views().templates(actor),
        values=values,
        errors=errors,
        signing_orders=SIGNING_ORDER_LABELS,
        due_days=DUE_DAYS,
        employer_defaults=EMPLOYER_DEFAULTS,
        max_rows=MAX_ROWS,
        max_mb=MAX_BYTES // (1024 * 1024),
    )
    return make_response(page, status)


@bp.route("/sample.csv")
@login_required
def sample_as_csv(actor: Actor) -> BaseResponse:
    _agent(actor)
    return file_response(sample_csv(), CSV_TYPE, "劳动合同批量发送示例.csv")


@bp.route("/sample.xlsx")
@login_required
def sample_as_xlsx(actor: Actor) -> BaseResponse:
    _agent(actor)
    return file_response(sample_xlsx(), XLSX_TYPE, "劳动合同批量发送示例.xlsx")


@bp.route("/<int:batch_id>")
@login_required
def detail(actor: Actor, batch_id: int) -> str:
    service = batches()
    batch = service.get(_agent(actor), batch_id)
    failed = service.rows(actor, batch_id, state=FAILED, limit=FAILED_ROWS_SHOWN)
    return render_template(
        "contract_batch_detail.html",
        batch=batch,
        failed=failed,
        signing_orders=SIGNING_ORDER_LABELS,
    )


@bp.route("/<int:batch_id>/progress")
@login_required
def progress(actor: Actor, batch_id: int) -> BaseResponse:
    """The counters for the progress bar (polled by static/contract_batch.js)."""
    counters = batches().get(_agent(actor), batch_id).progress()
    response = jsonify({**counters, "state_label": _(counters["state_label"])})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:batch_id>/failures.csv")
@login_required
def failures(actor: Actor, batch_id: int) -> BaseResponse:
    data = batches().failures_csv(_agent(actor), batch_id)
    return file_response(data, CSV_TYPE, f"劳动合同批量发送-{batch_id}-失败行.csv")
