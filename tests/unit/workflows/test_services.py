"""Case, task, message and timer use cases through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

from tests.support import FIXTURE_BPMN, People, fixture_system, make_people
from workflows.audit import SYSTEM
from workflows.cases import OpenCase
from workflows.db import Database
from workflows.definitions import read_all
from workflows.engine import Run
from workflows.errors import (
    DefinitionError,
    MessageNotExpectedError,
    TaskNotOpenError,
    UnknownTaskError,
    ValidationError,
)
from workflows.models import Case, HumanTask, ProcessDefinition, Timer, WorkflowTask
from workflows.system import System


@pytest.fixture
def world(db: Database, tmp_path: Path) -> tuple[System, People]:
    return fixture_system(db, tmp_path), make_people(db)


def open_loop(system: System, people: People, title: str = "工资争议") -> int:
    return system.cases.open_case(
        people.clerk, OpenCase("loop_process", "arbitration", title, people.org_id)
    ).id


def test_case_numbers_are_per_type_and_year_and_gap_free(world: tuple[System, People]) -> None:
    system, people = world
    a = system.cases.open_case(people.clerk, OpenCase("loop_process", "arbitration", "一", people.org_id))
    b = system.cases.open_case(people.clerk, OpenCase("loop_process", "arbitration", "二", people.org_id))
    c = system.cases.open_case(people.clerk, OpenCase("loop_process", "mediation", "三", people.org_id))
    year = datetime.now(UTC).year
    assert [a.case_number, b.case_number] == [f"仲〔{year}〕1号", f"仲〔{year}〕2号"]
    assert c.case_number.endswith(f"〔{year}〕1号") and c.case_number != a.case_number


def test_concurrent_openings_get_distinct_consecutive_numbers(pg_db: Database, tmp_path: Path) -> None:
    system, people = fixture_system(pg_db, tmp_path), make_people(pg_db)
    numbers: list[str] = []
    errors: list[Exception] = []

    def opener() -> None:
        for _ in range(5):
            try:
                view = system.cases.open_case(
                    people.clerk, OpenCase("loop_process", "arbitration", "并发", people.org_id)
                )
                numbers.append(view.case_number)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    serials = sorted(int(n.split("〕")[1].rstrip("号")) for n in numbers)
    assert serials == list(range(1, 31))


def _first_words_of_statements(db: Database, action: Callable[[], object]) -> list[str]:
    """The first word of each statement `action` sends."""
    seen: list[str] = []

    def listener(conn: object, cursor: object, sql: str, *rest: object) -> None:
        seen.append(sql.split()[0])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_a_completion_on_postgresql_reads_with_one_statement_and_writes_with_one(
    pg_db: Database, tmp_path: Path
) -> None:
    system, people = fixture_system(pg_db, tmp_path), make_people(pg_db)
    open_loop(system, people)
    [first] = system.tasks.inbox(people.clerk)
    seen = _first_words_of_statements(
        pg_db, lambda: system.tasks.complete(people.clerk, first.id, {"again": True})
    )
    # the lock with the case's engine rows, then the step's writes as one statement
    assert seen == ["SELECT", "WITH"]


def test_a_step_that_waited_for_the_case_lock_reads_what_its_holder_committed(
    pg_db: Database, tmp_path: Path
) -> None:
    """The statement that takes the lock reads the engine rows from the snapshot it started
    with; a step that waited for the lock must not act on those rows but on the committed ones."""
    system, people = fixture_system(pg_db, tmp_path), make_people(pg_db)
    case_id = open_loop(system, people)
    [first] = system.tasks.inbox(people.clerk)
    holding = threading.Event()
    loaded: list[Run] = []

    def holder() -> None:
        with pg_db.transaction() as s:
            s.execute(select(Case.id).where(Case.id == case_id).with_for_update())
            holding.set()
            time.sleep(0.3)  # the step below is waiting for the lock now
            row = s.execute(select(WorkflowTask).where(WorkflowTask.task_id == first.id)).scalar_one()
            row.doc = {**row.doc, "delta": {"updates": {"marker": "committed"}, "deletions": []}}
            s.execute(update(Case).where(Case.id == case_id).values(version=Case.version + 1))

    def step() -> None:
        holding.wait(5)
        with pg_db.transaction() as s:
            _, case, rows = system.tasks._load_step(s, people.clerk, first.id)
            loaded.append(system.runtime.load(s, case, system.definitions.get(s, case.definition_id), rows))

    threads = [threading.Thread(target=holder), threading.Thread(target=step)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    [run] = loaded
    [ready] = run.ready_user_tasks()
    assert ready.data.get("marker") == "committed"


def test_completing_twice_is_refused_and_unknown_tasks_are_named(world: tuple[System, People]) -> None:
    system, people = world
    case_id = open_loop(system, people)
    [task] = system.tasks.inbox(people.clerk)
    system.tasks.complete(people.clerk, task.id, {"again": False})
    with pytest.raises(TaskNotOpenError):
        system.tasks.complete(people.clerk, task.id, {"again": False})
    with pytest.raises(UnknownTaskError):
        system.tasks.complete(people.clerk, "00000000-0000-0000-0000-000000000000", {"again": False})
    history = [e["action"] for e in system.cases.history(people.clerk, case_id)]
    assert history.count("task.completed") == 1


def test_each_step_records_what_it_closed_and_what_it_opened_in_the_audit_trail(
    world: tuple[System, People],
) -> None:
    system, people = world
    case_id = open_loop(system, people)
    [first] = system.tasks.inbox(people.clerk)
    done = system.tasks.complete(people.clerk, first.id, {"again": True})
    [second] = done.opened_task_ids
    trail = [(e["action"], e["entity"]) for e in system.cases.history(people.clerk, case_id)]
    assert trail[-3:] == [
        ("task.opened", f"task:{first.id}"),  # opening the case opened the first item
        ("task.completed", f"task:{first.id}"),
        ("task.opened", f"task:{second}"),
    ]


def test_a_unit_of_work_that_holds_the_task_already_completes_it_with_its_own_objects(
    world: tuple[System, People], db: Database
) -> None:
    system, people = world
    case_id = open_loop(system, people)
    [first] = system.tasks.inbox(people.clerk)
    with db.transaction() as s:
        held = s.get(HumanTask, first.id)
        assert held is not None
        done = system.tasks.complete_in(s, people.clerk, first.id, {"again": True})
        assert held.state == "completed" and held.completed_by == people.clerk.user_id
    [second] = system.tasks.inbox(people.clerk)
    assert done.opened_task_ids == [second.id] and done.case_id == case_id
    after = system.tasks.complete(people.clerk, second.id, {"again": True})
    assert after.case_version == done.case_version + 1  # the next step took it from the one saved


def test_invalid_form_data_writes_nothing(world: tuple[System, People], db: Database) -> None:
    system, people = world
    case_id = open_loop(system, people)
    [task] = system.tasks.inbox(people.clerk)
    with db.transaction() as s:
        before = (s.get_one(Case, case_id).version, s.scalar(select(func.count()).select_from(WorkflowTask)))
    with pytest.raises(ValidationError) as err:
        system.tasks.complete(people.clerk, task.id, {"again": "yes", "extra": 1})
    assert {p.pointer for p in err.value.problems} == {"/again", "/extra"}
    with db.transaction() as s:
        after = (s.get_one(Case, case_id).version, s.scalar(select(func.count()).select_from(WorkflowTask)))
        assert s.get_one(HumanTask, task.id).state == "open"
    assert after == before


def test_a_message_nobody_waits_for_is_refused(world: tuple[System, People]) -> None:
    system, people = world
    case_id = open_loop(system, people)
    with pytest.raises(MessageNotExpectedError):
        system.messages.deliver(people.clerk, "defence_received", {"x": 1}, case_id=case_id)


def test_worker_fires_a_timer_when_its_clock_says_it_is_due(
    world: tuple[System, People], db: Database
) -> None:
    system, people = world
    wake = datetime.now(UTC) + timedelta(days=3)
    view = system.cases.open_case(
        people.clerk,
        OpenCase(
            "timer_process",
            "enquiry",
            "定时",
            people.org_id,
            data={"wake_at": wake.isoformat(), "fired_count": 0},
        ),
    )
    assert view.open_tasks == []
    assert system.timers.run_due() == 0  # not due yet by the real clock
    assert system.timers.run_due(now=wake + timedelta(seconds=1)) == 1
    assert system.timers.run_due(now=wake + timedelta(days=1)) == 0  # fired once
    assert [t["name"] for t in system.cases.get_case(people.clerk, view.id).open_tasks] == ["after"]
    with db.transaction() as s:
        assert s.scalars(select(Timer.state)).all() == ["fired"]


def test_running_case_keeps_its_version_new_cases_take_the_newest(
    db: Database, tmp_path: Path, world: tuple[System, People]
) -> None:
    system, people = world
    old_case = open_loop(system, people, "旧版本")
    bpmn = tmp_path / "bpmn2"
    shutil.copytree(FIXTURE_BPMN, bpmn, ignore=shutil.ignore_patterns("*.py"))
    main = bpmn / "loop_process" / "loop_process.bpmn"
    main.write_text(main.read_text().replace('name="Step 1"', 'name="Step one"'))
    with db.transaction() as s:
        [row] = system.definitions.deploy(s, read_all(bpmn), SYSTEM)
    assert (row.process_key, row.version) == ("loop_process", 2)
    new_case = open_loop(system, people, "新版本")
    assert system.cases.get_case(people.clerk, old_case).definition_version == 1
    assert system.cases.get_case(people.clerk, new_case).definition_version == 2
    titles = {t.case_id: t.title for t in system.tasks.inbox(people.clerk)}
    assert titles == {old_case: "Step 1", new_case: "Step one"}


def test_deploying_a_broken_bundle_changes_nothing(
    db: Database, tmp_path: Path, world: tuple[System, People]
) -> None:
    system, _ = world
    bpmn = tmp_path / "bpmn3"
    shutil.copytree(FIXTURE_BPMN, bpmn, ignore=shutil.ignore_patterns("*.py"))
    (bpmn / "loop_process" / "forms" / "step.json").write_text('{"type": "object",')
    (bpmn / "timer_process" / "timer_process.bpmn").write_text(
        (bpmn / "timer_process" / "timer_process.bpmn").read_text().replace("wake", "woke")
    )
    with db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(ProcessDefinition))
    with pytest.raises(DefinitionError) as err, db.transaction() as s:
        system.definitions.deploy(s, read_all(bpmn), SYSTEM)
    assert err.value.file == "forms/step.json" and err.value.process == "loop_process"
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == before


def _loop_with_task_1_properties(tmp_path: Path, properties: str) -> Path:
    bpmn = tmp_path / "bpmn_props"
    shutil.copytree(FIXTURE_BPMN, bpmn, ignore=shutil.ignore_patterns("*.py"))
    main = bpmn / "loop_process" / "loop_process.bpmn"
    text = main.read_text()
    marker = '<spiffworkflow:property name="formJsonSchemaFilename" value="step.json" />'
    first = text.index(marker)  # task_1 comes first
    main.write_text(text[:first] + properties + text[first:])
    return bpmn


def test_award_period_counts_from_acceptance_named_by_the_process_art_43(
    db: Database, tmp_path: Path, world: tuple[System, People]
) -> None:
    """调解仲裁法 art.43: 45 days from acceptance, not from the day the drafting task opens."""
    system, people = world
    bpmn = _loop_with_task_1_properties(
        tmp_path,
        '<spiffworkflow:property name="deadline" value="arbitration.award" />'
        '<spiffworkflow:property name="deadlineFrom" value="accepted_on" />',
    )
    with db.transaction() as s:
        system.definitions.deploy(s, read_all(bpmn), SYSTEM)
    view = system.cases.open_case(
        people.clerk,
        OpenCase(
            "loop_process", "arbitration", "裁决期限", people.org_id, data={"accepted_on": "2026-03-02"}
        ),
    )
    [deadline] = view.deadlines
    assert deadline["rule"] == "arbitration.award" and str(deadline["due_on"]) == "2026-04-16"
    assert "第四十三条" in deadline["legal_basis"]
    with pytest.raises(Exception, match="accepted_on"):
        system.cases.open_case(
            people.clerk,
            OpenCase("loop_process", "arbitration", "坏日期", people.org_id, data={"accepted_on": "soon"}),
        )


def test_deadline_from_without_a_rule_is_a_definition_error(
    db: Database, tmp_path: Path, world: tuple[System, People]
) -> None:
    system, _ = world
    bpmn = _loop_with_task_1_properties(
        tmp_path, '<spiffworkflow:property name="deadlineFrom" value="accepted_on" />'
    )
    with pytest.raises(DefinitionError, match="deadlineFrom") as err, db.transaction() as s:
        system.definitions.deploy(s, read_all(bpmn), SYSTEM)
    assert err.value.element_id == "task_1"
