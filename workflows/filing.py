"""Applying for arbitration online (网上申请仲裁): the worker's own claim, filed from the portal.

《劳动争议调解仲裁法》第二十八条: the application names the worker and the employer (name,
address), the claims with the facts and reasons, and the evidence.  The form arrives as typed
text (amounts and dates too), so every rule lives here, for the portal and any other client,
and every problem is reported at once with a JSON pointer (/employer_uscc, /claims/2/amount,
/evidence/1/file).  Empty claim rows and evidence rows are skipped; pointers keep the row
numbers of the form.

All or nothing: fields and files are checked first, then the files are stored, then one
transaction opens the arbitration case (the worker's account as applicant, the employer as
respondent, the claims) and records the evidence.  A rejected field or file creates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import actor_party
from workflows.audit import Actor
from workflows.cases import CaseService, CaseView, ClaimInput, OpenCase, PartyInput
from workflows.claim_types import CLAIM_TYPES
from workflows.db import Database
from workflows.errors import (
    FieldProblem,
    FileRejectedError,
    PermissionDeniedError,
    StorageUnavailableError,
    ValidationError,
)
from workflows.evidence import APPLICATION, EvidenceService, StoredUpload, Upload
from workflows.identity import is_valid_uscc, normalise_uscc
from workflows.models import Organisation, User
from workflows.roles import WORKER
from workflows.uploads import CheckedFile

ARBITRATION = "arbitration"
COMMISSION = "commission"
EMPLOYER = "employer"

MAX_AMOUNT = Decimal("999999999999.99")  # Claim.amount is NUMERIC(14, 2)
MAX_TEXT = 200
MAX_TITLE = 300  # Case.title
MAX_CLAIM_DESCRIPTION = 2000
MAX_FACTS = 5000
MIN_QUERY = 2
MAX_MATCHES = 10


@dataclass(frozen=True)
class ClaimLine:
    """One row of the claims table, as typed."""

    claim_type: str = ""
    description: str = ""
    amount: str = ""
    period_start: str = ""
    period_end: str = ""

    def is_empty(self) -> bool:
        return not any(
            v.strip()
            for v in (self.claim_type, self.description, self.amount, self.period_start, self.period_end)
        )


@dataclass(frozen=True)
class EvidenceLine:
    """One row of the evidence table: a file (None: none chosen) and what it proves."""

    upload: Upload | None = None
    description: str = ""


@dataclass(frozen=True)
class ClaimFiling:
    commission_id: int | None
    applicant_address: str
    employer_name: str
    employer_uscc: str
    employer_address: str
    facts: str
    claims: Sequence[ClaimLine] = ()
    evidence: Sequence[EvidenceLine] = ()
    employer_id: int | None = None  # picked from `find_employers`


@dataclass(frozen=True)
class Choice:
    """An organisation to pick in the form."""

    id: int
    name: str
    uscc: str | None = None


@dataclass
class _Checked:
    """What the checks made of the form."""

    commission_id: int = 0
    employer: PartyInput | None = None
    claims: list[ClaimInput] = field(default_factory=list)
    files: list[CheckedFile] = field(default_factory=list)


class FilingService:
    def __init__(self, db: Database, cases: CaseService, evidence: EvidenceService | None):
        self.db = db
        self.cases = cases
        self.evidence = evidence

    # -- what the form offers -----------------------------------------------------------------

    def commissions(self) -> list[Choice]:
        """The arbitration commissions one may apply to."""
        with self.db.transaction() as s:
            rows = s.execute(
                select(Organisation).where(Organisation.kind == COMMISSION).order_by(Organisation.name)
            ).scalars()
            return [Choice(o.id, o.name) for o in rows]

    def find_employers(self, query: str) -> list[Choice]:
        """Employers on record by unified social credit code (exact) or part of their name."""
        text = query.strip()
        if len(text) < MIN_QUERY:
            return []
        code = normalise_uscc(text)
        stmt = select(Organisation).where(Organisation.kind == EMPLOYER)
        if re.fullmatch(r"[0-9A-Z]{18}", code):
            stmt = stmt.where(Organisation.uscc == code)
        else:
            like = "%" + text[:100].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(Organisation.name.like(like, escape="\\"))
        with self.db.transaction() as s:
            rows = s.execute(stmt.order_by(Organisation.name).limit(MAX_MATCHES)).scalars()
            return [Choice(o.id, o.name, o.uscc) for o in rows]

    # -- the use case -------------------------------------------------------------------------

    def file_claim(self, actor: Actor, filing: ClaimFiling) -> CaseView:
        """Open the worker's arbitration case with its claims and evidence, or nothing at all."""
        if WORKER not in actor.roles or actor.user_id is None:
            raise PermissionDeniedError("只有劳动者本人可以在网上申请仲裁")
        with self.db.transaction() as s:
            checked = self._check(s, filing)
        stored: list[StoredUpload] = []
        if checked.files:
            assert self.evidence is not None  # _check refuses files without a store
            stored = self.evidence.put(checked.files)
        with self.db.transaction() as s:
            user = s.get(User, actor.user_id)
            if user is None:
                raise PermissionDeniedError("账户不存在")
            assert checked.employer is not None
            case = self.cases.open_in(
                s,
                actor,
                OpenCase(
                    process_key=ARBITRATION,
                    case_type=ARBITRATION,
                    title=f"{user.display_name}与{checked.employer.name}劳动争议"[:MAX_TITLE],
                    organisation_id=checked.commission_id,
                    parties=[
                        PartyInput(
                            role="applicant",
                            name=user.display_name,
                            resident_id=user.resident_id,
                            phone=user.phone,
                            user_id=user.id,
                            address=filing.applicant_address.strip(),
                        ),
                        checked.employer,
                    ],
                    claims=checked.claims,
                    data={"facts_and_reasons": filing.facts.strip(), "filed_online": True},
                ),
            )
            if stored:
                assert self.evidence is not None
                applicant = actor_party(s, actor, case.id, "applicant")
                self.evidence.record_in(s, case, actor, stored, party=applicant, purpose=APPLICATION)
            case_id = case.id
        return self.cases.get_case(actor, case_id)

    # -- the checks ---------------------------------------------------------------------------

    def _check(self, s: Session, filing: ClaimFiling) -> _Checked:
        """Every rule of the form; raises one ValidationError listing every problem."""
        out = _Checked()
        problems: list[FieldProblem] = []
        commission = s.get(Organisation, filing.commission_id) if filing.commission_id else None
        if commission is None or commission.kind != COMMISSION:
            problems.append(FieldProblem("/commission_id", "请选择受理申请的劳动人事争议仲裁委员会"))
        else:
            out.commission_id = commission.id
        problems += _text_problems("/applicant_address", filing.applicant_address, "请填写您的住址")
        out.employer, employer_problems = _employer(s, filing)
        problems += employer_problems
        claims, claim_problems = _claims(filing.claims)
        out.claims = claims
        problems += claim_problems
        problems += _text_problems("/facts", filing.facts, "请写明事实和理由", MAX_FACTS)
        file_error: FileRejectedError | None = None
        try:
            out.files = self._files(filing.evidence)
        except FileRejectedError as exc:
            file_error = exc
        if file_error is not None and not problems:
            raise file_error
        if problems or file_error is not None:
            raise ValidationError("请更正标出的内容", problems + (file_error.problems if file_error else []))
        return out

    def _files(self, lines: Sequence[EvidenceLine]) -> list[CheckedFile]:
        uploads: list[Upload] = []
        pointers: list[str] = []
        missing: list[FieldProblem] = []
        for i, line in enumerate(lines):
            if line.upload is None:
                if line.description.strip():
                    missing.append(FieldProblem(f"/evidence/{i}/file", "请选择这份证据的文件（或删去说明）"))
                continue
            uploads.append(Upload(line.upload.filename, line.upload.data, line.description))
            pointers.append(f"/evidence/{i}/file")
        if not uploads and not missing:
            return []
        if self.evidence is None:
            raise StorageUnavailableError("证据存储未配置，暂不能上传文件（no document store is configured）")
        try:
            files = self.evidence.check(uploads, pointers)
        except FileRejectedError as exc:
            exc.problems = missing + exc.problems
            raise
        if missing:
            raise FileRejectedError("请更正标出的内容", missing)
        return files


