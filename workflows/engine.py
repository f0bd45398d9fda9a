"""The only door to SpiffWorkflow: parse, run steps, (de)serialize, translate errors.

Everything leaving this module is a plain dataclass or dict; nothing else in the
code base imports SpiffWorkflow.

Persistence model: a workflow is stored as one small *meta* document plus one
row per task.  After every step the task tree is *pruned*: finished tasks that
no live task needs are dropped (their history lives in the audit log and the
human-task table), so loading, stepping and saving a case cost the same at the
200th task as at the 10th.  A kept task whose parent was pruned is re-attached
to the root and stored with its full data instead of a delta.

Nor is the path ahead stored where the engine can predict it again: below a ready task
of a long sequence, SpiffWorkflow holds a dozen FUTURE, LIKELY and MAYBE tasks made from
the process definition alone.  Loading predicts them again, with the same states, so a
step reads and writes the few tasks that are really there (3 rows instead of 14 in the
benchmark's process).  `_stored_live` says which predictions qualify.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import TaskState

from workflows.errors import (
    DefinitionError,
    EngineError,
    LaborcaseError,
    MessageNotExpectedError,
    UnknownTaskError,
)

# ---------------------------------------------------------------------------
# Plain results
# ---------------------------------------------------------------------------

FINISHED_STATES = ("COMPLETED", "CANCELLED", "ERROR")


@dataclass(frozen=True)
class UserTaskSpecInfo:
    """What the rest of the system needs to know about a user task in a definition."""

    name: str
    title: str
    lane: str | None
    properties: Mapping[str, str]
    documentation: str | None = None


@dataclass(frozen=True)
class CompiledProcess:
    """A parsed, validated process definition.  `spec` objects are opaque outside."""

    process_id: str
    name: str
    user_tasks: Mapping[str, UserTaskSpecInfo]
    lanes: frozenset[str]
    messages: frozenset[str]
    spec: Any = field(repr=False, compare=False)
    subprocess_specs: Any = field(repr=False, compare=False)
    #: the extension properties of every task that has some (script and service tasks too)
    task_properties: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadyTask:
    id: str
    name: str
    title: str
    lane: str | None
    properties: Mapping[str, str]
    data: Mapping[str, Any]


@dataclass(frozen=True)
class CompletedTask:
    """A task that completed during one unit of work, with the data it completed with."""

    id: str
    name: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    name: str
    due_at: datetime


@dataclass(frozen=True)
class TaskRow:
    """One stored task of the (pruned) tree."""

    workflow_key: str  # "" for the top workflow, else the id of the subprocess's parent task
    state: str
    doc: dict[str, Any]


@dataclass(frozen=True)
class StoredState:
    """The persisted form of a workflow instance: small meta plus task rows."""

    meta: dict[str, Any]
    tasks: dict[str, TaskRow]


@dataclass(frozen=True)
class StateDiff:
    meta_changed: bool
    upserts: dict[str, TaskRow]
    deletes: list[str]


def diff_states(before: StoredState | None, after: StoredState) -> StateDiff:
    """Rows to write so that storage holding `before` ends up holding `after`."""
    if before is None:
        return StateDiff(True, dict(after.tasks), [])
    upserts = {tid: row for tid, row in after.tasks.items() if before.tasks.get(tid) != row}
    deletes = [tid for tid in before.tasks if tid not in after.tasks]
    return StateDiff(before.meta != after.meta, upserts, deletes)


# ---------------------------------------------------------------------------
# Restricted scripting and registered services
# ---------------------------------------------------------------------------

SAFE_BUILTIN_NAMES = {
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "range",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
}


def _restricted_builtins() -> dict[str, Any]:
    import builtins

    allowed = {k: v for k, v in safe_builtins.items() if k not in {"__import__", "compile", "setattr"}}
    for name in SAFE_BUILTIN_NAMES:
        allowed[name] = getattr(builtins, name)
    return allowed


_BUILTINS = _restricted_builtins()
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda x, y: x + y,
    "-=": lambda x, y: x - y,
    "*=": lambda x, y: x * y,
    "/=": lambda x, y: x / y,
    "//=": lambda x, y: x // y,
    "%=": lambda x, y: x % y,
}


@lru_cache(maxsize=2048)
def _compile_expression(source: str) -> Any:
    result = compile_restricted_eval(source, "<expression>")
    if result.errors:
        raise EngineError(f"expression refused: {'; '.join(result.errors)}")
    return result.code


@lru_cache(maxsize=512)
def _compile_script(source: str) -> Any:
    result = compile_restricted_exec(source, "<script>")
    if result.errors:
        raise EngineError(f"script refused: {'; '.join(result.errors)}")
    return result.code


ServiceFunction = Callable[..., Any]


class _RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates BPMN expressions and scripts with RestrictedPython.

    No imports, no dunder access, only a whitelist of builtins.  Task data is
    passed as variables, never spliced into source code.
    """

    def __init__(self, services: Mapping[str, ServiceFunction]):
        super().__init__({})
        self.services = services

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        scope = dict(_GUARDS)
        scope.update(external_context or {})
        scope.update(context)
        return eval(_compile_expression(expression), scope)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        scope = dict(_GUARDS)
        scope.update(external_context or {})
        scope.update(context)
        exec(_compile_script(script), scope)
        for key, value in scope.items():
            if key in _GUARDS or key.startswith("_") or callable(value):
                continue
            context[key] = value
        for key in [k for k in context if k not in scope]:
            del context[key]
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        func = self.services.get(name)
        if func is None:
            raise EngineError(f"no service registered under the name {name!r}")
        params = {k: v["value"] for k, v in kwargs.get("operation_params", {}).items()}
        return json.dumps(func(**params), default=str)


