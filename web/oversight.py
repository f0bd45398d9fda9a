"""The head's view of a body's time limits and approvals (期限督办), server-rendered, no JavaScript.

Commission heads and supervisors see their own organisation's overdue and due-soon statutory
periods and the open tasks awaiting the head; anyone else is refused (403).  Acting happens where
it always does: a task on its task page, an award-period extension (法43) on the case page, which
this view links to for the periods the viewer may extend.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from web.auth import system
from web.ui import login_required
from workflows.audit import Actor
from workflows.oversight import may_oversee

bp = Blueprint("oversight", __name__, template_folder="templates")


@bp.app_context_processor
def oversight_nav() -> dict[str, Any]:
    return {"may_oversee": may_oversee}


@bp.route("/oversight")
@login_required
def board(actor: Actor) -> str:
    """Refused (OversightDeniedError, 403) unless the actor heads or supervises a body."""
    return render_template("oversight.html", board=system().oversight.board(actor))
