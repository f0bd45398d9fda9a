"""Tasks: the inbox, claim / unclaim / reassign, and completion with server-side form validation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import CompleteIn, CompletionOut, InboxArgs, ReassignIn, TaskOut
from web.auth import api_actor, system

PREFIX = "/tasks"
blp = Blueprint("tasks", __name__, description="待办任务")


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, TaskOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Tasks offered to the caller's roles, assigned to them, or theirs as a party."""
        views = system().tasks.inbox(
            api_actor(), role=args["role"], mine=args["mine"], state=args["state"], limit=args["limit"]
        )
        return [asdict(v) for v in views]


@blp.route("/<task_id>")
class TaskItem(MethodView):
    @blp.response(200, TaskOut)
    def get(self, task_id: str) -> dict[str, Any]:
        """One task with its form schema (JSON Schema)."""
        return asdict(system().tasks.get_task(api_actor(), task_id))


@blp.route("/<task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id: str) -> dict[str, Any]:
        return asdict(system().tasks.claim(api_actor(), task_id))


@blp.route("/<task_id>/unclaim")
class Unclaim(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id: str) -> dict[str, Any]:
        return asdict(system().tasks.unclaim(api_actor(), task_id))


@blp.route("/<task_id>/reassign")
class Reassign(MethodView):
    @blp.arguments(ReassignIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        return asdict(system().tasks.reassign(api_actor(), task_id, body["user_id"]))


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    @blp.arguments(CompleteIn)
    @blp.response(200, CompletionOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Validate `data` against the task's form and complete it: exactly once (409 otherwise)."""
        return asdict(system().tasks.complete(api_actor(), task_id, body["data"]))
