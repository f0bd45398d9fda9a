"""The engine wrapper: compile errors, restricted scripts, services, messages, timers, pruned state."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workflows.engine import CompiledProcess, Engine, Run, TaskState, diff_states
from workflows.errors import DefinitionError, EngineError, MessageNotExpectedError, UnknownTaskError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bpmn"


def _files(name: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (FIXTURES / name).glob("*.bpmn")}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(services={"lookup_employer": lambda uscc: {"uscc": uscc, "name": "某某公司"}})


@pytest.fixture(scope="module")
def features(engine: Engine) -> CompiledProcess:
    return engine.compile(_files("engine_features"), "engine_features")


@pytest.fixture(scope="module")
def loop(engine: Engine) -> CompiledProcess:
    return engine.compile(_files("loop_process"), "loop_process")


def _reload(engine: Engine, proc: CompiledProcess, run: Run) -> Run:
    state = run.snapshot()
    # what the database stores is JSON: prove the state survives that
    state = type(state)(
        json.loads(json.dumps(state.meta)),
        {k: type(v)(v.workflow_key, v.state, json.loads(json.dumps(v.doc))) for k, v in state.tasks.items()},
    )
    return engine.load(proc, state)


def _features_run(engine: Engine, proc: CompiledProcess, wake_in: timedelta = timedelta(seconds=-1)) -> Run:
    wake_at = (datetime.now(UTC) + wake_in).isoformat()
    return engine.start(proc, {"review_timeout": "PT1H", "wake_at": wake_at, "amounts": [3, 4]})


# -- compiling -------------------------------------------------------------


def test_malformed_bpmn_names_the_file(engine: Engine) -> None:
    with pytest.raises(DefinitionError) as err:
        engine.compile({"broken.bpmn": b"<bpmn:definitions"})
    assert err.value.file == "broken.bpmn"


def test_schema_violation_names_file_and_element(engine: Engine) -> None:
    bad = _files("loop_process")["loop_process.bpmn"].replace(
        b'<bpmn:userTask id="task_1"', b'<bpmn:userTask id="task_1" bogus="x"'
    )
    with pytest.raises(DefinitionError) as err:
        engine.compile({"loop_process.bpmn": bad})
    assert err.value.file == "loop_process.bpmn"
    assert "bogus" in str(err.value)


def test_unknown_process_id_is_refused(engine: Engine) -> None:
    with pytest.raises(DefinitionError, match="nope"):
        engine.compile(_files("loop_process"), "nope")


def test_dangling_flow_reference_is_refused(engine: Engine) -> None:
    bad = _files("loop_process")["loop_process.bpmn"].replace(b'targetRef="end"', b'targetRef="nowhere"')
    with pytest.raises(DefinitionError):
        engine.compile({"loop_process.bpmn": bad}, "loop_process")


def test_compiled_process_lists_user_tasks_lanes_and_messages(features: CompiledProcess) -> None:
    assert set(features.user_tasks) == {"review", "escalate", "sub_task"}
    assert features.user_tasks["escalate"].lane == "supervisor"
    assert features.messages == {"defence_received"}


# -- running ---------------------------------------------------------------


def test_full_path_survives_save_and_reload_between_every_step(
    engine: Engine, features: CompiledProcess
) -> None:
    run = _reload(engine, features, _features_run(engine, features))
    assert [t.name for t in run.ready_user_tasks()] == ["review"]
    run.complete_user_task(run.ready_user_tasks()[0].id, {"decision": "ok", "note": "已审"})
    run = _reload(engine, features, run)
    assert run.ready_user_tasks() == []  # parallel join still waits for the defence
    run.send_message("defence_received", {"filed_on": "2026-01-05"})
    run = _reload(engine, features, run)
    assert run.data["total"] == 7  # script ran after the join
    assert [t.name for t in run.ready_user_tasks()] == ["sub_task"]
    run.complete_user_task(run.ready_user_tasks()[0].id, {"decision": "ok"})
    run = _reload(engine, features, run)
    assert run.waiting_timers() == [] or run.completed
    run.fire_due_timers()
    assert run.completed


def test_date_timer_waits_until_due(engine: Engine, features: CompiledProcess) -> None:
    run = _features_run(engine, features, wake_in=timedelta(hours=2))
    run.complete_user_task(run.ready_user_tasks()[0].id, {"decision": "ok"})
    run.send_message("defence_received")
    run.complete_user_task(run.ready_user_tasks()[0].id, {"decision": "ok"})
    run = _reload(engine, features, run)
    [timer] = run.waiting_timers()
    assert timer.name == "Wake up"
    assert timedelta(hours=1, minutes=59) < timer.due_at - datetime.now(UTC) <= timedelta(hours=2)
    run.fire_due_timers()
    assert not run.completed


def test_boundary_timer_due_time_is_reported(engine: Engine, features: CompiledProcess) -> None:
    run = _reload(engine, features, _features_run(engine, features))
    [timer] = run.waiting_timers()
    assert timer.name == "Review overdue"
    assert abs((timer.due_at - datetime.now(UTC)) - timedelta(hours=1)) < timedelta(minutes=1)


def test_interrupting_boundary_timer_moves_work_to_escalation(
    engine: Engine, features: CompiledProcess
) -> None:
    run = engine.start(features, {"review_timeout": "PT0S", "wake_at": datetime.now(UTC).isoformat()})
    run = _reload(engine, features, run)
    run.fire_due_timers()
    run = _reload(engine, features, run)
    assert [t.name for t in run.ready_user_tasks()] == ["escalate"]


def test_unexpected_message_is_refused(engine: Engine, features: CompiledProcess) -> None:
    run = _features_run(engine, features)
    with pytest.raises(MessageNotExpectedError):
        run.send_message("court_result")
    run.send_message("defence_received")
    with pytest.raises(MessageNotExpectedError):
        run.send_message("defence_received")  # nobody waits any more


def test_completing_unknown_or_finished_task_is_refused(engine: Engine, loop: CompiledProcess) -> None:
    run = engine.start(loop)
    task = run.ready_user_tasks()[0]
    with pytest.raises(UnknownTaskError):
        run.complete_user_task("not-a-uuid", {})
    run.complete_user_task(task.id, {"again": True})
    with pytest.raises(UnknownTaskError):
        run.complete_user_task(task.id, {"again": True})


def test_non_json_task_data_is_refused(engine: Engine, loop: CompiledProcess) -> None:
    run = engine.start(loop)
    with pytest.raises(EngineError, match="JSON"):
        run.complete_user_task(run.ready_user_tasks()[0].id, {"when": datetime.now(UTC)})


# -- stored size stays flat ------------------------------------------------


def test_stored_state_does_not_grow_with_history(engine: Engine, loop: CompiledProcess) -> None:
    run = engine.start(loop)
    sizes = []
    for step in range(200):
        state_before = run.snapshot()
        run = engine.load(loop, state_before)
        run.complete_user_task(run.ready_user_tasks()[0].id, {"again": True, f"v{step % 10}": step})
        after = run.snapshot()
        diff = diff_states(state_before, after)
        sizes.append((len(after.tasks), len(json.dumps([r.doc for r in diff.upserts.values()]))))
    rows_early, bytes_early = sizes[9]
    rows_late, bytes_late = sizes[199]
    assert rows_late <= rows_early + 1
    assert bytes_late <= bytes_early * 1.3


# -- predictions are not stored, and loading makes them again ------------------

GATEWAYS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="gateways" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="pick" />
    <bpmn:userTask id="pick">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="pick" targetRef="split" />
    <bpmn:inclusiveGateway id="split" default="fc">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing><bpmn:outgoing>fc</bpmn:outgoing>
    </bpmn:inclusiveGateway>
    <bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="task_a">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">a</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="task_b">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">b</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fc" sourceRef="split" targetRef="task_c" />
    <bpmn:userTask id="task_a">
      <bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="task_b">
      <bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="task_c">
      <bpmn:incoming>fc</bpmn:incoming><bpmn:outgoing>fc2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="fa2" sourceRef="task_a" targetRef="merge" />
    <bpmn:sequenceFlow id="fb2" sourceRef="task_b" targetRef="merge" />
    <bpmn:sequenceFlow id="fc2" sourceRef="task_c" targetRef="merge" />
    <bpmn:inclusiveGateway id="merge">
      <bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming><bpmn:incoming>fc2</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:inclusiveGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="act" />
    <bpmn:userTask id="act"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f7" sourceRef="act" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_snapshot_leaves_out_the_path_the_engine_predicts(engine: Engine, loop: CompiledProcess) -> None:
    run = engine.start(loop)
    run.complete_user_task(run.ready_user_tasks()[0].id, {"again": True})
    stored = run.snapshot().tasks
    # the root, the completed task before the ready one, the ready one: not the ten FUTURE,
    # LIKELY and MAYBE tasks ahead of it, which loading predicts again from the ready task
    assert sorted(row.state for row in stored.values()) == ["COMPLETED", "COMPLETED", "READY"]
    run = _reload(engine, loop, run)
    assert len(list(run._all_tasks())) > len(stored)  # predicted again
    assert {k: row.state for k, row in run.snapshot().tasks.items()} == {
        k: row.state for k, row in stored.items()
    }


def test_a_long_predicted_path_is_left_out_without_recursion(engine: Engine) -> None:
    """400 tasks in sequence, which SpiffWorkflow predicts in full: deciding what to leave out
    must not recurse down the path (a recursive version ran out of stack from about 330)."""
    steps = 400
    targets = [f"t{i}" for i in range(1, steps)] + ["e"]
    tasks = "".join(
        f'<bpmn:userTask id="t{i}"><bpmn:incoming>f{i}</bpmn:incoming><bpmn:outgoing>f{i + 1}</bpmn:outgoing>'
        f'</bpmn:userTask><bpmn:sequenceFlow id="f{i + 1}" sourceRef="t{i}" targetRef="{target}" />'
        for i, target in enumerate(targets)
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="long" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t0" />{tasks}
    <bpmn:endEvent id="e"><bpmn:incoming>f{steps}</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""
    process = engine.compile({"long.bpmn": xml.encode()}, "long")
    run = engine.start(process)
    run.complete_user_task(run.ready_user_tasks()[0].id, {})
    assert sorted(row.state for row in run.snapshot().tasks.values()) == ["COMPLETED", "COMPLETED", "READY"]
    run = _reload(engine, process, run)
    assert [t.name for t in run.ready_user_tasks()] == ["t1"]


def test_state_stored_with_its_predictions_loads_and_sheds_them(
    engine: Engine, loop: CompiledProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cases saved before predictions were left out hold them as rows: such a case loads and
    runs on, and its next save deletes those rows."""
    import workflows.engine as engine_module

    run = engine.start(loop)
    with monkeypatch.context() as m:  # the earlier format: every unfinished task stored
        finished = TaskState.FINISHED_MASK
        every_unfinished = lambda tasks: [t for t in tasks.values() if not t.state & finished]  # noqa: E731
        m.setattr(engine_module, "_stored_live", every_unfinished)
        old = run.snapshot()
    assert len(old.tasks) > 10
    run = engine.load(loop, old)
    run.complete_user_task(run.ready_user_tasks()[0].id, {"again": True})
    diff = diff_states(old, run.snapshot())
    assert len(diff.deletes) >= 9  # the FUTURE, LIKELY and MAYBE rows
    assert [t.name for t in run.ready_user_tasks()] == ["task_2"]