class _ScriptEngine(PythonScriptEngine):
    """Spiff's engine, with service-call failures reported as task errors.

    (SpiffWorkflow 3.2's `call_service` error path refers to an undefined name.)  A domain
    error a service raises on purpose (e.g. no minimum wage on record) reaches the caller as it
    is, so the person completing the step reads why.
    """

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except LaborcaseError:
            raise
        except Exception as err:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"service {name} failed: {err}", task=task, exception=err) from err


# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------


def _parse_timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(str(value))
    except Exception:  # pragma: no cover - spiff stores iso strings
        return None
    return parsed if isinstance(parsed, datetime) else None


class Engine:
    """Parses definitions and runs workflow instances.  One per process; thread-safe."""

    def __init__(self, services: Mapping[str, ServiceFunction] | None = None):
        self.services: dict[str, ServiceFunction] = dict(services or {})
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self._registry = self._serializer.registry
        self._script_engine = _ScriptEngine(environment=_RestrictedEnvironment(self.services))

    def register_service(self, name: str, func: ServiceFunction) -> None:
        self.services[name] = func

    # -- definitions -------------------------------------------------------

    def compile(self, files: Mapping[str, bytes], process_id: str | None = None) -> CompiledProcess:
        """Parse and validate BPMN (and DMN) files; raise DefinitionError on any defect."""
        parser = SpiffBpmnParser(validator=VALIDATOR)
        for name in sorted(files):
            content = files[name]
            try:
                if name.endswith(".bpmn"):
                    parser.add_bpmn_str(content, filename=name)
                elif name.endswith(".dmn"):
                    parser.add_dmn_str(content, filename=name)
            except ValidationException as exc:
                raise DefinitionError(
                    file=exc.file_name or name, element_id=exc.id or None, message=_first_line(exc)
                ) from exc
            except Exception as exc:  # lxml syntax errors and the like
                raise DefinitionError(file=name, element_id=None, message=_first_line(exc)) from exc
        executable = parser.get_process_ids()
        if process_id is None:
            if not executable:
                raise DefinitionError(file=None, element_id=None, message="no executable process found")
            process_id = executable[0]
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            raise DefinitionError(
                file=exc.file_name or None, element_id=exc.id or None, message=_first_line(exc)
            ) from exc
        except SpiffWorkflowException as exc:
            raise DefinitionError(file=None, element_id=None, message=_first_line(exc)) from exc
        except KeyError as exc:
            raise DefinitionError(
                file=None, element_id=process_id, message=f"process {process_id!r} is not defined"
            ) from exc

        user_tasks: dict[str, UserTaskSpecInfo] = {}
        task_properties: dict[str, Mapping[str, str]] = {}
        lanes: set[str] = set()
        messages: set[str] = set()
        all_specs = [spec, *subprocess_specs.values()]
        for wf_spec in all_specs:
            for ts in wf_spec.task_specs.values():
                lane = getattr(ts, "lane", None)
                if lane:
                    lanes.add(lane)
                ev = getattr(ts, "event_definition", None)
                if isinstance(ev, MessageEventDefinition) and isinstance(ts, CatchingEvent):
                    messages.add(ev.name)
                ext = getattr(ts, "extensions", {}) or {}
                if ext.get("properties"):
                    task_properties[ts.name] = dict(ext["properties"])
                if getattr(ts, "manual", False):
                    user_tasks[ts.name] = UserTaskSpecInfo(
                        name=ts.name,
                        title=ts.bpmn_name or ts.name,
                        lane=lane,
                        properties=dict(ext.get("properties", {})),
                        documentation=getattr(ts, "documentation", None),
                    )
        return CompiledProcess(
            process_id=process_id,
            name=spec.description or process_id,
            user_tasks=user_tasks,
            lanes=frozenset(lanes),
            messages=frozenset(messages),
            spec=spec,
            subprocess_specs=subprocess_specs,
            task_properties=task_properties,
        )

    # -- instances ---------------------------------------------------------

    def start(self, process: CompiledProcess, data: Mapping[str, Any] | None = None) -> Run:
        wf = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=self._script_engine)
        if data:
            wf.task_tree.data.update(_json_roundtrip(dict(data)))
            for child in wf.task_tree.children:
                child.data.update(_json_roundtrip(dict(data)))
        run = Run(self, process, wf, loaded=None)
        run.advance()
        return run

    def load(self, process: CompiledProcess, state: StoredState) -> Run:
        try:
            wf = self._restore(process, state)
        except (KeyError, ValueError, TypeError) as exc:
            raise EngineError(f"stored workflow state is unreadable: {exc}") from exc
        return Run(self, process, wf, loaded=state)

    def _restore(self, process: CompiledProcess, state: StoredState) -> BpmnWorkflow:
        meta = state.meta
        wf = BpmnWorkflow(
            process.spec, process.subprocess_specs, script_engine=self._script_engine, deserializing=True
        )
        by_key: dict[str, dict[str, dict[str, Any]]] = {}
        for tid, row in state.tasks.items():
            by_key.setdefault(row.workflow_key, {})[tid] = row.doc

        self._restore_tasks(wf, meta["top"], by_key.get("", {}))
        _set_workflow_attributes(wf, meta["top"], self._registry)
        wf.bpmn_events = self._registry.restore(meta.get("bpmn_events", []))

        pending = dict(meta.get("subprocesses", {}))
        while pending:
            progressed = False
            for sp_key, sp_meta in list(pending.items()):
                parent_task = wf.get_task_from_id(UUID(sp_key))
                if parent_task is None:
                    continue
                sp_spec = process.subprocess_specs.get(parent_task.task_spec.spec)
                sub = wf.subprocesses.get(parent_task.id)
                if sub is None:
                    from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow

                    sub = BpmnSubWorkflow(sp_spec, parent_task.id, wf, deserializing=True)
                self._restore_tasks(sub, sp_meta, by_key.get(sp_key, {}))
                _set_workflow_attributes(sub, sp_meta, self._registry)
                wf.subprocesses[parent_task.id] = sub
                sub.completed_event.connect(parent_task.task_spec._on_subworkflow_completed, parent_task)
                del pending[sp_key]
                progressed = True
            if not progressed:
                raise ValueError(f"orphan subprocess state: {sorted(pending)}")
        _predict_again(wf)
        for sub in wf.subprocesses.values():
            _predict_again(sub)
        return wf

    def _restore_tasks(self, wf: Any, wf_meta: Mapping[str, Any], docs: dict[str, dict[str, Any]]) -> None:
        root_id = wf_meta["root"]
        ordered: list[dict[str, Any]] = []
        queue = [root_id]
        while queue:
            tid = queue.pop(0)
            doc = docs.get(tid)
            if doc is None:
                raise ValueError(f"task {tid} referenced but not stored")
            ordered.append(doc)
            queue.extend(doc["children"])
        wf.tasks = {}
        for doc in ordered:
            self._registry.restore(doc, workflow=wf)
        wf.task_tree = wf.tasks[UUID(root_id)]


