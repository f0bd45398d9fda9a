"""The writes of one workflow step, as prebuilt Core statements.

A step (task completion, message, timer) runs often and must stay cheap: building a
SQLAlchemy statement costs about as much CPU as executing it, and an ORM flush several
times more.  So the statements of the hot path are built once, here, as `DirectStatement`s
(compiled once, run on the raw cursor; see workflows.direct_sql), optionally queued in the
step's `WriteBatch`, and the ORM objects the services hold are told what was written
(`set_committed_value`), so a later flush neither repeats nor undoes it.

The case row carries the optimistic version: `write_case_row` updates it only where the
version is the one loaded, and raises ConflictError otherwise, the same contract as the
ORM's `version_id_col`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflows.direct_sql import DirectStatement, WriteBatch
from workflows.errors import ConflictError
from workflows.models import Case, HumanTask

_CASE = cast(Table, Case.__table__)
_HUMAN_TASK = cast(Table, HumanTask.__table__)

#: the case-row columns a step may change (besides the version)
CASE_STEP_COLUMNS = ("updated_at", "workflow_meta", "audit_seq", "audit_head", "status", "closed_at")

_UPDATE_CASE = DirectStatement(
    update(_CASE)
    .where(_CASE.c.id == bindparam("b_id"), _CASE.c.version == bindparam("b_version"))
    .values(
        version=bindparam("b_new_version"),
        **{column: bindparam(f"b_{column}") for column in CASE_STEP_COLUMNS},
    )
)

_COMPLETE_TASK = DirectStatement(
    update(_HUMAN_TASK)
    .where(_HUMAN_TASK.c.id == bindparam("b_id"), _HUMAN_TASK.c.state == "open")
    .values(
        state="completed",
        completed_at=bindparam("b_at"),
        completed_by=bindparam("b_by"),
        assignee_id=bindparam("b_assignee"),
        result=bindparam("b_result"),
    )
)


def write_case_row(session: Session, case: Case, *, batch: WriteBatch | None = None, **values: Any) -> None:
    """Write a step's changes to the case row and bump its version, or ConflictError if the
    row moved on since it was loaded.  `values` are CASE_STEP_COLUMNS; unnamed ones keep
    the object's current value.  With `batch`, the write (and its check) goes out at its flush."""
    unknown = set(values) - set(CASE_STEP_COLUMNS)
    if unknown:
        raise ValueError(f"not a step column of the case row: {sorted(unknown)}")
    final = {column: values.get(column, getattr(case, column)) for column in CASE_STEP_COLUMNS}
    version = case.version
    params = {f"b_{column}": value for column, value in final.items()}
    row = {"b_id": case.id, "b_version": version, "b_new_version": version + 1, **params}
    conflict = ConflictError(f"case {case.id} was changed by someone else; reload and try again")
    if batch is not None:
        batch.add(_UPDATE_CASE, row, rows=1, otherwise=lambda: conflict)
    elif _UPDATE_CASE.execute(session, row) != 1:
        raise conflict
    for column, value in final.items():
        set_committed_value(case, column, value)
    set_committed_value(case, "version", version + 1)


def write_task_completed(
    session: Session,
    task: HumanTask,
    user_id: int | None,
    result: dict[str, Any],
    at: datetime,
    batch: WriteBatch | None = None,
) -> None:
    """Mark an open inbox item completed by `user_id` (its assignee if it had none); with
    `batch`, at its flush."""
    assignee = task.assignee_id if task.assignee_id is not None else user_id
    row = {"b_id": task.id, "b_at": at, "b_by": user_id, "b_assignee": assignee, "b_result": result}
    gone = ConflictError(f"task {task.id} is no longer open")
    if batch is not None:
        batch.add(_COMPLETE_TASK, row, rows=1, otherwise=lambda: gone)
    elif _COMPLETE_TASK.execute(session, row) != 1:
        raise gone
    for attr, value in (
        ("state", "completed"),
        ("completed_at", at),
        ("completed_by", user_id),
        ("assignee_id", assignee),
        ("result", result),
    ):
        set_committed_value(task, attr, value)
