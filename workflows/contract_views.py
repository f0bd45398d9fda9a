"""Reading labour contracts: for their parties (the pages), an employer's HR system (the API) and
the public (the read side of workflows.contracts).

Every read is scoped: an employer's agent (or its API key) sees its own employer's contracts, a
worker only the contracts addressed to them once sent (never a draft).  Anything else is reported
as absent (NotFoundError), never as forbidden, so a stranger cannot learn that a contract exists.
The events of a contract are its audit chain trimmed of the worker's IP and device.  The public
record behind a verification code names the contract, its state and both signers (the worker's
name masked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflows.audit import Actor
from workflows.contracts import (
    DRAFT,
    EMPLOYER_FIRST,
    EMPLOYER_ONLY,
    EMPLOYER_SEALED,
    SENT,
    STATE_LABELS,
    WORKER_FIRST,
    WORKER_SIGNED,
    chain_of_contract,
)
from workflows.db import Database
from workflows.errors import FieldProblem, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import AuditEvent, LabourContract, LabourContractTemplate, Organisation, User, UserRole
from workflows.roles import EMPLOYER_AGENT, WORKER

# Evidence kept in the chain that an HR system needs to track a contract (no IPs or devices).
_EVENT_DETAILS = ("state", "previous_state", "reason", "document_sha256", "due_at", "warnings")


@dataclass(frozen=True)
class ContractView:
    """One contract as its parties see it, with what each of them may do next.

    The API serialises the fields it documents (ContractOut); the pages also use the employer's
    name, the clauses, whether a certificate exists and the `employer_may_*`/`worker_may_*` hints.
    """

    id: int
    contract_number: str | None
    verification_code: str
    state: str
    state_label: str
    signing_order: str
    template_id: int
    template_version: int
    employer_name: str
    worker_user_id: int
    worker_name: str | None
    position: str | None
    starts_on: date
    ends_on: date | None
    due_at: datetime
    document_sha256: str
    final_sha256: str | None
    created_at: datetime
    sent_at: datetime | None
    worker_signed_at: datetime | None
    employer_sealed_at: datetime | None
    concluded_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    has_certificate: bool
    clauses: dict[str, Any]
    kind: str = "contract"  # contract, amendment, termination, renewal
    original_id: int | None = None  # the contract an amendment, termination or renewal follows
    ended_on: date | None = None  # a concluded contract since rescinded or ended: its last day

    @property
    def number(self) -> str:
        """The contract number for display and file names ("" before one is assigned)."""
        return self.contract_number or ""

    @property
    def employer_may_send(self) -> bool:
        return self.state == DRAFT

    @property
    def employer_may_void(self) -> bool:
        return self.state in (DRAFT, SENT, EMPLOYER_SEALED)

    @property
    def employer_may_seal(self) -> bool:
        return (self.signing_order in (EMPLOYER_FIRST, EMPLOYER_ONLY) and self.state == SENT) or (
            self.signing_order == WORKER_FIRST and self.state == WORKER_SIGNED
        )

    @property
    def worker_may_sign(self) -> bool:
        return (self.signing_order == WORKER_FIRST and self.state == SENT) or (
            self.signing_order == EMPLOYER_FIRST and self.state == EMPLOYER_SEALED
        )


@dataclass(frozen=True)
class ContractPage:
    items: list[ContractView]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class TemplateView:
    id: int
    template_key: str
    version: int
    title: str
    created_at: datetime


@dataclass(frozen=True)
class ContractEvent:
    """One step of a contract as its employer tracks it (no worker IP or device)."""

    seq: int
    at: datetime
    action: str
    actor: str
    details: dict[str, Any]


@dataclass(frozen=True)
class RegisteredWorker:
    """A worker's real-name account, as the contract names them."""

    user_id: int
    name: str
    resident_id: str


@dataclass(frozen=True)
class ContractSigner:
    """A signer as the public verification page shows it."""

    role: str  # employer | worker
    name: str
    signed_at: datetime | None


@dataclass(frozen=True)
class ContractPublicRecord:
    """What anyone holding a contract's verification code learns about it."""

    number: str
    state: str
    state_label: str
    concluded_at: datetime | None
    final_sha256: str | None
    signers: tuple[ContractSigner, ...]


