"""The process diagram of a case: its definition's BPMN (with DI) and where the case stands.

The case page draws it with the bpmn-js viewer: elements the case is at now are highlighted,
steps already done (inbox items completed) marked.  The BPMN is the very version the case runs
on, so a case started on an older definition shows the diagram it actually follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from workflows.access import require_case_access
from workflows.audit import Actor
from workflows.db import Database
from workflows.definitions import Definitions
from workflows.errors import NotFoundError
from workflows.models import Case, HumanTask, ProcessDefinition
from workflows.runtime import CaseRuntime


@dataclass(frozen=True)
class ProcessDiagram:
    process_key: str
    version: int
    bpmn_xml: str
    active: dict[str, str]  # element id → name, where the case is now
    done: list[str]  # element ids of inbox items completed so far


class DiagramService:
    def __init__(self, db: Database, definitions: Definitions, runtime: CaseRuntime):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime

    def for_case(self, actor: Actor, case_id: int) -> ProcessDiagram:
        with self.db.transaction() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError("case", case_id)
            require_case_access(s, actor, case, "read")
            row = s.get(ProcessDefinition, case.definition_id)
            if row is None:
                raise NotFoundError("process definition", case.definition_id)
            main = f"{row.process_key}.bpmn"
            xml = row.files.get(main) or next(
                (t for n, t in sorted(row.files.items()) if n.endswith(".bpmn")), ""
            )
            active = (
                {}
                if case.closed_at
                else self.runtime.load(s, case, self.definitions.get(s, row.id)).active_elements()
            )
            done = s.execute(
                select(HumanTask.name)
                .where(HumanTask.case_id == case_id, HumanTask.state == "completed")
                .distinct()
            ).scalars()
            return ProcessDiagram(row.process_key, row.version, xml, active, sorted(done))
