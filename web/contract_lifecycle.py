"""Pages for a concluded labour contract's lifecycle (workflows.contract_lifecycle).

Employer: from a concluded contract's page, draft an amendment (变更: the current terms in the
contract form, changed where needed), a termination (协商一致解除 or the employer's certificate of
rescission or ending) or a renewal (续订: a new term); each drafts a document signed like a
contract.  An employer-only certificate is sealed and issued in one step.  The employer's list of
paper-copy requests: download the print file, mark printed, mark handed over.
Worker: the documents linked to a contract, and a request for a free stamped paper copy.
Someone else's contract or request is answered as absent (404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from web.auth import ui_actor
from web.contract_pages import client, contract_or_404, contracts
from web.contracts_employer import (
    CLAUSE_NAMES,
    DUE_DAYS,
    FORM,
    INTEGER_FIELDS,
    SIGNING_ORDER_LABELS,
    Field,
    _agent,
    _errors,
)
from web.downloads import file_response
from web.ui import ActionForm, login_required
from workflows.audit import Actor
from workflows.contract_lifecycle import (
    DELIVERIES,
    EMPLOYER_ONLY,
    LEGAL_BASES,
    TERMINATION_MODES,
    ContractLinks,
    LifecycleService,
    PaperCopyView,
)
from workflows.contract_views import ContractView
from workflows.contracts import Drafted
from workflows.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from workflows.roles import WORKER
from workflows.runtime import utcnow

bp = Blueprint("contract_lifecycle", __name__, template_folder="templates")

#: the parts of the contract form an amendment may change (not who the parties are)
FIXED = {("worker", "name"), ("worker", "resident_id"), ("worker", "phone")}
AMEND_FORM: tuple[tuple[str, tuple[Field, ...]], ...] = tuple(
    (clause, tuple(f for f in fields if (f.clause, f.name) not in FIXED)) for clause, fields in FORM
)
RENEWAL_TERM_FIELDS = tuple(f for f in dict(FORM)["term"] if f.name != "probation_months")  # art.19


def lifecycle() -> LifecycleService:
    return LifecycleService(contracts())


def _employer_contract(actor: Actor, contract_id: int) -> ContractView:
    return contract_or_404(_agent(actor), contract_id)


def _csrf() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")


def _due(values: dict[str, str]) -> Any:
    raw = values.get("due_days") or "7"
    days = int(raw) if raw.isdigit() else 7
    return utcnow() + timedelta(days=max(1, min(days, 90)))


def _day(values: dict[str, str], key: str) -> date | None:
    try:
        return date.fromisoformat(values.get(key, "").strip())
    except ValueError:
        return None


def _flat(clauses: dict[str, Any]) -> dict[str, str]:
    """The clauses as form values (clause.field -> text)."""
    values: dict[str, str] = {}
    for key, section in clauses.items():
        if isinstance(section, dict):
            for name, value in section.items():
                if value is not None:
                    values[f"{key}.{name}"] = str(value)
    return values


def _form_values() -> dict[str, str]:
    return {k: str(v) for k, v in request.form.items() if k != "csrf_token"}


def _page(template: str, status: int = 200, **context: Any) -> Any:
    return make_response(render_template(template, **context), status)


@bp.app_context_processor
def lifecycle_for_templates() -> dict[str, Any]:
    """`contract_links(id)` and `paper_copies_of(id)` for the contract pages (None/[] if not readable)."""

    def links(contract_id: int) -> ContractLinks | None:
        actor = ui_actor()
        if actor is None:
            return None
        try:
            return lifecycle().links(actor, contract_id)
        except (NotFoundError, ConflictError):
            return None

    def copies(contract_id: int) -> list[PaperCopyView]:
        actor = ui_actor()
        if actor is None:
            return []
        try:
            return lifecycle().paper_copies_of(actor, contract_id)
        except NotFoundError:
            return []

    return {
        "contract_links": links,
        "paper_copies_of": copies,
        "paper_deliveries": DELIVERIES,
        "employer_only": EMPLOYER_ONLY,
    }


# -- amendment --------------------------------------------------------------------------------


def _drafted(
    draft: Callable[[], Drafted], success: str
) -> tuple[BaseResponse | None, dict[str, list[str]], int]:
    """Run a drafting call: the redirect to the new draft, or the form's errors and status."""
    try:
        drafted = draft()
    except ValidationError as exc:
        flash(exc.message, "error")
        return None, _errors(exc.problems), 422
    except ConflictError as exc:
        flash(exc.message, "error")
        return None, {}, 409
    for warning in drafted.warnings:
        flash(warning, "warning")
    flash(success, "success")
    return redirect(url_for("contracts_employer.detail", contract_id=drafted.contract_id)), {}, 200


