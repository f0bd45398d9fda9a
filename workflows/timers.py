"""The timer worker: fire due timer events, each exactly once, whatever dies meanwhile.

Waiting timers are rows with a due time.  A worker claims one due row and its
case at a time with `FOR UPDATE SKIP LOCKED` (PostgreSQL; a timer whose case is
busy waits for the next poll), lets the engine fire it and saves the case — the
timer row flips to `fired` in the same transaction.  A worker killed at any point
leaves an uncommitted transaction that the database rolls back, so the row is
still `waiting` and another worker takes it.  On SQLite (embedded default, one
worker) BEGIN IMMEDIATE serialises.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from workflows.audit import SYSTEM
from workflows.db import Database
from workflows.definitions import Definitions
from workflows.errors import ConflictError, LaborcaseError
from workflows.models import Case, Timer
from workflows.runtime import CaseRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FireOutcome:
    timer_id: int
    case_id: int
    fired: bool
    error: str | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class TimerService:
    def __init__(self, db: Database, definitions: Definitions, runtime: CaseRuntime, name: str | None = None):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime
        self.name = name or worker_name()

    def fire_one(self, now: datetime | None = None) -> FireOutcome | None:
        """Claim and fire the earliest due timer; None when nothing is due."""
        now = now or self.runtime.clock()
        claimed: list[int] = []
        try:
            with self.db.transaction() as s:
                # the timer and its case, locked together, skipping any either of which somebody
                # holds: a worker never waits for a case while holding its timer, so it cannot
                # deadlock with a step that holds the case and stops the timer (nor with anything
                # that locks a case before a row that the timer's effects lock after it)
                row = s.execute(
                    select(Timer, Case)
                    .join(Case, Case.id == Timer.case_id)
                    .where(Timer.state == "waiting", Timer.due_at <= now)
                    .order_by(Timer.due_at, Timer.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).one_or_none()
                if row is None:
                    return None
                timer, case = row
                claimed.append(timer.id)
                definition = self.definitions.get(s, case.definition_id)
                run = self.runtime.load(s, case, definition)
                if not run.fire_timer(timer.task_id):
                    # the process moved on (e.g. the message came first) and save() was not told
                    timer.state = "cancelled"
                    return FireOutcome(timer.id, case.id, False, "timer no longer waiting")
                self.runtime.save(s, case, definition, run, SYSTEM, fired_timer_id=timer.id, worker=self.name)
                return FireOutcome(timer.id, case.id, True)
        except ConflictError:
            return FireOutcome(claimed[0] if claimed else -1, -1, False, "conflict")
        except LaborcaseError as exc:
            # a broken case must not block the queue: record the failure, retry up to 5 times
            log.exception("timer %s failed", claimed)
            if claimed:
                self._record_failure(claimed[0], str(exc))
            return FireOutcome(claimed[0] if claimed else -1, -1, False, str(exc))

    def _record_failure(self, timer_id: int, error: str) -> None:
        with self.db.transaction() as s:
            timer = s.get(Timer, timer_id, with_for_update=True)
            if timer is None or timer.state != "waiting":
                return
            attempts = timer.attempts + 1
            s.execute(
                update(Timer)
                .where(Timer.id == timer_id)
                .values(
                    attempts=attempts, last_error=error[:2000], state="failed" if attempts >= 5 else "waiting"
                )
            )

    def run_due(self, now: datetime | None = None, limit: int | None = None) -> int:
        """Fire due timers until none is left (or `limit` fired); returns how many fired."""
        fired = 0
        while limit is None or fired < limit:
            outcome = self.fire_one(now)
            if outcome is None:
                break
            if outcome.fired:
                fired += 1
        return fired

    def run_forever(self, poll_seconds: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> None:
        log.info("timer worker %s started", self.name)
        while not should_stop():
            if self.run_due() == 0:
                time.sleep(poll_seconds)
