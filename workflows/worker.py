"""The background worker loop: fire due timers, complete pending documents, sweep overdue
deadlines into escalations and expire labour contracts left unsigned past their time.

Any number of workers may run (each claims timers with SKIP LOCKED on PostgreSQL; the
escalation sweep is idempotent).  A worker killed at any point loses nothing: its open
transaction rolls back and the next worker takes the same rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from workflows.contracts import ContractService
from workflows.deadline_service import DeadlineService
from workflows.errors import LaborcaseError
from workflows.issuing import IssuingService
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
    contracts: ContractService | None = None,
) -> None:
    """Loop until `should_stop()`: timers whenever due, pending documents (sealing, storing)
    whenever due; every `sweep_seconds` the overdue sweep and the expiry of unsigned contracts."""
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
            if contracts is not None:
                try:
                    expired = contracts.expire_due()
                    if expired:
                        log.info("expired %d unsigned labour contracts", len(expired))
                except LaborcaseError:
                    log.exception("contract expiry failed; retrying at the next sweep")
            next_sweep = time.monotonic() + sweep_seconds
        busy = timers.run_due() > 0
        if issuing is not None:
            busy = issuing.run_pending(limit=50) > 0 or busy
        if not busy:
            time.sleep(poll_seconds)
    log.info("worker %s stopped", timers.name)
