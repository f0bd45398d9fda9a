"""Public verification (no login): a document's record by its code, or a check of an uploaded PDF."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request
from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import PublicRecordOut, VerificationOut
from web.auth import issuing
from workflows.errors import DocumentRejectedError, FieldProblem

PREFIX = "/verify"
blp = Blueprint("verify", __name__, description="文书核验（公开）")
_BINARY = {"type": "string", "format": "binary"}


@blp.route("/<string:code>")
class VerifyCode(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PublicRecordOut)
    def get(self, code: str) -> dict[str, Any]:
        """What our records say of the document with this verification code (QR link / short code)."""
        return asdict(issuing().lookup(code))


@blp.route("")
class VerifyUpload(MethodView):
    @blp.doc(
        security=[],
        requestBody={
            "content": {
                "application/pdf": {"schema": _BINARY},
                "multipart/form-data": {"schema": {"type": "object", "properties": {"file": _BINARY}}},
            }
        },
    )
    @blp.response(200, VerificationOut)
    def post(self) -> dict[str, Any]:
        """Check an uploaded PDF: every signature, modifications, trust, revocation, our record."""
        return verification_json(uploaded_pdf())


def uploaded_pdf() -> bytes:
    """The PDF of a verification request: a multipart `file` or the raw request body."""
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise DocumentRejectedError("缺少文件", [FieldProblem("/file", "请上传 PDF 文件")])
        return upload.read()
    data = request.get_data(cache=False)
    if not data:
        raise DocumentRejectedError("缺少文件", [FieldProblem("/file", "请上传 PDF 文件")])
    return data


def verification_json(pdf: bytes) -> dict[str, Any]:
    check = issuing().check_upload(pdf)
    body = asdict(check.report)
    body["record"] = asdict(check.record) if check.record else None
    return body
