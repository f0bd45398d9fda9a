"""Employer pages for labour-contract templates (/employer/contract-templates): list, create,
edit (each save a new version), version history, preview as the final PDF (样本), retire.

The edit form carries the version it was opened on (`base_version`, hidden): saving over a
version someone else saved meanwhile is refused with a request to reload, never a lost edit.
Problems are shown beside their fields (pointers /title, /content/… of the domain's
ValidationError).  Another employer's template is answered as absent (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from web.contract_pages import pdf_inline, template_service
from web.contracts_employer import FIELDS
from web.ui import ActionForm, login_required
from workflows.audit import Actor
from workflows.contract_clauses import CLAUSES
from workflows.contract_template_service import (
    ALLOWED_DEFAULTS,
    CHOICES,
    TemplateDetail,
    editable_closing,
    electronic_form_article,
)
from workflows.errors import ConflictError, FieldProblem, ValidationError
from workflows.roles import EMPLOYER_AGENT

bp = Blueprint(
    "contract_templates", __name__, url_prefix="/employer/contract-templates", template_folder="templates"
)

_LABELS = {f.key: f.label for f in FIELDS}
_EXTRA_LABELS = {
    "working_time.hours_per_day": "每日工作时间（小时，标准工时制）",
    "working_time.hours_per_week": "每周工作时间（小时，标准工时制）",
    "pay.other": "其他劳动报酬约定",
}
CLAUSE_NAMES = {c.key: c.citation for c in CLAUSES}


@dataclass(frozen=True)
class DefaultField:
    """One preset clause value on the edit form."""

    clause: str
    name: str
    label: str
    kind: str  # text | textarea | number | select
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"defaults.{self.clause}.{self.name}"


def _default_fields() -> tuple[tuple[str, tuple[DefaultField, ...]], ...]:
    groups = []
    for clause, names in ALLOWED_DEFAULTS.items():
        fields = []
        for name, kind in names.items():
            key = f"{clause}.{name}"
            label = _LABELS.get(key) or _EXTRA_LABELS.get(key, name)
            choices = tuple(CHOICES.get((clause, name), {}).items())
            shown = "select" if choices else ("number" if kind in ("integer", "number") else "text")
            if shown == "text" and clause in ("social_insurance", "protection", "working_time", "pay"):
                shown = "textarea" if name not in ("approval",) else "text"
            fields.append(DefaultField(clause, name, label, shown, choices))
        groups.append((clause, tuple(fields)))
    return tuple(groups)


DEFAULT_FIELDS = _default_fields()


def _agent(actor: Actor) -> Actor:
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        abort(404)
    return actor


def _csrf() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def form_values(detail: TemplateDetail) -> dict[str, str]:
    """The edit form filled from a version."""
    c = detail.content
    values = {
        "base_version": str(detail.latest_version),
        "title": detail.version.title,
        "subtitle": c.get("subtitle") or "",
        "preamble": "\n".join(c.get("preamble") or []),
        "closing": "\n".join(editable_closing(c)),
        "other_terms": "\n".join((c.get("defaults") or {}).get("other_terms") or []),
    }
    for section in c.get("sections") or []:
        values[f"section.{section['clause']}.heading"] = section.get("heading") or ""
        values[f"section.{section['clause']}.text"] = "\n".join(section.get("text") or [])
    for clause, fields in (c.get("defaults") or {}).items():
        if isinstance(fields, dict):
            for name, value in fields.items():
                values[f"defaults.{clause}.{name}"] = "" if value is None else str(value)
    return values


def content_from(values: dict[str, str]) -> dict[str, Any]:
    """The template content from the submitted form."""
    defaults: dict[str, Any] = {}
    for _clause, fields in DEFAULT_FIELDS:
        for f in fields:
            raw = values.get(f.key, "").strip()
            if raw:
                defaults.setdefault(f.clause, {})[f.name] = raw
    terms = _lines(values.get("other_terms", ""))
    if terms:
        defaults["other_terms"] = terms
    return {
        "subtitle": values.get("subtitle", "").strip() or None,
        "preamble": _lines(values.get("preamble", "")),
        "sections": [
            {
                "clause": c.key,
                "heading": values.get(f"section.{c.key}.heading", ""),
                "text": _lines(values.get(f"section.{c.key}.text", "")),
            }
            for c in CLAUSES
        ],
        "closing": _lines(values.get("closing", "")),
        "defaults": defaults,
    }


def errors_by_field(problems: list[FieldProblem]) -> dict[str, list[str]]:
    """Domain pointers by form field: /content/defaults/pay/payday -> defaults.pay.payday."""
    errors: dict[str, list[str]] = {}
    clause_keys = [c.key for c in CLAUSES]
    for p in problems:
        parts = [x for x in p.pointer.split("/") if x]
        if parts and parts[0] == "content":
            parts = parts[1:]
        field = "form"
        if parts and parts[0] in ("title", "subtitle", "preamble", "closing"):
            field = parts[0]
        elif parts[:1] == ["sections"] and len(parts) >= 2:
            clause = clause_keys[int(parts[1])] if parts[1].isdigit() and int(parts[1]) < 8 else parts[1]
            part = "text" if len(parts) >= 3 and parts[2] == "text" else "heading"
            field = f"section.{clause}.{part}"
        elif parts[:2] == ["defaults", "other_terms"]:
            field = "other_terms"
        elif parts[:1] == ["defaults"] and len(parts) >= 3:
            field = f"defaults.{parts[1]}.{parts[2]}"
        errors.setdefault(field, []).append(p.message)
    return errors


@bp.route("")
@login_required
def index(actor: Actor) -> str:
    items = template_service().list(_agent(actor))
    return render_template("contract_templates_list.html", items=items, errors={}, values={})


@bp.route("/new", methods=["POST"])
@login_required
def new(actor: Actor) -> Any:
    _agent(actor)
    _csrf()
    service = template_service()
    try:
        detail = service.create(
            actor, title=request.form.get("title", ""), copy_of=request.form.get("copy_of") or None
        )
    except ValidationError as exc:
        flash(exc.message, "error")
        page = render_template(
            "contract_templates_list.html",
            items=service.list(actor),
            errors=errors_by_field(exc.problems),
            values=request.form,
        )
        return make_response(page, 422)
    flash(_("已新建合同模板：请修改条款后保存。"), "success")
    return redirect(url_for("contract_templates.edit", template_key=detail.version.template_key))


@bp.route("/<string:template_key>")
@login_required
def detail(actor: Actor, template_key: str) -> str:
    version = request.args.get("version", type=int)
    found = template_service().get(_agent(actor), template_key, version)
    return render_template(
        "contract_template_detail.html",
        detail=found,
        clause_names=CLAUSE_NAMES,
        fixed=electronic_form_article(),
    )


def _edit_page(
    detail: TemplateDetail, values: dict[str, str], errors: dict[str, list[str]], status: int
) -> Any:
    page = render_template(
        "contract_template_edit.html",
        detail=detail,
        values=values,
        errors=errors,
        clauses=CLAUSES,
        clause_names=CLAUSE_NAMES,
        default_fields=DEFAULT_FIELDS,
        fixed=electronic_form_article(),
    )
    return make_response(page, status)


@bp.route("/<string:template_key>/edit", methods=["GET", "POST"])
@login_required
def edit(actor: Actor, template_key: str) -> Any:
    service = template_service()
    current = service.get(_agent(actor), template_key)
    if request.method == "GET":
        return _edit_page(current, form_values(current), {}, 200)
    _csrf()
    values = {k: str(v) for k, v in request.form.items() if k != "csrf_token"}
    base = values.get("base_version", "")
    try:
        saved = service.revise(
            actor,
            template_key,
            base_version=int(base) if base.isdigit() else 0,
            title=values.get("title", ""),
            content=content_from(values),
        )
    except ValidationError as exc:
        flash(exc.message, "error")
        return _edit_page(current, values, errors_by_field(exc.problems), 422)
    except ConflictError as exc:  # TemplateChangedError: saved by someone else meanwhile; or retired
        flash(exc.message, "error")
        return _edit_page(current, values, {"form": [exc.message]}, 409)
    flash(
        _("已保存为第 %(version)s 版；已起草的合同仍使用原版本。", version=saved.version.version), "success"
    )
    return redirect(url_for("contract_templates.detail", template_key=template_key))


@bp.route("/<string:template_key>/preview")
@login_required
def preview(actor: Actor, template_key: str) -> BaseResponse:
    version = request.args.get("version", type=int)
    pdf = template_service().preview(_agent(actor), template_key, version)
    return pdf_inline(pdf, f"template-{template_key}-sample.pdf")


@bp.route("/<string:template_key>/retire", methods=["POST"])
@login_required
def retire(actor: Actor, template_key: str) -> BaseResponse:
    _agent(actor)
    _csrf()
    template_service().retire(actor, template_key)
    flash(_("模板已停用：不能再用它起草新合同，已起草的合同不受影响。"), "success")
    return redirect(url_for("contract_templates.detail", template_key=template_key))


@bp.route("/<string:template_key>/unretire", methods=["POST"])
@login_required
def unretire(actor: Actor, template_key: str) -> BaseResponse:
    _agent(actor)
    _csrf()
    template_service().unretire(actor, template_key)
    flash(_("模板已恢复使用。"), "success")
    return redirect(url_for("contract_templates.detail", template_key=template_key))
