"""Marshmallow schemas of the REST API: request bodies are validated here, shapes documented in OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, fields, validate


class UtcDateTime(fields.DateTime):
    """Timestamps are stored in UTC; SQLite hands them back naive, so say so explicitly."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE  # an unknown field is an error with its pointer, never silently dropped


# -- auth ---------------------------------------------------------------------


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    totp = fields.String(
        load_default=None, validate=validate.Regexp(r"^\d{6}$"), metadata={"description": "staff"}
    )


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


# -- cases --------------------------------------------------------------------


class PartyIn(Strict):
    role = fields.String(
        required=True, validate=validate.OneOf(["applicant", "respondent", "agent", "third_party"])
    )
    kind = fields.String(load_default="person", validate=validate.OneOf(["person", "organisation"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    resident_id = fields.String(load_default=None, validate=validate.Length(equal=18))
    phone = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9+\- ]{5,20}$"))
    uscc = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9A-HJ-NPQRTUWXY]{18}$"))
    user_id = fields.Integer(load_default=None)
    address = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata={"description": "住所"}
    )


class ClaimIn(Strict):
    claim_type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    amount = fields.Decimal(load_default=None, places=2, as_string=True, validate=validate.Range(min=0))
    period_start = fields.Date(load_default=None)
    period_end = fields.Date(load_default=None)


class OpenCaseIn(Strict):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    case_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation_id = fields.Integer(required=True)
    parties = fields.List(fields.Nested(PartyIn), load_default=list)
    claims = fields.List(fields.Nested(ClaimIn), load_default=list)
    data = fields.Dict(keys=fields.String(), load_default=dict)


class CaseListArgs(Strict):
    status = fields.String(load_default=None)
    case_type = fields.String(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CaseSummary(Schema):
    id = fields.Integer()
    case_number = fields.String()
    case_type = fields.String()
    title = fields.String()
    status = fields.String()
    updated_at = UtcDateTime()
    version = fields.Integer()
    collective = fields.Boolean(metadata={"description": "collective dispute (法7): listed first while open"})


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseSummary))
    total = fields.Integer()


class CaseOut(Schema):
    id = fields.Integer()
    case_number = fields.String()
    case_type = fields.String()
    title = fields.String()
    status = fields.String()
    organisation_id = fields.Integer()
    process_key = fields.String()
    definition_version = fields.Integer()
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    parties = fields.List(fields.Dict())
    claims = fields.List(fields.Dict())
    links = fields.List(fields.Dict())
    open_tasks = fields.List(fields.Dict())
    deadlines = fields.List(fields.Dict())
    collective = fields.Boolean(
        metadata={"description": "ten or more worker applicants with a common claim (调解仲裁法 art.7)"}
    )
    applicant_count = fields.Integer(metadata={"description": "worker applicants"})


class LinkIn(Strict):
    to_case_id = fields.Integer(required=True)
    relation = fields.String(required=True)


class WithdrawIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class PostponementIn(WithdrawIn):
    """Why the party cannot attend on the notified day."""


class RecusalIn(Strict):
    arbitrator = fields.String(required=True, validate=validate.Length(min=1, max=60))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class AdvanceExecutionIn(Strict):
    claims = fields.List(fields.Integer(validate=validate.Range(min=1)), required=True)  # claim positions
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class PartyRequestOut(Schema):
    case_id = fields.Integer()
    message = fields.String()
    requested_at = fields.DateTime()
    opened_task_ids = fields.List(fields.String())


class ArbitrationApplicationIn(Strict):
    commission_id = fields.Integer(required=True)
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=300))


class RepresentativesIn(Strict):
    party_ids = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "the elected representatives: 3 to 5 worker applicants' party ids"},
    )


class RepresentativeOut(Schema):
    party_id = fields.Integer()
    name = fields.String()
    user_id = fields.Integer(allow_none=True)
    recorded_at = UtcDateTime(metadata={"description": "when the election was recorded"})
    recorded_by = fields.String(metadata={"description": "who recorded it"})


class CollectiveOut(Schema):
    case_id = fields.Integer()
    case_number = fields.String()
    collective = fields.Boolean()
    applicant_count = fields.Integer(metadata={"description": "worker applicants"})
    representatives = fields.List(fields.Nested(RepresentativeOut))


class MessageIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class DeliveryOut(Schema):
    case_id = fields.Integer()
    case_number = fields.String()
    message = fields.String()
    opened_task_ids = fields.List(fields.String())
    case_closed = fields.Boolean()


class HistoryEvent(Schema):
    seq = fields.Integer()
    at = UtcDateTime()
    actor = fields.String()
    action = fields.String()
    entity = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    hash = fields.String()


class DocumentOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    filename = fields.String()
    content_type = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    created_at = UtcDateTime()
    state = fields.String()


class EvidenceOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    filename = fields.String(metadata={"description": "cleaned; its extension matches the type"})
    content_type = fields.String(metadata={"description": "application/pdf, image/jpeg or image/png"})
    size = fields.Integer()
    sha256 = fields.String()
    description = fields.String()
    purpose = fields.String(metadata={"description": "application, defence or additional"})
    party_id = fields.Integer(allow_none=True, metadata={"description": "None: the agency's own"})
    party_role = fields.String(allow_none=True)
    party_name = fields.String(allow_none=True)
    submitted_by = fields.String()
    submitted_at = UtcDateTime()


# -- tasks --------------------------------------------------------------------


