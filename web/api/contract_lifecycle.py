"""A concluded labour contract's lifecycle for employers' HR systems: amendment, termination, renewal.

Each POST drafts a document linked to the contract (its own number and verification code), signed
like a contract: send it (`POST /contracts/{id}/send`), the worker signs in the portal, the
employer seals.  An employer-only certificate of rescission or ending is sealed and issued with
`POST /contracts/{id}/issue`.  `GET /contracts/{id}/links` lists the linked documents.  Another
employer's contract is a 404; a contract that cannot change now (not concluded, ended, another
change open) is a 409; bad clauses are a 422 naming them (`/clauses/<clause>`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from web.api.api_keys import employer_caller
from web.api.blueprint import Blueprint
from web.api.contracts import SECURITY, ContractOut, _client, contracts, views
from web.api.schemas import Strict, UtcDateTime
from workflows.api_keys import READ, SEND, WRITE
from workflows.contract_lifecycle import KIND_LABELS, LEGAL_BASES, TERMINATION_MODES, LifecycleService
from workflows.contracts import SIGNING_ORDERS, WORKER_FIRST, Drafted

PREFIX = "/employer"
blp = Blueprint("employer_contract_lifecycle", __name__, description="电子劳动合同的变更、解除（终止）和续订")


def _doc(scope: str) -> dict[str, Any]:
    return {"security": SECURITY, "x-required-scope": scope}


def lifecycle() -> LifecycleService:
    return LifecycleService(contracts())


class SigningIn(Strict):
    due_at = fields.AwareDateTime(required=True, metadata={"description": "签署截止时间"})
    signing_order = fields.String(load_default=WORKER_FIRST, validate=validate.OneOf(SIGNING_ORDERS))


class AmendmentIn(SigningIn):
    changes = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "description": "变更的条款：{条款: {字段: 新值}}，字段为 null 或空则删除；条款为 null 则删除"
            "（必备条款不能删除，422 /clauses/<条款>）"
        },
    )
    effective_on = fields.Date(required=True, metadata={"description": "变更生效日期"})


class TerminationIn(SigningIn):
    mode = fields.String(required=True, validate=validate.OneOf(list(TERMINATION_MODES)))
    legal_basis = fields.String(load_default="art36", validate=validate.OneOf(list(LEGAL_BASES)))
    ended_on = fields.Date(required=True, metadata={"description": "最后工作日"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    compensation = fields.Decimal(
        load_default=None, allow_none=True, as_string=True, metadata={"description": "经济补偿（元）"}
    )
    handover = fields.String(load_default="", validate=validate.Length(max=2000))


class RenewalIn(SigningIn):
    term = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "新的合同期限：kind, start_date, end_date（固定期限）, task_description"},
    )
    changes = fields.Dict(keys=fields.String(), load_default=dict)


class DraftedOut(ContractOut):
    kind = fields.String(metadata={"enum": list(KIND_LABELS)})
    original_id = fields.Integer()
    warnings = fields.List(fields.String())


class LinkedOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KIND_LABELS)})
    kind_label = fields.String()
    number = fields.String()
    state = fields.String()
    state_label = fields.String()
    signing_order = fields.String()
    created_at = UtcDateTime()
    concluded_at = UtcDateTime(allow_none=True)
    ended_on = fields.Date(allow_none=True)


class LinksOut(Schema):
    contract_id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    original = fields.Nested(LinkedOut, allow_none=True)
    documents = fields.List(fields.Nested(LinkedOut))
    ended_on = fields.Date(allow_none=True)
    ended_by = fields.Nested(LinkedOut, allow_none=True)
    may_change = fields.Boolean()


def _created(actor: Any, drafted: Drafted, kind: str, original_id: int) -> dict[str, Any]:
    view = views().employer_contract(actor, drafted.contract_id)
    return {**asdict(view), "kind": kind, "original_id": original_id, "warnings": list(drafted.warnings)}


@blp.route("/contracts/<int:contract_id>/amendments")
class Amendments(MethodView):
    @blp.doc(**_doc(WRITE))
    @blp.arguments(AmendmentIn)
    @blp.response(201, DraftedOut)
    def post(self, body: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Draft 劳动合同变更协议书 (劳动合同法第三十五条): the changes merged over the current terms
        and checked like a contract."""
        actor = employer_caller(WRITE)
        drafted = lifecycle().draft_amendment(
            actor,
            contract_id,
            changes=body["changes"],
            effective_on=body["effective_on"],
            due_at=body["due_at"],
            signing_order=body["signing_order"],
            client=_client(),
        )
        return _created(actor, drafted, "amendment", contract_id)


@blp.route("/contracts/<int:contract_id>/terminations")
class Terminations(MethodView):
    @blp.doc(**_doc(WRITE))
    @blp.arguments(TerminationIn)
    @blp.response(201, DraftedOut)
    def post(self, body: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Draft 解除劳动合同协议书 (`mode=agreement`, both sign) or the employer's certificate of
        rescission or ending (`mode=certificate`, issued with POST …/issue)."""
        actor = employer_caller(WRITE)
        drafted = lifecycle().draft_termination(
            actor,
            contract_id,
            mode=body["mode"],
            ended_on=body["ended_on"],
            reason=body["reason"],
            legal_basis=body["legal_basis"],
            compensation=body["compensation"],
            handover=body["handover"],
            due_at=body["due_at"],
            signing_order=body["signing_order"],
            client=_client(),
        )
        return _created(actor, drafted, "termination", contract_id)


@blp.route("/contracts/<int:contract_id>/renewals")
class Renewals(MethodView):
    @blp.doc(**_doc(WRITE))
    @blp.arguments(RenewalIn)
    @blp.response(201, DraftedOut)
    def post(self, body: dict[str, Any], contract_id: int) -> dict[str, Any]:
        """Draft a renewed contract (续订) from the current terms with a new term; filed when concluded."""
        actor = employer_caller(WRITE)
        drafted = lifecycle().draft_renewal(
            actor,
            contract_id,
            term=body["term"],
            changes=body["changes"],
            due_at=body["due_at"],
            signing_order=body["signing_order"],
            client=_client(),
        )
        return _created(actor, drafted, "renewal", contract_id)


@blp.route("/contracts/<int:contract_id>/issue")
class Issue(MethodView):
    @blp.doc(**_doc(SEND))
    @blp.response(200, ContractOut)
    def post(self, contract_id: int) -> dict[str, Any]:
        """Seal and issue an employer-only certificate of rescission or ending; the worker can download it."""
        actor = employer_caller(SEND)
        lifecycle().issue_certificate(actor, contract_id, _client())
        return asdict(views().employer_contract(actor, contract_id))


@blp.route("/contracts/<int:contract_id>/links")
class Links(MethodView):
    @blp.doc(**_doc(READ))
    @blp.response(200, LinksOut)
    def get(self, contract_id: int) -> dict[str, Any]:
        """The documents linked to a contract: the contract it belongs to, its amendments,
        terminations and renewals, and when it ended."""
        actor = employer_caller(READ)
        return asdict(lifecycle().links(actor, contract_id))