class Run:
    """A live workflow instance loaded for one unit of work."""

    def __init__(
        self, engine: Engine, process: CompiledProcess, wf: BpmnWorkflow, loaded: StoredState | None
    ):
        self.engine = engine
        self.process = process
        self.wf = wf
        self.loaded = loaded

    # -- stepping ----------------------------------------------------------

    def advance(self) -> None:
        """Run engine tasks (gateways, scripts, services) until only waits are left."""
        try:
            self.wf.do_engine_steps()
        except SpiffWorkflowException as exc:
            raise EngineError(_first_line(exc), task=_task_name(exc)) from exc

    def ready_user_tasks(self) -> list[ReadyTask]:
        result = []
        for task in self.wf.get_tasks(state=TaskState.READY, manual=True):
            info = self.process.user_tasks.get(task.task_spec.name)
            result.append(
                ReadyTask(
                    id=str(task.id),
                    name=task.task_spec.name,
                    title=info.title if info else task.task_spec.name,
                    lane=getattr(task.task_spec, "lane", None),
                    properties=info.properties if info else {},
                    data=task.data,
                )
            )
        return result

    def complete_user_task(self, task_id: str, data: Mapping[str, Any]) -> None:
        task = self._ready_manual_task(task_id)
        task.set_data(**_json_roundtrip(dict(data)))
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise EngineError(_first_line(exc), task=task.task_spec.name) from exc
        self.advance()

    def send_message(self, name: str, payload: Mapping[str, Any] | None = None) -> None:
        if name not in self.process.messages:
            raise MessageNotExpectedError(name, reason="the process defines no receiver for it")
        event = BpmnEvent(MessageEventDefinition(name), _json_roundtrip(dict(payload or {})))
        try:
            self.wf.send_event(event)
        except WorkflowException as exc:
            raise MessageNotExpectedError(name, reason="no step of this case is waiting for it") from exc
        self.advance()

    def waiting_timers(self) -> list[WaitingTimer]:
        timers = []
        for task in self.wf.get_tasks(state=TaskState.WAITING):
            ev = getattr(task.task_spec, "event_definition", None)
            if not isinstance(ev, TimerEventDefinition):
                continue
            due = _parse_timestamp(ev.details(task).value)
            if due is None:
                # spiff computes the due time lazily; force it
                task.task_spec._update(task)
                due = _parse_timestamp(ev.details(task).value)
            if due is not None:
                timers.append(
                    WaitingTimer(str(task.id), task.task_spec.bpmn_name or task.task_spec.name, due)
                )
        return timers

    def fire_due_timers(self) -> None:
        """Fire every timer whose time has come (spiff compares with the real clock)."""
        try:
            self.wf.refresh_timers()
        except SpiffWorkflowException as exc:
            raise EngineError(_first_line(exc), task=_task_name(exc)) from exc
        self.advance()

    def fire_timer(self, task_id: str) -> bool:
        """Fire one waiting timer now, whatever the wall clock says; False if it no longer waits.

        The worker decides a timer is due (from its row's due time and the worker's clock); the
        engine must then fire exactly that timer, not re-judge it against the real time.
        """
        task = self.wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.WAITING:
            return False
        if not isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            return False
        try:
            task._set_internal_data(event_fired=True)
            task.task_spec._update(task)
        except SpiffWorkflowException as exc:
            raise EngineError(_first_line(exc), task=_task_name(exc)) from exc
        self.advance()
        return True

    def task_states(self, task_ids: Iterable[str]) -> dict[str, str]:
        """State names of the given tasks as the engine holds them now (pruned or not)."""
        states = {}
        for tid in task_ids:
            task = self.wf.get_task_from_id(UUID(tid))
            if task is not None:
                states[tid] = TaskState.get_name(task.state)
        return states

    @property
    def completed(self) -> bool:
        return bool(self.wf.completed)

    @property
    def data(self) -> dict[str, Any]:
        """Process-level data: the data of the most recently completed task, or the workflow's."""
        return dict(self._current_data())

    def values(self, *names: str) -> dict[str, Any]:
        """Some process variables, without copying the rest (for what each step records)."""
        data = self._current_data()
        return {name: data.get(name) for name in names}

    def _current_data(self) -> Mapping[str, Any]:
        """Spiff's `last_task` is not always the most recently completed task: after an
        interrupting boundary event it is the cancelled activity, and a stored snapshot keeps
        only the parents of live tasks.  So a cancelled or missing `last_task` yields to the
        latest completed task still held."""
        if self.wf.completed:
            return cast(Mapping[str, Any], self.wf.data)
        last = self.wf.last_task
        if last is None or last.state != TaskState.COMPLETED:
            root = self.wf.task_tree
            done = [t for t in self.wf.tasks.values() if t.state == TaskState.COMPLETED and t is not root]
            last = max(done, key=lambda t: t.last_state_change, default=None)
        return cast(Mapping[str, Any], (last or self.wf.task_tree).data)

    def _ready_manual_task(self, task_id: str) -> Any:
        try:
            uid = UUID(task_id)
        except ValueError as exc:
            raise UnknownTaskError(task_id) from exc
        task = self.wf.get_task_from_id(uid)
        if task is None or not task.task_spec.manual:
            raise UnknownTaskError(task_id)
        if task.state != TaskState.READY:
            raise UnknownTaskError(task_id, reason=f"task is {TaskState.get_name(task.state)}")
        return task

    def cancel(self) -> None:
        """End the instance now (e.g. the application is withdrawn): every unfinished task is
        cancelled, waiting timers included; the instance counts as completed, unsuccessfully."""
        try:
            self.wf.cancel()
        except SpiffWorkflowException as exc:
            raise EngineError(_first_line(exc), task=_task_name(exc)) from exc

    def active_elements(self) -> dict[str, str]:
        """Where the instance stands now — tasks ready or waiting (a user task, a receive task,
        a timer) — as BPMN element id → its name in the diagram, for highlighting it."""
        active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        found = {
            bpmn_id: getattr(t.task_spec, "bpmn_name", None) or bpmn_id
            for t in self._all_tasks()
            if t.state & active and (bpmn_id := getattr(t.task_spec, "bpmn_id", None))
        }
        return dict(sorted(found.items()))

    def newly_completed(self, names: Collection[str]) -> list[CompletedTask]:
        """Tasks named in `names` that completed in this unit of work (not before it was loaded),
        oldest first, with the data they completed with."""
        if not names:
            return []
        before = self.loaded.tasks if self.loaded is not None else {}
        done = [
            t
            for t in self._all_tasks()
            if t.state == TaskState.COMPLETED
            and t.task_spec.name in names
            and (str(t.id) not in before or before[str(t.id)].state != "COMPLETED")
        ]
        done.sort(key=lambda t: t.last_state_change)
        return [CompletedTask(str(t.id), t.task_spec.name, _json_roundtrip(dict(t.data))) for t in done]

    def _all_tasks(self) -> Iterator[Any]:
        yield from self.wf.tasks.values()
        for sub in self.wf.subprocesses.values():
            yield from sub.tasks.values()

    # -- persistence -------------------------------------------------------

    def snapshot(self) -> StoredState:
        """The pruned persistent form of this instance."""
        registry = self.engine._registry
        meta: dict[str, Any] = {"top": None, "subprocesses": {}, "bpmn_events": []}
        rows: dict[str, TaskRow] = {}
        meta["top"] = _snapshot_workflow(self.wf, "", registry, rows)
        for sp_id, sub in self.wf.subprocesses.items():
            sp_meta = _snapshot_workflow(sub, str(sp_id), registry, rows)
            sp_meta["spec"] = sub.spec.name
            meta["subprocesses"][str(sp_id)] = sp_meta
        meta["bpmn_events"] = registry.convert(self.wf.bpmn_events)
        return StoredState(meta=meta, tasks=rows)


