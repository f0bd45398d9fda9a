"""What each document needs: one marshmallow schema per document type.

The issuing service passes the case's data (issuer, case number, parties, claims) merged with
the step's form data (field names as in bpmn/*/forms) and the numbering and verification
fields it reserves.  Unknown keys are ignored, because that merged mapping carries more than
any one document uses.  Invalid data raises `workflows.errors.ValidationError` whose problems
point (JSON pointer) at the offending field: ``/parties/0/resident_id``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from workflows.errors import FieldProblem, ValidationError
from workflows.finality import CATEGORIES, disqualified_items

DOCUMENT_NUMBER = re.compile(r"^[^\s〔〕]{0,24}〔(19|20)\d{2}〕第?\d{1,7}号$")
VERIFICATION_CODE = re.compile(r"^[0-9A-Z]{4,32}$")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_ok(value: str) -> bool:
    """公民身份号码: 17 digits and a check character (GB 11643-1999)."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def uscc_ok(value: str) -> bool:
    """统一社会信用代码: 18 characters with a check character (GB 32100-2015)."""
    if len(value) != 18 or any(c not in _USCC_ALPHABET for c in value):
        return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == value[17]


def _check(ok: Any, message: str) -> Any:
    def run(value: str) -> None:
        if not ok(value):
            raise SchemaError(message)

    return run


