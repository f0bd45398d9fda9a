"""An employer's labour-contract templates for its HR system: read one, create, revise, preview.

The list of templates (every version, with the `template_id` to draft from) is
GET /employer/contract-templates in `web.api.contracts`.  Revising writes a NEW version and
names the version it was based on (`base_version`): a stale one is 409, so two systems editing
at once never both write version N+1.  Another employer's template is a 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from web.api.api_keys import EMPLOYER_KEY_SCHEME, employer_caller
from web.api.blueprint import Blueprint
from web.api.schemas import Strict, UtcDateTime
from web.contract_pages import template_service
from workflows.api_keys import READ, TEMPLATES_WRITE
from workflows.contract_template_service import MAX_TITLE, TemplateDetail

PREFIX = "/employer/contract-templates"
blp = Blueprint("employer_contract_templates", __name__, description="劳动合同模板（用人单位 HR 系统接口）")
SECURITY: list[dict[str, list[str]]] = [{EMPLOYER_KEY_SCHEME: []}, {"bearerAuth": []}]
KEY = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CONTENT_DOC = (
    "与 model.json 同形：subtitle, preamble[], sections[{clause, heading, text[]}], closing[], "
    "defaults{<条款>: {<项>: 值}, other_terms[]}。不能删除或留空劳动合同法第十七条的必备条款；"
    "有误时 422，pointer 为 /title 或 /content/…"
)


def _doc(scope: str) -> dict[str, Any]:
    return {"security": SECURITY, "x-required-scope": scope}


class TemplateVersionOut(Schema):
    id = fields.Integer(metadata={"description": "template_id，起草合同时使用"})
    template_key = fields.String()
    version = fields.Integer()
    title = fields.String()
    created_at = UtcDateTime()
    created_by = fields.String(allow_none=True)
    retired_at = UtcDateTime(allow_none=True, metadata={"description": "停用时间；停用的模板不能起草新合同"})


class TemplateDetailOut(Schema):
    template = fields.Nested(TemplateVersionOut, metadata={"description": "所取的版本"})
    content = fields.Dict(metadata={"description": CONTENT_DOC})
    latest_version = fields.Integer()
    retired = fields.Boolean()
    versions = fields.List(fields.Nested(TemplateVersionOut), metadata={"description": "版本历史，新版在前"})


class VersionArgs(Strict):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))


class CreateTemplateIn(Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    copy_of = fields.String(
        load_default=None, metadata={"description": "复制本单位已有模板（template_key）；缺省为示范文本"}
    )
    template_key = fields.String(load_default=None, validate=validate.Regexp(KEY))


class ReviseTemplateIn(Strict):
    base_version = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "编辑所依据的版本；已有更新的版本时 409"},
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    content = fields.Dict(keys=fields.String(), required=True, metadata={"description": CONTENT_DOC})


def _out(detail: TemplateDetail) -> dict[str, Any]:
    return {
        "template": asdict(detail.version),
        "content": detail.content,
        "latest_version": detail.latest_version,
        "retired": detail.retired,
        "versions": [asdict(v) for v in detail.versions],
    }


@blp.route("")
class TemplateCreate(MethodView):
    @blp.doc(**_doc(TEMPLATES_WRITE))
    @blp.arguments(CreateTemplateIn)
    @blp.response(201, TemplateDetailOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a template (version 1) from the model contract or as a copy of one of the employer's."""
        actor = employer_caller(TEMPLATES_WRITE)
        detail = template_service().create(
            actor, title=body["title"], copy_of=body["copy_of"], template_key=body["template_key"]
        )
        return _out(detail)


@blp.route("/<string:template_key>")
class TemplateItem(MethodView):
    @blp.doc(**_doc(READ))
    @blp.arguments(VersionArgs, location="query")
    @blp.response(200, TemplateDetailOut)
    def get(self, args: dict[str, Any], template_key: str) -> dict[str, Any]:
        """One template with its content (the latest version, or `version`) and its history."""
        return _out(template_service().get(employer_caller(READ), template_key, args["version"]))


@blp.route("/<string:template_key>/versions")
class TemplateVersions(MethodView):
    @blp.doc(**_doc(TEMPLATES_WRITE))
    @blp.arguments(ReviseTemplateIn)
    @blp.response(201, TemplateDetailOut)
    def post(self, body: dict[str, Any], template_key: str) -> dict[str, Any]:
        """Save an edit as a new version; contracts already drafted keep the version they were made
        from.  409 when `base_version` is not the latest (someone saved first: reload, edit again)."""
        actor = employer_caller(TEMPLATES_WRITE)
        detail = template_service().revise(
            actor,
            template_key,
            base_version=body["base_version"],
            title=body["title"],
            content=body["content"],
        )
        return _out(detail)


@blp.route("/<string:template_key>/preview")
class TemplatePreview(MethodView):
    @blp.doc(**_doc(READ))
    @blp.arguments(VersionArgs, location="query")
    @blp.response(200, content_type="application/pdf")
    def get(self, args: dict[str, Any], template_key: str) -> Response:
        """The template as the final PDF with sample parties and its defaults, marked 样本."""
        pdf = template_service().preview(employer_caller(READ), template_key, args["version"])
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f"inline; filename=template-{template_key}-sample.pdf",
                "Cache-Control": "private, no-store",
            },
        )
