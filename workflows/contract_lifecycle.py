"""The lifecycle of a concluded electronic labour contract: amendment, termination, renewal, paper copies.

Each change is a document of its own (a `LabourContract` row with `kind` and `original_id`), with
its own number and verification code, signed through the normal flow of
`workflows.contracts.ContractService` (send, identity check, sign, seal, timestamp):

- amendment (变更, 劳动合同法 art.35: by agreement, in writing): the changed clauses only, merged
  over the contract's current terms (its clauses and its concluded amendments, in order) and
  checked again (`check_clauses`), so an amendment can neither drop a mandatory clause nor pay
  below the minimum wage.  Rendered as 劳动合同变更协议书 (each changed clause, before → after).
- termination (解除/终止): by agreement (art.36, 解除劳动合同协议书, both sign) or the employer's
  certificate of rescission or ending (art.50 para.1, reasons arts.36-41 and 44; `employer_only`:
  only the employer's seal, the worker is told and can download it).  When it concludes the
  contract gets `ended_on`/`ended_by_id`, and every archived document of the contract is kept two
  years after the last day (art.50 para.3): the same bytes are put again with that retention
  (COMPLIANCE only ever extends) and the legal hold of an open-ended contract is released.
- renewal (续订, arts.14 and 44): a new contract prefilled from the current terms with a new term,
  concluded and filed (用工备案) like any contract.
- paper copy (指引 §7): the worker asks for a free stamped paper copy of a concluded document; the
  employer prints it (the concluded PDF behind a cover page naming the electronic original) and
  hands it over.  Each step is an event on the contract's audit chain.

`apply_concluded` is called by `ContractService._conclude` for amendments and terminations.  One
change document (amendment or termination) may be open per contract at a time: drafting locks
the contract's row, so two requests at once cannot both start one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.audit import Actor
from workflows.contract_clauses import CLAUSE_BY_KEY, check_clauses
from workflows.contracts import (
    CONCLUDED,
    DRAFT,
    EMPLOYER_FIRST,
    EMPLOYER_SEALED,
    PDF,
    SENT,
    STATE_LABELS,
    WORKER_FIRST,
    WORKER_SIGNED,
    ClientInfo,
    ContractService,
    Drafted,
    _aware,
    _verification_code,
    contract_retention,
    lock_contract,
)
from workflows.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)
from workflows.models import LabourContract, LabourContractPaperCopy, Organisation, StoredFile
from workflows.ports import Bucket
from workflows.roles import EMPLOYER_AGENT, WORKER

CONTRACT, AMENDMENT, TERMINATION, RENEWAL = "contract", "amendment", "termination", "renewal"
KIND_LABELS = {
    CONTRACT: "劳动合同",
    AMENDMENT: "劳动合同变更协议书",
    TERMINATION: "解除（终止）劳动合同",
    RENEWAL: "续订劳动合同",
}
FILED_KINDS = (CONTRACT, RENEWAL)  # concluding these records a labour-use filing
EMPLOYER_ONLY = "employer_only"
PENDING = (DRAFT, SENT, WORKER_SIGNED, EMPLOYER_SEALED)

# What an amendment may change; the parties' identities are not terms that can be amended.
AMENDABLE = ("employer", "worker", "term", "job", "working_time", "pay", "social_insurance", "protection")
FIXED_FIELDS = {"employer": ("name", "uscc"), "worker": ("name", "resident_id")}
OTHER_TERMS = "other_terms"
CLAUSE_LABELS = {**{k: c.name for k, c in CLAUSE_BY_KEY.items()}, OTHER_TERMS: "其他约定"}

AGREEMENT, CERTIFICATE = "agreement", "certificate"
TERMINATION_MODES = {
    AGREEMENT: "协商一致解除（双方签署协议书）",
    CERTIFICATE: "出具解除或者终止劳动合同的证明",
}
#: the legal bases of rescission or ending (劳动合同法) an employer's certificate may name
LEGAL_BASES = {
    "art36": "第三十六条：用人单位与劳动者协商一致，解除劳动合同",
    "art37": "第三十七条：劳动者提前三十日以书面形式通知用人单位，解除劳动合同",
    "art38": "第三十八条：用人单位有法定情形，劳动者解除劳动合同",
    "art39": "第三十九条：劳动者有法定过失情形，用人单位解除劳动合同",
    "art40": "第四十条：无过失性辞退（提前三十日书面通知或者额外支付一个月工资）",
    "art41": "第四十一条：经济性裁员",
    "art44": "第四十四条：劳动合同期满或者其他法定终止情形，劳动合同终止",
}
DELIVERIES = {"pickup": "到用人单位领取", "mail": "邮寄"}
REQUESTED, PRINTED, HANDED_OVER, CANCELLED = "requested", "printed", "handed_over", "cancelled"
PAPER_COPY_STATES = {REQUESTED: "已申请", PRINTED: "已打印盖章", HANDED_OVER: "已交付", CANCELLED: "已撤回"}
PAPER_COPY_NOTE = "纸质文本免费提供，由用人单位打印并加盖公章"
MAX_LATE_DAYS = 366  # a last day further back than this is refused (the certificate is issued on ending)


# -- reading the terms ----------------------------------------------------------------------------


def root_of(s: Session, contract: LabourContract) -> LabourContract:
    """The contract an amendment or termination belongs to (a contract or renewal is its own root)."""
    if contract.kind in (AMENDMENT, TERMINATION) and contract.original_id is not None:
        original = s.get(LabourContract, contract.original_id)
        if original is None:
            raise NotFoundError("labour contract", contract.original_id)
        return original
    return contract


def _concluded_amendments(s: Session, root_id: int) -> list[LabourContract]:
    return list(
        s.execute(
            select(LabourContract)
            .where(
                LabourContract.original_id == root_id,
                LabourContract.kind == AMENDMENT,
                LabourContract.state == CONCLUDED,
            )
            .order_by(LabourContract.concluded_at, LabourContract.id)
        ).scalars()
    )


def _terms_only(clauses: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in clauses.items() if k not in (AMENDMENT, TERMINATION, "renewal")}


def effective_clauses(s: Session, contract_id: int) -> dict[str, Any]:
    """The contract's current terms: its clauses with its concluded amendments applied in order.

    `contract_id` may be the contract's or one of its amendments' or terminations' (then the
    contract they belong to).  No access check: callers check (`LifecycleService.current_terms`).
    """
    contract = s.get(LabourContract, contract_id)
    if contract is None:
        raise NotFoundError("labour contract", contract_id)
    root = root_of(s, contract)
    terms = _terms_only(root.clauses)
    for amendment in _concluded_amendments(s, root.id):
        for key, section in (amendment.clauses.get(AMENDMENT) or {}).get("after", {}).items():
            terms[key] = copy.deepcopy(section)
    return terms


def merge_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` over `current`: a clause given as a mapping is merged field by field (a field given
    as None or "" is removed), a clause given as None is removed, `other_terms` is replaced."""
    merged = copy.deepcopy(dict(current))
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and key != OTHER_TERMS:
            section = dict(merged.get(key) or {})
            for name, field_value in value.items():
                if field_value is None or (isinstance(field_value, str) and not field_value.strip()):
                    section.pop(name, None)
                else:
                    section[name] = copy.deepcopy(field_value)
            merged[key] = section
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# -- the read side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedDocument:
    """A document linked to a contract (its amendment, termination or renewal, or the contract)."""

    id: int
    kind: str
    kind_label: str
    number: str
    state: str
    state_label: str
    signing_order: str
    created_at: datetime
    concluded_at: datetime | None
    ended_on: date | None


