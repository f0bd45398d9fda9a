"""Electronic labour contracts (电子劳动合同订立指引, 2021; design/law.md §8): the domain service.

An employer's agent drafts a contract from one of its templates (the shipped model, adopted as
the employer's own); the clauses are checked (`workflows.contract_clauses`: the mandatory
clauses of 劳动合同法 art.17 and the rules of arts.19-20) and the contract is rendered once, with
empty signature fields — that PDF is the preview and exactly what is signed.  Then:

    draft --send--> sent --(worker_first) worker signs--> worker_signed --employer seals--> concluded
                         --(employer_first) employer seals--> employer_sealed --worker signs--> concluded

Sending starts the signing process (bpmn/labour_contract_signing, run as a case of type
`labour_contract` whose number is the contract's): it decides who signs next, tells the worker
by SMS, reminds the worker before `due_at` and expires the contract at `due_at` (timers fired by
the background worker), ends on a decline or void (messages), and concludes when both have
signed.  This service does what needs the parties and the keys — identity checks, signatures,
the seal — and completes the process's user task in the same transaction; the process's
effects (`labour_contract.*`, registered on the case runtime) come back here to notify,
expire and conclude.  The `state` column mirrors the process for lists and checks.

The worker signs only after proving identity (real name and resident ID of the account match
the contract, and an SMS one-time code; recorded as evidence) within `identity_ttl`.  Each
signature is PAdES B-T (our TSA); the employer seals with its own seal certificate.  The worker
may decline (with a reason) and the employer void the contract before the worker signs.

Concluding verifies the PDF (both signatures valid and timestamped), archives it and a
completion certificate under retention (two years after the end of a fixed term; legal hold
while the end is unknown), and records the labour-use filing (用工备案).  Every step appends to
the audit chain `labour_contract:<id>` with who, when, identity method, IP, device and document
hashes — the evidence chain the guideline asks to keep.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, SessionTransaction

from workflows.audit import Actor, append_chain_event, hold_chain_head
from workflows.cases import CaseNumber, new_case_row, start_process
from workflows.contract_clauses import apply_defaults, check_clauses
from workflows.db import Database
from workflows.definitions import Definitions, LoadedDefinition
from workflows.engine import Run
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    SealingError,
    ValidationError,
)
from workflows.minimum_wages import MinimumWages
from workflows.models import (
    AuditChainHead,
    AuditEvent,
    Case,
    HumanTask,
    LabourContract,
    LabourContractTemplate,
    LabourUseFiling,
    Organisation,
    StoredFile,
    User,
)
from workflows.notifications import Notice, queue_sms
from workflows.ports import (
    EMPLOYER_SEAL_FIELD,
    WORKER_SIGNATURE_FIELD,
    Bucket,
    ContractRenderer,
    ContractSigner,
    DocumentStore,
    OrganisationSigner,
    PersonalSigner,
    Retention,
    Verifier,
)
from workflows.registration import CONTRACT_SIGNING, CodeSent, mask_phone, mask_resident_id
from workflows.roles import EMPLOYER_AGENT, WORKER
from workflows.runtime import CaseRuntime, Clock, utcnow

MODEL_TEMPLATE = Path(__file__).with_name("contract_templates") / "model.json"
IDENTITY_TTL = timedelta(minutes=10)
IDENTITY_METHOD = "real_name+sms_code"  # account's verified name and resident ID, plus an SMS code
RETENTION_YEARS = 2  # 劳动合同法 art.50 para.3
PDF = "application/pdf"
SIGNING_PROCESS = "labour_contract_signing"
CASE_TYPE = "labour_contract"
REMIND_BEFORE = timedelta(hours=24)  # the worker is reminded this long before the signing deadline
#: the effects of the signing process (bpmn: `effect="…"`), handled by ContractService
EFFECT_SENT, EFFECT_REMIND, EFFECT_EXPIRE, EFFECT_CONCLUDE = (
    "labour_contract.sent",
    "labour_contract.remind",
    "labour_contract.expire",
    "labour_contract.conclude",
)
EFFECTS = frozenset({EFFECT_SENT, EFFECT_REMIND, EFFECT_EXPIRE, EFFECT_CONCLUDE})

DRAFT, SENT, WORKER_SIGNED, EMPLOYER_SEALED = "draft", "sent", "worker_signed", "employer_sealed"
CONCLUDED, DECLINED, EXPIRED, VOIDED = "concluded", "declined", "expired", "voided"
OPEN_STATES = (SENT, WORKER_SIGNED, EMPLOYER_SEALED)
EMPLOYER_FIRST, WORKER_FIRST, EMPLOYER_ONLY = "employer_first", "worker_first", "employer_only"
SIGNING_ORDERS = (EMPLOYER_FIRST, WORKER_FIRST)
STATE_LABELS = {
    DRAFT: "草稿",
    SENT: "待签署",
    WORKER_SIGNED: "劳动者已签名",
    EMPLOYER_SEALED: "用人单位已盖章",
    CONCLUDED: "已订立",
    DECLINED: "劳动者已拒签",
    EXPIRED: "已过期",
    VOIDED: "已作废",
}
SENT_NOTICE = (
    "用人单位已向您发送电子劳动合同。签署流程：查看合同 → 短信验证码核验身份 → 签名；"
    "用人单位盖章并加盖可信时间戳后合同订立。您可随时免费查看、下载和打印合同，签署不收取任何费用。"
)


class ContractStateError(ConflictError):
    """The contract is not in a state that allows this step."""

    code = "contract_state"

    def __init__(self, contract_id: int, state: str, action: str):
        super().__init__(f"劳动合同当前状态为「{STATE_LABELS.get(state, state)}」，不能{action}")
        self.contract_id, self.state, self.action = contract_id, state, action


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, recorded as evidence."""

    ip: str | None = None
    user_agent: str | None = None

    def evidence(self) -> dict[str, Any]:
        return {"client_ip": self.ip, "user_agent": (self.user_agent or "")[:300] or None}


