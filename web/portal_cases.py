"""Portal: one case as its parties see it — progress in plain words, documents, evidence, defence.

A worker (applicant) and an employer's agent (respondent) share the page; what differs is
what they may do: both may hand in further evidence while the case is open, the respondent
files its defence (答辩书) while the case waits for it.  Both read the commission's messages
and reply to them, sign for the documents served on them (电子送达签收) and rate each
completed service step (好差评).  A case the user is no party to is answered as absent (404),
like every other case page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from web.auth import client_ip, evidence, issuing, system
from web.downloads import file_response
from web.portal import bp
from web.portal_forms import field_errors
from web.timeline import hearing_notice, party_label, plain_timeline, status_label
from web.ui import ActionForm, login_required
from web.uploads import upload_of
from workflows.audit import Actor
from workflows.case_messages import MAX_BODY
from workflows.claim_types import PAYMENT_ORDER, claim_type_label
from workflows.errors import (
    ConflictError,
    FieldProblem,
    FileRejectedError,
    FileTooLargeError,
    NotFoundError,
    ValidationError,
)
from workflows.evidence import Upload
from workflows.ratings import MAX_COMMENT, MAX_SCORE, MIN_SCORE
from workflows.statutes import RULES

DEFENCE_ROWS = 3
OPEN_STATES = ("open", "suspended")


@dataclass(frozen=True)
class NextStep:
    """What happens next on the case, and by when (where the law or the process says)."""

    text: str
    due: date | datetime | None = None
    task_id: str | None = None  # the viewer's own task: a link to it


def _next_steps(actor: Actor, case: Any, deadlines: list[Any], defence: Any) -> list[NextStep]:
    due_by_task = {d.human_task_id: d for d in deadlines if d.human_task_id and d.state == "running"}
    steps: list[NextStep] = []
    for t in case.open_tasks:
        if t["candidate_role"] in actor.roles:  # a party's own task (e.g. 补正申请材料)
            steps.append(NextStep(_("请您办理：%(title)s", title=t["title"]), t["due_at"], t["id"]))
            continue
        deadline = due_by_task.get(t["id"])
        rule = RULES.get(deadline.rule) if deadline else None
        text = _("仲裁委员会正在办理：%(title)s", title=t["title"])
        if rule is not None:
            text += _("（%(label)s，%(basis)s）", label=rule.label, basis=rule.legal_basis)
        steps.append(NextStep(text, deadline.due_on if deadline else t["due_at"]))
    if defence.awaiting:
        text = (
            _("请在答辩期内提交答辩书（收到仲裁申请书副本之日起十日内，调解仲裁法第三十条）")
            if defence.may_file
            else _("等待被申请人提交答辩书（收到仲裁申请书副本之日起十日内）")
        )
        steps.append(NextStep(text, defence.due_on or defence.wait_ends_at))
    return steps


def _my_party(actor: Actor, case: Any) -> dict[str, Any] | None:
    for p in case.parties:
        if p["user_id"] == actor.user_id or (
            actor.organisation_id is not None and p["organisation_id"] == actor.organisation_id
        ):
            return dict(p)
    return None


def render_case(
    actor: Actor,
    case_id: int,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Any:
    """The case page (also after a refused defence or upload, with its messages)."""
    sys = system()
    case = sys.cases.get_case(actor, case_id)  # strangers: 404
    history = sys.cases.history(actor, case_id)
    documents = sys.issuing.for_case(actor, case_id) if sys.issuing is not None else []
    items = sys.evidence.for_case(actor, case_id) if sys.evidence is not None else []
    defence = sys.defence.status(actor, case_id)
    deadlines = sys.deadlines.for_case(actor, case_id)
    messages = sys.case_messages.for_case(actor, case_id)
    steps = sys.ratings.steps(actor, case_id)
    page = render_template(
        "portal_case.html",
        case=case,
        status_text=status_label(case.status),
        me=_my_party(actor, case),
        steps=_next_steps(actor, case, deadlines, defence),
        hearing=hearing_notice(history),
        timeline=plain_timeline(history, {f"document:{d.id}": d.title for d in documents}),
        documents=[d for d in documents if d.state in ("issued", "revoked", "superseded")],
        service={d.document_id: d for d in sys.service_receipts.for_case(actor, case_id)},
        messages=messages,
        unread=sum(1 for m in messages if m.unread),
        to_rate=[s for s in steps if s.rating is None],
        rated=[s for s in steps if s.rating is not None],
        scores=range(MAX_SCORE, MIN_SCORE - 1, -1),
        max_body=MAX_BODY,
        max_comment=MAX_COMMENT,
        evidence=items,
        defence=defence,
        can_upload=sys.evidence is not None
        and case.status in OPEN_STATES
        and _my_party(actor, case) is not None,
        can_withdraw=case.status in OPEN_STATES and (_my_party(actor, case) or {}).get("role") == "applicant",
        requests=sys.party_requests.available(actor, case_id),
        # an agreement on wages or compensation the employer does not perform: 支付令 (法16)
        payment_order=case.stage == "agreement"
        and any(c["claim_type"] in PAYMENT_ORDER for c in case.claims),
        party_label=party_label,
        claim_type_label=claim_type_label,
        values=values or {},
        errors=errors or {},
        defence_rows=range(DEFENCE_ROWS),
        max_mb=sys.settings.evidence_max_bytes // (1024 * 1024),
    )
    return make_response(page, status)


@bp.route("/cases/<int:case_id>")
@login_required
def case_page(actor: Actor, case_id: int) -> Any:
    return render_case(actor, case_id)


def _posted() -> None:
    """Refuse a post without its CSRF token (bodies over the size limit never get here: 413)."""
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")


def _refused(actor: Actor, case_id: int, exc: ValidationError | ConflictError, values: dict[str, str]) -> Any:
    """The case page again, with the message on top and next to the fields it concerns."""
    flash(exc.message, "error")
    if isinstance(exc, ConflictError):
        return render_case(actor, case_id, status=409, values=values)
    status = 413 if isinstance(exc, FileTooLargeError) else 422
    return render_case(actor, case_id, status=status, values=values, errors=field_errors(exc.problems))


def _refused_in(
    actor: Actor, case_id: int, exc: ValidationError | ConflictError, prefix: str, values: dict[str, str]
) -> Any:
    """Like `_refused`, for one of several forms of a kind on the page: its fields are <prefix>-<name>."""
    flash(exc.message, "error")
    if isinstance(exc, ConflictError):
        return render_case(actor, case_id, status=409, values=values)
    errors = {f"{prefix}-{name}": messages for name, messages in field_errors(exc.problems).items()}
    return render_case(actor, case_id, status=422, values=values, errors=errors)


@bp.route("/cases/<int:case_id>/defence", methods=["POST"])
@login_required
def file_defence(actor: Actor, case_id: int) -> Any:
    """The respondent files its defence: text and evidence files (法30)."""
    _posted()
    uploads: list[Upload] = []
    pointers: list[str] = []
    for i in range(DEFENCE_ROWS):
        upload = upload_of(
            request.files.get(f"defence-evidence-{i}-file"),
            request.form.get(f"defence-evidence-{i}-description", ""),
        )
        if upload is not None:
            uploads.append(upload)
            pointers.append(f"/defence-evidence/{i}/file")
    try:
        filed = system().defence.file_defence(
            actor, case_id, request.form.get("summary", ""), uploads, pointers
        )
    except (ValidationError, ConflictError) as exc:
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return _refused(actor, case_id, exc, values)
    flash(
        _("答辩书已提交（附证据 %(n)s 份），仲裁委员会将把副本送达申请人。", n=len(filed.evidence)),
        "success",
    )
    return redirect(url_for("portal.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/withdraw", methods=["POST"])
@login_required
def withdraw(actor: Actor, case_id: int) -> Any:
    """The applicant withdraws the application (撤回申请) before the case is decided."""
    _posted()
    reason = request.form.get("reason", "")
    try:
        system().withdrawal.withdraw(actor, case_id, reason)
    except (ValidationError, ConflictError) as exc:
        return _refused(actor, case_id, exc, {"reason": reason})
    flash(_("已撤回申请，本案终结"), "success")
    return redirect(url_for("portal.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/recusal", methods=["POST"])
@login_required
def request_recusal(actor: Actor, case_id: int) -> Any:
    """A party asks that an arbitrator withdraw (回避, 调解仲裁法 art.33)."""
    _posted()
    values = {k: request.form.get(k, "") for k in ("recusal-arbitrator", "recusal-reason")}
    try:
        system().party_requests.request_recusal(
            actor, case_id, values["recusal-arbitrator"], values["recusal-reason"]
        )
    except (ValidationError, ConflictError) as exc:
        return _refused_in(actor, case_id, exc, "recusal", values)
    flash(_("回避申请已提交，仲裁委员会将在三个工作日内作出决定。"), "success")
    return redirect(url_for("portal.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/postponement", methods=["POST"])
@login_required
def request_postponement(actor: Actor, case_id: int) -> Any:
    """A party asks that the hearing be postponed, at the latest three days before it (art.35)."""
    _posted()
    values = {"postponement-reason": request.form.get("postponement-reason", "")}
    try:
        system().party_requests.request_postponement(actor, case_id, values["postponement-reason"])
    except (ValidationError, ConflictError) as exc:
        return _refused_in(actor, case_id, exc, "postponement", values)
    flash(_("延期开庭申请已提交，由仲裁委员会决定是否延期。"), "success")
    return redirect(url_for("portal.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/advance-execution", methods=["POST"])
@login_required
def request_advance_execution(actor: Actor, case_id: int) -> Any:
    """The applicant asks that wage or compensation claims be executed before the award (art.44)."""
    _posted()
    reason = request.form.get("advance-reason", "")
    picked = request.form.getlist("advance-claims")
    try:
        positions = [int(p) for p in picked]
        system().party_requests.request_advance_execution(actor, case_id, positions, reason)
    except ValueError:
        bad = ValidationError(_("请选择仲裁请求"), [FieldProblem("/claims", _("请选择仲裁请求"))])
        return _refused_in(actor, case_id, bad, "advance", {"advance-reason": reason})
    except ValidationError as exc:  # a problem with the n-th picked claim shows at the checkboxes
        problems = [
            FieldProblem("/claims", p.message) if p.pointer.startswith("/claims") else p for p in exc.problems
        ]
        return _refused_in(
            actor, case_id, ValidationError(exc.message, problems), "advance", {"advance-reason": reason}
        )
    except ConflictError as exc:
        return _refused_in(actor, case_id, exc, "advance", {"advance-reason": reason})
    flash(_("先予执行申请已提交，由仲裁庭裁决。"), "success")
    return redirect(url_for("portal.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/evidence", methods=["POST"])
@login_required
def add_evidence(actor: Actor, case_id: int) -> Any:
    """A party hands in one more piece of evidence."""
    _posted()
    description = request.form.get("description", "")
    upload = upload_of(request.files.get("file"), description)
    if upload is None:
        missing = FileRejectedError(_("请选择文件"), [FieldProblem("/file", _("请选择要上传的文件"))])
        return _refused(actor, case_id, missing, {"description": description})
    try:
        evidence().submit(actor, case_id, [upload], pointers=["/file"])
    except (ValidationError, ConflictError) as exc:
        return _refused(actor, case_id, exc, {"description": description})
    flash(_("证据已提交：%(name)s", name=upload.filename), "success")
    return redirect(url_for("portal.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/evidence/<int:evidence_id>")
@login_required
def evidence_file(actor: Actor, case_id: int, evidence_id: int) -> BaseResponse:
    view, data = evidence().content(actor, evidence_id, case_id)
    return file_response(data, view.content_type, view.filename, view.sha256)


@bp.route("/cases/<int:case_id>/documents/<int:document_id>")
@login_required
def document_file(actor: Actor, case_id: int, document_id: int) -> BaseResponse:
    """A sealed document (文书) of the case, as issued."""
    view, pdf = issuing().content(actor, document_id)
    if view.case_id != case_id:
        raise NotFoundError("document", document_id)
    return file_response(pdf, "application/pdf", f"{view.title}-{view.number}.pdf", view.sha256)


# -- messages from the commission, electronic service, service ratings ------------------------


@bp.route("/cases/<int:case_id>/messages/<int:message_id>/reply", methods=["POST"])
@login_required
def reply_message(actor: Actor, case_id: int, message_id: int) -> Any:
    """A party answers a message of the commission; the answer goes to the case's staff."""
    _posted()
    prefix = f"reply-{message_id}"
    body = request.form.get(f"{prefix}-body", "")
    try:
        system().case_messages.reply(actor, case_id, message_id, body)
    except (ValidationError, ConflictError) as exc:
        return _refused_in(actor, case_id, exc, prefix, {f"{prefix}-body": body})
    flash(_("回复已发送给仲裁委员会"), "success")
    return redirect(url_for("portal.case_page", case_id=case_id) + "#messages")