@dataclass(frozen=True)
class ContractLinks:
    """What a contract is linked to: the document it belongs to and the documents that change it."""

    contract_id: int
    kind: str
    kind_label: str
    original: LinkedDocument | None
    documents: tuple[LinkedDocument, ...]
    ended_on: date | None
    ended_by: LinkedDocument | None
    may_change: bool  # concluded, not ended, a contract or renewal, no change document open
    may_request_paper_copy: bool


@dataclass(frozen=True)
class PaperCopyView:
    id: int
    contract_id: int
    contract_number: str
    kind_label: str
    worker_name: str
    requested_at: datetime
    delivery: str
    delivery_label: str
    address: str | None
    state: str
    state_label: str
    printed_at: datetime | None
    handed_over_at: datetime | None
    note: str | None


def _linked(c: LabourContract) -> LinkedDocument:
    return LinkedDocument(
        id=c.id,
        kind=c.kind,
        kind_label=KIND_LABELS.get(c.kind, c.kind),
        number=c.contract_number or "",
        state=c.state,
        state_label=STATE_LABELS.get(c.state, c.state),
        signing_order=c.signing_order,
        created_at=_aware(c.created_at),
        concluded_at=_aware(c.concluded_at) if c.concluded_at else None,
        ended_on=c.ended_on,
    )


def _paper_copy_view(p: LabourContractPaperCopy, c: LabourContract) -> PaperCopyView:
    return PaperCopyView(
        id=p.id,
        contract_id=c.id,
        contract_number=c.contract_number or "",
        kind_label=KIND_LABELS.get(c.kind, c.kind),
        worker_name=str((c.clauses.get("worker") or {}).get("name") or ""),
        requested_at=_aware(p.requested_at),
        delivery=p.delivery,
        delivery_label=DELIVERIES.get(p.delivery, p.delivery),
        address=p.address,
        state=p.state,
        state_label=PAPER_COPY_STATES.get(p.state, p.state),
        printed_at=_aware(p.printed_at) if p.printed_at else None,
        handed_over_at=_aware(p.handed_over_at) if p.handed_over_at else None,
        note=p.note,
    )


def _is_employer(actor: Actor, contract: LabourContract) -> bool:
    return EMPLOYER_AGENT in actor.roles and actor.organisation_id == contract.employer_id


def _is_worker(actor: Actor, contract: LabourContract) -> bool:
    return WORKER in actor.roles and actor.user_id is not None and actor.user_id == contract.worker_user_id


# -- the service ------------------------------------------------------------------------------------


