"""Process definitions and the audit trail as use cases: who may read, deploy and verify."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows import audit
from workflows.audit import Actor
from workflows.db import Database
from workflows.definitions import DefinitionBundle, Definitions
from workflows.errors import NotFoundError, PermissionDeniedError
from workflows.models import ProcessDefinition
from workflows.roles import ADMIN, STAFF_ROLES


@dataclass(frozen=True)
class DefinitionSummary:
    id: int
    process_key: str
    version: int
    name: str
    content_hash: str
    deployed_at: datetime


def _summary(row: ProcessDefinition) -> DefinitionSummary:
    return DefinitionSummary(
        row.id, row.process_key, row.version, row.name, row.content_hash, row.deployed_at
    )


def _require_staff(actor: Actor) -> None:
    if not (actor.is_system or actor.roles & STAFF_ROLES):
        raise PermissionDeniedError("only agency staff may read process definitions")


def _require_admin(actor: Actor, what: str) -> None:
    if not (actor.is_system or ADMIN in actor.roles):
        raise PermissionDeniedError(f"only an administrator may {what}")


class Administration:
    def __init__(self, db: Database, definitions: Definitions):
        self.db = db
        self.definitions = definitions

    def list_definitions(self, actor: Actor) -> list[DefinitionSummary]:
        _require_staff(actor)
        with self.db.transaction() as s:
            return [_summary(r) for r in self.definitions.all_versions(s)]

    def definition_files(self, actor: Actor, definition_id: int) -> tuple[DefinitionSummary, dict[str, str]]:
        """A version and its files (BPMN XML for the diagram, form schemas)."""
        _require_staff(actor)
        with self.db.transaction() as s:
            row = s.get(ProcessDefinition, definition_id)
            if row is None:
                raise NotFoundError("process definition", definition_id)
            return _summary(row), dict(row.files)

    def deploy(self, actor: Actor, process_key: str, files: Mapping[str, str]) -> DefinitionSummary | None:
        """Validate and deploy one folder's files; None when identical to a deployed version.

        A broken bundle raises DefinitionError (file, element, defect) and changes nothing.
        """
        _require_admin(actor, "deploy process definitions")
        bundle = DefinitionBundle(process_key, dict(files))
        with self.db.transaction() as s:
            deployed = self.definitions.deploy(s, [bundle], actor)
            return _summary(deployed[0]) if deployed else None

    def verify_audit(self, actor: Actor) -> list[dict[str, Any]]:
        """Recompute every hash chain; an empty list means nothing was altered or removed."""
        _require_admin(actor, "verify the audit trail")
        with self.db.transaction() as s:
            return [p.__dict__.copy() for p in audit.verify(s)]