class PhoneCodes(Protocol):
    """One-time SMS codes (`workflows.registration.RegistrationService`)."""

    def request_phone_code(self, phone: str, purpose: str, client_ip: str | None = None) -> CodeSent: ...

    def verify_phone_code(self, phone: str, code: str, purpose: str) -> int: ...


@dataclass(frozen=True)
class Drafted:
    contract_id: int
    contract_number: str
    document_sha256: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class BulkRow:
    """One contract of a bulk send (a parsed spreadsheet line)."""

    template_id: int
    worker_user_id: int
    clauses: Mapping[str, Any]
    due_at: datetime
    signing_order: str = WORKER_FIRST


@dataclass(frozen=True)
class BulkResult:
    """The outcome of one row: `drafted` when drafted and sent, else the message and problems."""

    row: int
    drafted: Drafted | None
    error: str | None = None
    problems: tuple[FieldProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.drafted is not None


def _check_draft_options(signing_order: str, due_at: datetime, now: datetime) -> None:
    problems = []
    if signing_order not in SIGNING_ORDERS:
        problems.append(FieldProblem("/signing_order", "签署顺序须为用人单位先签或劳动者先签"))
    if _aware(due_at) <= now:
        problems.append(FieldProblem("/due_at", "签署截止时间须晚于现在"))
    if problems:
        raise ValidationError("无法起草劳动合同", problems)


def chain_of_contract(contract_id: int) -> str:
    return f"labour_contract:{contract_id}"


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def load_model_template() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(MODEL_TEMPLATE.read_text(encoding="utf-8"))
    return content


class ContractService:
    """Drafting, signing and concluding labour contracts (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        renderer: ContractRenderer,
        signer: ContractSigner,
        store: DocumentStore,
        verifier: Verifier,
        *,
        runtime: CaseRuntime,
        definitions: Definitions,
        phone_codes: PhoneCodes,
        verify_base_url: str,
        wages: MinimumWages | None = None,
        clock: Clock = utcnow,
        timezone: str = "Asia/Shanghai",
        identity_ttl: timedelta = IDENTITY_TTL,
    ):
        self.db = db
        self.renderer = renderer
        self.signer = signer
        self.store = store
        self.verifier = verifier
        self.phone_codes = phone_codes
        self.verify_base_url = verify_base_url.rstrip("/")
        self.wages = wages
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.identity_ttl = identity_ttl
        self.runtime = runtime
        self.definitions = definitions
        self._step = threading.local()  # the signed PDF and client of the step under way
        runtime.register_effect(EFFECT_SENT, self._on_sent)
        runtime.register_effect(EFFECT_REMIND, self._on_remind)
        runtime.register_effect(EFFECT_EXPIRE, self._on_expire)
        runtime.register_effect(EFFECT_CONCLUDE, self._on_conclude)

    # -- templates ---------------------------------------------------------------------------

    def adopt_model_template(self, actor: Actor) -> int:
        """Copy the shipped model contract into the actor's employer's templates (a new version)."""
        employer_id = self._employer_of(actor)
        content = load_model_template()
        with self.db.transaction() as s:
            latest = s.execute(
                select(func.max(LabourContractTemplate.version)).where(
                    LabourContractTemplate.employer_id == employer_id,
                    LabourContractTemplate.template_key == content["key"],
                )
            ).scalar()
            row = LabourContractTemplate(
                employer_id=employer_id,
                template_key=content["key"],
                version=(latest or 0) + 1,
                title=content["title"],
                content=content,
                created_by=actor.user_id,
                created_at=self.clock(),
            )
            s.add(row)
            s.flush()
            return row.id

    # -- drafting ----------------------------------------------------------------------------

    def create_draft(
        self,
        actor: Actor,
        *,
        template_id: int,
        worker_user_id: int,
        clauses: Mapping[str, Any],
        due_at: datetime,
        signing_order: str = WORKER_FIRST,
        client: ClientInfo = ClientInfo(),
    ) -> Drafted:
        """Check the clauses, render the contract once and keep it; ValidationError names a
        missing mandatory clause (pointer /clauses/<clause>)."""
        employer_id = self._employer_of(actor)
        now = self.clock()
        _check_draft_options(signing_order, due_at, now)
        with self.db.transaction() as s:
            template = self._template(s, employer_id, template_id)
            _, drafted = self._draft(
                s, actor, employer_id, template, worker_user_id, clauses, due_at, signing_order, now, client
            )
            return drafted

    def send_bulk(
        self,
        actor: Actor,
        rows: Sequence[BulkRow],
        *,
        client: ClientInfo = ClientInfo(),
        batch_size: int = 50,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[BulkResult]:
        """Draft and send one contract per row (a parsed CSV/XLSX line); one result per row, in order.

        Each row is all or nothing: drafted *and* sent, or refused with its problems (the pointers
        of `ValidationError`, prefixed /rows/<index>) and nothing of it kept.  Rows are written in
        transactions of `batch_size` (a savepoint per row); `progress(done, total)` after each
        batch.  An unexpected failure (database, storage) rolls back its batch and propagates;
        earlier batches stay sent.
        """
        self._employer_of(actor)
        results: list[BulkResult] = []
        for first in range(0, len(rows), max(1, batch_size)):
            batch = rows[first : first + max(1, batch_size)]
            templates: dict[int, LabourContractTemplate] = {}  # loaded once per batch (per session)
            with self.db.transaction() as s:
                for index, row in enumerate(batch, first):
                    results.append(
                        self.send_bulk_row(s, actor, row, index, client=client, templates=templates)
                    )
            if progress is not None:
                progress(len(results), len(rows))
        return results

    def send_bulk_row(
        self,
        s: Session,
        actor: Actor,
        row: BulkRow,
        index: int,
        *,
        client: ClientInfo = ClientInfo(),
        templates: dict[int, LabourContractTemplate] | None = None,
    ) -> BulkResult:
        """One row of a bulk send inside the caller's transaction `s` (a savepoint), so that the
        caller can record the outcome atomically with the contract (workflows.contract_batches).
        Problems are prefixed /rows/<index>; anything but a refusal propagates."""
        employer_id = self._employer_of(actor)
        templates = {} if templates is None else templates
        now = self.clock()
        try:
            _check_draft_options(row.signing_order, row.due_at, now)
            with s.begin_nested():
                template = templates.get(row.template_id)
                if template is None:
                    template = templates[row.template_id] = self._template(s, employer_id, row.template_id)
                contract, drafted = self._draft(
                    s, actor, employer_id, template, row.worker_user_id, row.clauses,
                    row.due_at, row.signing_order, now, client,
                )  # fmt: skip
                self._send(s, contract, actor, now, client)
        except (ValidationError, NotFoundError) as e:
            problems = getattr(e, "problems", None) or [FieldProblem("", str(e))]
            where = tuple(FieldProblem(f"/rows/{index}{p.pointer}", p.message) for p in problems)
            return BulkResult(index, None, str(e), where)
        return BulkResult(index, drafted)

    def _template(self, s: Session, employer_id: int, template_id: int) -> LabourContractTemplate:
        template = s.get(LabourContractTemplate, template_id)
        if template is None or template.employer_id != employer_id:
            raise NotFoundError("labour contract template", template_id)
        if template.retired_at is not None:  # retired: kept for the contracts made from it, not new ones
            raise ValidationError(
                "该劳动合同模板已停用，不能用于起草新合同",
                [FieldProblem("/template_id", f"模板「{template.title}」已停用，请选用其他模板")],
            )
        return template

    def _draft(
        self,
        s: Session,
        actor: Actor,
        employer_id: int,
        template: LabourContractTemplate,
        worker_user_id: int,
        clauses: Mapping[str, Any],
        due_at: datetime,
        signing_order: str,
        now: datetime,
        client: ClientInfo,
        *,
        kind: str = "contract",  # contract_lifecycle: 'renewal' (of `original_id`) is drafted here too
        original_id: int | None = None,
    ) -> tuple[LabourContract, Drafted]:
        org = _employer(s, employer_id)
        worker = s.get(User, worker_user_id)
        if org is None:
            raise NotFoundError("organisation", employer_id)
        if worker is None or WORKER not in worker.role_codes:
            raise ValidationError(
                "劳动者账号不存在", [FieldProblem("/worker_user_id", "须为已实名注册的劳动者账号")]
            )
        s.info.setdefault(_PHONES, {})[worker.id] = worker.phone  # for the texts of this transaction
        merged = apply_defaults(clauses, template.content.get("defaults") or {})
        self._bind_parties(merged, org, worker)
        checked = check_clauses(
            merged, wages=self.wages, region_code=org.region_code, on=now.astimezone(self.zone).date()
        )
        code = _verification_code()
        contract = LabourContract(
            kind=kind,
            original_id=original_id,
            verification_code=code,
            employer_id=employer_id,
            worker_user_id=worker.id,
            template_id=template.id,
            template_version=template.version,
            clauses=checked.clauses,
            state=DRAFT,
            signing_order=signing_order,
            document_sha256="",
            current_sha256="",
            starts_on=checked.starts_on,
            ends_on=checked.ends_on,
            due_at=due_at,
            created_by=actor.user_id,
            created_at=now,
        )
        s.add(contract)
        s.flush()
        _hold_lock(s, contract)  # a row this transaction inserted is its own until commit
        contract.contract_number = f"LC{now.astimezone(self.zone):%Y}{contract.id:08d}"
        pdf = self.renderer.render_contract(self._render_data(contract, template.content))
        stored = self.store.put(Bucket.WORKING, pdf, content_type=PDF)
        contract.document_sha256 = contract.current_sha256 = stored.sha256
        self._event(
            s,
            contract,
            actor,
            "drafted",
            now,
            client,
            new_chain=True,
            document_sha256=stored.sha256,
            template_id=template.id,
            template_version=template.version,
            signing_order=signing_order,
            due_at=due_at,
            warnings=list(checked.warnings),
        )
        return contract, Drafted(contract.id, contract.contract_number, stored.sha256, checked.warnings)

    def _bind_parties(self, clauses: dict[str, Any], org: Organisation, worker: User) -> None:
        """The employer clause is the organisation's, the worker clause the account holder's."""
        employer = clauses.setdefault("employer", {})
        if isinstance(employer, dict):
            employer.setdefault("name", org.name)
            if org.uscc:
                employer.setdefault("uscc", org.uscc)
            if employer.get("name") and employer["name"] != org.name:
                raise ValidationError(
                    "用人单位名称与账号所属单位不符",
                    [FieldProblem("/clauses/employer/name", f"须为「{org.name}」")],
                )
        person = clauses.setdefault("worker", {})
        if isinstance(person, dict):
            person.setdefault("name", worker.display_name)
            rid = str(person.get("resident_id") or "").strip().upper()
            if worker.resident_id and rid and rid != worker.resident_id.upper():
                raise ValidationError(
                    "劳动者身份证号码与其实名账号不符",
                    [FieldProblem("/clauses/worker/resident_id", "须为该劳动者实名登记的身份证号码")],
                )

    def _render_data(self, contract: LabourContract, template: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "contract_number": contract.contract_number,
            "verification_url": f"{self.verify_base_url}?code={contract.verification_code}",
            "verification_code": contract.verification_code,
            "template": template,
            "clauses": contract.clauses,
        }

    # -- reading -----------------------------------------------------------------------------

    def preview(self, actor: Actor, contract_id: int) -> bytes:
        """The contract as rendered — the very bytes the parties sign."""
        with self.db.transaction() as s:
            contract = self._get(s, contract_id)
            self._may_read(actor, contract)
            return self.store.get(Bucket.WORKING, contract.document_sha256)

    def download(self, actor: Actor, contract_id: int) -> bytes:
        """The concluded contract (from the archive), else the document with its signatures so far."""
        with self.db.transaction() as s:
            contract = self._get(s, contract_id)
            self._may_read(actor, contract)
            if contract.final_file_id is not None:
                return self._archived(s, contract.final_file_id)
            return self.store.get(Bucket.WORKING, contract.current_sha256)

    def certificate(self, actor: Actor, contract_id: int) -> bytes:
        with self.db.transaction() as s:
            contract = self._get(s, contract_id)
            self._may_read(actor, contract)
            if contract.certificate_file_id is None:
                raise NotFoundError("labour contract certificate", contract_id)
            return self._archived(s, contract.certificate_file_id)

    def events(self, contract_id: int) -> list[AuditEvent]:
        """The contract's evidence chain, oldest first."""
        with self.db.transaction() as s:
            return list(
                s.execute(
                    select(AuditEvent)
                    .where(AuditEvent.chain == chain_of_contract(contract_id))
                    .order_by(AuditEvent.seq)
                ).scalars()
            )

    # -- the steps ---------------------------------------------------------------------------

    def send(self, actor: Actor, contract_id: int, client: ClientInfo = ClientInfo()) -> None:
        """Hand the draft to the worker, who is told the process and that it costs nothing."""
        with self.db.transaction() as s:
            contract = lock_contract(s, contract_id)
            self._as_employer(actor, contract)
            self._require(contract, (DRAFT,), "发送")
            self._send(s, contract, actor, self.clock(), client)

    def _send(
        self, s: Session, contract: LabourContract, actor: Actor, now: datetime, client: ClientInfo
    ) -> None:
        contract.state, contract.sent_at = SENT, now
        self._event(
            s,
            contract,
            actor,
            "sent",
            now,
            client,
            document_sha256=contract.document_sha256,
            notice=SENT_NOTICE,
        )
        self._start_signing(s, contract, actor, now)

    def _start_signing(self, s: Session, contract: LabourContract, actor: Actor, now: datetime) -> None:
        """Open the contract's signing case and start its process (it tells the worker at once)."""
        definition = self.definitions.latest(s, SIGNING_PROCESS)
        assert contract.contract_number is not None
        local = now.astimezone(self.zone)
        case = new_case_row(
            s,
            self.runtime,
            definition,
            actor,
            number=CaseNumber(CASE_TYPE, local.year, contract.id, contract.contract_number),
            title=f"劳动合同 {contract.contract_number}",
            organisation_id=contract.employer_id,
        )
        contract.case_id = case.id
        due = _aware(contract.due_at)
        remind = max(due - REMIND_BEFORE, now + (due - now) / 2)
        data = {
            "contract_id": contract.id,
            "contract_number": contract.contract_number,
            "signing_order": contract.signing_order,
            "due_at": due.isoformat(),
            "remind_at": remind.isoformat(),
        }
        start_process(s, self.runtime, definition, case, actor, data, contract_id=contract.id)

    def request_signing_code(
        self, actor: Actor, contract_id: int, client: ClientInfo = ClientInfo()
    ) -> CodeSent:
        """Send the worker a one-time code to the phone of the account."""
        with self.db.transaction() as s:
            contract, worker = self._with_worker(s, contract_id)
            self._as_worker(actor, contract)
            self._require(contract, self._worker_may_sign_in(contract), "签名")
            phone = self._require_phone(worker.phone)
        return self.phone_codes.request_phone_code(phone, CONTRACT_SIGNING, client.ip)

    def verify_worker_identity(
        self, actor: Actor, contract_id: int, code: str, client: ClientInfo = ClientInfo()
    ) -> None:
        """Check the worker's identity for this contract and record the check as evidence."""
        with self.db.transaction() as s:
            contract, user = self._with_worker(s, contract_id)
            self._as_worker(actor, contract)
            self._require(contract, self._worker_may_sign_in(contract), "核验身份")
            phone = self._require_phone(user.phone)
        challenge_id = self.phone_codes.verify_phone_code(phone, code, CONTRACT_SIGNING)
        with self.db.transaction() as s:
            contract = lock_contract(s, contract_id, case_unused=True)
            self._require(contract, self._worker_may_sign_in(contract), "核验身份")
            named = contract.clauses["worker"]
            if (
                not user.resident_id
                or user.resident_id.upper() != named["resident_id"]
                or (user.display_name != named["name"])
            ):
                raise PermissionDeniedError("实名信息与合同中的劳动者不一致，不能签署")
            now = self.clock()
            identity = {
                "method": IDENTITY_METHOD,
                "verified_at": now.isoformat(),
                "user_id": contract.worker_user_id,
                "name": user.display_name,
                "resident_id_masked": mask_resident_id(user.resident_id),
                "phone_masked": mask_phone(phone),
                "phone_challenge_id": challenge_id,
                **client.evidence(),
            }
            contract.worker_identity = identity
            self._event(
                s,
                contract,
                actor,
                "identity_verified",
                now,
                client,
                identity_method=IDENTITY_METHOD,
                phone_masked=identity["phone_masked"],
                resident_id_masked=identity["resident_id_masked"],
                phone_challenge_id=challenge_id,
            )

    def worker_sign(self, actor: Actor, contract_id: int, client: ClientInfo = ClientInfo()) -> str:
        """The worker's personal signature (after a fresh identity check); returns the new state."""
        with self.db.transaction() as s:
            contract = lock_contract(s, contract_id)
            self._as_worker(actor, contract)
            self._require(contract, self._worker_may_sign_in(contract), "签名")
            now = self.clock()
            identity = contract.worker_identity or {}
            verified_at = identity.get("verified_at")
            if (
                identity.get("user_id") != actor.user_id
                or verified_at is None
                or now - _aware(datetime.fromisoformat(verified_at)) > self.identity_ttl
            ):
                raise PermissionDeniedError("请先通过短信验证码核验身份后再签名")
            worker = contract.clauses["worker"]
            signer = PersonalSigner(f"user:{contract.worker_user_id}", worker["name"], worker["resident_id"])
            before = contract.current_sha256
            signed = self.signer.sign_personally(self._current(contract), signer, WORKER_SIGNATURE_FIELD)
            contract.current_sha256, contract.worker_signed_at = hashlib.sha256(signed).hexdigest(), now
            contract.worker_identity = None  # one check, one signature
            self._event(
                s,
                contract,
                actor,
                "worker_signed",
                now,
                client,
                identity_method=identity["method"],
                phone_challenge_id=identity.get("phone_challenge_id"),
                signed_sha256_before=before,
                document_sha256=contract.current_sha256,
                field=WORKER_SIGNATURE_FIELD,
            )
            contract.state = WORKER_SIGNED  # or concluded, when the process concludes in this step
            self._complete(s, contract, actor, "worker_sign", {"worker_signed": True}, signed, client)
            return contract.state

    def employer_seal(self, actor: Actor, contract_id: int, client: ClientInfo = ClientInfo()) -> str:
        """The employer's own electronic seal; returns the new state."""
        with self.db.transaction() as s:
            contract = lock_contract(s, contract_id)
            self._as_employer(actor, contract)
            allowed = (SENT,) if contract.signing_order != WORKER_FIRST else (WORKER_SIGNED,)
            self._require(contract, allowed, "盖章")
            org = s.get(Organisation, contract.employer_id)
            assert org is not None
            now = self.clock()
            before = contract.current_sha256
            organisation = OrganisationSigner(f"organisation:{org.id}", org.name, org.uscc)
            signed = self.signer.seal_for(self._current(contract), organisation, EMPLOYER_SEAL_FIELD)
            contract.current_sha256, contract.employer_sealed_at = hashlib.sha256(signed).hexdigest(), now
            self._event(
                s,
                contract,
                actor,
                "employer_sealed",
                now,
                client,
                signed_sha256_before=before,
                document_sha256=contract.current_sha256,
                field=EMPLOYER_SEAL_FIELD,
                seal_of=org.name,
            )
            contract.state = EMPLOYER_SEALED  # or concluded, when the process concludes in this step
            self._complete(s, contract, actor, "employer_seal", {"employer_sealed": True}, signed, client)
            return contract.state

    def decline(self, actor: Actor, contract_id: int, reason: str, client: ClientInfo = ClientInfo()) -> None:
        """The worker refuses to sign, saying why."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("请填写拒签理由", [FieldProblem("/reason", "请填写拒签理由")])
        self._close(actor, contract_id, DECLINED, reason, client, as_worker=True)

    def void(self, actor: Actor, contract_id: int, reason: str, client: ClientInfo = ClientInfo()) -> None:
        """The employer withdraws the contract; only before the worker has signed."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("请填写作废理由", [FieldProblem("/reason", "请填写作废理由")])
        self._close(actor, contract_id, VOIDED, reason, client, as_worker=False)

    # -- the signing process --------------------------------------------------------------------

    def _complete(
        self,
        s: Session,
        contract: LabourContract,
        actor: Actor,
        task_name: str,
        data: Mapping[str, Any],
        signed: bytes,
        client: ClientInfo,
    ) -> None:
        """Complete the process's `task_name` with `data`; the process then asks for the other
        signature or concludes (its effect reads the PDF just signed from the step context).

        `signed` is kept as the current document unless it concluded the contract (then the
        archive holds it), before the transaction commits."""
        case, definition, run = self._process(s, contract)
        ready = [t for t in run.ready_user_tasks() if t.name == task_name]
        if not ready:
            raise ContractStateError(contract.id, contract.state, "签署")
        task_id = ready[0].id
        now = self.clock()
        s.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == "open")
            .values(state="completed", completed_at=now, completed_by=actor.user_id, result=dict(data))
        )
        run.complete_user_task(task_id, data)
        self._step.current = (contract.current_sha256, signed, client)
        try:
            self.runtime.save(s, case, definition, run, actor, closed_task_id=task_id, closed_as="concluded")
        finally:
            self._step.current = None
        if contract.state != CONCLUDED:
            stored = self.store.put(Bucket.WORKING, signed, content_type=PDF)
            assert stored.sha256 == contract.current_sha256

    def _signal(self, s: Session, contract: LabourContract, actor: Actor, message: str, payload: Any) -> None:
        """Send the process a message (a decline or a void); it ends the signing."""
        if contract.case_id is None:
            return  # a draft: no process yet
        case, definition, run = self._process(s, contract)
        run.send_message(message, payload)
        self.runtime.save(s, case, definition, run, actor, closed_as=contract.state)

    def _process(self, s: Session, contract: LabourContract) -> tuple[Case, LoadedDefinition, Run]:
        assert contract.case_id is not None
        case = _held_case(s, contract.case_id)
        if case is None:
            case = s.execute(select(Case).where(Case.id == contract.case_id).with_for_update()).scalar_one()
        definition = self.definitions.get(s, case.definition_id)
        return case, definition, self.runtime.load(s, case, definition)

    def _contract_of(self, s: Session, case: Case, data: Mapping[str, Any]) -> LabourContract:
        """The contract of an effect of its signing process (whose caller holds `case`)."""
        return lock_contract(s, int(data["contract_id"]), case)

    def _on_sent(self, s: Session, case: Case, data: Mapping[str, Any], actor: Actor) -> None:
        """Tell the worker the process, how to view and download, and that it is free (指引 §3)."""
        contract = self._contract_of(s, case, data)
        if contract.signing_order == EMPLOYER_ONLY:
            return  # nothing for the worker to sign: told when it is issued
        if contract.kind == "contract":
            text = f"【劳动合同】{SENT_NOTICE}合同编号 {contract.contract_number}。"
        else:
            text = (
                f"【劳动合同】用人单位向您发送了{document_name(contract)}"
                f"（编号 {contract.contract_number}），"
                "请登录查看，经短信验证码核验身份后签名。您可随时免费查看、下载和打印，签署不收取任何费用。"
            )
        self._notify_worker(s, contract, "sent", text)

    def _on_remind(self, s: Session, case: Case, data: Mapping[str, Any], actor: Actor) -> None:
        contract = self._contract_of(s, case, data)
        if contract.state not in OPEN_STATES:
            return
        due = _aware(contract.due_at).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
        self._notify_worker(
            s,
            contract,
            "reminder",
            f"【劳动合同】您有一份{document_name(contract)}（编号 {contract.contract_number}）尚未签署，"
            f"请在 {due} 前登录查看并签署；逾期未签署的将失效。",
        )
        self._event(s, contract, actor, "reminded", self.clock(), ClientInfo(), due_at=contract.due_at)

    def _on_expire(self, s: Session, case: Case, data: Mapping[str, Any], actor: Actor) -> None:
        contract = self._contract_of(s, case, data)
        if contract.state not in OPEN_STATES:
            return
        now, previous = self.clock(), contract.state
        contract.state, contract.closed_at, contract.close_reason = EXPIRED, now, "超过签署期限"
        self._event(
            s, contract, actor, "expired", now, ClientInfo(), previous_state=previous, due_at=contract.due_at
        )
        self._notify_worker(
            s,
            contract,
            "expired",
            f"【劳动合同】{document_name(contract)}（编号 {contract.contract_number}）"
            "已超过签署期限，未订立。",
        )

    def _on_conclude(self, s: Session, case: Case, data: Mapping[str, Any], actor: Actor) -> None:
        contract = self._contract_of(s, case, data)
        step = getattr(self._step, "current", None)
        if step is not None and step[0] == contract.current_sha256:
            pdf, client = step[1], step[2]
        else:  # not concluded by a signature of this process step (never so today): read it back
            pdf, client = self._current(contract), ClientInfo()
        self._conclude(s, contract, actor, self.clock(), client, pdf)
        done = "已出具" if contract.signing_order == EMPLOYER_ONLY else "已签署生效"
        employer = contract.clauses["employer"]["name"]
        self._notify_worker(
            s,
            contract,
            "concluded",
            f"【劳动合同】{employer}与您的{document_name(contract)}"
            f"（编号 {contract.contract_number}）{done}。"
            "您可随时登录免费查看、下载和打印，并可申请免费的纸质文本。",
        )

    def _notify_worker(self, s: Session, contract: LabourContract, what: str, text: str) -> None:
        phone = self._phone_of(s, contract.worker_user_id)
        if not phone:
            return  # no phone: the portal shows it; nothing to text
        notice = Notice(f"labour_contract:{contract.id}:{what}", phone, text)
        queue_sms(s, notice, self.clock(), case_id=contract.case_id)

    # -- concluding --------------------------------------------------------------------------

    def _conclude(
        self,
        s: Session,
        contract: LabourContract,
        actor: Actor,
        now: datetime,
        client: ClientInfo,
        pdf: bytes,
    ) -> None:
        """Check the signed PDF (the bytes just stored as the current document), archive, file.

        The signatures were made by this service moments ago, so a fast check of exactly them
        (intact, ours, timestamped: `Verifier.check_fresh`) stands in for full validation, which
        the verification service runs for anyone who asks."""
        order = {
            WORKER_FIRST: (WORKER_SIGNATURE_FIELD, EMPLOYER_SEAL_FIELD),
            EMPLOYER_FIRST: (EMPLOYER_SEAL_FIELD, WORKER_SIGNATURE_FIELD),
            EMPLOYER_ONLY: (EMPLOYER_SEAL_FIELD,),
        }[contract.signing_order]
        report = self.verifier.check_fresh(pdf, order)
        names = [sig.field_name for sig in report.signatures]
        if not report.valid or tuple(names) != order:
            raise SealingError(f"labour contract {contract.id}: signatures do not verify: {report.problems}")
        if any(sig.timestamp is None for sig in report.signatures):
            raise SealingError(f"labour contract {contract.id}: a signature lacks its trusted timestamp")
        retention, hold = self._retention(contract, now)
        final = self._archive(s, contract, pdf, "contract", retention, hold, actor, now)
        contract.state, contract.concluded_at, contract.final_sha256 = CONCLUDED, now, final.sha256
        signatures = [
            {
                "field_name": sig.field_name,
                "signer": sig.signer,
                "organisation": sig.organisation,
                "signed_at": sig.signed_at.isoformat() if sig.signed_at else None,
                "timestamp": sig.timestamp.isoformat() if sig.timestamp else None,
                "level": sig.level,
                "valid": sig.intact and sig.trusted and sig.revoked is not True,
            }
            for sig in report.signatures
        ]
        self._event(
            s,
            contract,
            actor,
            "concluded",
            now,
            client,
            document_sha256=final.sha256,
            signatures=signatures,
            retain_until=retention.until if retention else None,
            legal_hold=hold,
        )
        certificate_pdf = self.renderer.render_certificate(self._certificate_data(s, contract, signatures))
        certificate = self._archive(s, contract, certificate_pdf, "certificate", retention, hold, actor, now)
        contract.certificate_sha256 = certificate.sha256
        self._event(s, contract, actor, "certificate_issued", now, client, document_sha256=certificate.sha256)
        if contract.kind not in ("contract", "renewal"):  # contract_lifecycle: amendment/termination effects
            from workflows.contract_lifecycle import apply_concluded

            s.flush()  # the archive rows' ids
            contract.final_file_id, contract.certificate_file_id = final.id, certificate.id
            apply_concluded(self, s, contract, actor, now, client)
            return
        worker = contract.clauses["worker"]
        filing = LabourUseFiling(
            employer_id=contract.employer_id,
            contract_id=contract.id,
            worker_user_id=contract.worker_user_id,
            worker_name=worker["name"],
            resident_id_masked=mask_resident_id(worker["resident_id"]),
            position=contract.clauses["job"]["position"],
            term_kind=contract.clauses["term"]["kind"],
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            monthly_pay=contract.clauses["pay"]["monthly_amount"],
            filed_at=now,
        )
        s.add(filing)
        s.flush()  # one flush for the ids of the archive rows and of the filing
        contract.final_file_id, contract.certificate_file_id = final.id, certificate.id
        self._event(s, contract, actor, "labour_use_filed", now, client, filing_id=filing.id)

    def _retention(self, contract: LabourContract, now: datetime) -> tuple[Retention | None, bool]:
        """Two years after a fixed term ends; legal hold while the end is not known (art.50)."""
        return contract_retention(contract.ends_on, now, self.zone)

    def _archive(
        self,
        s: Session,
        contract: LabourContract,
        pdf: bytes,
        what: str,
        retention: Retention | None,
        hold: bool,
        actor: Actor,
        now: datetime,
    ) -> StoredFile:
        key = f"labour_contract/{contract.id}/{what}-{hashlib.sha256(pdf).hexdigest()[:16]}.pdf"
        stored = self.store.put(
            Bucket.ARCHIVE,
            pdf,
            content_type=PDF,
            key=key,
            retention=retention,
            legal_hold=hold,
            metadata={"labour-contract": str(contract.id), "kind": what},
        )
        row = StoredFile.of(
            stored,
            kind=f"labour_contract_{what}",
            filename=f"{contract.contract_number}-{what}.pdf",
            uploaded_by=actor.user_id,
            created_at=now,
        )
        s.add(row)  # its id comes with the caller's next flush
        return row

    def _certificate_data(
        self, s: Session, contract: LabourContract, signatures: list[dict[str, Any]]
    ) -> dict[str, Any]:
        chain = chain_of_contract(contract.id)
        written = s.execute(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).scalars()
        # and this transaction's events of the chain, not flushed yet (no flush just to read them)
        pending = sorted(
            (obj for obj in s.new if isinstance(obj, AuditEvent) and obj.chain == chain), key=lambda e: e.seq
        )
        events = []
        for ev in [*written, *pending]:
            after = ev.after or {}
            events.append(
                {
                    "at": _aware(ev.at).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S"),
                    "action": ev.action,
                    "actor": ev.actor_label,
                    "identity_method": after.get("identity_method"),
                    "client_ip": after.get("client_ip"),
                    "user_agent": after.get("user_agent"),
                    "document_sha256": after.get("document_sha256"),
                }
            )
        org = s.get(Organisation, contract.employer_id)
        assert org is not None and contract.concluded_at is not None and contract.final_sha256 is not None
        return {
            "contract_number": contract.contract_number,
            "verification_url": f"{self.verify_base_url}?code={contract.verification_code}",
            "verification_code": contract.verification_code,
            "employer": org.name,
            "worker": contract.clauses["worker"]["name"],
            "concluded_at": _aware(contract.concluded_at).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "document_sha256": contract.document_sha256,
            "final_sha256": contract.final_sha256,
            "events": events,
            "signatures": signatures,
        }

    # -- helpers -----------------------------------------------------------------------------

    def _close(
        self, actor: Actor, contract_id: int, state: str, reason: str, client: ClientInfo, *, as_worker: bool
    ) -> None:
        with self.db.transaction() as s:
            contract = lock_contract(s, contract_id)
            if as_worker:
                self._as_worker(actor, contract)
                self._require(contract, self._worker_may_sign_in(contract), "拒签")
            else:
                self._as_employer(actor, contract)
                self._require(contract, (DRAFT, SENT, EMPLOYER_SEALED), "作废")
            now = self.clock()
            previous = contract.state
            contract.state, contract.closed_at, contract.close_reason = state, now, reason
            self._event(
                s,
                contract,
                actor,
                state,
                now,
                client,
                previous_state=previous,
                reason=reason,
                document_sha256=contract.current_sha256,
            )
            message = "contract_declined" if state == DECLINED else "contract_voided"
            self._signal(s, contract, actor, message, {"reason": reason, "by": actor.label})

    def _event(
        self,
        s: Session,
        contract: LabourContract,
        actor: Actor,
        action: str,
        at: datetime,
        client: ClientInfo,
        *,
        new_chain: bool = False,
        **details: Any,
    ) -> None:
        after = {"state": contract.state, **client.evidence(), **details}
        chain = chain_of_contract(contract.id)
        append_chain_event(
            s, chain, actor, f"labour_contract.{action}", chain, after, at=at, new_chain=new_chain
        )

    def _employer_of(self, actor: Actor) -> int:
        if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
            raise PermissionDeniedError("只有用人单位经办人可以办理劳动合同")
        return actor.organisation_id

    def _as_employer(self, actor: Actor, contract: LabourContract) -> None:
        if self._employer_of(actor) != contract.employer_id:
            raise PermissionDeniedError("不是本单位的劳动合同")

    def _as_worker(self, actor: Actor, contract: LabourContract) -> None:
        if actor.user_id is None or actor.user_id != contract.worker_user_id or WORKER not in actor.roles:
            raise PermissionDeniedError("不是您的劳动合同")

    def _may_read(self, actor: Actor, contract: LabourContract) -> None:
        if EMPLOYER_AGENT in actor.roles and actor.organisation_id == contract.employer_id:
            return
        if actor.user_id == contract.worker_user_id and contract.state != DRAFT:
            return
        raise PermissionDeniedError("无权查看该劳动合同")

    @staticmethod
    def _worker_may_sign_in(contract: LabourContract) -> tuple[str, ...]:
        return (SENT,) if contract.signing_order == WORKER_FIRST else (EMPLOYER_SEALED,)

    @staticmethod
    def _require(contract: LabourContract, states: tuple[str, ...], action: str) -> None:
        if contract.state not in states:
            raise ContractStateError(contract.id, contract.state, action)

    @staticmethod
    def _with_worker(s: Session, contract_id: int) -> tuple[LabourContract, Any]:
        """The contract and its worker's phone, name and resident ID (`.phone`, `.display_name`,
        `.resident_id`), in one query."""
        row = s.execute(
            select(LabourContract, User.phone, User.display_name, User.resident_id)
            .outerjoin(User, User.id == LabourContract.worker_user_id)
            .where(LabourContract.id == contract_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError("labour contract", contract_id)
        return row[0], row

    @staticmethod
    def _require_phone(phone: str | None) -> str:
        if not phone:
            raise ValidationError(
                "劳动者账号没有登记手机号码，无法发送验证码", [FieldProblem("/phone", "未登记")]
            )
        return phone

    @staticmethod
    def _phone_of(s: Session, user_id: int) -> str | None:
        phones: dict[int, str | None] = s.info.setdefault(_PHONES, {})
        if user_id not in phones:
            phones[user_id] = s.execute(select(User.phone).where(User.id == user_id)).scalar_one_or_none()
        return phones[user_id]

    def _current(self, contract: LabourContract) -> bytes:
        return self.store.get(Bucket.WORKING, contract.current_sha256)

    def _archived(self, s: Session, file_id: int) -> bytes:
        row = s.get(StoredFile, file_id)
        assert row is not None
        return self.store.get(Bucket(row.bucket), row.object_key, row.version_id)

    @staticmethod
    def _get(s: Session, contract_id: int) -> LabourContract:
        contract = s.get(LabourContract, contract_id)
        if contract is None:
            raise NotFoundError("labour contract", contract_id)
        return contract


_LOCKED_CONTRACTS = "laborcase.locked_labour_contracts"  # session.info: id -> row locked in this transaction
_LOCKED_CASES = "laborcase.locked_contract_cases"  # session.info: id -> signing case locked with its contract


_PHONES = "laborcase.worker_phones"  # session.info: user id -> phone, read once per transaction
_EMPLOYERS = "laborcase.employers"  # session.info: organisation id -> row, held for the transaction


def _employer(s: Session, organisation_id: int) -> Organisation | None:
    """The employer's row, loaded once per transaction and held: the session's identity map
    holds rows only while something else does, so a bulk send read it again for every row."""
    held: dict[int, Organisation | None] = s.info.setdefault(_EMPLOYERS, {})
    if organisation_id not in held:
        held[organisation_id] = s.get(Organisation, organisation_id)
    return held[organisation_id]


def lock_contract(
    s: Session, contract_id: int, case: Case | None = None, *, case_unused: bool = False
) -> LabourContract:
    """The contract, row-locked for this transaction, after its signing case (locked once:
    effects of the signing process run in the transaction of the step that already holds both).

    Every writer that takes both takes the case first, as the timer worker does (it holds
    the case when an effect asks for the contract): the other order could deadlock with it.
    `case` is the contract's case when the caller already holds its lock; `case_unused` says
    the transaction will not touch the case, so it needs only the contract."""
    locked: dict[int, tuple[LabourContract, SessionTransaction]]
    locked = s.info.setdefault(_LOCKED_CONTRACTS, {})
    held = locked.get(contract_id)
    if held is not None and held[1].is_active and held[0] in s:  # a savepoint rolled back: lock again
        return held[0]
    if case is None and not case_unused:
        case_of_contract = select(LabourContract.case_id).where(LabourContract.id == contract_id)
        case = s.execute(
            select(Case).where(Case.id == case_of_contract.scalar_subquery()).with_for_update()
        ).scalar_one_or_none()
    # the contract's row and its audit chain's head, locked in one statement (in this order,
    # as every writer of the contract takes them); a contract has its head from its draft on
    row = s.execute(
        select(LabourContract, AuditChainHead)
        .join(AuditChainHead, AuditChainHead.chain == chain_of_contract(contract_id))
        .where(LabourContract.id == contract_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        contract = s.execute(
            select(LabourContract).where(LabourContract.id == contract_id).with_for_update()
        ).scalar_one_or_none()
        if contract is None:
            raise NotFoundError("labour contract", contract_id)
    else:
        contract, head = row
        hold_chain_head(s, head)
    if case is None and contract.case_id is not None and not case_unused:
        # sent while this transaction waited for the draft's lock: its case is new, and no
        # timer of it can be due yet, so nobody holds the case and waits for the contract
        case = s.execute(select(Case).where(Case.id == contract.case_id).with_for_update()).scalar_one()
    _hold_lock(s, contract, case)
    return contract


def _hold_lock(s: Session, contract: LabourContract, case: Case | None = None) -> None:
    """Note that this transaction (or its current savepoint) holds `contract`'s row lock (and
    its case's, when given)."""
    transaction = s.get_nested_transaction() or s.get_transaction()
    assert transaction is not None
    s.info.setdefault(_LOCKED_CONTRACTS, {})[contract.id] = (contract, transaction)
    if case is not None:
        s.info.setdefault(_LOCKED_CASES, {})[case.id] = (case, transaction)


def _held_case(s: Session, case_id: int) -> Case | None:
    """The case whose row this transaction locked with its contract, if it still holds it."""
    held: tuple[Case, SessionTransaction] | None = s.info.get(_LOCKED_CASES, {}).get(case_id)
    if held is not None and held[1].is_active and held[0] in s:
        return held[0]
    return None


def document_name(contract: LabourContract) -> str:
    """What the document is called in notices: a contract, or the change document it is."""
    if contract.kind == "amendment":
        return "劳动合同变更协议"
    if contract.kind == "termination":
        return "解除或者终止劳动合同的证明" if contract.signing_order == EMPLOYER_ONLY else "解除劳动合同协议"
    if contract.kind == "renewal":
        return "续订劳动合同"
    return "劳动合同"


def _verification_code() -> str:
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "LC" + "".join(secrets.choice(alphabet) for _ in range(10))


def contract_retention(ends_on: date | None, now: datetime, zone: ZoneInfo) -> tuple[Retention | None, bool]:
    """Retention of a concluded contract and whether it goes under legal hold (劳动合同法 art.50).

    A fixed term: locked to the end of the day two years after the last day of the contract
    (counted as integrations/storage/retention.py counts).  Open-ended and task-based contracts
    have no known end: legal hold, plus two years from now as a floor; when the contract ends,
    the same bytes are put again with the retention then due (COMPLIANCE only ever extends).
    """
    if ends_on is None:
        start, hold = now.astimezone(zone).date(), True
    else:
        start, hold = ends_on, False
    try:
        last = start.replace(year=start.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        last = start.replace(year=start.year + RETENTION_YEARS, day=28)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return Retention(until=until), hold