def _text_problems(pointer: str, value: str, empty: str, limit: int = MAX_TEXT) -> list[FieldProblem]:
    text = value.strip()
    if not text:
        return [FieldProblem(pointer, empty)]
    if len(text) > limit:
        return [FieldProblem(pointer, f"不超过 {limit} 字")]
    return []


def _employer(s: Session, filing: ClaimFiling) -> tuple[PartyInput | None, list[FieldProblem]]:
    """The respondent: an employer picked from the lookup, or as typed (name, optional USCC)."""
    problems = _text_problems(
        "/employer_address", filing.employer_address, "请填写用人单位的住所（注册地或经营地址）"
    )
    if filing.employer_id is not None:
        org = s.get(Organisation, filing.employer_id)
        if org is None or org.kind != EMPLOYER:
            return None, [*problems, FieldProblem("/employer_id", "请重新查找并选择用人单位")]
        party = PartyInput(
            role="respondent",
            name=org.name,  # as on record: the typed name and code are for employers not found
            kind="organisation",
            uscc=org.uscc,
            organisation_id=org.id,
            address=filing.employer_address.strip(),
        )
        return party, problems
    name = filing.employer_name.strip()
    uscc = normalise_uscc(filing.employer_uscc) or None
    known: Organisation | None = None
    if uscc is not None:
        if not is_valid_uscc(uscc):
            problems.append(
                FieldProblem(
                    "/employer_uscc",
                    "统一社会信用代码有误：应为 18 位数字或大写字母，最后一位是校验码，请对照营业执照核对",
                )
            )
        else:
            known = s.execute(select(Organisation).where(Organisation.uscc == uscc)).scalar_one_or_none()
            if known is not None and known.kind != EMPLOYER:
                problems.append(FieldProblem("/employer_uscc", "该代码不属于用人单位"))
    if not name and known is not None:
        name = known.name
    if not name:
        problems.append(FieldProblem("/employer_name", "请填写用人单位名称"))
    elif len(name) > MAX_TEXT:
        problems.append(FieldProblem("/employer_name", f"不超过 {MAX_TEXT} 字"))
    if problems:
        return None, problems
    party = PartyInput(
        role="respondent",
        name=name,
        kind="organisation",
        uscc=uscc,
        organisation_id=known.id if known is not None else None,
        address=filing.employer_address.strip(),
    )
    return party, []