class Paragraphs(fields.Field):
    """Running text: a string (paragraphs separated by line breaks) or a list of strings."""

    def __init__(self, *, max_length: int = 20_000, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            items = value.splitlines()
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            items = [line for v in value for line in v.splitlines()]
        else:
            raise SchemaError("must be text or a list of texts")
        paragraphs = [p.strip() for p in items if p.strip()]
        if not paragraphs:
            raise SchemaError("must not be empty")
        if sum(len(p) for p in paragraphs) > self.max_length:
            raise SchemaError(f"longer than {self.max_length} characters")
        return paragraphs


def _text(max_length: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = EXCLUDE


class AgentSchema(_Strict):
    name = _text(60, required=True)
    description = _text(120, load_default=None)  # 某律师事务所律师 / 该公司员工


class PartySchema(_Strict):
    role = fields.String(
        required=True, validate=validate.OneOf(["applicant", "respondent", "third_party", "agent"])
    )
    name = _text(100, required=True)
    kind = fields.String(load_default=None, validate=validate.OneOf(["person", "organisation"]))
    gender = fields.String(load_default=None, validate=validate.OneOf(["male", "female"]))
    ethnicity = _text(20, load_default=None)
    birth_date = fields.Date(load_default=None)
    resident_id = fields.String(
        load_default=None, validate=_check(resident_id_ok, "not a valid resident ID number (GB 11643)")
    )
    uscc = fields.String(
        load_default=None, validate=_check(uscc_ok, "not a valid unified social credit code (GB 32100)")
    )
    address = _text(200, load_default=None)
    legal_representative = _text(60, load_default=None)
    legal_representative_title = _text(30, load_default=None)
    agents = fields.List(fields.Nested(AgentSchema), load_default=list)
    # for role "agent": whom the agent acts for (a party's name) and what the agent is
    represents = _text(100, load_default=None)
    description = _text(120, load_default=None)


class ClaimSchema(_Strict):
    """One item of the application as the case records it (仲裁请求)."""

    position = fields.Integer(load_default=None)
    claim_type = _text(48, load_default=None)
    claim_type_label = _text(48, load_default=None)  # 拖欠工资, … as the case shows the type
    description = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def _says_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not (data.get("description") or "").strip() and not data.get("claim_type"):
            raise SchemaError("needs a description or a claim type", "description")

    amount = fields.Decimal(load_default=None, places=2, validate=validate.Range(min=0))


class DocumentSchema(_Strict):
    """What every document carries."""

    issuer = _text(60, required=True)  # the commission (or mediation body) issuing it
    document_number = fields.String(
        required=True,
        validate=validate.Regexp(DOCUMENT_NUMBER, error="must look like 穗劳人仲案字〔2026〕第12号"),
    )
    issue_date = fields.Date(required=True)
    verification_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    verification_code = fields.String(
        required=True, validate=validate.Regexp(VERIFICATION_CODE, error="must be 4-32 of 0-9 A-Z")
    )
    case_number = _text(60, load_default=None)
    parties = fields.List(fields.Nested(PartySchema), load_default=list)
    addressee = _text(200, load_default=None)  # 主送; defaults per document type

    #: Roles that must appear among the parties.
    needs_roles: tuple[str, ...] = ()

    @validates_schema
    def _parties_present(self, data: dict[str, Any], **kwargs: Any) -> None:
        roles = {p["role"] for p in data.get("parties", [])}
        missing = [r for r in self.needs_roles if r not in roles]
        if missing:
            raise SchemaError(f"needs at least one party with role {', '.join(missing)}", "parties")


class _CaseNotice(DocumentSchema):
    case_number = _text(60, required=True)
    needs_roles = ("applicant", "respondent")


class _Tribunal(Schema):
    tribunal_kind = fields.String(load_default=None, validate=validate.OneOf(["collegiate", "sole"]))
    presiding_arbitrator = _text(60, required=True)
    other_arbitrators = fields.List(_text(60), load_default=list, validate=validate.Length(max=2))
    clerk = _text(60, load_default=None)

    @validates_schema
    def _tribunal_consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        others = data.get("other_arbitrators") or []
        kind = data.get("tribunal_kind") or ("sole" if not others else "collegiate")
        if kind == "collegiate" and len(others) != 2:
            raise SchemaError("a tribunal of three needs two other arbitrators (法31)", "other_arbitrators")
        if kind == "sole" and others:
            raise SchemaError("a sole arbitrator sits alone", "other_arbitrators")
        data["tribunal_kind"] = kind


class MediationAgreementSchema(DocumentSchema):
    """调解协议书 (调解仲裁法 art.14): signed by both parties and the mediator, sealed by the body."""

    needs_roles = ("applicant", "respondent")
    mediator = _text(60, required=True)
    mediation_summary = Paragraphs(load_default=None)  # the dispute and how it was mediated
    agreement_terms = Paragraphs(required=True)
    performance_due_on = fields.Date(load_default=None)
    copies = fields.Integer(load_default=3, validate=validate.Range(min=2, max=10))


class SupplementNoticeSchema(DocumentSchema):
    """补正通知书: every missing item told at once."""

    needs_roles = ("applicant",)
    application_received_on = fields.Date(required=True)
    supplement_items = fields.List(_text(300), required=True, validate=validate.Length(min=1, max=30))
    supplement_due_on = fields.Date(required=True)

    @validates_schema
    def _due_after_issue(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["supplement_due_on"] < data["issue_date"]:
            raise SchemaError("must not be before the issue date", "supplement_due_on")


class AcceptanceNoticeSchema(_CaseNotice):
    """受理通知书 (调解仲裁法 art.29)."""

    accepted_on = fields.Date(required=True)
    evidence_due_on = fields.Date(load_default=None)
    contact = _text(200, load_default=None)


REFUSAL_GROUNDS = {
    "not_labour_dispute": "申请仲裁的事项不属于劳动人事争议处理范围",
    "no_jurisdiction": "本委对该争议不具有管辖权",
    "limitation_expired": "申请仲裁的时效期间已经届满",
    "no_specific_claim": "没有明确的被申请人或者具体的仲裁请求和事实、理由",
    "other": "",
}


class RefusalNoticeSchema(DocumentSchema):
    """不予受理通知书 with reasons (调解仲裁法 art.29)."""

    needs_roles = ("applicant",)
    application_received_on = fields.Date(required=True)
    refusal_ground = fields.String(required=True, validate=validate.OneOf(list(REFUSAL_GROUNDS)))
    refusal_reason = Paragraphs(load_default=None, max_length=5000)
    competent_body = _text(60, load_default=None)  # where to apply instead (no_jurisdiction)

    @validates_schema
    def _reason_for_other(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("refusal_ground") == "other" and not data.get("refusal_reason"):
            raise SchemaError("required when the ground is other", "refusal_reason")


class FormTribunalNoticeSchema(_CaseNotice, _Tribunal):
    """仲裁庭组成通知书 (调解仲裁法 art.31-33)."""

    simplified_procedure = fields.Boolean(load_default=False)


class HearingNoticeSchema(_CaseNotice):
    """开庭通知书: at least five days before the hearing (调解仲裁法 art.35)."""

    hearing_date = fields.Date(required=True)
    hearing_time = fields.Time(load_default=None)
    hearing_place = _text(200, required=True)
    notes = fields.List(_text(300), load_default=list)

    @validates_schema
    def _hearing_after_issue(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["hearing_date"] <= data["issue_date"]:
            raise SchemaError("must be after the issue date", "hearing_date")


class PostponeHearingNoticeSchema(_CaseNotice):
    """延期审理（开庭）通知书 (调解仲裁法 art.35)."""

    original_hearing_date = fields.Date(load_default=None)
    postponement_reason = _text(500, required=True)
    requested_by = _text(100, load_default=None)
    new_hearing_date = fields.Date(load_default=None)
    new_hearing_time = fields.Time(load_default=None)
    hearing_place = _text(200, load_default=None)


class ExtensionNoticeSchema(_CaseNotice):
    """延长审理期限通知书: at most 15 days, approved by the commission's head (art.43)."""

    accepted_on = fields.Date(required=True)
    extension_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=15))
    new_deadline = fields.Date(required=True)
    extension_reason = _text(500, required=True)

    @validates_schema
    def _deadline_after_acceptance(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["new_deadline"] <= data["accepted_on"]:
            raise SchemaError("must be after the acceptance date", "new_deadline")


class MediationStatementSchema(_CaseNotice, _Tribunal):
    """调解书 (调解仲裁法 art.42): effective once both parties have signed for it."""

    claims = fields.List(fields.Nested(ClaimSchema), load_default=list)
    accepted_on = fields.Date(load_default=None)
    case_summary = Paragraphs(load_default=None)
    mediation_statement_terms = Paragraphs(required=True)


class AwardItemSchema(_Strict):
    """One row of the award table: what was asked and what the tribunal decided."""

    claim = _text(500, required=True)
    ruling = fields.String(required=True, validate=validate.OneOf(["granted", "partly_granted", "dismissed"]))
    amount = fields.Decimal(load_default=None, places=2, validate=validate.Range(min=0))  # awarded
    claimed_amount = fields.Decimal(load_default=None, places=2, validate=validate.Range(min=0))
    category = fields.String(load_default=None, validate=validate.OneOf(list(CATEGORIES)))
    final = fields.Boolean(load_default=None)  # within art.47, as judged item by item by the process
    order = _text(1000, load_default=None)  # the operative wording, e.g. 被申请人支付…

    @validates_schema
    def _amounts(self, data: dict[str, Any], **kwargs: Any) -> None:
        amount, claimed = data.get("amount"), data.get("claimed_amount")
        if data["ruling"] == "dismissed" and amount:
            raise SchemaError("a dismissed claim awards nothing", "amount")
        if amount is not None and claimed is not None and amount > claimed:
            raise SchemaError("more than was claimed", "amount")


class AwardDocumentSchema(_CaseNotice, _Tribunal):
    """裁决书 (调解仲裁法 art.43-50)."""

    claims = fields.List(fields.Nested(ClaimSchema), load_default=list)
    accepted_on = fields.Date(required=True)
    hearing_held_on = fields.Date(load_default=None)
    default_award = fields.Boolean(load_default=False)
    applicant_statement = Paragraphs(load_default=None)
    respondent_defence = Paragraphs(load_default=None)
    findings = Paragraphs(load_default=None)
    award_reasoning = Paragraphs(required=True)
    legal_basis = _text(500, load_default=None)  # 《…》第…条
    award_items = fields.List(
        fields.Nested(AwardItemSchema), required=True, validate=validate.Length(min=1, max=200)
    )
    award_orders = Paragraphs(load_default=None)
    award_finality = fields.String(required=True, validate=validate.OneOf(["final", "non_final"]))
    # 先行裁决: part of the claims decided first, the rest later (法43 para.2)
    award_scope = fields.String(load_default="full", validate=validate.OneOf(["full", "partial"]))
    monthly_minimum_wage = fields.Decimal(load_default=None, places=2, validate=validate.Range(min=1))
    basic_court = _text(60, load_default=None)
    intermediate_court = _text(60, load_default=None)

    @validates_schema
    def _finality(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A final award denies the employer a suit (法47-49): refuse one whose items do not
        all qualify, when the minimum wage is given to check against."""
        wage: Decimal | None = data.get("monthly_minimum_wage")
        if data.get("award_finality") != "final" or wage is None:
            return
        items = data.get("award_items") or []
        unknown = [i for i, item in enumerate(items) if item.get("category") is None]
        if unknown:
            raise SchemaError(
                {i: {"category": ["needed to check a final award (法47)"]} for i in unknown}, "award_items"
            )
        bad = disqualified_items(items, wage)
        if bad:
            rows = ", ".join(str(i + 1) for i in bad)
            raise SchemaError(
                f"not a final award (法47): item {rows} is neither within 12 months of the minimum "
                "wage nor a working-time, rest or social-insurance dispute",
                "award_finality",
            )


SCHEMAS: dict[str, type[DocumentSchema]] = {
    "mediation_agreement": MediationAgreementSchema,
    "supplement_notice": SupplementNoticeSchema,
    "acceptance_notice": AcceptanceNoticeSchema,
    "refusal_notice": RefusalNoticeSchema,
    "form_tribunal_notice": FormTribunalNoticeSchema,
    "hearing_notice": HearingNoticeSchema,
    "postpone_hearing_notice": PostponeHearingNoticeSchema,
    "extension_notice": ExtensionNoticeSchema,
    "mediation_statement": MediationStatementSchema,
    "award_document": AwardDocumentSchema,
}


def _pointer(parts: list[str]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _problems(messages: Any, path: list[str]) -> list[FieldProblem]:
    if isinstance(messages, Mapping):
        out: list[FieldProblem] = []
        for key, value in messages.items():
            out.extend(_problems(value, path if key == "_schema" else [*path, str(key)]))
        return out
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return [FieldProblem(_pointer(path), m) for m in messages]
        return [p for m in messages for p in _problems(m, path)]
    return [FieldProblem(_pointer(path), str(messages))]


class _Schemas(threading.local):
    """One instance of each schema per thread: building one deep-copies its declared fields
    (and, on first use, those of its nested schemas), a tenth of the cost of a render."""

    def __init__(self) -> None:
        self.instances: dict[type[DocumentSchema], DocumentSchema] = {}

    def get(self, schema: type[DocumentSchema]) -> DocumentSchema:
        instance = self.instances.get(schema)
        if instance is None:
            instance = self.instances[schema] = schema()
        return instance


_schemas = _Schemas()


def load(schema: type[DocumentSchema], data: Mapping[str, Any], document_type: str) -> dict[str, Any]:
    """Validate and convert `data`; raises ValidationError with a pointer per problem."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"{document_type}: data must be an object", [FieldProblem("", "not an object")])
    try:
        loaded: dict[str, Any] = _schemas.get(schema).load(dict(data))
    except SchemaError as exc:
        problems = _problems(exc.messages, [])
        summary = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in problems[:5])
        raise ValidationError(f"invalid data for {document_type}: {summary}", problems) from None
    return loaded