def _observe(run: Run) -> tuple[object, ...]:
    """What a case shows of its workflow and the engine's unfinished tasks with their states
    (ids aside: a prediction made again has a new one)."""
    finished = TaskState.FINISHED_MASK
    unfinished = [(t.task_spec.name, t.state) for t in run._all_tasks() if not t.state & finished]
    return (
        sorted(unfinished),
        [t.name for t in run.ready_user_tasks()],
        sorted(t.name for t in run.waiting_timers()),
        run.active_elements(),
        run.data,
        run.completed,
    )


Step = Callable[[Run], object]


def _complete(name: str, data: dict[str, object]) -> Step:
    def act(run: Run) -> None:
        [task] = [t for t in run.ready_user_tasks() if t.name == name]
        run.complete_user_task(task.id, data)

    return act


def _fire(name: str) -> Step:
    def act(run: Run) -> None:
        [timer] = [t for t in run.waiting_timers() if t.name == name]
        assert run.fire_timer(timer.task_id)

    return act


def _message(name: str, payload: dict[str, object] | None = None) -> Step:
    return lambda run: run.send_message(name, payload)


LOOP_PATH: list[Step] = [_complete(f"task_{i % 10 + 1}", {"again": i < 25}) for i in range(30)]
FEATURES_PATH: list[Step] = [
    _complete("review", {"decision": "ok"}),
    _message("defence_received", {"filed_on": "2026-01-05"}),
    _complete("sub_task", {"decision": "ok"}),
    lambda run: run.fire_due_timers(),
]
ESCALATION_PATH: list[Step] = [
    _message("defence_received"),
    _fire("Review overdue"),
    _complete("escalate", {"decision": "late"}),
    _complete("sub_task", {"decision": "ok"}),
]
INCLUSIVE_PATHS: dict[str, list[Step]] = {
    "inclusive-two-branches": [
        _complete("pick", {"a": True, "b": True}),
        _complete("task_b", {}),
        _complete("task_a", {}),
        _complete("act", {}),
    ],
    "inclusive-default": [
        _complete("pick", {"a": False, "b": False}),
        _complete("task_c", {}),
        _complete("act", {}),
    ],
}


