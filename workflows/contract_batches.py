"""Bulk send of labour contracts from a spreadsheet (CSV or XLSX), worked through in the background.

An employer's agent uploads a file with one contract a line: a header row (Chinese column names
as in the sample, or English aliases) naming clause fields of the model contract
(`workflows.contract_clauses`), and the worker identified by resident ID and/or the phone of a
real-name worker account.  `create` checks the file as a whole (size, CSV or XLSX judged by the
bytes, encoding, known columns, row limit) and refuses it with a clear message naming what is
wrong; then, in one transaction, it stores the batch and one row per line — `pending`, or
`failed` with its problems (pointers /rows/<line>/clauses/<clause>/<field>) when the line cannot
even be read — and returns at once.

`run_pending` (the background worker) claims pending rows one at a time (`FOR UPDATE SKIP LOCKED`
on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), drafts and sends each through
`ContractService.send_bulk_row` and records the outcome — the contract, or the refusal with its
problems — in the same transaction.  A worker killed mid-row rolls back both: the row is still
pending and no contract exists, so a row is never sent twice.  An unexpected failure (storage,
signing service) is counted on the row and retried, up to `MAX_ATTEMPTS`.  The batch counts sent
and failed rows and is `done` (with `finished_at`) when none is pending.

Only agents of the batch's employer see it; anyone else is told it does not exist.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from workflows.audit import Actor
from workflows.contract_clauses import CLAUSES, apply_defaults
from workflows.contract_spreadsheets import (
    BOUND_FIELDS,
    COLUMN_BY_KEY,
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    ParsedRow,
    ParsedSheet,
    file_error,
    is_blank,
    parse_spreadsheet,
)
from workflows.contracts import SIGNING_ORDERS, WORKER_FIRST, BulkRow, ClientInfo, ContractService
from workflows.db import Database
from workflows.errors import (
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from workflows.models import (
    LabourContract,
    LabourContractBatch,
    LabourContractBatchRow,
    LabourContractTemplate,
    User,
)
from workflows.roles import EMPLOYER_AGENT, WORKER
from workflows.runtime import Clock, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # unexpected failures of one row before it is given up as failed

QUEUED, RUNNING, DONE = "queued", "running", "done"
PENDING, SENT, FAILED = "pending", "sent", "failed"
BATCH_STATE_LABELS = {QUEUED: "排队中", RUNNING: "发送中", DONE: "已完成"}
ROW_STATE_LABELS = {PENDING: "待发送", SENT: "已发送", FAILED: "失败"}

# -- the service ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchView:
    id: int
    employer_id: int
    template_id: int
    filename: str
    signing_order: str
    due_at: datetime
    state: str
    total: int
    sent: int
    failed: int
    created_by: int
    created_at: datetime
    finished_at: datetime | None

    @property
    def pending(self) -> int:
        return max(0, self.total - self.sent - self.failed)

    @property
    def state_label(self) -> str:
        return BATCH_STATE_LABELS.get(self.state, self.state)

    @property
    def percent(self) -> int:
        """How much is worked through (sent or failed), in whole percent."""
        return 100 if not self.total else (self.sent + self.failed) * 100 // self.total

    def progress(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "state_label": self.state_label,
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "pending": self.pending,
            "percent": self.percent,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class BatchRowView:
    row_number: int
    state: str
    contract_id: int | None
    contract_number: str | None
    worker_name: str
    error: str | None
    problems: tuple[FieldProblem, ...]
    values: dict[str, str]
    attempts: int

    @property
    def state_label(self) -> str:
        return ROW_STATE_LABELS.get(self.state, self.state)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _batch_view(b: LabourContractBatch) -> BatchView:
    return BatchView(
        id=b.id,
        employer_id=b.employer_id,
        template_id=b.template_id,
        filename=b.filename,
        signing_order=b.signing_order,
        due_at=_aware(b.due_at),
        state=b.state,
        total=b.total,
        sent=b.sent,
        failed=b.failed,
        created_by=b.created_by,
        created_at=_aware(b.created_at),
        finished_at=_aware(b.finished_at) if b.finished_at else None,
    )


def _problems(raw: Iterable[Any] | None) -> tuple[FieldProblem, ...]:
    return tuple(FieldProblem(str(p.get("pointer", "")), str(p.get("message", ""))) for p in raw or ())


def _row_view(r: LabourContractBatchRow, contract_number: str | None) -> BatchRowView:
    data = r.data or {}
    values = dict(data.get("values") or {})
    worker = (data.get("clauses") or {}).get("worker") or {}
    return BatchRowView(
        row_number=r.row_number,
        state=r.state,
        contract_id=r.contract_id,
        contract_number=contract_number,
        worker_name=str(worker.get("name") or values.get("worker.name") or ""),
        error=r.error,
        problems=_problems(r.problems),
        values=values,
        attempts=int(data.get("attempts") or 0),
    )


def _employer_of(actor: Actor) -> int:
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        raise NotFoundError("labour contract batch", "")
    return actor.organisation_id


def _dump(problems: Iterable[FieldProblem]) -> list[dict[str, str]]:
    return [{"pointer": p.pointer, "message": p.message} for p in problems]


class ContractBatchService:
    """Batches of contracts from a spreadsheet (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        contracts: ContractService,
        *,
        clock: Clock = utcnow,
        max_bytes: int = MAX_BYTES,
        max_rows: int = MAX_ROWS,
    ):
        self.db = db
        self.contracts = contracts
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_rows = max_rows

    # -- creating -----------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        *,
        content: bytes,
        filename: str,
        due_at: datetime,
        signing_order: str = WORKER_FIRST,
        template_id: int | None = None,
        employer_defaults: Mapping[str, str] | None = None,
    ) -> BatchView:
        """Check the file and store the batch with its rows (one transaction); returns at once.

        ValidationError: /signing_order, /due_at, /template_id, or /file naming what is wrong with
        the file as a whole.  Lines that cannot be read are stored failed with their problems."""
        if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None or actor.user_id is None:
            raise PermissionDeniedError("只有用人单位经办人可以批量发送劳动合同")
        employer_id = actor.organisation_id
        problems: list[FieldProblem] = []
        if signing_order not in SIGNING_ORDERS:
            problems.append(FieldProblem("/signing_order", "签署顺序须为用人单位先签或劳动者先签"))
        if _aware(due_at) <= self.clock():
            problems.append(FieldProblem("/due_at", "签署截止时间须晚于现在"))
        if problems:
            raise ValidationError("批量发送的选项有误", problems)
        sheet = parse_spreadsheet(content, max_bytes=self.max_bytes, max_rows=self.max_rows)
        if template_id is None:
            template_id = self._latest_template(employer_id) or self.contracts.adopt_model_template(actor)
        defaults = {k: v.strip() for k, v in (employer_defaults or {}).items() if v and v.strip()}
        with self.db.transaction() as s:
            template = s.get(LabourContractTemplate, template_id)
            if template is None or template.employer_id != employer_id or template.retired_at is not None:
                raise ValidationError(
                    "合同模板不存在或已停用", [FieldProblem("/template_id", "请选择本单位在用的合同模板")]
                )
            self._require_columns(sheet, template.content.get("defaults") or {}, defaults)
            workers = self._resolve_workers(s, sheet.rows)
            now = self.clock()
            rows: list[dict[str, Any]] = []
            failed = 0
            for parsed in sheet.rows:
                clauses, user_id, found = self._row_clauses(parsed, workers, defaults)
                row_problems = list(parsed.problems) + found
                state = FAILED if row_problems else PENDING
                failed += state == FAILED
                rows.append(
                    {
                        "row_number": parsed.line,
                        "state": state,
                        "data": {"values": parsed.values, "clauses": clauses, "worker_user_id": user_id},
                        "error": row_problems[0].message if row_problems else None,
                        "problems": _dump(row_problems) if row_problems else None,
                    }
                )
            batch = LabourContractBatch(
                employer_id=employer_id,
                template_id=template.id,
                filename=(filename or "upload")[-200:],
                signing_order=signing_order,
                due_at=due_at,
                state=DONE if failed == len(rows) else QUEUED,
                total=len(rows),
                sent=0,
                failed=failed,
                created_by=actor.user_id,
                created_at=now,
                finished_at=now if failed == len(rows) else None,
            )
            s.add(batch)
            s.flush()
            for chunk in range(0, len(rows), 500):
                s.execute(
                    insert(LabourContractBatchRow),
                    [{"batch_id": batch.id, "contract_id": None, **r} for r in rows[chunk : chunk + 500]],
                )
            return _batch_view(batch)

    def _latest_template(self, employer_id: int) -> int | None:
        with self.db.transaction() as s:
            found: int | None = s.execute(
                select(LabourContractTemplate.id)
                .where(
                    LabourContractTemplate.employer_id == employer_id,
                    LabourContractTemplate.retired_at.is_(None),
                )
                .order_by(LabourContractTemplate.version.desc(), LabourContractTemplate.id.desc())
                .limit(1)
            ).scalar()
            return found

    @staticmethod
    def _require_columns(
        sheet: ParsedSheet, template_defaults: Mapping[str, Any], defaults: Mapping[str, str]
    ) -> None:
        """A mandatory clause field with no column, no default of the template or form: refuse the
        file now rather than fail every line later."""
        missing = []
        for clause in CLAUSES:
            given = template_defaults.get(clause.key) or {}
            for name in clause.fields:
                key = f"{clause.key}.{name}"
                if key in BOUND_FIELDS or key in sheet.columns or key in defaults:
                    continue
                if isinstance(given, Mapping) and not is_blank(given.get(name)):
                    continue
                column = COLUMN_BY_KEY.get(key)
                missing.append(column.header if column else key)
        if missing:
            raise file_error("缺少必备条款的列：" + "、".join(f"「{m}」" for m in missing))

    @staticmethod
    def _resolve_workers(s: Session, rows: Sequence[ParsedRow]) -> dict[tuple[str, str], User]:
        """The real-name worker accounts named by resident ID and by phone (two bulk queries)."""
        found: dict[tuple[str, str], User] = {}
        for attr, wanted in (
            ("rid", sorted({r.resident_id for r in rows if r.resident_id})),
            ("phone", sorted({r.phone for r in rows if r.phone})),
        ):
            for first in range(0, len(wanted), 500):
                chunk = wanted[first : first + 500]
                column = func.upper(User.resident_id) if attr == "rid" else User.phone
                users = s.execute(
                    select(User).where(column.in_(chunk), User.active.is_(True)).order_by(User.id)
                ).scalars()
                for user in users:
                    if WORKER not in user.role_codes or not user.resident_id:
                        continue
                    value = user.resident_id.upper() if attr == "rid" else (user.phone or "")
                    found.setdefault((attr, value), user)
        return found

    @staticmethod
    def _row_clauses(
        parsed: ParsedRow, workers: Mapping[tuple[str, str], User], defaults: Mapping[str, str]
    ) -> tuple[dict[str, Any], int | None, list[FieldProblem]]:
        clauses = apply_defaults(parsed.clauses, {})
        for key, value in defaults.items():
            clause, _, name = key.partition(".")
            clauses.setdefault(clause, {}).setdefault(name, value)
        problems: list[FieldProblem] = []
        if parsed.problems and not (parsed.resident_id or parsed.phone):
            return clauses, None, problems
        line = parsed.line
        user = None
        if parsed.resident_id:
            user = workers.get(("rid", parsed.resident_id))
            if user is None:
                problems.append(
                    FieldProblem(
                        f"/rows/{line}/clauses/worker/resident_id",
                        "未找到该身份证号码的实名注册劳动者账号：请劳动者先在本平台实名注册",
                    )
                )
            elif parsed.phone and user.phone != parsed.phone:
                problems.append(
                    FieldProblem(f"/rows/{line}/worker/phone", "手机号码与该身份证号码的实名注册账号不符")
                )
        elif parsed.phone:
            user = workers.get(("phone", parsed.phone))
            if user is None:
                problems.append(
                    FieldProblem(
                        f"/rows/{line}/worker/phone",
                        "未找到该手机号码的实名注册劳动者账号：请劳动者先在本平台实名注册",
                    )
                )
        if user is None:
            return clauses, None, problems
        person = clauses.setdefault("worker", {})
        name = str(person.get("name") or "").strip()
        if name and name != user.display_name:
            problems.append(
                FieldProblem(f"/rows/{line}/clauses/worker/name", "姓名与该劳动者实名注册的姓名不符")
            )
        person.setdefault("name", user.display_name)
        person.setdefault("resident_id", (user.resident_id or "").upper())
        return clauses, user.id, problems

    # -- processing ---------------------------------------------------------------------------

    def run_pending(self, limit: int | None = None) -> int:
        """Work through pending rows of queued/running batches (sent or failed), at most `limit`;
        returns how many were settled.  A row that fails unexpectedly is retried by a later call."""
        settled = 0
        tried: set[int] = set()  # rows that failed unexpectedly in this call: not again in it
        while limit is None or settled < limit:
            outcome = self.process_next(tried)
            if outcome is None:
                break
            if outcome:
                settled += 1
        return settled

    def process_next(self, skip: set[int] | None = None) -> bool | None:
        """Claim one pending row and draft+send it; True when it was settled (sent or failed),
        False when it failed unexpectedly (left pending, retried later), None when none is due."""
        skip = set() if skip is None else skip
        claimed: list[int] = []
        try:
            with self.db.transaction() as s:
                query = (
                    select(LabourContractBatchRow)
                    .join(LabourContractBatch, LabourContractBatch.id == LabourContractBatchRow.batch_id)
                    .where(
                        LabourContractBatchRow.state == PENDING,
                        LabourContractBatch.state.in_((QUEUED, RUNNING)),
                    )
                    .order_by(LabourContractBatchRow.batch_id, LabourContractBatchRow.row_number)
                    .limit(1)
                    .with_for_update(skip_locked=True, of=LabourContractBatchRow)
                )
                if skip:
                    query = query.where(LabourContractBatchRow.id.not_in(skip))
                row = s.execute(query).scalar_one_or_none()
                if row is None:
                    return None
                claimed.append(row.id)
                batch = s.get(LabourContractBatch, row.batch_id)
                assert batch is not None
                self._send_row(s, batch, row)
                return True
        except Exception as exc:  # one bad row must not stop the queue
            if not claimed:
                raise
            log.warning("labour contract batch row %s failed; it will be retried", claimed[0], exc_info=True)
            skip.add(claimed[0])
            self._record_attempt(claimed[0], str(exc) or type(exc).__name__)
            return False

    def _send_row(self, s: Session, batch: LabourContractBatch, row: LabourContractBatchRow) -> None:
        """Draft and send the row's contract and record the outcome — all in the caller's transaction."""
        actor = self._agent(s, batch)
        data = row.data or {}
        if actor is None:
            problem = FieldProblem(f"/rows/{row.row_number}", "发起批量发送的经办人已停用或不再代表本单位")
            self._settle(s, batch.id, row, None, problem.message, (problem,))
            return
        result = self.contracts.send_bulk_row(
            s,
            actor,
            BulkRow(
                template_id=batch.template_id,
                worker_user_id=int(data.get("worker_user_id") or 0),
                clauses=data.get("clauses") or {},
                due_at=_aware(batch.due_at),
                signing_order=batch.signing_order,
            ),
            row.row_number,
            client=ClientInfo(),
        )
        contract_id = result.drafted.contract_id if result.drafted else None
        self._settle(s, batch.id, row, contract_id, result.error, result.problems)

    def _settle(
        self,
        s: Session,
        batch_id: int,
        row: LabourContractBatchRow,
        contract_id: int | None,
        error: str | None,
        problems: Sequence[FieldProblem],
    ) -> None:
        row.state = SENT if contract_id is not None else FAILED
        row.contract_id, row.error = contract_id, (None if contract_id is not None else error)
        row.problems = None if contract_id is not None else _dump(problems)
        self._count(s, batch_id, sent=int(contract_id is not None), failed=int(contract_id is None))

    def _count(self, s: Session, batch_id: int, *, sent: int = 0, failed: int = 0) -> None:
        """Add to the batch's counters under its row lock (taken last, held briefly); done when
        every row is settled."""
        s.flush()
        batch = s.execute(
            select(LabourContractBatch)
            .where(LabourContractBatch.id == batch_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        batch.sent += sent
        batch.failed += failed
        if batch.sent + batch.failed >= batch.total:
            batch.state, batch.finished_at = DONE, self.clock()
        elif batch.state == QUEUED:
            batch.state = RUNNING

    def _record_attempt(self, row_id: int, error: str) -> None:
        with self.db.transaction() as s:
            row = s.execute(
                select(LabourContractBatchRow).where(LabourContractBatchRow.id == row_id).with_for_update()
            ).scalar_one_or_none()
            if row is None or row.state != PENDING:
                return
            data = dict(row.data or {})
            attempts = int(data.get("attempts") or 0) + 1
            data["attempts"] = attempts
            row.data = data
            if attempts < MAX_ATTEMPTS:
                row.error = f"第 {attempts} 次发送出错，稍后重试：{error}"[:2000]
                return
            message = f"连续 {attempts} 次发送出错，已放弃：{error}"[:2000]
            self._settle(
                s, row.batch_id, row, None, message, (FieldProblem(f"/rows/{row.row_number}", message),)
            )

    @staticmethod
    def _agent(s: Session, batch: LabourContractBatch) -> Actor | None:
        """The agent who uploaded the batch, if still an active agent of its employer."""
        user = s.get(User, batch.created_by)
        if (
            user is None
            or not user.active
            or user.organisation_id != batch.employer_id
            or EMPLOYER_AGENT not in user.role_codes
        ):
            return None
        return Actor(user.id, user.display_name, frozenset({EMPLOYER_AGENT}), batch.employer_id)

    # -- reading ------------------------------------------------------------------------------

    def for_employer(self, actor: Actor, *, limit: int = 20, offset: int = 0) -> Page[BatchView]:
        """The actor's employer's batches, newest first."""
        employer_id = _employer_of(actor)
        where = LabourContractBatch.employer_id == employer_id
        with self.db.transaction() as s:
            rows = s.execute(
                select(LabourContractBatch)
                .where(where)
                .order_by(LabourContractBatch.id.desc())
                .limit(limit)
                .offset(offset)
            ).scalars()
            items = [_batch_view(b) for b in rows]
            total = s.execute(select(func.count()).select_from(LabourContractBatch).where(where)).scalar_one()
            return Page(items, int(total), limit, offset)

    def get(self, actor: Actor, batch_id: int) -> BatchView:
        """One of the actor's employer's batches; NotFoundError for anyone else's."""
        with self.db.transaction() as s:
            return _batch_view(self._readable(s, actor, batch_id))

    def rows(
        self,
        actor: Actor,
        batch_id: int,
        *,
        state: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> Page[BatchRowView]:
        """The batch's rows in sheet order, optionally in one state; `limit=None` for all."""
        with self.db.transaction() as s:
            self._readable(s, actor, batch_id)
            where = [LabourContractBatchRow.batch_id == batch_id]
            if state is not None:
                where.append(LabourContractBatchRow.state == state)
            found = s.execute(
                select(LabourContractBatchRow, LabourContract.contract_number)
                .outerjoin(LabourContract, LabourContract.id == LabourContractBatchRow.contract_id)
                .where(*where)
                .order_by(LabourContractBatchRow.row_number)
                .limit(limit)
                .offset(offset)
            ).all()
            items = [_row_view(r, number) for r, number in found]
            total = s.execute(
                select(func.count()).select_from(LabourContractBatchRow).where(*where)
            ).scalar_one()
            return Page(items, int(total), limit if limit is not None else len(items), offset)

    def failures_csv(self, actor: Actor, batch_id: int) -> bytes:
        """The failed rows as CSV (UTF-8 with BOM): line, the values as uploaded, and why — fix
        them and upload the file again."""
        failed = self.rows(actor, batch_id, state=FAILED, limit=None).items
        used = [c for c in COLUMNS if any(c.key in r.values for r in failed)]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["行号", *(c.header for c in used), "失败原因"])
        for r in failed:
            reasons = "；".join(p.message for p in r.problems) or (r.error or "")
            writer.writerow([r.row_number, *(_safe_cell(r.values.get(c.key, "")) for c in used), reasons])
        return out.getvalue().encode("utf-8-sig")

    @staticmethod
    def _readable(s: Session, actor: Actor, batch_id: int) -> LabourContractBatch:
        employer_id = _employer_of(actor)
        batch = s.get(LabourContractBatch, batch_id)
        if batch is None or batch.employer_id != employer_id:
            raise NotFoundError("labour contract batch", batch_id)
        return batch


def _safe_cell(value: str) -> str:
    """No formula injection when the CSV is opened in a spreadsheet program."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
