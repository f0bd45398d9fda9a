"""The case UI: login with one-time code, inbox, cases, task forms, display settings (server-rendered).

The worker portal (sign-up, own cases) is web/portal.py and shares the login and templates.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from web.auth import remember, system, ui_actor
from web.forms import fields_of, read_form
from web.i18n import LANGUAGES
from web.portal_forms import field_errors
from web.problems import status_for
from web.timeline import party_label
from workflows.access import CaseAccessDeniedError
from workflows.audit import Actor
from workflows.errors import (
    AuthenticationError,
    ConflictError,
    LaborcaseError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.identity import authenticate
from workflows.roles import is_staff, role_label
from workflows.statutes import RULES

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

F = TypeVar("F", bound=Callable[..., Any])

BPMN_VIEWER = "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"
FONT_COOKIE = "font"
FONT_MODES = ("large", "standard")


class LoginForm(FlaskForm):
    username = StringField("用户名或手机号", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=256)])
    totp = StringField("动态验证码", validators=[Optional(), Regexp(r"^\d{6}$", message="6位数字")])


class ActionForm(FlaskForm):
    """A bare form: only its CSRF token (claim, logout and task forms carry it)."""


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = ui_actor()
        if actor is None:
            return redirect(url_for("ui.login", next=request.path))
        return view(actor, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.app_context_processor
def globals_for_templates() -> dict[str, Any]:
    return {
        "current_actor": ui_actor(),
        "role_label": role_label,
        "action_form": ActionForm(formdata=None),  # renders the token; never reads the request
        "get_locale": get_locale,
        "is_staff": is_staff,
        "large_font": request.cookies.get(FONT_COOKIE) == "large",
    }


def render_error(error: LaborcaseError) -> Response:
    """The error page; a case the actor may not see is reported as absent (404), like the API."""
    status = 404 if isinstance(error, CaseAccessDeniedError) else status_for(error)
    message = _("未找到，或您无权查看。") if status == 404 else error.message
    return make_response(render_template("error.html", message=message), status)


def render_too_large(limit: int) -> Response:
    """The page for an upload larger than the server reads at all; back to where it came from."""
    back = _same_site_path(request.referrer) or url_for("ui.index")
    message = _(
        "上传的文件合计超过 %(mb)s MB，没有保存任何内容。请减少文件数量或压缩后重新提交。",
        mb=limit // (1024 * 1024),
    )
    return make_response(render_template("error.html", message=message, back=back), 413)


@bp.route("/")
def index() -> BaseResponse:
    actor = ui_actor()
    return redirect(home_for(actor) if actor else url_for("ui.inbox"))


@bp.route("/lang/<code>")
def set_language(code: str) -> BaseResponse:
    if code not in LANGUAGES:
        abort(404)
    response = redirect(request.referrer or url_for("ui.inbox"))
    response.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@bp.route("/display/<mode>")
def set_font(mode: str) -> BaseResponse:
    """Large-font mode for older or low-vision users: a cookie read by base.html (no JavaScript)."""
    if mode not in FONT_MODES:
        abort(404)
    response = redirect(_same_site_path(request.referrer) or url_for("ui.index"))
    response.set_cookie(FONT_COOKIE, mode, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def _same_site_path(url: str | None) -> str | None:
    """The path (and query) of `url` if it points at this site, so a redirect never leaves it."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def home_for(actor: Actor) -> str:
    """Where a user lands after login: staff at their inbox, parties in the portal."""
    return url_for("ui.inbox") if is_staff(actor.roles) else url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        sys = system()
        try:
            with sys.db.transaction() as s:
                actor = authenticate(
                    s,
                    form.username.data or "",
                    form.password.data or "",
                    form.totp.data or None,
                    sys.settings.secret_key,
                    sys.settings.require_totp_for_staff,
                )
        except AuthenticationError as exc:
            flash(exc.message, "error")
        else:
            remember(actor)
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = home_for(actor)
            return redirect(target)
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    ActionForm().validate_on_submit()
    session.clear()
    return redirect(url_for("ui.login"))


@bp.route("/inbox")
@login_required
def inbox(actor: Actor) -> str:
    tasks = system().tasks.inbox(actor, mine=request.args.get("mine") == "1")
    return render_template("inbox.html", tasks=tasks)


@bp.route("/cases")
@login_required
def cases(actor: Actor) -> str:
    query = request.args.get("q", "")[:100] or None
    items, total = system().cases.list_cases(actor, query=query)
    return render_template("cases.html", cases=items, total=total, q=query or "")


@bp.route("/cases/<int:case_id>")
@login_required
def case_detail(actor: Actor, case_id: int) -> Response:
    return case_page(actor, case_id)