@pytest.mark.parametrize(
    "process, start, path",
    [
        ("loop", {}, LOOP_PATH),
        ("features", None, FEATURES_PATH),
        ("features", None, ESCALATION_PATH),
        *(("gateways", {}, path) for path in INCLUSIVE_PATHS.values()),
    ],
    ids=["loop", "features", "boundary-timer", *INCLUSIVE_PATHS],
)
def test_a_case_reloaded_at_every_step_runs_as_one_kept_in_memory(
    engine: Engine,
    loop: CompiledProcess,
    features: CompiledProcess,
    process: str,
    start: dict[str, object] | None,
    path: list[Step],
) -> None:
    """Stored state leaves predictions out; each load predicts them again.  A run that is
    saved and loaded between all its steps must go exactly where one never stored goes."""
    compiled = {"loop": loop, "features": features}.get(process) or engine.compile(
        {"gateways.bpmn": GATEWAYS_XML}, "gateways"
    )
    kept = _features_run(engine, features) if start is None else engine.start(compiled, start)
    stored = _reload(engine, compiled, kept)
    assert _observe(stored) == _observe(kept)
    for act in path:
        act(kept)
        act(stored)
        stored = _reload(engine, compiled, stored)
        assert _observe(stored) == _observe(kept)
    assert kept.completed


