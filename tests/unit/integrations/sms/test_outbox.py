"""The development SMS outbox: one JSON line per message, private file, newest message per phone."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations.sms.factory import sms_sender_from_url
from integrations.sms.outbox import OutboxSmsSender
from workflows.errors import SmsUnavailableError


def test_messages_are_appended_as_json_lines_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "sms-outbox.jsonl"
    outbox = OutboxSmsSender(path, clock=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    outbox.send("13800138000", "验证码 123456")
    outbox.send("13900139000", "验证码 654321")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"at": "2026-03-02T09:00:00+00:00", "phone": "13800138000", "text": "验证码 123456"},
        {"at": "2026-03-02T09:00:00+00:00", "phone": "13900139000", "text": "验证码 654321"},
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_last_message_per_phone_is_the_newest(tmp_path: Path) -> None:
    outbox = OutboxSmsSender(tmp_path / "sms.jsonl")
    assert outbox.last_message("13800138000") is None
    outbox.send("13800138000", "first")
    outbox.send("13900139000", "other")
    outbox.send("13800138000", "second")
    last = outbox.last_message("13800138000")
    assert last is not None and last.text == "second"
    assert [m.text for m in outbox.messages()] == ["first", "other", "second"]


def test_concurrent_senders_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    senders = [OutboxSmsSender(path) for _ in range(4)]  # as separate processes would each have one

    def burst(sender: OutboxSmsSender, n: int) -> None:
        for i in range(50):
            sender.send(f"1380013800{n}", f"message {i} " + "长" * 200)

    threads = [threading.Thread(target=burst, args=(s, n)) for n, s in enumerate(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(OutboxSmsSender(path).messages()) == 200


def test_damaged_lines_are_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    outbox = OutboxSmsSender(path)
    outbox.send("13800138000", "ok")
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"phone": "13800138000", "te\n')
    assert [m.text for m in outbox.messages("13800138000")] == ["ok"]


def test_an_unwritable_outbox_is_reported_as_sms_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SmsUnavailableError):
        OutboxSmsSender(blocker / "sms.jsonl").send("13800138000", "x")


def test_file_url_selects_the_outbox(tmp_path: Path) -> None:
    sender = sms_sender_from_url(f"file://{tmp_path}/sms-outbox.jsonl")
    assert isinstance(sender, OutboxSmsSender) and sender.path == tmp_path / "sms-outbox.jsonl"


@pytest.mark.parametrize(
    "url", ["https://sms.example.gov.cn/api?key=s3cret", "aliyun://key:secret@x", "file:///"]
)
def test_urls_without_an_adapter_are_refused_without_echoing_secrets(url: str) -> None:
    with pytest.raises(ValueError) as exc:
        sms_sender_from_url(url)
    assert "s3cret" not in str(exc.value) and "secret@" not in str(exc.value)
