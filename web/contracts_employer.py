"""Employer pages for electronic labour contracts (design/law.md §8): list, draft, preview, send, seal.

An employer's agent drafts a contract from the model template (adopted as the employer's own on
first use) with a field for each mandatory clause of 劳动合同法 art.17; a missing clause is
refused by name, next to its fields.  The draft's PDF is the preview — the very bytes that get
signed.  The agent sends it to a worker's real-name account (name + resident ID, or the phone
number), may void it before the worker signs, and seals it with the employer's own e-seal when
it is the employer's turn.  Another employer's contract is answered as absent (404).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from web.contract_pages import client, contract_or_404, contracts, pdf_inline, template_service, views
from web.downloads import file_response
from web.ui import ActionForm, login_required
from workflows.audit import Actor
from workflows.contract_clauses import CLAUSES, PAY_PERIODS, TERM_KINDS, WORKING_TIME_SYSTEMS
from workflows.contract_template_service import MODEL_KEY, TemplateDetail
from workflows.contract_views import RegisteredWorker
from workflows.contracts import EMPLOYER_FIRST, WORKER_FIRST, load_model_template
from workflows.errors import FieldProblem, NotFoundError, ValidationError
from workflows.roles import EMPLOYER_AGENT
from workflows.runtime import utcnow

bp = Blueprint("contracts_employer", __name__, url_prefix="/employer/contracts", template_folder="templates")

SIGNING_ORDER_LABELS = {
    WORKER_FIRST: "劳动者先签名，用人单位后盖章",
    EMPLOYER_FIRST: "用人单位先盖章，劳动者后签名",
}
DUE_DAYS = (3, 7, 15, 30)
INTEGER_FIELDS = {("term", "probation_months"), ("pay", "payday")}


@dataclass(frozen=True)
class Field:
    """One input of the contract form: the clause it belongs to, its name, label and kind."""

    clause: str
    name: str
    label: str
    kind: str = "text"  # text | textarea | date | number | select
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""

    @property
    def key(self) -> str:
        return f"{self.clause}.{self.name}"


def _choices(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(labels.items())


#: the form, clause by clause (art.17 para.1 items 1-8); employer name and worker are bound by the system
FORM: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "employer",
        (
            Field("employer", "address", "住所"),
            Field("employer", "legal_representative", "法定代表人或者主要负责人"),
        ),
    ),
    (
        "worker",
        (
            Field("worker", "name", "姓名"),
            Field("worker", "resident_id", "居民身份证号码", hint="与劳动者实名注册的信息一致"),
            Field("worker", "phone", "或：注册手机号码", hint="不知道身份证号码时，按注册手机号码查找"),
            Field("worker", "address", "住址"),
        ),
    ),
    (
        "term",
        (
            Field("term", "kind", "期限类型", "select", _choices(TERM_KINDS)),
            Field("term", "start_date", "起始日期", "date"),
            Field("term", "end_date", "终止日期（固定期限）", "date"),
            Field("term", "task_description", "工作任务（以完成一定工作任务为期限）"),
            Field("term", "probation_months", "试用期（月）", "number"),
        ),
    ),
    (
        "job",
        (
            Field("job", "position", "工作岗位"),
            Field("job", "duties", "工作内容", "textarea"),
            Field("job", "place", "工作地点"),
            Field("job", "region_code", "工作地行政区划代码", hint="用于核对当地最低工资标准，如 110108"),
        ),
    ),
    (
        "working_time",
        (
            Field("working_time", "system", "工时制度", "select", _choices(WORKING_TIME_SYSTEMS)),
            Field("working_time", "rest", "休息休假", "textarea"),
            Field("working_time", "approval", "特殊工时审批文号（非标准工时制）"),
        ),
    ),
    (
        "pay",
        (
            Field("pay", "monthly_amount", "月工资（元）"),
            Field("pay", "probation_amount", "试用期月工资（元）"),
            Field("pay", "pay_period", "工资支付周期", "select", _choices(PAY_PERIODS)),
            Field("pay", "payday", "每月发薪日", "number"),
        ),
    ),
    ("social_insurance", (Field("social_insurance", "description", "社会保险约定", "textarea"),)),
    (
        "protection",
        (
            Field("protection", "labour_protection", "劳动保护", "textarea"),
            Field("protection", "working_conditions", "劳动条件", "textarea"),
            Field("protection", "occupational_hazards", "职业危害防护", "textarea"),
        ),
    ),
)
CLAUSE_NAMES = {c.key: c.citation for c in CLAUSES}
FIELDS = tuple(f for _, fields in FORM for f in fields)


def _agent(actor: Actor) -> Actor:
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        abort(404)
    return actor


def _defaults(template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The form as first shown: the template's default texts (the model's unless another is
    chosen) and the usual choices."""
    values = {"term.kind": "fixed", "working_time.system": "standard", "pay.pay_period": "monthly"}
    for clause, fields in ((template or load_model_template()).get("defaults") or {}).items():
        if not isinstance(fields, Mapping):
            continue  # e.g. other_terms: a list, kept by the template, not a form field
        for name, text in fields.items():
            values[f"{clause}.{name}"] = str(text)
    values.update({"signing_order": WORKER_FIRST, "due_days": "7"})
    return values