def mask_name(name: str) -> str:
    """王小明 -> 王*明, 王明 -> 王*: enough to recognise, not to copy."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def employer_of(actor: Actor) -> int:
    """The actor's employer; PermissionDeniedError unless it is an employer's agent (or API key)."""
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        raise PermissionDeniedError("只有用人单位经办人或其 API 密钥可以办理劳动合同")
    return actor.organisation_id


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)


def _view(c: LabourContract, employer_name: str) -> ContractView:
    clauses = c.clauses or {}
    worker = clauses.get("worker") or {}
    job = clauses.get("job") or {}
    return ContractView(
        id=c.id,
        contract_number=c.contract_number,
        verification_code=c.verification_code,
        state=c.state,
        state_label=STATE_LABELS.get(c.state, c.state),
        signing_order=c.signing_order,
        template_id=c.template_id,
        template_version=c.template_version,
        employer_name=employer_name,
        worker_user_id=c.worker_user_id,
        worker_name=worker.get("name") if isinstance(worker, dict) else None,
        position=job.get("position") if isinstance(job, dict) else None,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        due_at=_aware(c.due_at) or c.due_at,
        document_sha256=c.document_sha256,
        final_sha256=c.final_sha256,
        created_at=_aware(c.created_at) or c.created_at,
        sent_at=_aware(c.sent_at),
        worker_signed_at=_aware(c.worker_signed_at),
        employer_sealed_at=_aware(c.employer_sealed_at),
        concluded_at=_aware(c.concluded_at),
        closed_at=_aware(c.closed_at),
        close_reason=c.close_reason,
        has_certificate=c.certificate_file_id is not None,
        clauses=clauses,
        kind=c.kind,
        original_id=c.original_id,
        ended_on=c.ended_on,
    )


def _with_employer() -> Select[LabourContract, str]:
    return select(LabourContract, Organisation.name).join(
        Organisation, Organisation.id == LabourContract.employer_id
    )


def _readable(actor: Actor, contract: LabourContract) -> bool:
    if EMPLOYER_AGENT in actor.roles and actor.organisation_id == contract.employer_id:
        return True
    return WORKER in actor.roles and actor.user_id == contract.worker_user_id and contract.state != DRAFT


class ContractViews:
    """Scoped reads of labour contracts (see the module docstring)."""

    def __init__(self, db: Database):
        self.db = db

    # -- contracts ------------------------------------------------------------------------

    def for_actor(self, actor: Actor) -> list[ContractView]:
        """The employer's contracts (an agent) or the worker's sent contracts (a worker), newest first."""
        if EMPLOYER_AGENT in actor.roles and actor.organisation_id is not None:
            return self.employer_contracts(actor, limit=None).items
        if WORKER not in actor.roles or actor.user_id is None:
            return []
        query = _with_employer().where(
            LabourContract.worker_user_id == actor.user_id, LabourContract.state != DRAFT
        )
        with self.db.transaction() as s:
            rows = s.execute(query.order_by(LabourContract.id.desc())).all()
            return [_view(contract, name) for contract, name in rows]

    def employer_contracts(
        self, actor: Actor, *, state: str | None = None, limit: int | None = 20, offset: int = 0
    ) -> ContractPage:
        """The actor's employer's contracts, newest first, optionally in one state; `limit=None`
        for all of them.  PermissionDeniedError unless the actor acts for an employer."""
        employer_id = employer_of(actor)
        where = [LabourContract.employer_id == employer_id]
        if state is not None:
            where.append(LabourContract.state == state)
        with self.db.transaction() as s:
            rows = s.execute(
                _with_employer().where(*where).order_by(LabourContract.id.desc()).limit(limit).offset(offset)
            ).all()
            items = [_view(contract, name) for contract, name in rows]
            if limit is None and offset == 0:
                total = len(items)
            else:
                total = s.execute(select(func.count()).select_from(LabourContract).where(*where)).scalar_one()
            return ContractPage(items, int(total), limit if limit is not None else len(items), offset)

    def get(self, actor: Actor, contract_id: int) -> ContractView:
        """One contract; NotFoundError unless the actor is a party who may read it."""
        with self.db.transaction() as s:
            contract = s.get(LabourContract, contract_id)
            if contract is None or not _readable(actor, contract):
                raise NotFoundError("labour contract", contract_id)
            return self._with_name(s, contract)

    def employer_contract(self, actor: Actor, contract_id: int) -> ContractView:
        """One of the actor's employer's contracts; NotFoundError for anyone else's (and for a
        worker's), PermissionDeniedError unless the actor acts for an employer."""
        employer_id = employer_of(actor)
        with self.db.transaction() as s:
            contract = s.get(LabourContract, contract_id)
            if contract is None or contract.employer_id != employer_id:
                raise NotFoundError("labour contract", contract_id)
            return self._with_name(s, contract)

    @staticmethod
    def _with_name(s: Session, contract: LabourContract) -> ContractView:
        org = s.get(Organisation, contract.employer_id)
        return _view(contract, org.name if org else "")

    def events(self, actor: Actor, contract_id: int) -> list[ContractEvent]:
        """The steps of one of the employer's contracts, oldest first: its audit chain, trimmed to
        what tracking needs (never the worker's IP or device)."""
        self.employer_contract(actor, contract_id)
        with self.db.transaction() as s:
            rows = s.execute(
                select(AuditEvent)
                .where(AuditEvent.chain == chain_of_contract(contract_id))
                .order_by(AuditEvent.seq)
            ).scalars()
            return [
                ContractEvent(
                    seq=ev.seq,
                    at=_aware(ev.at) or ev.at,
                    action=ev.action.removeprefix("labour_contract."),
                    actor=ev.actor_label,
                    details={
                        k: v for k, v in (ev.after or {}).items() if k in _EVENT_DETAILS and v is not None
                    },
                )
                for ev in rows
            ]

    # -- templates ------------------------------------------------------------------------

    def templates(self, actor: Actor) -> list[TemplateView]:
        """The actor's employer's templates, by key, newest version first."""
        employer_id = employer_of(actor)
        with self.db.transaction() as s:
            rows = s.execute(
                select(LabourContractTemplate)
                .where(LabourContractTemplate.employer_id == employer_id)
                .order_by(LabourContractTemplate.template_key, LabourContractTemplate.version.desc())
            ).scalars()
            return [
                TemplateView(t.id, t.template_key, t.version, t.title, _aware(t.created_at) or t.created_at)
                for t in rows
            ]

    def template_id(self, s: Session, employer_id: int) -> int | None:
        """The employer's latest model template, if it has adopted one."""
        found: int | None = s.execute(
            select(LabourContractTemplate.id)
            .where(
                LabourContractTemplate.employer_id == employer_id,
                LabourContractTemplate.template_key == "model",  # not another template of the employer's
                LabourContractTemplate.retired_at.is_(None),
            )
            .order_by(LabourContractTemplate.version.desc())
            .limit(1)
        ).scalar()
        return found

    def latest_template(self, employer_id: int) -> int | None:
        with self.db.transaction() as s:
            return self.template_id(s, employer_id)

    # -- workers --------------------------------------------------------------------------

    def find_worker(self, *, name: str = "", resident_id: str = "", phone: str = "") -> RegisteredWorker:
        """The registered (real-name) worker account: by name and resident ID, else by phone."""
        name, rid, phone = name.strip(), resident_id.strip().upper(), phone.strip()
        with self.db.transaction() as s:
            if name and rid:
                query = select(User).where(
                    func.upper(User.resident_id) == rid, User.display_name == name, User.active.is_(True)
                )
                pointer = "/worker/resident_id"
            elif phone:
                query = select(User).where(User.phone == phone, User.active.is_(True))
                pointer = "/worker/phone"
            else:
                raise ValidationError(
                    "请填写劳动者的姓名和身份证号码，或其注册手机号码",
                    [FieldProblem("/worker/name", "请填写劳动者的姓名和身份证号码，或其注册手机号码")],
                )
            for user in s.execute(query).scalars():
                if WORKER in user.role_codes and user.resident_id:
                    return RegisteredWorker(user.id, user.display_name, user.resident_id)
        raise ValidationError(
            "未找到该劳动者的实名注册账号",
            [FieldProblem(pointer, "未找到该劳动者的实名注册账号：请劳动者先在本平台实名注册")],
        )

    def worker_by_resident_id(self, resident_id: str) -> int:
        """The registered worker account with this resident ID (HR systems know that, not our ids)."""
        rid = resident_id.strip().upper()
        with self.db.transaction() as s:
            user_id = s.execute(
                select(User.id)
                .join(UserRole, UserRole.user_id == User.id)
                .where(func.upper(User.resident_id) == rid, UserRole.role == WORKER, User.active.is_(True))
                .order_by(User.id)
                .limit(1)
            ).scalar_one_or_none()
        if user_id is None:
            raise ValidationError(
                "该身份证号码没有实名注册的劳动者账号",
                [FieldProblem("/worker_resident_id", "劳动者须先在劳动者门户实名注册")],
            )
        return int(user_id)

    # -- the public -----------------------------------------------------------------------

    def public_record(self, code: str) -> ContractPublicRecord:
        """The contract behind a verification code; NotFoundError if none."""
        code = code.strip().upper().replace("-", "").replace(" ", "")
        with self.db.transaction() as s:
            contract = s.execute(
                select(LabourContract).where(
                    LabourContract.verification_code == code, LabourContract.state != DRAFT
                )
            ).scalar_one_or_none()
            if contract is None:
                raise NotFoundError("verification code", code)
            org = s.get(Organisation, contract.employer_id)
            worker = str((contract.clauses.get("worker") or {}).get("name") or "")
            return ContractPublicRecord(
                number=contract.contract_number or "",
                state=contract.state,
                state_label=STATE_LABELS.get(contract.state, contract.state),
                concluded_at=contract.concluded_at,
                final_sha256=contract.final_sha256,
                signers=(
                    ContractSigner("employer", org.name if org else "", contract.employer_sealed_at),
                    # a certificate of termination (employer_only) bears the employer's seal alone
                    *(
                        ()
                        if contract.signing_order == "employer_only"
                        else (ContractSigner("worker", mask_name(worker), contract.worker_signed_at),)
                    ),
                ),
            )
