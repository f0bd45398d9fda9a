"""The parties' portal: real-name sign-up (resident ID + SMS code) and the user's own cases.

Workers apply for arbitration online (web/portal_claims.py); workers and employers' agents
follow their cases, hand in evidence and file a defence (web/portal_cases.py).

Server-rendered and usable without JavaScript: "get code" is a submit button of the sign-up
form itself, so the page comes back with what was typed (except passwords) and a message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField, StringField

from web.auth import client_ip, registration, remember, system
from web.timeline import status_label
from web.ui import login_required
from workflows.audit import Actor
from workflows.errors import FieldProblem, RateLimitedError, SmsUnavailableError, ValidationError
from workflows.registration import CODE_TTL, signup_problems

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

SEND_CODE = "send_code"
REGISTER = "register"


class SignupForm(FlaskForm):
    """The fields of a sign-up; the rules live in workflows.registration (one place, also for the API)."""

    name = StringField("姓名")
    resident_id = StringField("公民身份号码")
    phone = StringField("手机号码")
    code = StringField("短信验证码")
    password = PasswordField("密码")
    password_confirm = PasswordField("确认密码")


def _field_errors(problems: list[FieldProblem]) -> dict[str, list[str]]:
    """Domain problems by form field ("/resident_id" -> "resident_id")."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.pointer.lstrip("/").split("/")[0] or "form", []).append(p.message)
    return errors


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    form = SignupForm()
    errors: dict[str, list[str]] = {}
    status = 200
    headers: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():  # the form has no validators: only the CSRF token
            abort(400, "CSRF")
        service = registration()
        action = request.form.get("action", REGISTER)
        try:
            if action == SEND_CODE:
                sent = service.request_phone_code(form.phone.data or "", client_ip=client_ip())
                minutes = int(CODE_TTL.total_seconds() // 60)
                flash(
                    _(
                        "验证码已发送至 %(phone)s，%(minutes)s 分钟内有效。",
                        phone=sent.phone_masked,
                        minutes=minutes,
                    ),
                    "success",
                )
            else:
                password = form.password.data or ""
                problems = signup_problems(
                    form.name.data or "",
                    form.resident_id.data or "",
                    form.phone.data or "",
                    form.code.data or "",
                    password,
                )
                if password != (form.password_confirm.data or ""):
                    problems.append(FieldProblem("/password_confirm", _("两次输入的密码不一致")))
                if problems:
                    raise ValidationError(_("请更正标出的内容"), problems)
                worker = service.register_worker(
                    name=form.name.data or "",
                    resident_id=form.resident_id.data or "",
                    phone=form.phone.data or "",
                    code=form.code.data or "",
                    password=password,
                    client_ip=client_ip(),
                    user_agent=request.user_agent.string,
                )
                remember(worker.actor)
                flash(_("注册成功。今后请用手机号 %(phone)s 和密码登录。", phone=worker.username), "success")
                return redirect(url_for("portal.home"))
        except ValidationError as exc:
            errors = _field_errors(exc.problems)
            flash(exc.message, "error")
            status = 422
        except RateLimitedError as exc:
            flash(exc.message, "error")
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except SmsUnavailableError as exc:
            flash(exc.message, "error")
            status = 503
    page = render_template("portal_signup.html", form=form, errors=errors)
    return make_response(page, status, headers)


@bp.route("")
@login_required
def home(actor: Actor) -> str:
    """The user's own cases (a party sees only the cases it takes part in), and the way to apply."""
    items, total = system().cases.list_cases(actor)
    return render_template("portal_home.html", cases=items, total=total, status_label=status_label)


@bp.route("/")
def home_slash() -> BaseResponse:
    return redirect(url_for("portal.home"))


# the claim form and the case pages add their routes to this blueprint
from web import portal_cases, portal_claims  # noqa: E402, F401
