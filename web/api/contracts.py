"""Labour contracts for employers' HR systems: create from a template, preview, send, void, track.

Called with an employer API key (`Authorization: Bearer lcek_…`, scopes per operation) or an
employer agent's access token.  Only the caller's employer's contracts exist for it: anyone
else's id is a 404.  The worker signs in the portal, never through this API.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from web.api.api_keys import EMPLOYER_KEY_SCHEME, employer_caller
from web.api.blueprint import Blueprint
from web.api.schemas import Strict, UtcDateTime
from web.auth import client_ip, system
from workflows.api_keys import READ, SEND, WRITE
from workflows.contract_views import ContractViews
from workflows.contracts import SIGNING_ORDERS, STATE_LABELS, WORKER_FIRST, ClientInfo, ContractService
from workflows.errors import StorageUnavailableError

PREFIX = "/employer"
blp = Blueprint("employer_contracts", __name__, description="电子劳动合同（用人单位 HR 系统接口）")
SECURITY: list[dict[str, list[str]]] = [{EMPLOYER_KEY_SCHEME: []}, {"bearerAuth": []}]


def _doc(scope: str) -> dict[str, Any]:
    return {"security": SECURITY, "x-required-scope": scope}


def contracts() -> ContractService:
    """The contract service; StorageUnavailableError (503) where signing or SMS is not configured."""
    service = system().contracts
    if service is None:
        raise StorageUnavailableError("电子劳动合同服务未配置（contracts need documents, seals and SMS）")
    return service


def views() -> ContractViews:
    """The employer-scoped reads (anyone else's contract is a 404)."""
    return ContractViews(system().db)


def _client() -> ClientInfo:
    return ClientInfo(ip=client_ip(), user_agent=request.user_agent.string or None)


# -- schemas -------------------------------------------------------------------------------


class ContractOut(Schema):
    id = fields.Integer()
    contract_number = fields.String(allow_none=True)
    verification_code = fields.String()
    state = fields.String(metadata={"enum": list(STATE_LABELS)})
    state_label = fields.String()
    signing_order = fields.String(metadata={"enum": [*SIGNING_ORDERS, "employer_only"]})
    kind = fields.String(
        metadata={
            "enum": ["contract", "amendment", "termination", "renewal"],
            "description": "a labour contract, or a document changing the contract `original_id`",
        }
    )
    original_id = fields.Integer(allow_none=True)
    ended_on = fields.Date(allow_none=True, metadata={"description": "last day, once rescinded or ended"})
    template_id = fields.Integer()
    template_version = fields.Integer()
    worker_user_id = fields.Integer()
    worker_name = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    due_at = UtcDateTime()
    document_sha256 = fields.String(metadata={"description": "SHA-256 of the rendered (preview) PDF"})
    final_sha256 = fields.String(allow_none=True)
    created_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)
    worker_signed_at = UtcDateTime(allow_none=True)
    employer_sealed_at = UtcDateTime(allow_none=True)
    concluded_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    close_reason = fields.String(allow_none=True)


class CreatedContractOut(ContractOut):
    warnings = fields.List(fields.String(), metadata={"description": "accepted, but worth a look"})


class ContractPageOut(Schema):
    items = fields.List(fields.Nested(ContractOut))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class ContractListArgs(Strict):
    state = fields.String(load_default=None, validate=validate.OneOf(list(STATE_LABELS)))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


CLAUSES_DOC = (
    "劳动合同法第十七条必备条款：term, job, working_time, pay, social_insurance, protection 等；"
    "缺少时 422，pointer 为 /clauses/<条款>"
)
ONE_WORKER = "须且只须给出 worker_user_id 或 worker_resident_id 之一"


class CreateContractIn(Strict):
    template_id = fields.Integer(required=True)
    worker_user_id = fields.Integer(load_default=None, metadata={"description": "或 worker_resident_id"})
    worker_resident_id = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{17}[\dXx]$"),
        metadata={"description": "实名注册劳动者的身份证号码"},
    )
    clauses = fields.Dict(keys=fields.String(), required=True, metadata={"description": CLAUSES_DOC})
    due_at = fields.AwareDateTime(required=True, metadata={"description": "签署截止时间"})
    signing_order = fields.String(load_default=WORKER_FIRST, validate=validate.OneOf(SIGNING_ORDERS))

    @validates_schema
    def one_worker(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("worker_user_id") is None) == (data.get("worker_resident_id") is None):
            raise ValidationError(
                "须且只须给出 worker_user_id 或 worker_resident_id 之一", "worker_resident_id"
            )


class VoidIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ContractEventOut(Schema):
    seq = fields.Integer()
    at = UtcDateTime()
    action = fields.String(metadata={"description": "drafted, sent, identity_verified, worker_signed, …"})
    actor = fields.String()
    details = fields.Dict()


class ContractTrackOut(Schema):
    contract = fields.Nested(ContractOut)
    events = fields.List(fields.Nested(ContractEventOut))


class TemplateOut(Schema):
    id = fields.Integer()
    template_key = fields.String()
    version = fields.Integer()
    title = fields.String()
    created_at = UtcDateTime()


# -- endpoints ------------------------------------------------------------------------------


@blp.route("/contract-templates")
class Templates(MethodView):
    @blp.doc(**_doc(READ))
    @blp.response(200, TemplateOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The employer's contract templates (`template_id` for creating contracts)."""
        return [asdict(t) for t in views().templates(employer_caller(READ))]


@blp.route("/contracts")
class Contracts(MethodView):
    @blp.doc(**_doc(READ))
    @blp.arguments(ContractListArgs, location="query")
    @blp.response(200, ContractPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The employer's contracts, newest first, optionally in one `state`; paged by limit/offset."""
        actor = employer_caller(READ)
        page = views().employer_contracts(
            actor, state=args["state"], limit=args["limit"], offset=args["offset"]
        )
        return asdict(page)

    @blp.doc(**_doc(WRITE))
    @blp.arguments(CreateContractIn)
    @blp.response(201, CreatedContractOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Draft a contract from a template and clause data; checked and rendered once (the preview
        is what gets signed).  A missing mandatory clause (劳动合同法 art.17) is a 422 naming it,
        with the pointer `/clauses/<clause>`."""
        actor = employer_caller(WRITE)
        service = contracts()
        worker_id = body["worker_user_id"]
        if worker_id is None:
            worker_id = views().worker_by_resident_id(body["worker_resident_id"])
        drafted = service.create_draft(
            actor,
            template_id=body["template_id"],
            worker_user_id=worker_id,
            clauses=body["clauses"],
            due_at=body["due_at"],
            signing_order=body["signing_order"],
            client=_client(),
        )
        view = views().employer_contract(actor, drafted.contract_id)
        return {**asdict(view), "warnings": list(drafted.warnings)}


@blp.route("/contracts/<int:contract_id>")
class ContractItem(MethodView):
    @blp.doc(**_doc(READ))
    @blp.response(200, ContractOut)
    def get(self, contract_id: int) -> dict[str, Any]:
        """One contract and its state."""
        return asdict(views().employer_contract(employer_caller(READ), contract_id))


@blp.route("/contracts/<int:contract_id>/preview")
class ContractPreview(MethodView):
    @blp.doc(**_doc(READ))
    @blp.response(200, content_type="application/pdf")
    def get(self, contract_id: int) -> Response:
        """The contract PDF as rendered — the very bytes the parties sign."""
        actor = employer_caller(READ)
        view = views().employer_contract(actor, contract_id)
        pdf = contracts().preview(actor, contract_id)
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f"inline; filename=contract-{view.contract_number or view.id}.pdf",
                "Digest": f"sha-256={view.document_sha256}",
                "Cache-Control": "private, no-store",
            },
        )


@blp.route("/contracts/<int:contract_id>/send")
class ContractSend(MethodView):
    @blp.doc(**_doc(SEND))
    @blp.response(200, ContractOut)
    def post(self, contract_id: int) -> dict[str, Any]:
        """Send the draft to the worker, who signs in the worker portal (free of charge)."""
        actor = employer_caller(SEND)
        views().employer_contract(actor, contract_id)
        contracts().send(actor, contract_id, _client())
        return asdict(views().employer_contract(actor, contract_id))


@blp.route("/contracts/<int:contract_id>/void")
class ContractVoid(MethodView):
    @blp.doc(**_doc(WRITE))
    @blp.arguments(VoidIn)
    @blp.response(200, ContractOut)
    def post(self, body: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Withdraw the contract, giving a reason; only before the worker has signed (else 409)."""
        actor = employer_caller(WRITE)
        views().employer_contract(actor, contract_id)
        contracts().void(actor, contract_id, body["reason"], _client())
        return asdict(views().employer_contract(actor, contract_id))


@blp.route("/contracts/<int:contract_id>/events")
class ContractTrack(MethodView):
    @blp.doc(**_doc(READ))
    @blp.response(200, ContractTrackOut)
    def get(self, contract_id: int) -> dict[str, Any]:
        """Track a contract: its state and every step so far (from its audit chain), oldest first."""
        actor = employer_caller(READ)
        view = views().employer_contract(actor, contract_id)
        events = views().events(actor, contract_id)
        return {"contract": asdict(view), "events": [asdict(e) for e in events]}
