"""Portal: a worker applies for arbitration online — the guided claim form (no JavaScript needed).

The form has a fixed number of claim rows and evidence rows (empty ones are ignored).  The
employer can be looked up first (a separate GET form, by name or unified social credit code);
a match is picked with a radio button, otherwise name and code are typed.  Every rule is the
domain's (workflows.filing); problems come back next to their fields.  Browsers never send a
chosen file twice, so after a refused submission the page asks to choose the files again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

from web.auth import system
from web.portal import bp
from web.portal_forms import field_errors
from web.ui import ActionForm, login_required
from web.uploads import upload_of
from workflows.audit import Actor
from workflows.errors import FileTooLargeError, PermissionDeniedError, ValidationError
from workflows.filing import CLAIM_TYPES, ClaimFiling, ClaimLine, EvidenceLine
from workflows.roles import WORKER

CLAIM_ROWS = 5
EVIDENCE_ROWS = 5


def filing_from(form: MultiDict[str, str], files: MultiDict[str, FileStorage]) -> ClaimFiling:
    """The typed form as the domain's command (rows as numbered fields: claims-0-amount, …)."""

    def number(name: str) -> int | None:
        raw = form.get(name, "").strip()
        return int(raw) if raw.isdigit() else None

    claims = [
        ClaimLine(
            claim_type=form.get(f"claims-{i}-claim_type", ""),
            description=form.get(f"claims-{i}-description", ""),
            amount=form.get(f"claims-{i}-amount", ""),
            period_start=form.get(f"claims-{i}-period_start", ""),
            period_end=form.get(f"claims-{i}-period_end", ""),
        )
        for i in range(CLAIM_ROWS)
    ]
    evidence = [
        EvidenceLine(
            upload_of(files.get(f"evidence-{i}-file"), form.get(f"evidence-{i}-description", "")),
            form.get(f"evidence-{i}-description", ""),
        )
        for i in range(EVIDENCE_ROWS)
    ]
    return ClaimFiling(
        commission_id=number("commission_id"),
        applicant_address=form.get("applicant_address", ""),
        employer_name=form.get("employer_name", ""),
        employer_uscc=form.get("employer_uscc", ""),
        employer_address=form.get("employer_address", ""),
        facts=form.get("facts", ""),
        claims=claims,
        evidence=evidence,
        employer_id=number("employer_id"),
    )


@bp.route("/claims/new", methods=["GET", "POST"])
@login_required
def new_claim(actor: Actor) -> Any:
    """The claim form (GET, with an optional employer lookup) and its submission (POST)."""
    if WORKER not in actor.roles:
        raise PermissionDeniedError(_("只有劳动者本人可以在网上申请仲裁。"))
    sys = system()
    query = request.args.get("employer_q", "")[:100]
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():  # (a body over the size limit never gets here)
            abort(400, "CSRF")
        values = request.form.to_dict()
        query = values.get("employer_q", "")[:100]
        try:
            view = sys.filing.file_claim(actor, filing_from(request.form, request.files))
        except ValidationError as exc:
            errors = field_errors(exc.problems)
            flash(exc.message, "error")
            status = 413 if isinstance(exc, FileTooLargeError) else 422
        else:
            flash(
                _(
                    "仲裁申请已提交，案号 %(number)s。仲裁委员会将在五日内决定是否受理，结果会显示在本页。",
                    number=view.case_number,
                ),
                "success",
            )
            return redirect(url_for("portal.case_page", case_id=view.id))
    return _page(query, values, errors, status)


def _page(query: str, values: dict[str, str], errors: dict[str, list[str]], status: int) -> Any:
    sys = system()
    commissions = sys.filing.commissions()
    if not values.get("commission_id") and len(commissions) == 1:
        values["commission_id"] = str(commissions[0].id)
    page = render_template(
        "portal_claim_new.html",
        commissions=commissions,
        claim_types=CLAIM_TYPES,
        matches=sys.filing.find_employers(query) if query else [],
        query=query,
        values=values,
        errors=errors,
        claim_rows=range(CLAIM_ROWS),
        evidence_rows=range(EVIDENCE_ROWS),
        max_mb=sys.settings.evidence_max_bytes // (1024 * 1024),
        resubmit=request.method == "POST",
    )
    return make_response(page, status)
