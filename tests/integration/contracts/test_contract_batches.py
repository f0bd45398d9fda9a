"""Bulk send from a spreadsheet, end to end on real components (dev PKI + TSA, local store): a
batch stored at once, worked through by `run_pending`, never a row sent twice — not by two
workers at once (PostgreSQL), not after a crash mid-row."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.unit.workflows.contract_fixtures import Setup, build
from workflows.contract_batches import MAX_ATTEMPTS, ContractBatchService
from workflows.contract_spreadsheets import COLUMN_BY_KEY, sample_table
from workflows.contracts import ContractService
from workflows.db import Database
from workflows.errors import FileRejectedError, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import AuditEvent, LabourContract, LabourContractBatch, LabourContractBatchRow, User
from workflows.runtime import utcnow

OTHER_RID = "110101198501010017"  # 李四, phone 13900139000


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(db, signing, local_store, tmp_path)


@pytest.fixture
def batches(setup: Setup, db: Database) -> ContractBatchService:
    return ContractBatchService(db, setup.service)


def line(**changes: str) -> dict[str, str]:
    """The sample's example line (王小明), with changes by column key ("pay.monthly_amount")."""
    header, example = sample_table()
    values = dict(zip(header, example, strict=True))
    for key, value in changes.items():
        values[COLUMN_BY_KEY[key.replace("__", ".")].header] = value
    return values


def sheet(*lines: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(lines[0]))
    writer.writeheader()
    writer.writerows(lines)
    return out.getvalue().encode("utf-8")


def lisi(**changes: str) -> dict[str, str]:
    return line(**{"worker.name": "李四", "worker.resident_id": OTHER_RID, **changes})


def create(batches: ContractBatchService, setup: Setup, content: bytes, **kw: Any) -> int:
    options: dict[str, Any] = {"due_at": utcnow() + timedelta(days=7), "template_id": setup.template_id}
    options.update(kw)
    return batches.create(setup.parties.agent, content=content, filename="入职.csv", **options).id


def stored_rows(db: Database, batch_id: int) -> list[LabourContractBatchRow]:
    with db.transaction() as s:
        return list(
            s.execute(
                select(LabourContractBatchRow)
                .where(LabourContractBatchRow.batch_id == batch_id)
                .order_by(LabourContractBatchRow.row_number)
            ).scalars()
        )


def count(db: Database, model: Any) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def contract_events(db: Database) -> list[str]:
    with db.transaction() as s:
        return list(
            s.execute(select(AuditEvent.action).where(AuditEvent.chain.like("labour_contract:%"))).scalars()
        )


def test_a_batch_is_stored_at_once_then_sent_line_by_line_by_run_pending(
    setup: Setup, batches: ContractBatchService, db: Database
) -> None:
    content = sheet(
        line(),
        lisi(**{"worker.resident_id": "", "worker.phone": "13900139000"}),  # found by phone
        line(**{"term.probation_months": "8"}),  # art.19: at most 6 — refused when drafted
        line(**{"worker.resident_id": "110101198001010010", "worker.name": "张三"}),  # nobody registered
        line(**{"pay.monthly_amount": "面议"}),  # unreadable
    )
    batch_id = create(batches, setup, content)

    view = batches.get(setup.parties.agent, batch_id)
    assert (view.state, view.total, view.sent, view.failed, view.pending) == ("queued", 5, 0, 2, 3)
    assert [r.state for r in stored_rows(db, batch_id)] == [
        "pending",
        "pending",
        "pending",
        "failed",
        "failed",
    ]
    assert count(db, LabourContract) == 0  # nothing drafted yet: the worker does that

    assert batches.run_pending(limit=1) == 1
    assert batches.get(setup.parties.agent, batch_id).state == "running"
    assert batches.run_pending() == 2
    assert batches.run_pending() == 0

    view = batches.get(setup.parties.agent, batch_id)
    assert (view.state, view.sent, view.failed, view.pending, view.percent) == ("done", 2, 3, 0, 100)
    assert view.finished_at is not None
    rows = batches.rows(setup.parties.agent, batch_id, limit=None).items
    assert [(r.row_number, r.state) for r in rows] == [
        (2, "sent"),
        (3, "sent"),
        (4, "failed"),
        (5, "failed"),
        (6, "failed"),
    ]
    assert all(r.contract_number for r in rows[:2]) and rows[1].worker_name == "李四"
    assert [p.pointer for p in rows[2].problems] == ["/rows/4/clauses/term/probation_months"]
    assert [p.pointer for p in rows[3].problems] == ["/rows/5/clauses/worker/resident_id"]
    assert [p.pointer for p in rows[4].problems] == ["/rows/6/clauses/pay/monthly_amount"]
    with db.transaction() as s:
        contracts = list(s.execute(select(LabourContract).order_by(LabourContract.id)).scalars())
        assert [c.state for c in contracts] == ["sent", "sent"]
        assert {c.id for c in contracts} == {r.contract_id for r in rows[:2]}
        assert contracts[1].clauses["worker"]["resident_id"] == OTHER_RID
        assert contracts[0].clauses["social_insurance"]  # the template's default text
    assert sorted(contract_events(db)) == ["labour_contract.drafted"] * 2 + ["labour_contract.sent"] * 2

    failures = batches.failures_csv(setup.parties.agent, batch_id).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(failures)))
    assert parsed[0][0] == "行号" and parsed[0][-1] == "失败原因" and "月工资（元）" in parsed[0]
    assert [r[0] for r in parsed[1:]] == ["4", "5", "6"]
    assert "试用期" in parsed[1][-1] and "实名注册" in parsed[2][-1]


