"""Build the SMS sender named by `Settings.sms_url`.

- `file:///abs/path/sms-outbox.jsonl` → OutboxSmsSender (development: messages are written to
  the file, not sent).  This is the embedded default, in the instance folder.

A production deployment needs an adapter for its SMS gateway (the provincial government SMS
platform or a carrier's), implementing `workflows.ports.SmsSender`; none is bundled, so any
other scheme is refused at start-up rather than silently dropping codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .outbox import OutboxSmsSender

if TYPE_CHECKING:  # mypy proves the adapter implements the port
    from workflows.ports import SmsSender

    _OUTBOX_IS_A_SENDER: type[SmsSender] = OutboxSmsSender


def sms_sender_from_url(url: str) -> OutboxSmsSender:
    """The adapter for `url`; ValueError when no adapter exists for it."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        root = (
            unquote(parts.path) if parts.netloc in ("", "localhost") else unquote(parts.netloc + parts.path)
        )
        if not root or root.endswith("/"):
            raise ValueError("file:// SMS URL needs a file name, e.g. file:///srv/laborcase/sms-outbox.jsonl")
        return OutboxSmsSender(Path(root))
    raise ValueError(
        f"no SMS gateway adapter for scheme {parts.scheme or '(none)'!r}: use file:///…/sms-outbox.jsonl "
        "(development outbox) or add an adapter in integrations/sms"
    )