def _snapshot_workflow(wf: Any, key: str, registry: Any, rows: dict[str, TaskRow]) -> dict[str, Any]:
    tasks = wf.tasks
    root = wf.task_tree
    live = _stored_live(tasks)
    keep: set[UUID] = {root.id}
    for t in live:
        keep.add(t.id)
        if t._parent is not None:
            keep.add(t._parent)
    # subprocess parents must survive as long as their subprocess is stored
    for t in tasks.values():
        if isinstance(t.task_spec, SubWorkflowTask) and t.id in wf.top_workflow.subprocesses:
            keep.add(t.id)
            if t._parent is not None:
                keep.add(t._parent)

    kept = {str(tid) for tid in keep}  # children are ids as text: compare text, not parsed UUIDs
    for tid in keep:
        task = tasks[tid]
        doc = registry.convert(task)
        parent_id = task._parent
        if parent_id is not None and parent_id not in keep:
            doc["parent"] = str(root.id)
            doc["data"] = registry.convert(registry.clean(task.data))
            doc["delta"] = {}
        doc["children"] = [c for c in doc["children"] if c in kept]
        if tid == root.id:
            reattached = [str(t) for t in keep if t != root.id and tasks[t]._parent not in keep]
            doc["children"] = _stable_union(doc["children"], sorted(reattached))
        rows[str(tid)] = TaskRow(workflow_key=key, state=TaskState.get_name(task.state), doc=doc)

    last = wf.last_task
    return {
        "data": registry.convert(registry.clean(wf.data)),
        "correlations": wf.correlations,
        "last_task": str(last.id) if last is not None and last.id in keep else None,
        "success": wf.success,
        "completed": wf.completed,
        "root": str(root.id),
    }


