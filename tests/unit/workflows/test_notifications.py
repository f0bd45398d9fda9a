"""Text notices: queued once per key, in the caller's transaction, sent after commit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from workflows.db import Database
from workflows.models import OutboxMessage
from workflows.notifications import SMS_KIND, Notice, NotificationService, queue_sms

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class Gateway:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


def pending(db: Database) -> int:
    with db.transaction() as s:
        return s.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == SMS_KIND)
        ).scalar_one()


def test_a_notice_is_queued_once_per_key_even_within_one_transaction(db: Database) -> None:
    notice = Notice("labour_contract:1:sent", "13800138000", "合同已发送")
    with db.transaction() as s:
        assert queue_sms(s, notice, NOW) is True
        assert queue_sms(s, notice, NOW) is False
    with db.transaction() as s:
        assert queue_sms(s, Notice(notice.key, "13900139000", "another text"), NOW) is False
    assert pending(db) == 1

    gateway = Gateway()
    service = NotificationService(db, gateway, clock=lambda: NOW)
    assert service.run_pending() == 1
    assert service.run_pending() == 0
    assert gateway.sent == [("13800138000", "合同已发送")]


def test_a_rolled_back_step_queues_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as s:
        queue_sms(s, Notice("labour_contract:2:sent", "13800138000", "x"), NOW)
        raise RuntimeError("the step failed")
    assert pending(db) == 0
