"""Evidence of a case: upload (multipart), list, read, download — for whoever may read the case."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, request
from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import EvidenceOut, ProblemOut
from web.auth import api_actor, evidence
from web.downloads import file_response
from web.uploads import upload_of
from workflows.errors import FieldProblem, FileRejectedError, ValidationError
from workflows.evidence import ADDITIONAL, PURPOSES

PREFIX = "/cases"
blp = Blueprint("evidence", __name__, description="证据")
_BINARY = {"type": "string", "format": "binary"}
_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {**_BINARY, "description": "PDF, JPEG or PNG (judged from the bytes)"},
                "description": {"type": "string", "maxLength": 500, "description": "what it proves"},
                "purpose": {"type": "string", "enum": list(PURPOSES), "default": ADDITIONAL},
                "party_id": {"type": "integer", "description": "staff only: the party handing it in"},
            },
        }
    }
}


@blp.route("/<int:case_id>/evidence")
class CaseEvidence(MethodView):
    @blp.response(200, EvidenceOut(many=True))
    def get(self, case_id: int) -> list[dict[str, Any]]:
        """The case's evidence, oldest first (parties of the case and its staff)."""
        return [asdict(v) for v in evidence().for_case(api_actor(), case_id)]

    @blp.doc(requestBody={"required": True, "content": _UPLOAD})
    @blp.response(201, EvidenceOut)
    @blp.alt_response(
        413,
        schema=ProblemOut,
        description="the file is over the size limit (`max_bytes`; pointer /file), or the request is",
    )
    @blp.alt_response(
        422,
        schema=ProblemOut,
        description="no file, a file that is empty, not PDF/JPEG/PNG, or an encrypted or unreadable "
        "PDF (pointer /file); a bad purpose or party_id",
    )
    def post(self, case_id: int) -> dict[str, Any]:
        """Submit one file as evidence: a party as itself, staff for the agency or for a party.

        The same party submitting the same bytes again gets the earlier record (201, same id).
        """
        actor = api_actor()
        upload = upload_of(request.files.get("file"), request.form.get("description", ""))
        if upload is None:
            raise FileRejectedError("缺少文件", [FieldProblem("/file", "请上传 PDF、JPG 或 PNG 文件")])
        raw_party = request.form.get("party_id", "").strip()
        if raw_party and not raw_party.isdigit():
            raise ValidationError("当事人编号无效", [FieldProblem("/party_id", "must be an integer")])
        [view] = evidence().submit(
            actor,
            case_id,
            [upload],
            purpose=request.form.get("purpose", ADDITIONAL),
            party_id=int(raw_party) if raw_party else None,
            pointers=["/file"],
        )
        return asdict(view)


@blp.route("/<int:case_id>/evidence/<int:evidence_id>")
class EvidenceItem(MethodView):
    @blp.response(200, EvidenceOut)
    def get(self, case_id: int, evidence_id: int) -> dict[str, Any]:
        return asdict(evidence().get(api_actor(), evidence_id, case_id))


@blp.route("/<int:case_id>/evidence/<int:evidence_id>/content")
class EvidenceContent(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    def get(self, case_id: int, evidence_id: int) -> Response:
        """The file as submitted (its type as judged from the bytes), checked against its SHA-256."""
        view, data = evidence().content(api_actor(), evidence_id, case_id)
        return file_response(data, view.content_type, view.filename, view.sha256)