_BARE_PREDICTION = TaskState.FUTURE | TaskState.PREDICTED_MASK


def _stored_live(tasks: Mapping[UUID, Any]) -> list[Any]:
    """The unfinished tasks to store.  Left out: the path SpiffWorkflow predicts below a
    definite task (READY, WAITING, STARTED or FUTURE) whose children are all FUTURE, with
    nothing below them but FUTURE, LIKELY and MAYBE tasks holding no data.  Loading predicts
    exactly that again (`_predict_again`): from a definite task, prediction makes every
    child FUTURE, and below them the same hooks give the same states.  Children in any
    other state (a MAYBE branch of an event, a LIKELY successor of a subprocess) are kept.
    No recursion: a long predicted path must not meet Python's recursion limit here."""
    order = [t for t in tasks.values() if t._parent not in tasks]
    for task in order:  # breadth first: each task after its parent
        order.extend(tasks[c] for c in task._children)
    bare: set[UUID] = set()  # predictions holding no data, with nothing else below them
    for task in reversed(order):
        if (
            task.state & _BARE_PREDICTION
            and not (task.triggered or task.data or task.internal_data)
            and all(c in bare for c in task._children)
        ):
            bare.add(task.id)
    left_out: set[UUID] = set()
    for task in order:
        if task._parent in left_out:
            left_out.add(task.id)
        elif (
            task.state & TaskState.DEFINITE_MASK
            and task._children
            and all(c in bare and tasks[c].state == TaskState.FUTURE for c in task._children)
        ):
            left_out.update(task._children)
    finished = TaskState.FINISHED_MASK
    return [t for t in order if not t.state & finished and t.id not in left_out]