def case_page(
    actor: Actor,
    case_id: int,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    """The staff case page (also after a refused form: its message and what was typed)."""
    sys = system()
    case = sys.cases.get_case(actor, case_id)
    deadlines = sys.deadlines.for_case(actor, case_id)
    history = sys.cases.history(actor, case_id)
    diagram = sys.diagrams.for_case(actor, case_id)
    evidence = sys.evidence.for_case(actor, case_id) if sys.evidence is not None else []
    page = render_template(
        "case.html",
        case=case,
        deadlines=deadlines,
        extendable=_extendable(actor, deadlines),
        history=history,
        evidence=evidence,
        diagram=diagram,
        diagram_viewer=BPMN_VIEWER if diagram_viewer_installed() else None,
        messages=sys.case_messages.for_case(actor, case_id),
        services=sys.service_receipts.for_case(actor, case_id),
        ratings=sys.ratings.for_case(actor, case_id),
        party_label=party_label,
        values=values or {},
        errors=errors or {},
    )
    return make_response(page, status)


def _extendable(actor: Actor, deadlines: list[Any]) -> dict[int, Any]:
    """The periods `actor` may extend (e.g. the award period by the commission head, 法43), by id."""
    out = {}
    for d in deadlines:
        rule = RULES.get(d.rule)
        if rule and rule.extension_allowed and d.state in ("running", "suspended") and rule.approver_role:
            left = None if rule.extension_max is None else rule.extension_max - d.extension_days
            if rule.approver_role in actor.roles and (left is None or left > 0):
                out[d.id] = {"rule": rule, "left": left}
    return out


@bp.route("/cases/<int:case_id>/deadlines/<int:deadline_id>/extend", methods=["POST"])
@login_required
def extend_deadline(actor: Actor, case_id: int, deadline_id: int) -> BaseResponse:
    """延长 a statutory period with the actor's approval; the rule's notice goes to the parties."""
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")
    service = system().deadlines
    if deadline_id not in {d.id for d in service.for_case(actor, case_id)}:
        abort(404)
    days = request.form.get("days", type=int)
    try:
        if days is None:
            raise ValidationError(_("请填写延长天数"))
        view = service.extend(actor, deadline_id, days, request.form.get("reason", "").strip())
    except (ValidationError, ConflictError, PermissionDeniedError) as exc:
        flash(exc.message, "error")
    else:
        due = view.due_on.isoformat()
        flash(_("已批准延长 %(days)s 日，届满日为 %(due)s", days=days, due=due), "success")
    return redirect(url_for("ui.case_detail", case_id=case_id))


@bp.route("/cases/<int:case_id>/diagram.bpmn")
@login_required
def case_diagram(actor: Actor, case_id: int) -> Response:
    """The BPMN (with DI) the case runs on, for the bpmn-js viewer on the case page."""
    diagram = system().diagrams.for_case(actor, case_id)
    response = make_response(diagram.bpmn_xml)
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def diagram_viewer_installed() -> bool:
    """bpmn-js is installed by scripts/bootstrap from npm into static/vendor (not in git)."""
    return (Path(bp.static_folder or "") / BPMN_VIEWER).is_file()


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(actor: Actor, task_id: str) -> Any:
    sys = system()
    view = sys.tasks.get_task(actor, task_id)
    if view.name == "notify_hearing" and view.state == "open":  # scheduled through rooms and calendars
        return redirect(url_for("hearings.schedule", task_id=task_id))
    form = ActionForm()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "CSRF")
        values = read_form(view.form_schema, request.form)
        try:
            sys.tasks.complete(actor, task_id, values)
        except ValidationError as exc:
            errors = {p.pointer.lstrip("/").split("/")[0]: p.message for p in exc.problems}
            flash(exc.message, "error")
        except ConflictError as exc:
            flash(exc.message, "error")
        else:
            flash(_("任务已完成：%(title)s", title=view.title), "success")
            return redirect(url_for("ui.case_detail", case_id=view.case_id))
    return render_template(
        "task.html",
        task=view,
        briefing=sys.briefings.for_task(actor, task_id),
        fields=fields_of(view.form_schema),
        errors=errors,
        values=values,
    )


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim(actor: Actor, task_id: str) -> BaseResponse:
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")
    try:
        system().tasks.claim(actor, task_id)
        flash(_("已签收任务"), "success")
    except ConflictError as exc:
        flash(exc.message, "error")
    return redirect(url_for("ui.task", task_id=task_id))


@bp.route("/cases/<int:case_id>/messages", methods=["POST"])
@login_required
def send_case_message(actor: Actor, case_id: int) -> Any:
    """Staff write to the case's parties (all, or one); parties read it on their portal case page."""
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")
    body = request.form.get("body", "")
    party = request.form.get("party_id", "")
    try:
        system().case_messages.send(actor, case_id, body, int(party) if party.isdigit() else None)
    except ValidationError as exc:
        flash(exc.message, "error")
        values = {"body": body, "party_id": party}
        return case_page(actor, case_id, status=422, values=values, errors=field_errors(exc.problems))
    flash(_("消息已发送"), "success")
    return redirect(url_for("ui.case_detail", case_id=case_id) + "#messages")