class LifecycleService:
    """Amendments, terminations, renewals and paper copies of concluded contracts (module docstring)."""

    def __init__(self, contracts: ContractService):
        self.contracts = contracts
        self.db = contracts.db

    # -- reading ------------------------------------------------------------------------------

    def current_terms(self, actor: Actor, contract_id: int) -> dict[str, Any]:
        """`effective_clauses` for a party of the contract (NotFoundError for anyone else)."""
        with self.db.transaction() as s:
            self._readable(s, actor, contract_id)
            return effective_clauses(s, contract_id)

    def links(self, actor: Actor, contract_id: int) -> ContractLinks:
        """The documents linked to a contract, as a party sees them (a worker never sees drafts)."""
        with self.db.transaction() as s:
            contract = self._readable(s, actor, contract_id)
            worker = not _is_employer(actor, contract)
            root = root_of(s, contract)
            original = _linked(root) if root.id != contract.id else None
            if contract.kind == RENEWAL and contract.original_id is not None:
                previous = s.get(LabourContract, contract.original_id)
                original = _linked(previous) if previous is not None else None
            query = select(LabourContract).where(LabourContract.original_id == contract.id)
            if worker:
                query = query.where(LabourContract.state != DRAFT)
            documents = tuple(_linked(c) for c in s.execute(query.order_by(LabourContract.id)).scalars())
            ended_by = s.get(LabourContract, contract.ended_by_id) if contract.ended_by_id else None
            return ContractLinks(
                contract_id=contract.id,
                kind=contract.kind,
                kind_label=KIND_LABELS.get(contract.kind, contract.kind),
                original=original,
                documents=documents,
                ended_on=contract.ended_on,
                ended_by=_linked(ended_by) if ended_by is not None else None,
                may_change=not worker and self._changeable_reason(s, contract) is None,
                may_request_paper_copy=worker
                and contract.state == CONCLUDED
                and self._open_copy(s, contract) is None,
            )

    def _readable(self, s: Session, actor: Actor, contract_id: int) -> LabourContract:
        contract = s.get(LabourContract, contract_id)
        if contract is None or not (
            _is_employer(actor, contract) or (_is_worker(actor, contract) and contract.state != DRAFT)
        ):
            raise NotFoundError("labour contract", contract_id)
        return contract

    # -- amendment (art.35) -------------------------------------------------------------------

    def draft_amendment(
        self,
        actor: Actor,
        contract_id: int,
        *,
        changes: Mapping[str, Any],
        effective_on: date,
        due_at: datetime,
        signing_order: str = WORKER_FIRST,
        client: ClientInfo = ClientInfo(),
    ) -> Drafted:
        """Draft 劳动合同变更协议书: `changes` (clause -> changed fields, see `merge_changes`) merged
        over the current terms and checked like a contract; ValidationError names the clause
        (/clauses/<clause>), ConflictError if the contract cannot be changed now."""
        svc = self.contracts
        now = svc.clock()
        self._check_options(signing_order, due_at, now, (WORKER_FIRST, EMPLOYER_FIRST))
        problems = [
            FieldProblem(f"/clauses/{key}", "该条款不能通过变更协议变更")
            for key in changes
            if key not in (*AMENDABLE, OTHER_TERMS)
        ]
        for key, names in FIXED_FIELDS.items():
            section = changes.get(key)
            if isinstance(section, Mapping):
                problems += [
                    FieldProblem(
                        f"/clauses/{key}/{name}", "当事人的名称、姓名和身份证号码不能通过变更协议变更"
                    )
                    for name in names
                    if name in section
                ]
        if problems:
            raise ValidationError("变更内容有误：" + problems[0].message, problems)
        with self.db.transaction() as s:
            original = self._changeable(s, actor, contract_id)
            if effective_on < original.starts_on:
                raise ValidationError(
                    "变更生效日期不能早于劳动合同起始日期",
                    [FieldProblem("/effective_on", f"不能早于 {original.starts_on.isoformat()}")],
                )
            current = effective_clauses(s, original.id)
            org_region = self._region(s, original)
            checked = check_clauses(
                merge_changes(current, changes),
                wages=svc.wages,
                region_code=org_region,
                on=max(effective_on, now.astimezone(svc.zone).date()),
            )
            after_terms = checked.clauses
            changed = [k for k in (*AMENDABLE, OTHER_TERMS) if after_terms.get(k) != current.get(k)]
            if not changed:
                raise ValidationError(
                    "变更协议须至少变更一项条款", [FieldProblem("/clauses", "与现行条款相同，没有变更")]
                )
            clauses = copy.deepcopy(after_terms)
            clauses[AMENDMENT] = {
                "original_number": original.contract_number,
                "effective_on": effective_on.isoformat(),
                "changed": changed,
                "before": {k: copy.deepcopy(current.get(k)) for k in changed},
                "after": {k: copy.deepcopy(after_terms.get(k)) for k in changed},
            }
            data = {
                "original_number": original.contract_number,
                "effective_on": effective_on.isoformat(),
                "changes": [
                    {
                        "clause": k,
                        "name": CLAUSE_LABELS[k],
                        "before": current.get(k),
                        "after": after_terms.get(k),
                    }
                    for k in changed
                ],
                "before_clauses": current,
                "after_clauses": after_terms,
            }
            _, drafted = self._new_document(
                s, actor, original, AMENDMENT, clauses, data, signing_order, due_at, now, client,
                starts_on=effective_on, ends_on=checked.ends_on, warnings=checked.warnings,
            )  # fmt: skip
            return drafted

    # -- termination (arts.36-41, 44, 50) -----------------------------------------------------

    def draft_termination(
        self,
        actor: Actor,
        contract_id: int,
        *,
        mode: str,
        ended_on: date,
        reason: str,
        legal_basis: str = "art36",
        compensation: str | Decimal | None = None,
        handover: str = "",
        due_at: datetime,
        signing_order: str = WORKER_FIRST,
        client: ClientInfo = ClientInfo(),
    ) -> Drafted:
        """Draft 解除劳动合同协议书 (`mode="agreement"`, art.36, both sign) or the employer's
        certificate of rescission or ending (`mode="certificate"`, art.50; only the employer
        seals).  A certificate may also follow a concluded termination agreement."""
        svc = self.contracts
        now = svc.clock()
        problems: list[FieldProblem] = []
        if mode not in TERMINATION_MODES:
            problems.append(FieldProblem("/mode", "须为协商一致解除或出具解除（终止）证明"))
        if mode == AGREEMENT:
            legal_basis = "art36"
        elif legal_basis not in LEGAL_BASES:
            problems.append(FieldProblem("/legal_basis", "请选择解除或者终止劳动合同的法律依据"))
        reason = (reason or "").strip()
        handover = (handover or "").strip()
        if not reason:
            problems.append(FieldProblem("/reason", "请写明解除或者终止劳动合同的原因"))
        elif len(reason) > 2000:
            problems.append(FieldProblem("/reason", "不超过 2000 字"))
        if len(handover) > 2000:
            problems.append(FieldProblem("/handover", "不超过 2000 字"))
        amount: Decimal | None = None
        if compensation is not None and str(compensation).strip():
            try:
                amount = Decimal(str(compensation).replace(",", "").strip())
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or amount < 0:
                problems.append(FieldProblem("/compensation", "经济补偿须为不小于 0 的金额（元）"))
                amount = None
            else:
                amount = amount.quantize(Decimal("0.01"))
        if ended_on < now.astimezone(svc.zone).date() - timedelta(days=MAX_LATE_DAYS):
            problems.append(FieldProblem("/ended_on", "最后工作日不能早于一年以前"))
        if problems:
            raise ValidationError("解除（终止）劳动合同的内容有误：" + problems[0].message, problems)
        order = EMPLOYER_ONLY if mode == CERTIFICATE else signing_order
        self._check_options(
            order, due_at, now, (EMPLOYER_ONLY,) if mode == CERTIFICATE else (WORKER_FIRST, EMPLOYER_FIRST)
        )
        with self.db.transaction() as s:
            original = self._locked_root(s, actor, contract_id)
            follows: LabourContract | None = None
            if mode == CERTIFICATE and original.ended_by_id is not None:
                follows = s.get(LabourContract, original.ended_by_id)
                if (
                    follows is None
                    or follows.signing_order == EMPLOYER_ONLY
                    or self._has_certificate(s, original)
                ):
                    raise ConflictError("该劳动合同已解除或者终止，且已出具证明")
                if ended_on != original.ended_on:
                    raise ValidationError(
                        "最后工作日须与解除协议一致",
                        [FieldProblem("/ended_on", f"须为 {original.ended_on}")],
                    )
                self._no_open_change(s, original)
            else:
                self._changeable(s, actor, contract_id, locked=original)
            if ended_on < original.starts_on:
                raise ValidationError(
                    "最后工作日不能早于劳动合同起始日期",
                    [FieldProblem("/ended_on", f"不能早于 {original.starts_on.isoformat()}")],
                )
            terms = effective_clauses(s, original.id)
            termination = {
                "mode": mode,
                "original_number": original.contract_number,
                "legal_basis": legal_basis,
                "legal_basis_text": LEGAL_BASES[legal_basis],
                "reason": reason,
                "ended_on": ended_on.isoformat(),
                "compensation": str(amount) if amount is not None else None,
                "handover": handover or None,
                "follows": follows.contract_number if follows is not None else None,
            }
            clauses = {**terms, TERMINATION: termination}
            data = {**termination, "clauses": terms}
            _, drafted = self._new_document(
                s, actor, original, TERMINATION, clauses, data, order, due_at, now, client,
                starts_on=original.starts_on, ends_on=ended_on, warnings=(),
            )  # fmt: skip
            return drafted

    def issue_certificate(self, actor: Actor, contract_id: int, client: ClientInfo = ClientInfo()) -> str:
        """Send and seal an employer-only certificate in one step: the worker sees it once sealed."""
        with self.db.transaction() as s:
            doc = s.get(LabourContract, contract_id)
            if doc is None or not _is_employer(actor, doc):
                raise NotFoundError("labour contract", contract_id)
            if doc.signing_order != EMPLOYER_ONLY:
                raise ConflictError("只有解除（终止）劳动合同证明由用人单位单方盖章出具")
            state = doc.state
        if state == DRAFT:
            self.contracts.send(actor, contract_id, client)
        return self.contracts.employer_seal(actor, contract_id, client)

    # -- renewal (arts.14, 44) ----------------------------------------------------------------

    def draft_renewal(
        self,
        actor: Actor,
        contract_id: int,
        *,
        term: Mapping[str, Any],
        changes: Mapping[str, Any] | None = None,
        due_at: datetime,
        signing_order: str = WORKER_FIRST,
        client: ClientInfo = ClientInfo(),
    ) -> Drafted:
        """Draft a renewed contract: the current terms with the new `term` (no new probation:
        art.19 allows one per employer and worker); concluded and filed like a contract."""
        svc = self.contracts
        now = svc.clock()
        self._check_options(signing_order, due_at, now, (WORKER_FIRST, EMPLOYER_FIRST))
        employer_id = svc._employer_of(actor)
        with self.db.transaction() as s:
            previous = self._locked_root(s, actor, contract_id)
            if previous.state != CONCLUDED or previous.kind not in FILED_KINDS:
                raise ConflictError("只能续订已订立的劳动合同")
            if previous.ended_on is not None:
                raise ConflictError("该劳动合同已解除或者终止，不能续订")
            renewed = s.execute(
                select(LabourContract.id).where(
                    LabourContract.original_id == previous.id,
                    LabourContract.kind == RENEWAL,
                    LabourContract.state.in_((*PENDING, CONCLUDED)),
                )
            ).first()
            if renewed is not None:
                raise ConflictError("该劳动合同已有续订合同（或正在续订）")
            terms = effective_clauses(s, previous.id)
            current_end = _date_or_none((terms.get("term") or {}).get("end_date"))
            new_term = {"probation_months": 0, **{k: v for k, v in term.items() if v not in (None, "")}}
            start = _date_or_none(new_term.get("start_date"))
            if start is None:
                raise ValidationError(
                    "请填写续订合同的起始日期", [FieldProblem("/clauses/term/start_date", "须为 YYYY-MM-DD")]
                )
            if current_end is not None and start <= current_end:
                raise ValidationError(
                    "续订合同的起始日期须晚于原合同的终止日期",
                    [FieldProblem("/clauses/term/start_date", f"须晚于 {current_end.isoformat()}")],
                )
            clauses = merge_changes(terms, changes or {})
            clauses["term"] = new_term
            clauses.setdefault("pay", {}).pop("probation_amount", None)
            note = (
                f"本合同为第 {previous.contract_number} 号劳动合同的续订合同"
                "（劳动合同法第十四条、第四十四条）。"
            )
            clauses[OTHER_TERMS] = [note, *[t for t in clauses.get(OTHER_TERMS) or [] if t != note]]
            template = svc._template(s, employer_id, previous.template_id)
            contract, drafted = svc._draft(
                s, actor, employer_id, template, previous.worker_user_id, clauses, due_at, signing_order,
                now, client, kind=RENEWAL, original_id=previous.id,
            )  # fmt: skip
            svc._event(
                s, previous, actor, "renewal_drafted", now, client,
                document_id=contract.id, document_number=contract.contract_number,
            )  # fmt: skip
            return drafted

    # -- paper copies (指引 §7) ---------------------------------------------------------------

    def request_paper_copy(
        self,
        actor: Actor,
        contract_id: int,
        *,
        delivery: str,
        address: str = "",
        client: ClientInfo = ClientInfo(),
    ) -> int:
        """The worker asks for a free stamped paper copy of a concluded document; one open request
        per document at a time (the contract's row is locked while checking)."""
        address = (address or "").strip()
        problems = []
        if delivery not in DELIVERIES:
            problems.append(FieldProblem("/delivery", "请选择领取方式：到用人单位领取或邮寄"))
        if delivery == "mail" and not address:
            problems.append(FieldProblem("/address", "邮寄须填写收件地址、收件人和电话"))
        if len(address) > 500:
            problems.append(FieldProblem("/address", "不超过 500 字"))
        if problems:
            raise ValidationError("纸质文本申请有误：" + problems[0].message, problems)
        svc = self.contracts
        with self.db.transaction() as s:
            contract = lock_contract(s, contract_id)
            svc._as_worker(actor, contract)
            if contract.state != CONCLUDED:
                raise ConflictError("只能申请已订立文书的纸质文本")
            if self._open_copy(s, contract) is not None:
                raise ConflictError("已有尚未交付的纸质文本申请")
            now = svc.clock()
            row = LabourContractPaperCopy(
                contract_id=contract.id,
                requested_by=actor.user_id,
                requested_at=now,
                delivery=delivery,
                address=address if delivery == "mail" else None,
                state=REQUESTED,
            )
            s.add(row)
            s.flush()
            svc._event(
                s, contract, actor, "paper_copy_requested", now, client,
                paper_copy_id=row.id, delivery=delivery, note=PAPER_COPY_NOTE,
            )  # fmt: skip
            return row.id

    def cancel_paper_copy(self, actor: Actor, request_id: int, client: ClientInfo = ClientInfo()) -> int:
        """The worker withdraws a request not yet printed; returns the document's id."""
        return self._copy_step(actor, request_id, (REQUESTED,), CANCELLED, client, as_worker=True)

    def paper_copies(self, actor: Actor, *, open_only: bool = True) -> list[PaperCopyView]:
        """The requests for paper copies of the actor's employer's documents, oldest first."""
        employer_id = self.contracts._employer_of(actor)
        query = (
            select(LabourContractPaperCopy, LabourContract)
            .join(LabourContract, LabourContract.id == LabourContractPaperCopy.contract_id)
            .where(LabourContract.employer_id == employer_id)
        )
        if open_only:
            query = query.where(LabourContractPaperCopy.state.in_((REQUESTED, PRINTED)))
        with self.db.transaction() as s:
            rows = s.execute(query.order_by(LabourContractPaperCopy.id)).all()
            return [_paper_copy_view(p, c) for p, c in rows]

    def paper_copies_of(self, actor: Actor, contract_id: int) -> list[PaperCopyView]:
        """The requests made for one document, for either party."""
        with self.db.transaction() as s:
            contract = self._readable(s, actor, contract_id)
            rows = s.execute(
                select(LabourContractPaperCopy)
                .where(LabourContractPaperCopy.contract_id == contract.id)
                .order_by(LabourContractPaperCopy.id)
            ).scalars()
            return [_paper_copy_view(p, contract) for p in rows]

    def print_file(self, actor: Actor, request_id: int) -> tuple[str, bytes]:
        """The file to print (a cover page naming the electronic original, then the concluded PDF)."""
        svc = self.contracts
        with self.db.transaction() as s:
            copy_row, contract = self._copy(s, actor, request_id)
            if copy_row.state not in (REQUESTED, PRINTED):
                raise ConflictError("该纸质文本申请已办结")
            assert contract.final_file_id is not None
            final = svc._archived(s, contract.final_file_id)
            data = {
                "contract_number": contract.contract_number,
                "kind_label": KIND_LABELS.get(contract.kind, contract.kind),
                "verification_url": f"{svc.verify_base_url}?code={contract.verification_code}",
                "verification_code": contract.verification_code,
                "employer": str(contract.clauses["employer"]["name"]),
                "worker": str(contract.clauses["worker"]["name"]),
                "concluded_at": _aware(contract.concluded_at or svc.clock())
                .astimezone(svc.zone)
                .strftime("%Y-%m-%d %H:%M"),
                "final_sha256": contract.final_sha256,
                "requested_at": _aware(copy_row.requested_at).astimezone(svc.zone).strftime("%Y-%m-%d"),
            }
            return f"{contract.contract_number}-paper-copy.pdf", svc.renderer.render_paper_copy(data, final)

    def mark_printed(self, actor: Actor, request_id: int, client: ClientInfo = ClientInfo()) -> None:
        self._copy_step(actor, request_id, (REQUESTED,), PRINTED, client)

    def mark_handed_over(
        self, actor: Actor, request_id: int, note: str = "", client: ClientInfo = ClientInfo()
    ) -> None:
        note = (note or "").strip()
        if len(note) > 500:
            raise ValidationError("备注不超过 500 字", [FieldProblem("/note", "不超过 500 字")])
        self._copy_step(actor, request_id, (PRINTED,), HANDED_OVER, client, note=note)

    def _copy(
        self, s: Session, actor: Actor, request_id: int
    ) -> tuple[LabourContractPaperCopy, LabourContract]:
        row = s.get(LabourContractPaperCopy, request_id)
        contract = s.get(LabourContract, row.contract_id) if row is not None else None
        if row is None or contract is None or not _is_employer(actor, contract):
            raise NotFoundError("paper copy request", request_id)
        return row, contract

    def _copy_step(
        self,
        actor: Actor,
        request_id: int,
        allowed: tuple[str, ...],
        to: str,
        client: ClientInfo,
        *,
        as_worker: bool = False,
        note: str = "",
    ) -> int:
        """Move a request from one of `allowed` to `to`, as an event on the document's chain; returns
        the document's id."""
        svc = self.contracts
        with self.db.transaction() as s:
            row = s.execute(
                select(LabourContractPaperCopy)
                .where(LabourContractPaperCopy.id == request_id)
                .with_for_update()
            ).scalar_one_or_none()
            contract = s.get(LabourContract, row.contract_id) if row is not None else None
            mine = contract is not None and (
                (_is_worker(actor, contract) and row is not None and row.requested_by == actor.user_id)
                if as_worker
                else _is_employer(actor, contract)
            )
            if row is None or contract is None or not mine:
                raise NotFoundError("paper copy request", request_id)
            if row.state not in allowed:
                raise ConflictError(
                    f"纸质文本申请当前为「{PAPER_COPY_STATES.get(row.state, row.state)}」，不能办理此步骤"
                )
            now = svc.clock()
            previous, row.state = row.state, to
            if to == PRINTED:
                row.printed_at, row.printed_by = now, actor.user_id
            elif to == HANDED_OVER:
                row.handed_over_at = now
                row.note = note or None
            svc._event(
                s, contract, actor, f"paper_copy_{to}", now, client,
                paper_copy_id=row.id, previous_state=previous, delivery=row.delivery, note=note or None,
            )  # fmt: skip
            return contract.id

    @staticmethod
    def _open_copy(s: Session, contract: LabourContract) -> int | None:
        found: int | None = s.execute(
            select(LabourContractPaperCopy.id).where(
                LabourContractPaperCopy.contract_id == contract.id,
                LabourContractPaperCopy.state.in_((REQUESTED, PRINTED)),
            )
        ).scalar()
        return found

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _check_options(signing_order: str, due_at: datetime, now: datetime, orders: tuple[str, ...]) -> None:
        problems = []
        if signing_order not in orders:
            problems.append(FieldProblem("/signing_order", "签署顺序须为用人单位先签或劳动者先签"))
        if _aware(due_at) <= now:
            problems.append(FieldProblem("/due_at", "签署截止时间须晚于现在"))
        if problems:
            raise ValidationError("签署选项有误：" + problems[0].message, problems)

    def _locked_root(self, s: Session, actor: Actor, contract_id: int) -> LabourContract:
        """The contract (locked), refused as absent to anyone but its employer."""
        contract = s.get(LabourContract, contract_id)
        if contract is None or not _is_employer(actor, contract):
            self.contracts._employer_of(actor)  # PermissionDeniedError unless an employer's agent
            raise NotFoundError("labour contract", contract_id)
        return lock_contract(s, contract_id)

    def _changeable(
        self, s: Session, actor: Actor, contract_id: int, locked: LabourContract | None = None
    ) -> LabourContract:
        original = locked if locked is not None else self._locked_root(s, actor, contract_id)
        reason = self._changeable_reason(s, original)
        if reason is not None:
            raise ConflictError(reason)
        return original

    def _changeable_reason(self, s: Session, contract: LabourContract) -> str | None:
        if contract.kind not in FILED_KINDS:
            return "只能变更、解除或者终止劳动合同本身（不是其变更或解除文书）"
        if contract.state != CONCLUDED:
            return "劳动合同尚未订立，不能变更、解除或者终止"
        if contract.ended_on is not None:
            return f"劳动合同已于 {contract.ended_on.isoformat()} 解除或者终止，不能再变更、解除或者终止"
        try:
            self._no_open_change(s, contract)
        except ConflictError as e:
            return e.message
        return None

    @staticmethod
    def _no_open_change(s: Session, contract: LabourContract) -> None:
        open_doc = s.execute(
            select(LabourContract.contract_number).where(
                LabourContract.original_id == contract.id,
                LabourContract.kind.in_((AMENDMENT, TERMINATION)),
                LabourContract.state.in_(PENDING),
            )
        ).first()
        if open_doc is not None:
            raise ConflictError(f"已有尚未办结的变更或解除文书（{open_doc[0]}）：请先签署完成或作废")

    @staticmethod
    def _has_certificate(s: Session, contract: LabourContract) -> bool:
        return (
            s.execute(
                select(LabourContract.id).where(
                    LabourContract.original_id == contract.id,
                    LabourContract.kind == TERMINATION,
                    LabourContract.signing_order == EMPLOYER_ONLY,
                    LabourContract.state.in_((*PENDING, CONCLUDED)),
                )
            ).first()
            is not None
        )

    @staticmethod
    def _region(s: Session, contract: LabourContract) -> str | None:
        org = s.get(Organisation, contract.employer_id)
        return org.region_code if org is not None else None

    def _new_document(
        self,
        s: Session,
        actor: Actor,
        original: LabourContract,
        kind: str,
        clauses: dict[str, Any],
        data: dict[str, Any],
        signing_order: str,
        due_at: datetime,
        now: datetime,
        client: ClientInfo,
        *,
        starts_on: date,
        ends_on: date | None,
        warnings: tuple[str, ...],
    ) -> tuple[LabourContract, Drafted]:
        """A change document of `original`, rendered once (what is signed), with its drafted event
        on its own chain and a link event on the contract's."""
        svc = self.contracts
        row = LabourContract(
            kind=kind,
            original_id=original.id,
            verification_code=_verification_code(),
            employer_id=original.employer_id,
            worker_user_id=original.worker_user_id,
            worker_person_id=original.worker_person_id,
            template_id=original.template_id,
            template_version=original.template_version,
            clauses=clauses,
            state=DRAFT,
            signing_order=signing_order,
            document_sha256="",
            current_sha256="",
            starts_on=starts_on,
            ends_on=ends_on,
            due_at=due_at,
            created_by=actor.user_id,
            created_at=now,
        )
        s.add(row)
        s.flush()
        row.contract_number = f"LC{now.astimezone(svc.zone):%Y}{row.id:08d}"
        render_data = {
            **data,
            "contract_number": row.contract_number,
            "verification_url": f"{svc.verify_base_url}?code={row.verification_code}",
            "verification_code": row.verification_code,
            "employer": clauses["employer"],
            "worker": clauses["worker"],
        }
        if kind == AMENDMENT:
            pdf = svc.renderer.render_amendment(render_data)
        else:
            pdf = svc.renderer.render_termination(render_data)
        stored = svc.store.put(Bucket.WORKING, pdf, content_type=PDF)
        row.document_sha256 = row.current_sha256 = stored.sha256
        svc._event(
            s, row, actor, "drafted", now, client,
            document_sha256=stored.sha256, kind=kind, original_id=original.id,
            original_number=original.contract_number, signing_order=signing_order, due_at=due_at,
            warnings=list(warnings),
        )  # fmt: skip
        svc._event(
            s, original, actor, f"{kind}_drafted", now, client,
            document_id=row.id, document_number=row.contract_number, document_sha256=stored.sha256,
        )  # fmt: skip
        return row, Drafted(row.id, row.contract_number, stored.sha256, warnings)


