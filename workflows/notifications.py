"""Text messages to people (SMS), queued with the change that causes them, sent after commit.

A notice is an outbox row written in the caller's transaction (so a rolled-back step sends
nothing) under an idempotency key (so a step retried, or two workers racing, queue it once).
Workers send due rows one at a time under a row lock (`SKIP LOCKED` on PostgreSQL: any number
of workers share the queue) and mark them done in the same transaction.  A gateway failure is
retried with growing pauses, then the row is parked as `failed` with its error.

Delivery is at least once: a worker killed after the gateway accepted a text and before its
commit leaves the row pending, and the next worker sends it again.  That is the honest
guarantee of any SMS gateway without a client reference; a duplicate notice is harmless,
a lost one is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.db import Database, upsert_insert
from workflows.errors import LaborcaseError
from workflows.models import OutboxMessage
from workflows.ports import SmsSender
from workflows.runtime import Clock, utcnow

log = logging.getLogger(__name__)

SMS_KIND = "notify.sms"
MAX_ATTEMPTS = 8
MAX_TEXT = 500  # long texts are split by the gateway; keep notices short


@dataclass(frozen=True)
class Notice:
    """One queued text: to whom, what, and the key that makes queueing it idempotent."""

    key: str
    phone: str
    text: str


def queue_sms(s: Session, notice: Notice, now: datetime, case_id: int | None = None) -> bool:
    """Queue `notice` in the caller's transaction; False when a notice with its key exists.

    One INSERT … ON CONFLICT DO NOTHING: a racing transaction queueing the same key waits for
    the other's outcome instead of failing on the unique key."""
    statement = (
        upsert_insert(s, OutboxMessage)
        .values(
            idempotency_key=notice.key[:128],
            kind=SMS_KIND,
            case_id=case_id,
            payload={"phone": notice.phone, "text": notice.text[:MAX_TEXT]},
            state="pending",
            attempts=0,
            available_at=now,
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.idempotency_key])
        .returning(OutboxMessage.id)
    )
    return s.execute(statement).scalar_one_or_none() is not None


def retry_pause(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class NotificationService:
    """Sends queued texts through the SMS gateway (run by the background worker)."""

    def __init__(self, db: Database, sms: SmsSender, clock: Clock = utcnow):
        self.db = db
        self.sms = sms
        self.clock = clock

    def run_pending(self, limit: int = 50) -> int:
        """Send due texts, at most `limit`; returns how many went out."""
        sent = 0
        for _ in range(limit):
            outcome = self._send_next()
            if outcome is None:
                break
            sent += outcome
        return sent

    def _send_next(self) -> int | None:
        """Send one due text: 1 sent, 0 failed (retried later), None when nothing is due."""
        with self.db.transaction() as s:
            now = self.clock()
            row = s.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.kind == SMS_KIND,
                    OutboxMessage.state == "pending",
                    OutboxMessage.available_at <= now,
                )
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if row is None:
                return None
            row.attempts += 1
            try:
                self.sms.send(row.payload["phone"], row.payload["text"])
            except LaborcaseError as exc:
                row.last_error = str(exc)[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = "failed"
                    log.error("text %s failed %d times; parked", row.idempotency_key, row.attempts)
                else:
                    row.available_at = now + retry_pause(row.attempts)
                return 0
            row.state, row.done_at, row.last_error = "done", now, None
            return 1
