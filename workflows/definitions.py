"""Process definitions: load folders from bpmn/, validate, version by content, cache compiled.

A definition is a folder `bpmn/<process_key>/` with `<process_key>.bpmn`, optional
`*.dmn` and `forms/*.json`.  Its version is identified by the SHA-256 of its
files: deploying unchanged files is a no-op, changed files add a new version,
and running cases keep the version they started on.  Every folder is validated
before anything is written, so a broken file changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.audit import Actor, append_global_event
from workflows.document_kinds import KINDS
from workflows.engine import CompiledProcess, Engine
from workflows.errors import DefinitionError, NotFoundError
from workflows.forms import check_schema
from workflows.models import ProcessDefinition

FORM_PROPERTY = "formJsonSchemaFilename"
DEADLINE_PROPERTY = "deadline"
#: Optional: the process variable (ISO date) the period counts from; default the day the task opens.
DEADLINE_FROM_PROPERTY = "deadlineFrom"
#: Task property naming the formal document (workflows.document_kinds) the case issues when the
#: task completes, e.g. `issues="acceptance_notice"` on 出具受理通知书.
ISSUES_PROPERTY = "issues"
#: Task property naming a domain effect (`CaseRuntime.register_effect`) that runs, in the step's
#: transaction, when the task completes, e.g. `effect="labour_contract.conclude"`.
EFFECT_PROPERTY = "effect"
TEXT_SUFFIXES = (".bpmn", ".dmn", ".json")


_NEWEST = "laborcase.newest_definitions"  # session.info: process key -> newest definition id


@dataclass(frozen=True)
class DefinitionBundle:
    """The files of one process folder, ready to compile."""

    process_key: str
    files: Mapping[str, str]  # relative path -> text

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name].encode("utf-8") + b"\0")
        return digest.hexdigest()


@dataclass(frozen=True)
class LoadedDefinition:
    """A compiled, validated definition version with its forms."""

    id: int
    process_key: str
    version: int
    process: CompiledProcess
    forms: Mapping[str, Mapping[str, Any]]  # form file name -> JSON Schema

    def form_for(self, task_name: str) -> tuple[str | None, Mapping[str, Any] | None]:
        info = self.process.user_tasks.get(task_name)
        if info is None:
            return None, None
        key = info.properties.get(FORM_PROPERTY)
        return key, (self.forms.get(key) if key else None)

    @cached_property
    def issuing_tasks(self) -> Mapping[str, str]:
        """Task name → the document type the case issues when that task completes."""
        return {
            name: props[ISSUES_PROPERTY]
            for name, props in self.process.task_properties.items()
            if props.get(ISSUES_PROPERTY)
        }

    @cached_property
    def effect_tasks(self) -> Mapping[str, str]:
        """Task name → the domain effect that runs when that task completes."""
        return {
            name: props[EFFECT_PROPERTY]
            for name, props in self.process.task_properties.items()
            if props.get(EFFECT_PROPERTY)
        }


def read_folder(folder: Path) -> DefinitionBundle:
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            rel = path.relative_to(folder).as_posix()
            try:
                files[rel] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise DefinitionError(
                    file=rel, element_id=None, message="file is not UTF-8 text", process=folder.name
                ) from exc
    return DefinitionBundle(folder.name, files)


def read_all(bpmn_dir: Path) -> list[DefinitionBundle]:
    if not bpmn_dir.is_dir():
        raise DefinitionError(file=str(bpmn_dir), element_id=None, message="process folder not found")
    return [read_folder(p) for p in sorted(bpmn_dir.iterdir()) if p.is_dir() and not p.name.startswith(".")]


class Definitions:
    """Validates and deploys bundles; hands out compiled versions (cached: they are immutable)."""

    def __init__(
        self,
        engine: Engine,
        known_roles: Iterable[str],
        known_deadline_rules: Iterable[str] = (),
        known_effects: Iterable[str] = (),
    ):
        self.engine = engine
        self.known_roles = frozenset(known_roles)
        self.known_deadline_rules = frozenset(known_deadline_rules)
        self.known_effects = frozenset(known_effects)
        self._cache: dict[int, LoadedDefinition] = {}
        self._lock = threading.Lock()

    # -- validation --------------------------------------------------------

    def compile(self, bundle: DefinitionBundle) -> tuple[CompiledProcess, dict[str, Mapping[str, Any]]]:
        """Compile and check one bundle; DefinitionError names file, element and defect."""
        key = bundle.process_key
        main = f"{key}.bpmn"
        if main not in bundle.files:
            raise DefinitionError(file=main, element_id=None, message="main BPMN file missing", process=key)
        xml = {n: t.encode("utf-8") for n, t in bundle.files.items() if n.endswith((".bpmn", ".dmn"))}
        try:
            process = self.engine.compile(xml, process_id=key)
        except DefinitionError as exc:
            exc.process = key
            raise DefinitionError(
                file=exc.file, element_id=exc.element_id, message=exc.detail, process=key
            ) from exc
        forms: dict[str, Mapping[str, Any]] = {}
        for name, text in bundle.files.items():
            if not (name.startswith("forms/") and name.endswith(".json")):
                continue
            try:
                schema = json.loads(text)
                check_schema(schema)
            except json.JSONDecodeError as exc:
                raise DefinitionError(
                    file=name, element_id=None, message=f"invalid JSON: {exc}", process=key
                ) from exc
            except SchemaError as exc:
                raise DefinitionError(
                    file=name, element_id=None, message=f"invalid JSON Schema: {exc.message}", process=key
                ) from exc
            forms[name.removeprefix("forms/")] = schema
        for task in process.user_tasks.values():
            if not task.lane:
                raise DefinitionError(
                    file=main,
                    element_id=task.name,
                    process=key,
                    message="user task lies in no lane (lanes name the role that does it)",
                )
            if task.lane not in self.known_roles:
                raise DefinitionError(
                    file=main,
                    element_id=task.name,
                    process=key,
                    message=f"lane {task.lane!r} is not a known role",
                )
            form = task.properties.get(FORM_PROPERTY)
            if not form:
                raise DefinitionError(
                    file=main,
                    element_id=task.name,
                    process=key,
                    message=f"user task has no {FORM_PROPERTY} property",
                )
            if form not in forms:
                raise DefinitionError(
                    file=main, element_id=task.name, process=key, message=f"form forms/{form} does not exist"
                )
            if task.properties.get(DEADLINE_FROM_PROPERTY) and not task.properties.get(DEADLINE_PROPERTY):
                raise DefinitionError(
                    file=main,
                    element_id=task.name,
                    process=key,
                    message=f"{DEADLINE_FROM_PROPERTY} without a {DEADLINE_PROPERTY} rule",
                )
            rule = task.properties.get(DEADLINE_PROPERTY)
            if rule and self.known_deadline_rules and rule not in self.known_deadline_rules:
                raise DefinitionError(
                    file=main,
                    element_id=task.name,
                    process=key,
                    message=f"unknown statutory deadline rule {rule!r}",
                )
        for name, properties in process.task_properties.items():
            kind = properties.get(ISSUES_PROPERTY)
            if kind is not None and kind not in KINDS:
                raise DefinitionError(
                    file=main,
                    element_id=name,
                    process=key,
                    message=f"{ISSUES_PROPERTY}={kind!r} is not a document type: {', '.join(sorted(KINDS))}",
                )
            effect = properties.get(EFFECT_PROPERTY)
            if effect is not None and effect not in self.known_effects:
                raise DefinitionError(
                    file=main,
                    element_id=name,
                    process=key,
                    message=f"{EFFECT_PROPERTY}={effect!r} is not a known effect: "
                    + (", ".join(sorted(self.known_effects)) or "none are registered"),
                )
        return process, forms

    # -- deployment --------------------------------------------------------

    def deploy(
        self, session: Session, bundles: Iterable[DefinitionBundle], actor: Actor
    ) -> list[ProcessDefinition]:
        """Deploy changed bundles as new versions; validate all of them first."""
        session.info.pop(_NEWEST, None)  # a new version is the newest from now on
        bundles = list(bundles)
        for bundle in bundles:
            self.compile(bundle)
        deployed = []
        for bundle in bundles:
            digest = bundle.content_hash
            existing = session.execute(
                select(ProcessDefinition).where(
                    ProcessDefinition.process_key == bundle.process_key,
                    ProcessDefinition.content_hash == digest,
                )
            ).scalar_one_or_none()
            if existing is not None:
                continue
            latest = session.execute(
                select(func.max(ProcessDefinition.version)).where(
                    ProcessDefinition.process_key == bundle.process_key
                )
            ).scalar()
            process, _ = self.compile(bundle)
            row = ProcessDefinition(
                process_key=bundle.process_key,
                version=(latest or 0) + 1,
                content_hash=digest,
                bpmn_process_id=process.process_id,
                name=process.name,
                files=dict(bundle.files),
                deployed_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            append_global_event(
                session,
                actor,
                "definition.deployed",
                f"process:{bundle.process_key}",
                None,
                {"version": row.version, "content_hash": digest},
            )
            deployed.append(row)
        return deployed

    # -- lookup ------------------------------------------------------------

    def latest(self, session: Session, process_key: str) -> LoadedDefinition:
        """The newest version of `process_key`, looked up once per transaction (a bulk start of
        many cases asks for it once per case)."""
        newest: dict[str, int] = session.info.setdefault(_NEWEST, {})
        row_id = newest.get(process_key)
        if row_id is None:
            row_id = session.execute(
                select(ProcessDefinition.id)
                .where(ProcessDefinition.process_key == process_key)
                .order_by(ProcessDefinition.version.desc())
                .limit(1)
            ).scalar()
            if row_id is None:
                raise NotFoundError("process definition", process_key)
            newest[process_key] = row_id
        return self.get(session, row_id)

    def get(self, session: Session, definition_id: int) -> LoadedDefinition:
        cached = self._cache.get(definition_id)
        if cached is not None:
            return cached
        row = session.get(ProcessDefinition, definition_id)
        if row is None:
            raise NotFoundError("process definition", definition_id)
        process, forms = self.compile(DefinitionBundle(row.process_key, row.files))
        loaded = LoadedDefinition(row.id, row.process_key, row.version, process, forms)
        with self._lock:
            self._cache[definition_id] = loaded
        return loaded

    def all_versions(self, session: Session) -> list[ProcessDefinition]:
        return list(
            session.execute(
                select(ProcessDefinition).order_by(ProcessDefinition.process_key, ProcessDefinition.version)
            ).scalars()
        )
