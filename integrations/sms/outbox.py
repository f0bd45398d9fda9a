"""Development SMS "gateway": messages are appended to a JSON-lines file instead of reaching phones.

The embedded default uses it so one-time codes can be read on the machine that runs the app
(`laborcase sms-outbox`, the browser tests).  It is never a production sender: codes written
here prove nothing about who holds the phone.  The file is created with mode 600 and each
message is one line written under an exclusive lock, so the web process, the CLI and tests can
share it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workflows.errors import SmsUnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxEntry:
    """One message as it was "sent"."""

    at: datetime
    phone: str
    text: str


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxSmsSender:
    """Implements `workflows.ports.SmsSender` by appending to `path`."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utcnow):
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        line = json.dumps({"at": self.clock().isoformat(), "phone": phone, "text": text}, ensure_ascii=False)
        data = (line + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    os.write(fd, data)
                finally:
                    os.close(fd)  # closing releases the lock
        except OSError as exc:
            raise SmsUnavailableError(f"短信发件箱不可写：{exc.strerror or exc}") from exc
        log.info("SMS to %s written to the development outbox %s (not sent)", phone[:3] + "****", self.path)

    def messages(self, phone: str | None = None) -> list[OutboxEntry]:
        """Every message in the file (for one phone, if given), oldest first."""
        try:
            with open(self.path, encoding="utf-8") as f:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH)
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out: list[OutboxEntry] = []
        for line in lines:
            try:
                item = json.loads(line)
                entry = OutboxEntry(datetime.fromisoformat(item["at"]), str(item["phone"]), str(item["text"]))
            except (ValueError, KeyError, TypeError):
                continue  # not ours, or damaged: skip rather than hide the rest
            if phone is None or entry.phone == phone:
                out.append(entry)
        return out

    def last_message(self, phone: str) -> OutboxEntry | None:
        """The newest message to `phone`, or None."""
        found = self.messages(phone)
        return found[-1] if found else None