def _predict_again(wf: Any) -> None:
    """Predict the paths `_stored_live` left out: below each definite task with no children."""
    for task in [t for t in wf.tasks.values() if t.state & TaskState.DEFINITE_MASK and not t._children]:
        task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)


def _set_workflow_attributes(wf: Any, meta: Mapping[str, Any], registry: Any) -> None:
    wf.success = meta["success"]
    wf.completed = meta.get("completed", False)
    wf.correlations = dict(meta.get("correlations") or {})
    last = meta.get("last_task")
    wf.last_task = wf.tasks.get(UUID(last)) if last else None
    wf.data = registry.restore(meta.get("data", {}))


def _stable_union(first: list[str], second: Iterable[str]) -> list[str]:
    seen = set(first)
    out = list(first)
    for item in second:
        if item not in seen:
            out.append(item)
            seen.add(item)
    return out


def _json_roundtrip(data: dict[str, Any]) -> dict[str, Any]:
    """Task data must be JSON: reject anything else early, with a clear error."""
    try:
        result: dict[str, Any] = json.loads(json.dumps(data))
    except (TypeError, ValueError) as exc:
        raise EngineError(f"task data is not JSON-serialisable: {exc}") from exc
    return result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def _task_name(exc: SpiffWorkflowException) -> str | None:
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "name", None)