# -- restricted scripting ------------------------------------------------------


def _script_process(engine: Engine, script: str) -> CompiledProcess:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="scripted" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="run" />
    <bpmn:scriptTask id="run"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="b" sourceRef="run" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""
    return engine.compile({"s.bpmn": xml.encode()}, "scripted")


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "x = open('/etc/passwd').read()",
        "x = ().__class__.__base__.__subclasses__()",
        "x = eval('1+1')",
        "x = __import__('os')",
        "x = getattr(wages, '__class__')",
    ],
)
def test_scripts_cannot_escape_the_sandbox(engine: Engine, script: str) -> None:
    with pytest.raises((EngineError, DefinitionError)):
        proc = _script_process(engine, script)
        engine.start(proc, {"wages": 1})


def test_scripts_compute_over_task_data(engine: Engine) -> None:
    proc = _script_process(engine, "total = sum([w * 2 for w in wages])")
    run = engine.start(proc, {"wages": [1, 2, 3]})
    assert run.completed and run.data["total"] == 12


def test_user_data_is_never_executed_as_code(engine: Engine) -> None:
    proc = _script_process(engine, "echo = note")
    run = engine.start(proc, {"note": "__import__('os').system('echo pwned')"})
    assert run.data["echo"] == "__import__('os').system('echo pwned')"


def test_service_task_calls_registered_function(engine: Engine) -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="svc" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="call" />
    <bpmn:serviceTask id="call"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="%s" resultVariable="employer">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="uscc" type="str" value="code"/>
        </spiffworkflow:parameters>
      </spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:sequenceFlow id="b" sourceRef="call" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""
    proc = engine.compile({"s.bpmn": xml % b"lookup_employer"}, "svc")
    run = engine.start(proc, {"code": "91110000100000000X"})
    assert run.data["employer"] == {"uscc": "91110000100000000X", "name": "某某公司"}
    unknown = engine.compile({"s.bpmn": xml % b"no_such_service"}, "svc")
    with pytest.raises(EngineError, match="no_such_service"):
        engine.start(unknown, {"code": "x"})
