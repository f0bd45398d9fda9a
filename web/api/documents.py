"""Formal documents (文书): issue for a case, list, download the sealed PDF, revoke."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response
from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import IssuedDocumentListArgs, IssuedDocumentOut, IssueDocumentIn, RevokeIn
from web.auth import api_actor, issuing
from workflows.ports import SealLevel

PREFIX = "/documents"
blp = Blueprint("documents", __name__, description="文书")


@blp.route("")
class Documents(MethodView):
    @blp.arguments(IssuedDocumentListArgs, location="query")
    @blp.response(200, IssuedDocumentOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The formal documents of a case, in the order they were requested."""
        return [asdict(d) for d in issuing().for_case(api_actor(), args["case_id"])]

    @blp.arguments(IssueDocumentIn)
    @blp.response(201, IssuedDocumentOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Issue a document for a case: number, render, seal, archive.

        `state` is `issued`, or `pending` when sealing or storage failed: the document keeps its
        number and is completed by a retry (automatic, or `POST /documents/{id}/retry`).
        """
        level = SealLevel(body["seal_level"]) if body["seal_level"] else None
        view = issuing().issue(api_actor(), body["case_id"], body["document_type"], body["data"], level)
        return asdict(view)


@blp.route("/<int:document_id>")
class DocumentItem(MethodView):
    @blp.response(200, IssuedDocumentOut)
    def get(self, document_id: int) -> dict[str, Any]:
        return asdict(issuing().get(api_actor(), document_id))


@blp.route("/<int:document_id>/content")
class DocumentContent(MethodView):
    @blp.response(200, content_type="application/pdf")
    def get(self, document_id: int) -> Response:
        """The sealed PDF (only once issued), checked against its SHA-256 on the way out."""
        view, pdf = issuing().content(api_actor(), document_id)
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f"inline; filename=document-{view.id}.pdf",
                "Digest": f"sha-256={view.sha256}",
                "Cache-Control": "private, no-store",
            },
        )


@blp.route("/<int:document_id>/retry")
class DocumentRetry(MethodView):
    @blp.response(200, IssuedDocumentOut)
    def post(self, document_id: int) -> dict[str, Any]:
        """Complete a pending document now (idempotent: an issued one is returned as is)."""
        return asdict(issuing().retry(api_actor(), document_id))


@blp.route("/<int:document_id>/revoke")
class DocumentRevoke(MethodView):
    @blp.arguments(RevokeIn)
    @blp.response(200, IssuedDocumentOut)
    def post(self, body: dict[str, Any], document_id: int) -> dict[str, Any]:
        """Withdraw an issued document; its verification page says so from now on."""
        return asdict(issuing().revoke(api_actor(), document_id, body["reason"]))
