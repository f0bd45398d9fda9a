"""Process definitions (list, read, deploy) and the audit-trail check."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import fields

from web.api.blueprint import Blueprint
from web.api.schemas import AuditVerifyOut, DefinitionOut, Strict
from web.auth import api_actor, system

PREFIX = ""
blp = Blueprint("admin", __name__, description="流程定义与审计")


class DeployIn(Strict):
    process_key = fields.String(required=True)
    files = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


@blp.route("/definitions")
class DefinitionList(MethodView):
    @blp.response(200, DefinitionOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every deployed version of every process."""
        return [asdict(d) for d in system().administration.list_definitions(api_actor())]

    @blp.arguments(DeployIn)
    @blp.response(201, DefinitionOut)
    @blp.alt_response(200, description="identical to a deployed version: nothing deployed")
    def post(self, body: dict[str, Any]) -> Any:
        """Deploy a process folder's files; a broken file is a 422 naming file and element."""
        deployed = system().administration.deploy(api_actor(), body["process_key"], body["files"])
        if deployed is None:
            return Response(status=200)
        return asdict(deployed)


@blp.route("/definitions/<int:definition_id>/files/<path:name>")
class DefinitionFile(MethodView):
    @blp.response(200, content_type="application/xml")
    def get(self, definition_id: int, name: str) -> Response:
        """One file of a version (e.g. the BPMN XML to draw the diagram)."""
        _, files = system().administration.definition_files(api_actor(), definition_id)
        if name not in files:
            from workflows.errors import NotFoundError

            raise NotFoundError("file", name)
        kind = "application/json" if name.endswith(".json") else "application/xml"
        return Response(files[name], mimetype=kind)


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @blp.response(200, AuditVerifyOut)
    def get(self) -> dict[str, Any]:
        """Recompute every hash chain of the audit trail (administrators)."""
        problems = system().administration.verify_audit(api_actor())
        return {"intact": not problems, "problems": problems}
