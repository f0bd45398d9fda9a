"""Hearing calendar and scheduling pages (调解仲裁法 art.35), server-rendered, no JavaScript.

The calendar shows a week of the commission's rooms × days × am/pm and which arbitrators sit
when, with links to the cases.  The scheduling page belongs to a case's `notify_hearing` task:
pick a room, date and session (free slots are offered as links that fill the form), and the
hearing is booked and the task completed — the 开庭通知书 follows — in one transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from web.auth import system
from web.portal_forms import field_errors
from web.ui import ActionForm, login_required
from workflows.audit import Actor
from workflows.errors import ConflictError, FieldProblem, ValidationError
from workflows.hearings import (
    NOTIFY_HEARING_TASK,
    SESSION_TIMES,
    HearingService,
    Slot,
    TribunalNotResolvedError,
)
from workflows.models import HEARING_SESSIONS

bp = Blueprint("hearings", __name__, template_folder="templates")

#: how many days of free slots the scheduling page lists at a time
SLOT_WINDOW_DAYS = 14


def hearings() -> HearingService:
    """The hearing service of the app's system."""
    return system().hearings


def _date_arg(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.app_context_processor
def hearing_globals() -> dict[str, Any]:
    return {"session_times": SESSION_TIMES, "notify_hearing_task": NOTIFY_HEARING_TASK}


@bp.route("/hearings")
@login_required
def calendar(actor: Actor) -> str:
    """A week (Monday to Sunday) of rooms and arbitrators; `?start=` any day of the week to show."""
    service = hearings()
    day = _date_arg(request.args.get("start")) or service.today()
    monday = day - timedelta(days=day.weekday())
    week = service.calendar(actor, monday, monday + timedelta(days=6))
    return render_template(
        "hearing_calendar.html",
        week=week,
        sessions=HEARING_SESSIONS,
        today=service.today(),
        previous=(monday - timedelta(days=7)).isoformat(),
        following=(monday + timedelta(days=7)).isoformat(),
    )


@bp.route("/hearings/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def schedule(actor: Actor, task_id: str) -> Any:
    """Schedule the hearing of a case's `notify_hearing` task (GET pre-fills from the query)."""
    service = hearings()
    task = system().tasks.get_task(actor, task_id)  # read access, else not found
    if task.name != NOTIFY_HEARING_TASK:
        return redirect(url_for("ui.task", task_id=task_id))
    if task.state != "open":
        flash(_("该任务已办结。"), "error")
        return redirect(url_for("ui.case_detail", case_id=task.case_id))
    source = request.form if request.method == "POST" else request.args
    values = {k: source.get(k, "").strip() for k in ("room_id", "hearing_date", "session", "served_on")}
    values["served_on"] = values["served_on"] or service.today().isoformat()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400, "CSRF")
        try:
            done = service.schedule(actor, task_id, **_parsed(values))
        except ValidationError as exc:
            flash(exc.message, "error")
            errors, status = field_errors(exc.problems), 422
        except ConflictError as exc:
            flash(exc.message, "error")
            status = 409
        else:
            b = done.booking
            when = f"{b.hearing_date.isoformat()} {b.time}"
            flash(
                _("已安排开庭：%(when)s，%(room)s；开庭通知书随后送达。", when=when, room=b.room_name),
                "success",
            )
            return redirect(url_for("ui.case_detail", case_id=task.case_id))
    served_on = _date_arg(values["served_on"]) or service.today()
    try:
        view = service.scheduling(actor, task_id, served_on)
    except TribunalNotResolvedError as exc:  # the tribunal's names must be put right first
        message = "；".join([exc.message, *(p.message for p in exc.problems)])
        back = url_for("ui.case_detail", case_id=task.case_id)
        return make_response(render_template("error.html", message=message, back=back), 422)
    start = _date_arg(request.args.get("from")) or view.earliest_date or service.today()
    end = start + timedelta(days=SLOT_WINDOW_DAYS - 1)
    rows: dict[tuple[date, str], dict[int, Slot]] = {}
    for slot in service.free_slots(actor, task_id, start, end, served_on):
        rows.setdefault((slot.hearing_date, slot.session), {})[slot.room_id] = slot
    page = render_template(
        "hearing_schedule.html",
        view=view,
        slot_rows=sorted(rows.items()),
        sessions=HEARING_SESSIONS,
        values=values,
        errors=errors,
        window=(start, end),
        later=(end + timedelta(days=1)).isoformat(),
    )
    return make_response(page, status)


def _parsed(values: dict[str, str]) -> dict[str, Any]:
    """Typed form values; what cannot be typed is reported at its field, all at once."""
    problems = []
    room_id = int(values["room_id"]) if values["room_id"].isdigit() else None
    if room_id is None:
        problems.append(FieldProblem("/room_id", _("请选择开庭场所")))
    parsed_dates = {}
    for name in ("hearing_date", "served_on"):
        parsed_dates[name] = _date_arg(values[name])
        if parsed_dates[name] is None:
            problems.append(FieldProblem(f"/{name}", _("请填写日期（YYYY-MM-DD）")))
    if values["session"] not in HEARING_SESSIONS:
        problems.append(FieldProblem("/session", _("请选择上午或下午")))
    if problems:
        raise ValidationError(_("开庭安排有误"), problems)
    return {"room_id": room_id, "session": values["session"], **parsed_dates}
