"""Deliver a message event ("defence received", "court result", …) to the case it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access import require_case_access
from workflows.audit import Actor, PendingEvent
from workflows.db import Database
from workflows.definitions import Definitions
from workflows.errors import MessageNotExpectedError, NotFoundError
from workflows.models import Case
from workflows.runtime import CaseRuntime


@dataclass(frozen=True)
class Delivery:
    case_id: int
    case_number: str
    message: str
    opened_task_ids: list[str]
    case_closed: bool


class MessageService:
    def __init__(self, db: Database, definitions: Definitions, runtime: CaseRuntime):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime

    def deliver(
        self,
        actor: Actor,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        case_id: int | None = None,
        case_number: str | None = None,
    ) -> Delivery:
        """Correlate by case id or case number; MessageNotExpectedError if nothing waits for it."""
        with self.db.transaction() as s:
            stmt = select(Case).with_for_update()
            if case_id is not None:
                stmt = stmt.where(Case.id == case_id)
            elif case_number is not None:
                stmt = stmt.where(Case.case_number == case_number)
            else:
                raise NotFoundError("case", None)
            case = s.execute(stmt).scalar_one_or_none()
            if case is None:
                raise NotFoundError("case", case_id if case_id is not None else case_number)
            require_case_access(s, actor, case, "write")
            return self.deliver_in(s, case, actor, name, payload)

    def deliver_in(
        self, s: Session, case: Case, actor: Actor, name: str, payload: Mapping[str, Any] | None = None
    ) -> Delivery:
        """Deliver inside the caller's transaction; the caller holds the case row lock and has
        decided the actor may (e.g. the respondent filing its own defence)."""
        definition = self.definitions.get(s, case.definition_id)
        run = self.runtime.load(s, case, definition)
        run.send_message(name, payload or {})
        result = self.runtime.save(
            s,
            case,
            definition,
            run,
            actor,
            [
                PendingEvent(
                    "message.received",
                    f"message:{name}",
                    None,
                    {"name": name, "payload": dict(payload or {})},
                )
            ],
        )
        return Delivery(case.id, case.case_number, name, [t.id for t in result.opened], result.completed)

    def expects(self, s: Session, case: Case, name: str) -> bool:
        """Whether a step of the case waits for message `name` now (a dry run: nothing is saved)."""
        definition = self.definitions.get(s, case.definition_id)
        run = self.runtime.load(s, case, definition)
        try:
            run.send_message(name, {})
        except MessageNotExpectedError:
            return False
        return True
