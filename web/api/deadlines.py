"""Statutory deadlines of a case: read them; suspend, resume, restart or extend one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import DeadlineChangeIn, DeadlineOut
from web.auth import api_actor, system
from workflows.errors import FieldProblem, ValidationError

PREFIX = ""
blp = Blueprint("deadlines", __name__, description="法定期限")


@blp.route("/cases/<int:case_id>/deadlines")
class CaseDeadlines(MethodView):
    @blp.response(200, DeadlineOut(many=True))
    def get(self, case_id: int) -> list[dict[str, Any]]:
        return [asdict(d) for d in system().deadlines.for_case(api_actor(), case_id)]


@blp.route("/deadlines/<int:deadline_id>/changes")
class DeadlineChanges(MethodView):
    @blp.arguments(DeadlineChangeIn)
    @blp.response(200, DeadlineOut)
    def post(self, body: dict[str, Any], deadline_id: int) -> dict[str, Any]:
        """中止 / 恢复 / 重新计算 / 延长 (extension needs the approving role, e.g. commission head)."""
        service, actor, action, reason = system().deadlines, api_actor(), body["action"], body["reason"]
        if action == "extend":
            if body["days"] is None:
                raise ValidationError("延长须写明天数", [FieldProblem("/days", "required for extend")])
            return asdict(service.extend(actor, deadline_id, body["days"], reason))
        on_date = body["on_date"] or service.today()
        change = {"suspend": service.suspend, "resume": service.resume, "restart": service.restart}[action]
        return asdict(change(actor, deadline_id, on_date, reason))
