"""Worker pages for electronic labour contracts: read, prove identity, sign or decline, download.

Before signing, the page says plainly how signing works, that it costs nothing and that the
contract can be viewed, downloaded and printed at any time (design/law.md §8 items 3 and 6).
Identity: the account's real name and resident ID must match the contract, and a one-time code
sent to the account's phone is typed in; the check is recorded, then the worker signs.  Pages
work on a phone screen and without JavaScript.  Someone else's contract is answered as absent (404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from web.contract_pages import client, contract_or_404, contracts, pdf_inline, views
from web.downloads import file_response
from web.ui import ActionForm, login_required
from workflows.audit import Actor
from workflows.contract_views import ContractView
from workflows.errors import PermissionDeniedError, RateLimitedError, ValidationError
from workflows.registration import CODE_TTL
from workflows.roles import WORKER

bp = Blueprint("contracts_worker", __name__, url_prefix="/portal/contracts", template_folder="templates")

CLOSED = ("declined", "expired", "voided")


def _worker(actor: Actor) -> Actor:
    if WORKER not in actor.roles:
        abort(404)
    return actor


def _page(contract: ContractView, status: int = 200, errors: dict[str, str] | None = None) -> Any:
    page = render_template(
        "contract_worker_detail.html",
        contract=contract,
        errors=errors or {},
        code_minutes=int(CODE_TTL.total_seconds() // 60),
    )
    return make_response(page, status)


@bp.route("")
@login_required
def index(actor: Actor) -> str:
    items = views().for_actor(_worker(actor))
    return render_template(
        "contract_worker_list.html",
        to_sign=[c for c in items if c.worker_may_sign],
        concluded=[c for c in items if c.state == "concluded"],
        others=[c for c in items if not c.worker_may_sign and c.state != "concluded"],
    )


@bp.route("/<int:contract_id>")
@login_required
def detail(actor: Actor, contract_id: int) -> Any:
    return _page(contract_or_404(_worker(actor), contract_id))


@bp.route("/<int:contract_id>/read")
@login_required
def read(actor: Actor, contract_id: int) -> BaseResponse:
    contract = contract_or_404(_worker(actor), contract_id)
    return pdf_inline(contracts().download(actor, contract_id), f"{contract.number}.pdf")


@bp.route("/<int:contract_id>/download")
@login_required
def download(actor: Actor, contract_id: int) -> BaseResponse:
    contract = contract_or_404(_worker(actor), contract_id)
    data = contracts().download(actor, contract_id)
    return file_response(data, "application/pdf", f"{contract.number}.pdf")


@bp.route("/<int:contract_id>/certificate")
@login_required
def certificate(actor: Actor, contract_id: int) -> BaseResponse:
    contract = contract_or_404(_worker(actor), contract_id)
    data = contracts().certificate(actor, contract_id)
    return file_response(data, "application/pdf", f"{contract.number}-certificate.pdf")


def _checked(actor: Actor, contract_id: int) -> ContractView:
    contract = contract_or_404(_worker(actor), contract_id)
    if not ActionForm().validate_on_submit():
        abort(400, "CSRF")
    return contract


@bp.route("/<int:contract_id>/code", methods=["POST"])
@login_required
def send_code(actor: Actor, contract_id: int) -> Any:
    contract = _checked(actor, contract_id)
    try:
        sent = contracts().request_signing_code(actor, contract_id, client())
    except RateLimitedError as exc:
        flash(exc.message, "error")
        response = _page(contract, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    flash(
        _(
            "验证码已发送至 %(phone)s，%(minutes)s 分钟内有效。",
            phone=sent.phone_masked,
            minutes=int(CODE_TTL.total_seconds() // 60),
        ),
        "success",
    )
    return redirect(url_for("contracts_worker.detail", contract_id=contract_id) + "#sign")


@bp.route("/<int:contract_id>/sign", methods=["POST"])
@login_required
def sign(actor: Actor, contract_id: int) -> Any:
    """Check identity with the code just received, then sign (one step for the worker)."""
    contract = _checked(actor, contract_id)
    code = (request.form.get("code") or "").strip()
    if request.form.get("agree") != "yes":
        return _page(contract, 422, {"agree": _("请先阅读合同，并勾选同意以电子方式签署")})
    if not code.isdigit() or len(code) != 6:
        return _page(contract, 422, {"code": _("请输入短信中的6位验证码")})
    service = contracts()
    try:
        service.verify_worker_identity(actor, contract_id, code, client())
        state = service.worker_sign(actor, contract_id, client())
    except ValidationError as exc:
        return _page(contract, 422, {"code": "；".join(p.message for p in exc.problems) or exc.message})
    except PermissionDeniedError as exc:  # the real name does not match, or the check went stale
        return _page(contract, 403, {"code": exc.message})
    except RateLimitedError as exc:
        return _page(contract, 429, {"code": exc.message})
    if state == "concluded":
        flash(_("签署完成，劳动合同已订立。您可随时免费查看、下载和打印。"), "success")
    else:
        flash(_("您已签名。用人单位盖章后合同订立，届时您会在此看到并可下载。"), "success")
    return redirect(url_for("contracts_worker.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/decline", methods=["POST"])
@login_required
def decline(actor: Actor, contract_id: int) -> Any:
    contract = _checked(actor, contract_id)
    try:
        contracts().decline(actor, contract_id, request.form.get("reason", ""), client())
    except ValidationError as exc:
        return _page(contract, 422, {"reason": exc.message})
    flash(_("您已拒绝签署，理由已告知用人单位。"), "success")
    return redirect(url_for("contracts_worker.detail", contract_id=contract_id))
