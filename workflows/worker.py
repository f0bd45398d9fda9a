"""The background worker loop: fire due timers (statutory periods, contract reminders and
expiry…), complete pending documents, send queued texts, sweep overdue deadlines into
escalations.

Any number of workers may run (each claims timers with SKIP LOCKED on PostgreSQL; the
escalation sweep is idempotent).  A worker killed at any point loses nothing: its open
transaction rolls back and the next worker takes the same rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from workflows.archival import ArchivalService
from workflows.contract_batches import ContractBatchService
from workflows.deadline_service import DeadlineService
from workflows.errors import LaborcaseError
from workflows.idempotency import IdempotencyService
from workflows.issuing import IssuingService
from workflows.notifications import NotificationService
from workflows.timers import TimerService

log = logging.getLogger(__name__)


def run_worker(
    timers: TimerService,
    deadlines: DeadlineService,
    *,
    poll_seconds: float = 1.0,
    sweep_seconds: float = 300.0,
    should_stop: Callable[[], bool] = lambda: False,
    issuing: IssuingService | None = None,
    archival: ArchivalService | None = None,
    notifications: NotificationService | None = None,
    batches: ContractBatchService | None = None,
    idempotency: IdempotencyService | None = None,
) -> None:
    """Loop until `should_stop()`: timers, pending documents (sealing, storing), rows of bulk
    sends and queued texts whenever due; every `sweep_seconds` the overdue sweep, the archival
    copies (documents of closed cases, concluded contracts) and their renewal, and the purge
    of kept API responses."""
    log.info("worker %s started", timers.name)
    next_sweep = 0.0
    while not should_stop():
        if time.monotonic() >= next_sweep:
            try:
                escalated = deadlines.escalate_overdue()
                if escalated:
                    log.info("escalated %d overdue deadlines", escalated)
            except LaborcaseError:
                log.exception("overdue sweep failed; retrying at the next sweep")
            if idempotency is not None:
                try:
                    idempotency.purge_expired()
                except LaborcaseError:
                    log.exception("purging kept API responses failed; retrying at the next sweep")
            if archival is not None:
                try:
                    archived, renewed = archival.sweep(limit=200)
                    if archived or renewed:
                        log.info("archival copies: %d made (closed cases), %d renewed", archived, renewed)
                except LaborcaseError:
                    log.exception("archiving documents failed; retrying at the next sweep")
            next_sweep = time.monotonic() + sweep_seconds
        busy = timers.run_due() > 0
        if issuing is not None:
            busy = issuing.run_pending(limit=50) > 0 or busy
        if batches is not None:  # bulk-sent labour contracts, a few rows a round
            busy = batches.run_pending(limit=20) > 0 or busy
        if notifications is not None:
            busy = notifications.run_pending(limit=50) > 0 or busy
        if not busy:
            time.sleep(poll_seconds)
    log.info("worker %s stopped", timers.name)