# -- conclusion effects (called by ContractService._conclude) --------------------------------------


def apply_concluded(
    service: ContractService,
    s: Session,
    contract: LabourContract,
    actor: Actor,
    now: datetime,
    client: ClientInfo,
) -> None:
    """What a concluded amendment or termination does to its contract (in the concluding transaction)."""
    if contract.kind not in (AMENDMENT, TERMINATION) or contract.original_id is None:
        return
    original = lock_contract(s, contract.original_id)
    if contract.kind == AMENDMENT:
        if original.ended_on is not None:
            raise ConflictError("劳动合同已解除或者终止，变更协议不能生效")
        meta = contract.clauses.get(AMENDMENT) or {}
        service._event(
            s, original, actor, "amended", now, client,
            document_id=contract.id, document_number=contract.contract_number,
            document_sha256=contract.final_sha256, changed=meta.get("changed"),
            effective_on=meta.get("effective_on"),
        )  # fmt: skip
        if "term" in (meta.get("changed") or []):
            terms = effective_clauses(s, original.id)
            end = (
                _date_or_none(terms["term"].get("end_date")) if terms["term"].get("kind") == "fixed" else None
            )
            _keep_family(service, s, original, end, actor, now, client)
        return
    meta = contract.clauses.get(TERMINATION) or {}
    ended_on = date.fromisoformat(meta["ended_on"])
    if original.ended_on is None:
        original.ended_on, original.ended_by_id = ended_on, contract.id
    elif original.ended_on != ended_on:
        raise ConflictError("劳动合同已按另一日期解除或者终止")
    service._event(
        s, original, actor, "ended", now, client,
        document_id=contract.id, document_number=contract.contract_number,
        document_sha256=contract.final_sha256, ended_on=ended_on, legal_basis=meta.get("legal_basis"),
        mode=meta.get("mode"), compensation=meta.get("compensation"),
    )  # fmt: skip
    if contract.signing_order == EMPLOYER_ONLY:
        service._event(
            s, contract, actor, "worker_notified", now, client,
            notice="用人单位已出具解除（终止）劳动合同证明，您可在劳动合同页面免费查看和下载。",
        )  # fmt: skip
    _keep_family(service, s, original, ended_on, actor, now, client)


