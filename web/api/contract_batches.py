"""Bulk send of labour contracts for employers' HR systems: upload a spreadsheet, track the batch.

POST a CSV or XLSX (multipart, one contract a line, the columns of the sample spreadsheet) with
the options; the batch is stored at once and answered 202 with its `Location`; the background
worker drafts and sends line by line.  GET the batch for its progress and its rows (paged, by
state), each sent row with its contract, each failed row with its problems (pointers
/rows/<line>/clauses/<clause>/<field>).  Uploading needs the scopes contracts:write and
contracts:send (it drafts and sends); reading contracts:read.  Anyone else's batch is a 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from web.api.api_keys import employer_caller
from web.api.blueprint import Blueprint
from web.api.contracts import SECURITY
from web.api.schemas import ProblemOut, Strict, UtcDateTime
from web.auth import system
from workflows.api_keys import READ, SEND, WRITE
from workflows.contract_batches import (
    BATCH_STATE_LABELS,
    ROW_STATE_LABELS,
    BatchRowView,
    BatchView,
    ContractBatchService,
)
from workflows.contract_spreadsheets import MAX_BYTES, MAX_ROWS
from workflows.contracts import SIGNING_ORDERS, WORKER_FIRST
from workflows.errors import FieldProblem, FileRejectedError, StorageUnavailableError, ValidationError

PREFIX = "/employer"
blp = Blueprint("employer_contract_batches", __name__, description="批量发送劳动合同（用人单位 HR 系统接口）")
PATH = "/api/v1/employer/contract-batches"


def _doc(*scopes: str) -> dict[str, Any]:
    return {"security": SECURITY, "x-required-scope": " ".join(scopes)}


def batches() -> ContractBatchService:
    service = system().contract_batches
    if service is None:
        raise StorageUnavailableError("电子劳动合同服务未配置（contracts need documents, seals and SMS）")
    return service


# -- schemas -------------------------------------------------------------------------------


class BatchOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    template_id = fields.Integer()
    signing_order = fields.String(metadata={"enum": list(SIGNING_ORDERS)})
    due_at = UtcDateTime()
    state = fields.String(metadata={"enum": list(BATCH_STATE_LABELS)})
    state_label = fields.String()
    total = fields.Integer(metadata={"description": "数据行数"})
    sent = fields.Integer(metadata={"description": "已起草并发送的行数"})
    failed = fields.Integer(metadata={"description": "失败的行数（原因见 rows）"})
    pending = fields.Integer(metadata={"description": "待发送的行数"})
    percent = fields.Integer(metadata={"description": "已处理（发送或失败）的百分比"})
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


class BatchPageOut(Schema):
    items = fields.List(fields.Nested(BatchOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class RowProblemOut(Schema):
    pointer = fields.String(metadata={"description": "/rows/<行号>/clauses/<条款>/<字段>"})
    message = fields.String()


class BatchRowOut(Schema):
    row_number = fields.Integer(metadata={"description": "表格中的行号（列名为第 1 行）"})
    state = fields.String(metadata={"enum": list(ROW_STATE_LABELS)})
    contract_id = fields.Integer(allow_none=True)
    contract_number = fields.String(allow_none=True)
    worker_name = fields.String()
    error = fields.String(allow_none=True)
    problems = fields.List(fields.Nested(RowProblemOut))


class BatchRowPageOut(Schema):
    items = fields.List(fields.Nested(BatchRowOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class BatchDetailOut(Schema):
    batch = fields.Nested(BatchOut)
    rows = fields.Nested(BatchRowPageOut)


class BatchListArgs(Strict):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class BatchRowArgs(Strict):
    state = fields.String(load_default=None, validate=validate.OneOf(list(ROW_STATE_LABELS)))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CreateBatchForm(Strict):
    """The form fields next to the file (multipart/form-data)."""

    due_at = fields.AwareDateTime(required=True)
    signing_order = fields.String(load_default=WORKER_FIRST, validate=validate.OneOf(SIGNING_ORDERS))
    template_id = fields.Integer(load_default=None)
    employer_address = fields.String(load_default="", validate=validate.Length(max=300))
    legal_representative = fields.String(load_default="", validate=validate.Length(max=120))


_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file", "due_at"],
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": f"CSV（UTF-8 或 GB18030）或 XLSX，按内容判断；最多 {MAX_ROWS} 行、"
                    f"{MAX_BYTES // (1024 * 1024)} MB；列名见页面上的示例表格",
                },
                "due_at": {"type": "string", "format": "date-time", "description": "签署截止时间（带时区）"},
                "signing_order": {"type": "string", "enum": list(SIGNING_ORDERS), "default": WORKER_FIRST},
                "template_id": {"type": "integer", "description": "默认：本单位最新的模板"},
                "employer_address": {"type": "string", "description": "用人单位住所（表格中为空时使用）"},
                "legal_representative": {
                    "type": "string",
                    "description": "法定代表人或者主要负责人（表格中为空时使用）",
                },
            },
        }
    }
}


def _batch(view: BatchView) -> dict[str, Any]:
    return {**asdict(view), "state_label": view.state_label, "pending": view.pending, "percent": view.percent}


def _row(view: BatchRowView) -> dict[str, Any]:
    return {
        "row_number": view.row_number,
        "state": view.state,
        "contract_id": view.contract_id,
        "contract_number": view.contract_number,
        "worker_name": view.worker_name,
        "error": view.error,
        "problems": [asdict(p) for p in view.problems],
    }


def _form() -> dict[str, Any]:
    raw = {k: v for k, v in request.form.items() if v != ""}
    try:
        loaded: dict[str, Any] = CreateBatchForm().load(raw)
    except SchemaError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
        problems = [
            FieldProblem(f"/{name}", "；".join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs])))
            for name, msgs in messages.items()
        ]
        raise ValidationError("请求数据未通过校验", problems) from exc
    return loaded


# -- endpoints ------------------------------------------------------------------------------


@blp.route("/contract-batches")
class Batches(MethodView):
    @blp.doc(**_doc(READ))
    @blp.arguments(BatchListArgs, location="query")
    @blp.response(200, BatchPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The employer's batches, newest first."""
        page = batches().for_employer(employer_caller(READ), limit=args["limit"], offset=args["offset"])
        return {
            "items": [_batch(b) for b in page.items],
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
        }

    @blp.doc(requestBody={"required": True, "content": _UPLOAD}, **_doc(WRITE, SEND))
    @blp.response(
        202, BatchOut, headers={"Location": {"description": "the batch", "schema": {"type": "string"}}}
    )
    @blp.alt_response(413, schema=ProblemOut, description="the file is over the size limit (pointer /file)")
    @blp.alt_response(
        422,
        schema=ProblemOut,
        description="no file; not CSV/XLSX, an unreadable encoding, unknown or missing columns, too many "
        "rows (pointer /file); bad due_at, signing_order or template_id",
    )
    def post(self) -> Any:
        """Upload a spreadsheet of contracts to draft and send (one a line); answered at once.

        Lines that cannot be read (a bad date, an unknown worker…) are failed with their problems
        straight away; the others are drafted and sent by the background worker — follow the
        batch at `Location`."""
        actor = employer_caller(WRITE)
        employer_caller(SEND)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise FileRejectedError("缺少文件", [FieldProblem("/file", "请上传 CSV 或 XLSX 文件")])
        form = _form()
        view = batches().create(
            actor,
            content=upload.read(),
            filename=upload.filename,
            due_at=form["due_at"],
            signing_order=form["signing_order"],
            template_id=form["template_id"],
            employer_defaults={
                "employer.address": form["employer_address"],
                "employer.legal_representative": form["legal_representative"],
            },
        )
        return _batch(view), 202, {"Location": f"{PATH}/{view.id}"}


@blp.route("/contract-batches/<int:batch_id>")
class BatchItem(MethodView):
    @blp.doc(**_doc(READ))
    @blp.arguments(BatchRowArgs, location="query")
    @blp.response(200, BatchDetailOut)
    def get(self, args: dict[str, Any], batch_id: int) -> dict[str, Any]:
        """The batch's progress and its rows in sheet order (paged; optionally one `state`)."""
        actor = employer_caller(READ)
        service = batches()
        view = service.get(actor, batch_id)
        page = service.rows(actor, batch_id, state=args["state"], limit=args["limit"], offset=args["offset"])
        return {
            "batch": _batch(view),
            "rows": {
                "items": [_row(r) for r in page.items],
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            },
        }