def test_a_batch_whose_every_line_fails_to_read_is_done_at_once(
    setup: Setup, batches: ContractBatchService
) -> None:
    batch_id = create(batches, setup, sheet(line(**{"term.start_date": "下个月"})))
    view = batches.get(setup.parties.agent, batch_id)
    assert (view.state, view.failed, view.finished_at is not None) == ("done", 1, True)
    assert batches.run_pending() == 0


def test_the_worker_must_match_the_account_by_phone_and_name(
    setup: Setup, batches: ContractBatchService
) -> None:
    batch_id = create(
        batches,
        setup,
        sheet(line(**{"worker.phone": "13900139000"}), line(**{"worker.name": "王大明"})),
    )
    rows = batches.rows(setup.parties.agent, batch_id).items
    assert [[p.pointer for p in r.problems] for r in rows] == [
        ["/rows/2/worker/phone"],
        ["/rows/3/clauses/worker/name"],
    ]


def test_bad_options_and_files_are_refused_before_anything_is_stored(
    setup: Setup, batches: ContractBatchService, db: Database
) -> None:
    with pytest.raises(ValidationError) as caught:
        create(batches, setup, sheet(line()), due_at=utcnow() - timedelta(hours=1), signing_order="whenever")
    assert {p.pointer for p in caught.value.problems} == {"/due_at", "/signing_order"}
    other_template = setup.service.adopt_model_template(setup.parties.other_agent)
    with pytest.raises(ValidationError) as caught:
        create(batches, setup, sheet(line()), template_id=other_template)
    assert [p.pointer for p in caught.value.problems] == ["/template_id"]
    no_position = {k: v for k, v in line().items() if k != "工作岗位"}
    with pytest.raises(FileRejectedError, match="「工作岗位」"):
        create(batches, setup, sheet(no_position))
    with pytest.raises(PermissionDeniedError):
        batches.create(setup.parties.worker, content=sheet(line()), filename="x.csv", due_at=utcnow())
    assert count(db, LabourContractBatch) == 0


def test_employer_defaults_fill_the_employer_clause_the_sheet_leaves_empty(
    setup: Setup, batches: ContractBatchService, db: Database
) -> None:
    blank = {k: v for k, v in line().items() if k not in ("用人单位住所", "法定代表人或者主要负责人")}
    defaults = {"employer.address": "北京市海淀区某某路9号", "employer.legal_representative": "钱某"}
    batch_id = create(batches, setup, sheet(blank), employer_defaults=defaults)
    assert batches.run_pending() == 1
    [row] = batches.rows(setup.parties.agent, batch_id).items
    assert row.state == "sent", row.problems
    with db.transaction() as s:
        contract = s.get(LabourContract, row.contract_id)
        assert contract is not None and contract.clauses["employer"]["address"] == "北京市海淀区某某路9号"