def _keep_family(
    service: ContractService,
    s: Session,
    original: LabourContract,
    last_day: date | None,
    actor: Actor,
    now: datetime,
    client: ClientInfo,
) -> None:
    """Keep every archived document of the contract (it, its amendments and terminations) two
    years after `last_day` (art.50 para.3), or under legal hold while the end is unknown.

    The same bytes are put again with the retention (an idempotent put only ever extends
    COMPLIANCE retention), then the legal hold is released where the end is now known.  The put
    comes first, so a document is never without protection; if the transaction rolls back
    afterwards, the document is merely kept longer.
    """
    retention, hold = contract_retention(last_day, now, service.zone)
    if retention is not None and retention.until <= now:  # ended long ago: keep two years from today
        retention, hold = contract_retention(now.astimezone(service.zone).date(), now, service.zone)
    family = [
        original,
        *s.execute(
            select(LabourContract).where(
                LabourContract.original_id == original.id,
                LabourContract.kind.in_((AMENDMENT, TERMINATION)),
                LabourContract.state == CONCLUDED,
            )
        ).scalars(),
    ]
    kept = []
    for doc in family:
        archival = s.execute(  # its archival copy and every renewal of it (workflows.archival)
            select(StoredFile.id).where(
                StoredFile.kind == "labour_contract_archival",
                StoredFile.object_key.like(f"labour_contract/{doc.id}/archival%"),
            )
        ).scalars()
        for file_id in (doc.final_file_id, doc.certificate_file_id, *archival):
            if file_id is None:
                continue
            row = s.get(StoredFile, file_id)
            if row is None:
                continue
            bucket = Bucket(row.bucket)
            data = service.store.get(bucket, row.object_key, row.version_id)
            stored = service.store.put(
                bucket, data, content_type=row.content_type, key=row.object_key,
                retention=retention, legal_hold=hold,
                metadata={"labour-contract": str(doc.id), "kind": row.kind.removeprefix("labour_contract_")},
            )  # fmt: skip
            if not hold and stored.legal_hold:
                service.store.set_legal_hold(bucket, row.object_key, False, row.version_id)
            kept.append(row.object_key)
    service._event(
        s, original, actor, "retention_updated", now, client,
        retain_until=retention.until if retention else None, legal_hold=hold, files=kept,
    )  # fmt: skip


def _date_or_none(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