def _chosen_template(actor: Actor, key: str) -> TemplateDetail | None:
    """The employer's own template `key` (latest version), None for the shipped model."""
    if not key or key == MODEL_KEY:
        return None
    try:
        return template_service().get(actor, key)
    except NotFoundError:
        abort(404)


def _clauses(values: dict[str, str], worker: RegisteredWorker) -> dict[str, Any]:
    """The clauses document from the form (empty inputs left out, whole numbers as numbers); the
    worker's name and resident ID, when left empty, are those of the real-name account."""
    clauses: dict[str, dict[str, Any]] = {}
    for f in FIELDS:
        if f.clause == "worker" and f.name == "phone":
            continue  # finds the account; not a clause of the contract
        raw = values.get(f.key, "").strip()
        if not raw:
            continue
        value: Any = raw
        if (f.clause, f.name) in INTEGER_FIELDS and raw.isdigit():
            value = int(raw)
        clauses.setdefault(f.clause, {})[f.name] = value
    person = clauses.setdefault("worker", {})
    person.setdefault("name", worker.name)
    person.setdefault("resident_id", worker.resident_id)
    return clauses


def _errors(problems: list[FieldProblem]) -> dict[str, list[str]]:
    """Domain problems by form key: /clauses/job/position -> job.position, /clauses/job -> job."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        parts = [x for x in p.pointer.split("/") if x]
        if parts and parts[0] == "clauses":
            parts = parts[1:]
        errors.setdefault(".".join(parts[:2]) or "form", []).append(p.message)
    return errors


@bp.route("")
@login_required
def index(actor: Actor) -> str:
    _agent(actor)
    return render_template("contract_employer_list.html", items=views().for_actor(actor))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(actor: Actor) -> Any:
    _agent(actor)
    key = (request.form.get("template_key") or request.args.get("template") or MODEL_KEY).strip()
    chosen = _chosen_template(actor, key)
    values = _defaults(chosen.content if chosen else None)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400, "CSRF")
        values = {k: str(v) for k, v in request.form.items() if k != "csrf_token"}
        try:
            service = contracts()
            worker = views().find_worker(
                name=values.get("worker.name", ""),
                resident_id=values.get("worker.resident_id", ""),
                phone=values.get("worker.phone", ""),
            )
            template_id = chosen.version.id if chosen else views().latest_template(actor.organisation_id or 0)
            if template_id is None:
                template_id = service.adopt_model_template(actor)
            days = int(values.get("due_days") or 7) if (values.get("due_days") or "7").isdigit() else 7
            drafted = service.create_draft(
                actor,
                template_id=template_id,
                worker_user_id=worker.user_id,
                clauses=_clauses(values, worker),
                due_at=utcnow() + timedelta(days=max(1, min(days, 90))),
                signing_order=values.get("signing_order", WORKER_FIRST),
                client=client(),
            )
        except ValidationError as exc:
            errors = _errors(exc.problems)
            flash(exc.message, "error")
            status = 422
        else:
            for warning in drafted.warnings:
                flash(warning, "warning")
            flash(_("劳动合同草稿已生成：请预览后发送给劳动者。"), "success")
            return redirect(url_for("contracts_employer.detail", contract_id=drafted.contract_id))
    page = render_template(
        "contract_new.html",
        form=FORM,
        clause_names=CLAUSE_NAMES,
        values=values,
        errors=errors,
        signing_orders=SIGNING_ORDER_LABELS,
        due_days=DUE_DAYS,
        templates=[
            t for t in template_service().list(actor, include_retired=False) if t.template_key != MODEL_KEY
        ],
        template_key=key,
        template_title=chosen.version.title if chosen else None,
    )
    return make_response(page, status)


@bp.route("/<int:contract_id>")
@login_required
def detail(actor: Actor, contract_id: int) -> str:
    contract = contract_or_404(_agent(actor), contract_id)
    return render_template(
        "contract_employer_detail.html", contract=contract, signing_orders=SIGNING_ORDER_LABELS
    )


@bp.route("/<int:contract_id>/preview")
@login_required
def preview(actor: Actor, contract_id: int) -> BaseResponse:
    contract = contract_or_404(_agent(actor), contract_id)
    return pdf_inline(contracts().preview(actor, contract_id), f"{contract.number}-preview.pdf")


@bp.route("/<int:contract_id>/download")
@login_required
def download(actor: Actor, contract_id: int) -> BaseResponse:
    contract = contract_or_404(_agent(actor), contract_id)
    data = contracts().download(actor, contract_id)
    return file_response(data, "application/pdf", f"{contract.number}.pdf")


@bp.route("/<int:contract_id>/certificate")
@login_required
def certificate(actor: Actor, contract_id: int) -> BaseResponse:
    contract = contract_or_404(_agent(actor), contract_id)
    data = contracts().certificate(actor, contract_id)
    return file_response(data, "application/pdf", f"{contract.number}-certificate.pdf")


def _act(actor: Actor, contract_id: int) -> None:
    contract_or_404(_agent(actor), contract_id)
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")


@bp.route("/<int:contract_id>/send", methods=["POST"])
@login_required
def send(actor: Actor, contract_id: int) -> BaseResponse:
    _act(actor, contract_id)
    contracts().send(actor, contract_id, client())
    flash(_("已发送给劳动者：劳动者将在其账号中看到签署流程并签名。"), "success")
    return redirect(url_for("contracts_employer.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/seal", methods=["POST"])
@login_required
def seal(actor: Actor, contract_id: int) -> BaseResponse:
    _act(actor, contract_id)
    state = contracts().employer_seal(actor, contract_id, client())
    if state == "concluded":
        flash(_("劳动合同已订立。"), "success")
    else:
        flash(_("已加盖本单位电子印章，等待劳动者签名。"), "success")
    return redirect(url_for("contracts_employer.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/void", methods=["POST"])
@login_required
def void(actor: Actor, contract_id: int) -> Any:
    _act(actor, contract_id)
    try:
        contracts().void(actor, contract_id, request.form.get("reason", ""), client())
    except ValidationError as exc:
        flash(exc.message, "error")
        contract = contract_or_404(actor, contract_id)
        page = render_template(
            "contract_employer_detail.html", contract=contract, signing_orders=SIGNING_ORDER_LABELS
        )
        return make_response(page, 422)
    flash(_("劳动合同已作废。"), "success")
    return redirect(url_for("contracts_employer.detail", contract_id=contract_id))