def _changes(values: dict[str, str]) -> dict[str, Any]:
    """The amendment form as changes: every field, a blank one as None (removed if it was set)."""
    changes: dict[str, dict[str, Any]] = {}
    for _clause, fields in AMEND_FORM:
        for f in fields:
            raw = values.get(f.key, "").strip()
            value: Any = raw or None
            if raw and (f.clause, f.name) in INTEGER_FIELDS and raw.isdigit():
                value = int(raw)
            changes.setdefault(f.clause, {})[f.name] = value
    return changes


@bp.route("/employer/contracts/<int:contract_id>/amend", methods=["GET", "POST"])
@login_required
def amend(actor: Actor, contract_id: int) -> Any:
    contract = _employer_contract(actor, contract_id)
    service = lifecycle()
    values = {
        **_flat(service.current_terms(actor, contract_id)),
        "signing_order": "worker_first",
        "due_days": "7",
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        _csrf()
        values = _form_values()

        def draft() -> Drafted:
            effective_on = _day(values, "effective_on")
            if effective_on is None:
                raise ValidationError(
                    "请填写变更生效日期", [FieldProblem("/effective_on", "须为 YYYY-MM-DD 格式的日期")]
                )
            return service.draft_amendment(
                actor,
                contract_id,
                changes=_changes(values),
                effective_on=effective_on,
                due_at=_due(values),
                signing_order=values.get("signing_order", "worker_first"),
                client=client(),
            )

        done, errors, status = _drafted(draft, _("变更协议书草稿已生成：请预览后发送给劳动者签署。"))
        if done is not None:
            return done
    return _page(
        "contract_amend.html",
        status,
        contract=contract,
        form=AMEND_FORM,
        clause_names=CLAUSE_NAMES,
        values=values,
        errors=errors,
        signing_orders=SIGNING_ORDER_LABELS,
        due_days=DUE_DAYS,
    )


# -- termination ------------------------------------------------------------------------------


@bp.route("/employer/contracts/<int:contract_id>/terminate", methods=["GET", "POST"])
@login_required
def terminate(actor: Actor, contract_id: int) -> Any:
    contract = _employer_contract(actor, contract_id)
    values = {"mode": "agreement", "legal_basis": "art36", "signing_order": "worker_first", "due_days": "7"}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        _csrf()
        values = _form_values()

        def draft() -> Drafted:
            ended_on = _day(values, "ended_on")
            if ended_on is None:
                raise ValidationError(
                    "请填写最后工作日", [FieldProblem("/ended_on", "须为 YYYY-MM-DD 格式的日期")]
                )
            return lifecycle().draft_termination(
                actor,
                contract_id,
                mode=values.get("mode", ""),
                ended_on=ended_on,
                reason=values.get("reason", ""),
                legal_basis=values.get("legal_basis", ""),
                compensation=values.get("compensation") or None,
                handover=values.get("handover", ""),
                due_at=_due(values),
                signing_order=values.get("signing_order", "worker_first"),
                client=client(),
            )

        if values.get("mode") == "certificate":
            success = _("解除（终止）劳动合同证明草稿已生成：请预览后盖章出具。")
        else:
            success = _("解除劳动合同协议书草稿已生成：请预览后发送给劳动者签署。")
        done, errors, status = _drafted(draft, success)
        if done is not None:
            return done
    return _page(
        "contract_terminate.html",
        status,
        contract=contract,
        values=values,
        errors=errors,
        modes=TERMINATION_MODES,
        legal_bases=LEGAL_BASES,
        signing_orders=SIGNING_ORDER_LABELS,
        due_days=DUE_DAYS,
    )


@bp.route("/employer/contracts/<int:contract_id>/issue", methods=["POST"])
@login_required
def issue(actor: Actor, contract_id: int) -> BaseResponse:
    """Seal and issue an employer-only certificate (the worker is told and can download it)."""
    _employer_contract(actor, contract_id)
    _csrf()
    lifecycle().issue_certificate(actor, contract_id, client())
    flash(_("证明已盖章出具，劳动者可在其劳动合同页面查看和下载。"), "success")
    return redirect(url_for("contracts_employer.detail", contract_id=contract_id))


# -- renewal ----------------------------------------------------------------------------------


@bp.route("/employer/contracts/<int:contract_id>/renew", methods=["GET", "POST"])
@login_required
def renew(actor: Actor, contract_id: int) -> Any:
    contract = _employer_contract(actor, contract_id)
    values = {"term.kind": "fixed", "signing_order": "worker_first", "due_days": "7"}
    if contract.ends_on is not None:
        values["term.start_date"] = (contract.ends_on + timedelta(days=1)).isoformat()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        _csrf()
        values = _form_values()
        term = {f.name: values.get(f.key, "").strip() or None for f in RENEWAL_TERM_FIELDS}
        changes: dict[str, Any] = {}
        if values.get("pay.monthly_amount", "").strip():
            changes["pay"] = {"monthly_amount": values["pay.monthly_amount"].strip()}
        done, errors, status = _drafted(
            lambda: lifecycle().draft_renewal(
                actor,
                contract_id,
                term=term,
                changes=changes,
                due_at=_due(values),
                signing_order=values.get("signing_order", "worker_first"),
                client=client(),
            ),
            _("续订劳动合同草稿已生成：请预览后发送给劳动者签署。"),
        )
        if done is not None:
            return done
    return _page(
        "contract_renew.html",
        status,
        contract=contract,
        term_fields=RENEWAL_TERM_FIELDS,
        values=values,
        errors=errors,
        signing_orders=SIGNING_ORDER_LABELS,
        due_days=DUE_DAYS,
    )


# -- paper copies -----------------------------------------------------------------------------


@bp.route("/employer/contracts/paper-copies")
@login_required
def paper_copies(actor: Actor) -> str:
    _agent(actor)
    show_all = request.args.get("all") == "1"
    items = lifecycle().paper_copies(actor, open_only=not show_all)
    return render_template("contract_paper_copies.html", items=items, show_all=show_all)


@bp.route("/employer/contracts/paper-copies/<int:request_id>/print")
@login_required
def print_file(actor: Actor, request_id: int) -> BaseResponse:
    _agent(actor)
    name, pdf = lifecycle().print_file(actor, request_id)
    return file_response(pdf, "application/pdf", name)


@bp.route("/employer/contracts/paper-copies/<int:request_id>/printed", methods=["POST"])
@login_required
def printed(actor: Actor, request_id: int) -> BaseResponse:
    _agent(actor)
    _csrf()
    lifecycle().mark_printed(actor, request_id, client())
    flash(_("已标记为打印盖章。"), "success")
    return redirect(url_for("contract_lifecycle.paper_copies"))


@bp.route("/employer/contracts/paper-copies/<int:request_id>/handed-over", methods=["POST"])
@login_required
def handed_over(actor: Actor, request_id: int) -> BaseResponse:
    _agent(actor)
    _csrf()
    try:
        lifecycle().mark_handed_over(actor, request_id, request.form.get("note", ""), client())
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(_("已标记为交付劳动者。"), "success")
    return redirect(url_for("contract_lifecycle.paper_copies"))


def _worker(actor: Actor) -> Actor:
    if WORKER not in actor.roles:
        abort(404)
    return actor


@bp.route("/portal/contracts/<int:contract_id>/paper-copy", methods=["POST"])
@login_required
def request_paper_copy(actor: Actor, contract_id: int) -> Any:
    from web.contracts_worker import _page as worker_page

    contract = contract_or_404(_worker(actor), contract_id)
    _csrf()
    try:
        lifecycle().request_paper_copy(
            actor,
            contract_id,
            delivery=request.form.get("delivery", ""),
            address=request.form.get("address", ""),
            client=client(),
        )
    except ValidationError as exc:
        errors = {f"paper_copy.{p.pointer.strip('/')}": p.message for p in exc.problems}
        return worker_page(contract, 422, errors)
    except ConflictError as exc:
        return worker_page(contract, 409, {"paper_copy.delivery": exc.message})
    flash(_("已申请纸质文本：用人单位打印盖章后免费交付给您。"), "success")
    return redirect(url_for("contracts_worker.detail", contract_id=contract_id) + "#paper-copy")


@bp.route("/portal/contracts/paper-copies/<int:request_id>/cancel", methods=["POST"])
@login_required
def cancel_paper_copy(actor: Actor, request_id: int) -> BaseResponse:
    _worker(actor)
    _csrf()
    contract_id = lifecycle().cancel_paper_copy(actor, request_id, client())
    flash(_("已撤回纸质文本申请。"), "success")
    return redirect(url_for("contracts_worker.detail", contract_id=contract_id) + "#paper-copy")
