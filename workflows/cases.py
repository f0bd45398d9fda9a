"""Use cases on case records: open, read, list, link; every call checks access."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.access import require_case_access, visible_cases_filter
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.collective import collective_condition, is_collective, open_collective_first
from workflows.collective import start_data as collective_start_data
from workflows.db import Database
from workflows.definitions import Definitions, LoadedDefinition
from workflows.errors import FieldProblem, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import (
    AuditEvent,
    Case,
    CaseLink,
    CaseParty,
    Claim,
    Deadline,
    HumanTask,
    Organisation,
    Person,
    StoredFile,
)
from workflows.numbering import format_case_number, next_serial
from workflows.roles import STAFF_ROLES
from workflows.runtime import CaseRuntime

PARTY_ROLES = ("applicant", "respondent", "agent", "third_party")
LINK_RELATIONS = ("continues", "related", "collective_member", "appeal", "court_exchange")
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class PartyInput:
    role: str
    name: str
    kind: str = "person"  # person | organisation
    resident_id: str | None = None
    phone: str | None = None
    uscc: str | None = None
    user_id: int | None = None
    address: str | None = None  # 住所
    organisation_id: int | None = None  # an organisation already on record (e.g. picked from a lookup)


@dataclass(frozen=True)
class ClaimInput:
    claim_type: str
    description: str = ""
    amount: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class OpenCase:
    process_key: str
    case_type: str
    title: str
    organisation_id: int
    parties: Sequence[PartyInput] = ()
    claims: Sequence[ClaimInput] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseView:
    id: int
    case_number: str
    case_type: str
    title: str
    status: str
    organisation_id: int
    process_key: str
    definition_version: int
    version: int
    created_at: datetime
    updated_at: datetime
    parties: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    links: list[dict[str, Any]]
    open_tasks: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    collective: bool = False  # ten or more worker applicants with a common claim (法7)
    applicant_count: int = 0  # worker applicants
    stage: str | None = None  # where the process stands (its `stage` variable), e.g. award_drafting
    stage_label: str | None = None  # the same in plain words, for parties and staff


@dataclass(frozen=True)
class CaseNumber:
    """The number a new case gets: `text` is unique, (case_type, year, serial) too."""

    case_type: str
    year: int
    serial: int
    text: str


def new_case_row(
    s: Session,
    runtime: CaseRuntime,
    definition: LoadedDefinition,
    actor: Actor,
    *,
    number: CaseNumber,
    title: str,
    organisation_id: int,
) -> Case:
    """Insert an open case of `definition` (its process not yet started: `start_process`)."""
    now = runtime.clock()
    case = Case(
        case_number=number.text,
        case_type=number.case_type,
        year=number.year,
        serial=number.serial,
        title=title,
        status="open",
        organisation_id=organisation_id,
        definition_id=definition.id,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
        workflow_meta={},
        audit_seq=0,
        audit_head="",
    )
    s.add(case)
    s.flush()
    return case


def start_process(
    s: Session,
    runtime: CaseRuntime,
    definition: LoadedDefinition,
    case: Case,
    actor: Actor,
    data: Mapping[str, Any],
    **opened: Any,
) -> None:
    """Start the case's process with `data` and save its first step, audited as `case.opened`
    (with `opened` added to the event's details)."""
    run = runtime.engine.start(definition.process, data)
    runtime.save(
        s,
        case,
        definition,
        run,
        actor,
        [
            PendingEvent(
                "case.opened",
                "case",
                None,
                {
                    "case_number": case.case_number,
                    "type": case.case_type,
                    "title": case.title,
                    "process": definition.process_key,
                    "version": definition.version,
                    **opened,
                },
            )
        ],
    )


class CaseService:
    def __init__(self, db: Database, definitions: Definitions, runtime: CaseRuntime):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime

    # -- commands ----------------------------------------------------------

    def open_case(self, actor: Actor, command: OpenCase) -> CaseView:
        with self.db.transaction() as s:
            case_id = self.open_in(s, actor, command).id
        return self.get_case(actor, case_id)

    def open_in(self, s: Session, actor: Actor, command: OpenCase) -> Case:
        """Open a case inside the caller's transaction (see `open_case`); returns the case row."""
        self._check_open(actor, command)
        org = s.get(Organisation, command.organisation_id)
        if org is None:
            raise ValidationError(
                "受理机构不存在", [FieldProblem("/organisation_id", "unknown organisation")]
            )
        definition = self.definitions.latest(s, command.process_key)
        year = self.runtime.clock().astimezone(CHINA).year
        serial = next_serial(s, command.case_type, year)
        number = format_case_number(command.case_type, year, serial)
        case = new_case_row(
            s,
            self.runtime,
            definition,
            actor,
            number=CaseNumber(command.case_type, year, serial, number),
            title=command.title,
            organisation_id=command.organisation_id,
        )
        parties = [self._party(s, case.id, p) for p in command.parties]
        if (
            actor.user_id is not None
            and not (actor.roles & STAFF_ROLES)
            and not any(p.user_id == actor.user_id for p in parties)
        ):
            raise ValidationError("申请人必须是本人", [FieldProblem("/parties", "the filer must be a party")])
        for i, c in enumerate(command.claims, start=1):
            s.add(
                Claim(
                    case_id=case.id,
                    position=i,
                    claim_type=c.claim_type,
                    description=c.description,
                    amount=c.amount,
                    period_start=c.period_start,
                    period_end=c.period_end,
                )
            )
        # the body's region sets local yardsticks, e.g. the minimum wage of final awards (法47)
        start_data = {**command.data, "case_number": case.case_number, "region_code": org.region_code}
        # ten or more worker applicants with a claim: a collective dispute (法7), never a sole arbitrator
        workers = sum(1 for p in command.parties if p.role == "applicant" and p.kind == "person")
        start_data.update(collective_start_data(command.case_type, workers, len(command.claims)))
        start_process(
            s,
            self.runtime,
            definition,
            case,
            actor,
            start_data,
            parties=[{"role": p.role, "name": p.name} for p in parties],
            claims=[c.__dict__ for c in command.claims],
        )
        return case

    def _check_open(self, actor: Actor, command: OpenCase) -> None:
        problems = []
        if not command.title.strip():
            problems.append(FieldProblem("/title", "标题不能为空"))
        for i, p in enumerate(command.parties):
            if p.role not in PARTY_ROLES:
                problems.append(
                    FieldProblem(f"/parties/{i}/role", f"role must be one of {', '.join(PARTY_ROLES)}")
                )
            if p.kind not in ("person", "organisation"):
                problems.append(FieldProblem(f"/parties/{i}/kind", "kind must be person or organisation"))
            if not p.name.strip():
                problems.append(FieldProblem(f"/parties/{i}/name", "姓名/名称不能为空"))
        for i, c in enumerate(command.claims):
            if c.amount is not None and c.amount < 0:
                problems.append(FieldProblem(f"/claims/{i}/amount", "金额不能为负数"))
            if c.period_start and c.period_end and c.period_end < c.period_start:
                problems.append(FieldProblem(f"/claims/{i}/period_end", "结束日期早于开始日期"))
        if problems:
            raise ValidationError("立案信息有误", problems)
        if (
            actor.user_id is not None
            and actor.roles & STAFF_ROLES
            and actor.organisation_id != command.organisation_id
            and "admin" not in actor.roles
        ):
            raise PermissionDeniedError("staff may only open cases for their own organisation")

    def _party(self, s: Session, case_id: int, p: PartyInput) -> CaseParty:
        person_id = org_id = None
        if p.kind == "person":
            person = Person(name=p.name, resident_id=p.resident_id, phone=p.phone, user_id=p.user_id)
            s.add(person)
            s.flush()
            person_id = person.id
        else:
            existing = s.get(Organisation, p.organisation_id) if p.organisation_id is not None else None
            if existing is None and p.uscc:
                existing = s.execute(
                    select(Organisation).where(Organisation.uscc == p.uscc)
                ).scalar_one_or_none()
            if existing is None:
                existing = Organisation(kind="employer", name=p.name, uscc=p.uscc)
                s.add(existing)
                s.flush()
            org_id = existing.id
        party = CaseParty(
            case_id=case_id,
            role=p.role,
            person_id=person_id,
            organisation_id=org_id,
            user_id=p.user_id,
            name=p.name,
            address=p.address or None,
        )
        s.add(party)
        s.flush()
        return party

    def link_cases(self, actor: Actor, from_case_id: int, to_case_id: int, relation: str) -> None:
        if relation not in LINK_RELATIONS:
            raise ValidationError(
                "关联类型无效", [FieldProblem("/relation", f"one of {', '.join(LINK_RELATIONS)}")]
            )
        with self.db.transaction() as s:
            a = self._get(s, actor, from_case_id, "write")
            b = self._get(s, actor, to_case_id, "read")
            s.add(CaseLink(from_case_id=a.id, to_case_id=b.id, relation=relation))
            append_case_events(
                s,
                a,
                actor,
                [
                    PendingEvent(
                        "case.linked", f"case:{b.id}", None, {"relation": relation, "to": b.case_number}
                    )
                ],
            )
            a.updated_at = self.runtime.clock()

    # -- queries -----------------------------------------------------------

    def _get(self, s: Session, actor: Actor, case_id: int, action: str = "read") -> Case:
        case = s.get(Case, case_id, with_for_update=action == "write")
        if case is None:
            raise NotFoundError("case", case_id)
        require_case_access(s, actor, case, action)
        return case

    def get_case(self, actor: Actor, case_id: int) -> CaseView:
        with self.db.transaction() as s:
            case = self._get(s, actor, case_id)
            definition = self.definitions.get(s, case.definition_id)
            parties = list(
                s.execute(
                    select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
                ).scalars()
            )
            claims = list(
                s.execute(select(Claim).where(Claim.case_id == case.id).order_by(Claim.position)).scalars()
            )
            workers = sum(1 for p in parties if p.role == "applicant" and p.person_id is not None)
            links = s.execute(
                select(CaseLink, Case.case_number)
                .join(Case, Case.id == CaseLink.to_case_id)
                .where(CaseLink.from_case_id == case.id)
            ).all()
            tasks = s.execute(
                select(HumanTask)
                .where(HumanTask.case_id == case.id, HumanTask.state == "open")
                .order_by(HumanTask.created_at)
            ).scalars()
            deadlines = s.execute(
                select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)
            ).scalars()
            return CaseView(
                id=case.id,
                case_number=case.case_number,
                case_type=case.case_type,
                title=case.title,
                status=case.status,
                organisation_id=case.organisation_id,
                process_key=definition.process_key,
                definition_version=definition.version,
                version=case.version,
                created_at=case.created_at,
                updated_at=case.updated_at,
                parties=[
                    {
                        "id": p.id,
                        "role": p.role,
                        "name": p.name,
                        "user_id": p.user_id,
                        "kind": "person" if p.person_id else "organisation",
                        "organisation_id": p.organisation_id,
                        "address": p.address,
                        "representative": p.representative_recorded_at is not None,  # 法7
                    }
                    for p in parties
                ],
                claims=[
                    {
                        "id": c.id,
                        "position": c.position,
                        "claim_type": c.claim_type,
                        "description": c.description,
                        "amount": c.amount,
                        "period_start": c.period_start,
                        "period_end": c.period_end,
                    }
                    for c in claims
                ],
                links=[
                    {"to_case_id": link.to_case_id, "to_case_number": number, "relation": link.relation}
                    for link, number in links
                ],
                open_tasks=[
                    {
                        "id": t.id,
                        "name": t.name,
                        "title": t.title,
                        "candidate_role": t.candidate_role,
                        "assignee_id": t.assignee_id,
                        "due_at": t.due_at,
                    }
                    for t in tasks
                ],
                deadlines=[
                    {
                        "id": d.id,
                        "rule": d.rule,
                        "legal_basis": d.legal_basis,
                        "due_on": d.due_on,
                        "state": d.state,
                    }
                    for d in deadlines
                ],
                collective=is_collective(case.case_type, workers, len(claims)),
                applicant_count=workers,
                stage=(case.workflow_meta or {}).get("stage", {}).get("stage"),
                stage_label=(case.workflow_meta or {}).get("stage", {}).get("stage_label"),
            )

    def list_cases(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        case_type: str | None = None,
        query: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Cases the actor may see, open collective ones (法7: handled with priority) first, then
        newest first, with the total count."""
        stmt = select(Case).where(visible_cases_filter(actor))
        if status:
            stmt = stmt.where(Case.status == status)
        if case_type:
            stmt = stmt.where(Case.case_type == case_type)
        if query:
            like = f"%{query}%"
            stmt = stmt.where(or_(Case.case_number.like(like), Case.title.like(like)))
        with self.db.transaction() as s:
            total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
            rows = s.execute(
                stmt.add_columns(collective_condition().label("collective"))
                .order_by(open_collective_first(), Case.id.desc())
                .limit(min(limit, 200))
                .offset(offset)
            ).all()
            return [
                {
                    "id": c.id,
                    "case_number": c.case_number,
                    "case_type": c.case_type,
                    "title": c.title,
                    "status": c.status,
                    "updated_at": c.updated_at,
                    "version": c.version,
                    "collective": bool(collective),
                }
                for c, collective in rows
            ], total

    def history(self, actor: Actor, case_id: int) -> list[dict[str, Any]]:
        with self.db.transaction() as s:
            case = self._get(s, actor, case_id)
            events = s.execute(
                select(AuditEvent).where(AuditEvent.chain == f"case:{case.id}").order_by(AuditEvent.seq)
            ).scalars()
            return [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor_label,
                    "action": e.action,
                    "entity": e.entity,
                    "before": e.before,
                    "after": e.after,
                    "hash": e.hash,
                }
                for e in events
            ]

    def documents(self, actor: Actor, case_id: int) -> list[dict[str, Any]]:
        """Metadata of the files kept for a case (content is fetched through the storage port)."""
        with self.db.transaction() as s:
            case = self._get(s, actor, case_id)
            files = s.execute(
                select(StoredFile).where(StoredFile.case_id == case.id).order_by(StoredFile.id)
            ).scalars()
            return [
                {
                    "id": f.id,
                    "kind": f.kind,
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "sha256": f.sha256,
                    "size": f.size,
                    "created_at": f.created_at,
                    "state": f.state,
                }
                for f in files
            ]