def _claims(lines: Sequence[ClaimLine]) -> tuple[list[ClaimInput], list[FieldProblem]]:
    claims: list[ClaimInput] = []
    problems: list[FieldProblem] = []
    for i, line in enumerate(lines):
        if line.is_empty():
            continue
        at = f"/claims/{i}"
        kind = line.claim_type.strip()
        if kind not in CLAIM_TYPES:
            problems.append(FieldProblem(f"{at}/claim_type", "请选择请求类型"))
        description = line.description.strip()
        if kind == "other" and not description:
            problems.append(FieldProblem(f"{at}/description", "选择“其他”时请写明请求内容"))
        elif len(description) > MAX_CLAIM_DESCRIPTION:
            problems.append(FieldProblem(f"{at}/description", f"不超过 {MAX_CLAIM_DESCRIPTION} 字"))
        amount, problem = _amount(line.amount, f"{at}/amount")
        problems += problem
        start, problem = _date(line.period_start, f"{at}/period_start")
        problems += problem
        end, problem = _date(line.period_end, f"{at}/period_end")
        problems += problem
        if start and end and end < start:
            problems.append(FieldProblem(f"{at}/period_end", "结束日期早于开始日期"))
        claims.append(ClaimInput(kind, description, amount, start, end))
    if not claims and not problems:
        problems.append(FieldProblem("/claims/0/claim_type", "请至少填写一项仲裁请求"))
    return claims, problems


def _amount(raw: str, pointer: str) -> tuple[Decimal | None, list[FieldProblem]]:
    """An amount in yuan as people type it: "12,000.50", "12000元", "¥ 3000"."""
    text = re.sub(r"[\s,，¥￥]|元$", "", raw.strip())
    if not text:
        return None, []
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, [FieldProblem(pointer, "金额请填写数字（单位：元），如 12000.50")]
    if not value.is_finite():
        return None, [FieldProblem(pointer, "金额请填写数字（单位：元），如 12000.50")]
    if value < 0:
        return None, [FieldProblem(pointer, "金额不能为负数")]
    if value > MAX_AMOUNT:
        return None, [FieldProblem(pointer, "金额过大")]
    if value != value.quantize(Decimal("0.01")):
        return None, [FieldProblem(pointer, "金额最多保留两位小数")]
    return value.quantize(Decimal("0.01")), []


def _date(raw: str, pointer: str) -> tuple[date | None, list[FieldProblem]]:
    text = raw.strip()
    if not text:
        return None, []
    try:
        return date.fromisoformat(text), []
    except ValueError:
        return None, [FieldProblem(pointer, "日期格式应为 2026-01-31")]