class InboxArgs(Strict):
    role = fields.String(load_default=None)
    mine = fields.Boolean(load_default=False)
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "completed", "cancelled"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class TaskOut(Schema):
    id = fields.String()
    case_id = fields.Integer()
    case_number = fields.String()
    name = fields.String()
    title = fields.String()
    candidate_role = fields.String(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    state = fields.String()
    due_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    form_key = fields.String(allow_none=True)
    form_schema = fields.Dict(allow_none=True)


class CompleteIn(Strict):
    data = fields.Dict(keys=fields.String(), required=True, metadata={"description": "the task form"})


class CompletionOut(Schema):
    task_id = fields.String()
    case_id = fields.Integer()
    case_version = fields.Integer()
    opened_task_ids = fields.List(fields.String())
    case_closed = fields.Boolean()


class ReassignIn(Strict):
    user_id = fields.Integer(required=True)


# -- deadlines ----------------------------------------------------------------


class DeadlineOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    rule = fields.String()
    legal_basis = fields.String()
    human_task_id = fields.String(allow_none=True)
    started_on = fields.Date()
    due_on = fields.Date()
    state = fields.String()
    status = fields.String()
    extension_days = fields.Integer()
    suspended_days = fields.Integer()
    history = fields.List(fields.Dict())


class DeadlineChangeIn(Strict):
    action = fields.String(required=True, validate=validate.OneOf(["suspend", "resume", "restart", "extend"]))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    on_date = fields.Date(load_default=None)
    days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=365))


# -- definitions and audit ----------------------------------------------------


class DefinitionOut(Schema):
    id = fields.Integer()
    process_key = fields.String()
    version = fields.Integer()
    name = fields.String()
    content_hash = fields.String()
    deployed_at = UtcDateTime()


class AuditProblemOut(Schema):
    chain = fields.String()
    seq = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    problem = fields.String()


class AuditVerifyOut(Schema):
    intact = fields.Boolean()
    problems = fields.List(fields.Nested(AuditProblemOut))


# -- formal documents and verification -----------------------------------------


class IssueDocumentIn(Strict):
    case_id = fields.Integer(required=True)
    document_type = fields.String(required=True, validate=validate.Length(min=1, max=48))
    data = fields.Dict(load_default=dict, metadata={"description": "fields of the document type"})
    seal_level = fields.String(load_default=None, validate=validate.OneOf(["B-B", "B-T", "B-LTA"]))


class IssuedDocumentListArgs(Strict):
    case_id = fields.Integer(required=True)


class IssuedDocumentOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    document_type = fields.String()
    title = fields.String()
    number = fields.String()
    state = fields.String(metadata={"description": "pending, issued, revoked, superseded"})
    verification_code = fields.String()
    requested_at = UtcDateTime()
    issued_at = UtcDateTime(allow_none=True)
    sha256 = fields.String(allow_none=True)
    pages = fields.Integer(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    archived_at = UtcDateTime(
        allow_none=True,
        metadata={"description": "when the B-LTA archival copy was kept (after the case closed)"},
    )


class RevokeIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class PublicRecordOut(Schema):
    number = fields.String()
    title = fields.String()
    issuer = fields.String()
    state = fields.String()
    issued_at = UtcDateTime(allow_none=True)
    sha256 = fields.String(allow_none=True)
    revoke_reason = fields.String(allow_none=True)


class SignatureReportOut(Schema):
    field_name = fields.String()
    signer = fields.String()
    organisation = fields.String(allow_none=True)
    signed_at = UtcDateTime(allow_none=True)
    timestamp = UtcDateTime(allow_none=True)
    intact = fields.Boolean()
    covers_whole_document = fields.Boolean()
    trusted = fields.Boolean()
    revoked = fields.Boolean(allow_none=True)
    level = fields.String(allow_none=True)
    certified = fields.Boolean()
    problems = fields.List(fields.String())


class VerificationOut(Schema):
    sha256 = fields.String()
    valid = fields.Boolean(metadata={"description": "signatures intact, trusted, unrevoked, unmodified"})
    modified_after_signing = fields.Boolean()
    signatures = fields.List(fields.Nested(SignatureReportOut))
    problems = fields.List(fields.String())
    record = fields.Nested(PublicRecordOut, allow_none=True, metadata={"description": "our record"})


# -- worker registration (portal sign-up) ---------------------------------------


class FieldProblemOut(Schema):
    pointer = fields.String(metadata={"description": "JSON pointer into the request body, e.g. /resident_id"})
    detail = fields.String()


class ProblemOut(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldProblemOut))
    retry_after = fields.Integer(metadata={"description": "429 only: seconds until a retry may succeed"})
    max_bytes = fields.Integer(metadata={"description": "413 only: the largest file accepted"})


class PhoneCodeIn(Strict):
    phone = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "mainland mobile number, 11 digits (a +86 prefix is accepted)"},
    )
    purpose = fields.String(load_default="signup", validate=validate.OneOf(["signup"]))


class PhoneCodeOut(Schema):
    phone_masked = fields.String(metadata={"description": "where the code went, e.g. 138****8000"})
    expires_in = fields.Integer(metadata={"description": "seconds the code stays valid"})
    resend_after = fields.Integer(metadata={"description": "seconds before another code may be asked for"})


class WorkerSignupIn(Strict):
    name = fields.String(required=True, validate=validate.Length(max=100), metadata={"description": "姓名"})
    resident_id = fields.String(
        required=True, validate=validate.Length(max=40), metadata={"description": "公民身份号码 (GB 11643)"}
    )
    phone = fields.String(required=True, validate=validate.Length(max=20))
    code = fields.String(
        required=True, validate=validate.Length(max=10), metadata={"description": "SMS code"}
    )
    password = fields.String(required=True, validate=validate.Length(max=256), load_only=True)


class WorkerSignupOut(Schema):
    user_id = fields.Integer()
    username = fields.String(metadata={"description": "the phone number: log in with it"})
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