def test_another_employer_sees_no_batch(setup: Setup, batches: ContractBatchService) -> None:
    batch_id = create(batches, setup, sheet(line()))
    other = setup.parties.other_agent
    for read in (
        lambda: batches.get(other, batch_id),
        lambda: batches.rows(other, batch_id),
        lambda: batches.failures_csv(other, batch_id),
        lambda: batches.get(setup.parties.worker, batch_id),
    ):
        with pytest.raises(NotFoundError):
            read()
    assert batches.for_employer(other).items == []
    assert [b.id for b in batches.for_employer(setup.parties.agent).items] == [batch_id]


def test_lines_of_an_agent_who_left_the_employer_fail_instead_of_being_sent(
    setup: Setup, batches: ContractBatchService, db: Database
) -> None:
    batch_id = create(batches, setup, sheet(line()))
    with db.transaction() as s:
        agent = s.get(User, setup.parties.agent.user_id)
        assert agent is not None
        agent.active = False
    assert batches.run_pending() == 1
    [row] = batches.rows(setup.parties.agent, batch_id).items
    assert row.state == "failed" and "经办人" in (row.error or "")
    assert count(db, LabourContract) == 0


def test_a_crash_after_drafting_leaves_the_row_pending_and_nothing_half_written(
    setup: Setup, batches: ContractBatchService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_id = create(batches, setup, sheet(line()))

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("worker killed after drafting")

    monkeypatch.setattr(ContractService, "_send", crash)
    assert batches.process_next() is False
    assert batches.run_pending() == 0  # given up for this round, retried by a later one
    [row] = stored_rows(db, batch_id)
    assert (row.state, row.contract_id, row.data["attempts"]) == ("pending", None, 2)
    assert "worker killed" in (row.error or "")
    assert count(db, LabourContract) == 0 and contract_events(db) == []  # the draft was rolled back
    view = batches.get(setup.parties.agent, batch_id)
    assert (view.state, view.sent, view.failed) == ("queued", 0, 0)

    monkeypatch.undo()
    assert batches.run_pending() == 1
    [row] = stored_rows(db, batch_id)
    assert row.state == "sent" and row.contract_id is not None
    assert count(db, LabourContract) == 1
    assert sorted(contract_events(db)) == ["labour_contract.drafted", "labour_contract.sent"]
    assert batches.get(setup.parties.agent, batch_id).state == "done"


def test_a_row_failing_every_time_is_given_up_after_max_attempts(
    setup: Setup, batches: ContractBatchService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_id = create(batches, setup, sheet(line(), lisi()))

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("storage down")

    monkeypatch.setattr(ContractService, "_send", crash)
    for _ in range(MAX_ATTEMPTS):
        batches.run_pending()
    rows = stored_rows(db, batch_id)
    assert [r.state for r in rows] == ["failed", "failed"]
    assert "storage down" in (rows[0].error or "") and rows[0].problems == [
        {"pointer": "/rows/2", "message": rows[0].error}
    ]
    view = batches.get(setup.parties.agent, batch_id)
    assert (view.state, view.failed) == ("done", 2)


def test_two_workers_at_once_never_send_a_row_twice(
    pg_db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path
) -> None:
    setup = build(pg_db, signing, local_store, tmp_path)
    batches = ContractBatchService(pg_db, setup.service)
    batch_id = create(batches, setup, sheet(*[line() if i % 2 else lisi() for i in range(6)]))
    start = threading.Barrier(2)
    settled: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            settled.append(batches.run_pending())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(settled) == 6, settled
    rows = stored_rows(pg_db, batch_id)
    assert [r.state for r in rows] == ["sent"] * 6
    assert len({r.contract_id for r in rows}) == 6
    assert count(pg_db, LabourContract) == 6
    assert sorted(contract_events(pg_db)) == ["labour_contract.drafted"] * 6 + ["labour_contract.sent"] * 6
    view = batches.get(setup.parties.agent, batch_id)
    assert (view.state, view.sent, view.failed) == ("done", 6, 0)