@bp.route("/cases/<int:case_id>/messages/<int:message_id>/read", methods=["POST"])
@login_required
def mark_message_read(actor: Actor, case_id: int, message_id: int) -> BaseResponse:
    _posted()
    system().case_messages.mark_read(actor, case_id, message_id)
    return redirect(url_for("portal.case_page", case_id=case_id) + "#messages")


@bp.route("/cases/<int:case_id>/documents/<int:document_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge_document(actor: Actor, case_id: int, document_id: int) -> Any:
    """The party signs for a document served on it (签收): that is its service."""
    _posted()
    try:
        receipt = system().service_receipts.acknowledge(
            actor, case_id, document_id, client_ip=client_ip(), user_agent=request.user_agent.string
        )
    except ConflictError as exc:
        flash(exc.message, "error")
        return render_case(actor, case_id, status=409)
    flash(
        _(
            "已签收。送达日期为 %(date)s，相关期限自次日起计算。",
            date=receipt.served_on.isoformat(),
        ),
        "success",
    )
    return redirect(url_for("portal.case_page", case_id=case_id) + "#documents")


@bp.route("/cases/<int:case_id>/ratings/<task_id>", methods=["POST"])
@login_required
def rate_step(actor: Actor, case_id: int, task_id: str) -> Any:
    """A party rates a completed service step (好差评), once."""
    _posted()
    prefix = f"rate-{task_id}"
    score = request.form.get(f"{prefix}-score")
    comment = request.form.get(f"{prefix}-comment", "")
    try:
        system().ratings.rate(actor, case_id, task_id, score, comment)
    except (ValidationError, ConflictError) as exc:
        values = {f"{prefix}-score": score or "", f"{prefix}-comment": comment}
        return _refused_in(actor, case_id, exc, prefix, values)
    flash(_("感谢您的评价"), "success")
    return redirect(url_for("portal.case_page", case_id=case_id) + "#ratings")
