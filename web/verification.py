"""The public verification page (文书核验): open a document's QR link, type its code, or upload a PDF.

No login: anyone holding a document may check it.  The page shows what our records say (issued,
revoked, superseded) and, for an upload, who sealed or signed it, when, and whether it is intact.
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from web.auth import issuing, system
from workflows.contract_views import ContractPublicRecord, ContractViews
from workflows.errors import DocumentRejectedError, NotFoundError
from workflows.issuing import PublicRecord, UploadCheck

bp = Blueprint("verification", __name__, template_folder="templates")


class CodeForm(FlaskForm):
    code = StringField(
        "核验码", validators=[DataRequired(), Length(min=6, max=20), Regexp(r"^[0-9A-Za-z\- ]+$")]
    )


class UploadForm(FlaskForm):
    file = FileField("PDF 文件", validators=[FileRequired()])


@bp.route("/verify", methods=["GET", "POST"])
def verify_form() -> Any:
    code_form, upload_form = CodeForm(prefix="c"), UploadForm(prefix="u")
    check: UploadCheck | None = None
    error: str | None = None
    if request.method == "GET" and request.args.get("code"):  # a labour contract's QR link: ?code=
        return redirect(url_for("verification.verify_code", code=request.args["code"].strip()))
    if request.method == "POST":
        if "c-code" in request.form and code_form.validate_on_submit():
            code = (code_form.code.data or "").strip()
            return redirect(url_for("verification.verify_code", code=code))
        if upload_form.validate_on_submit():
            try:
                check = issuing().check_upload(upload_form.file.data.read())
            except DocumentRejectedError as exc:
                error = exc.message
        elif not code_form.errors:
            error = _("请选择要核验的 PDF 文件")
    status = 422 if error else 200
    return (
        render_template(
            "verify.html",
            code_form=code_form,
            upload_form=upload_form,
            check=check,
            error=error,
            record=None,
            contract=None,
        ),
        status,
    )


@bp.route("/verify/<code>")
def verify_code(code: str) -> Any:
    record: PublicRecord | None = None
    contract: ContractPublicRecord | None = None
    # Labour contracts' codes are "LC" + 10 characters (workflows.contracts); a formal document's
    # 10-character code may start with "LC" too, so a code is looked up as either.
    try:
        record = issuing().lookup(code)
    except NotFoundError:
        with contextlib.suppress(NotFoundError):
            contract = ContractViews(system().db).public_record(code)
    page = render_template(
        "verify.html",
        code_form=CodeForm(prefix="c", formdata=None, data={"code": code}),
        upload_form=UploadForm(prefix="u"),
        check=None,
        error=None if record or contract else _("未找到该核验码对应的文书"),
        record=record,
        contract=contract,
        code=code,
    )
    return page, (200 if record or contract else 404)
