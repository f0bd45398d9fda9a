"""The portal's plain-words timeline names the parties' requests and the decisions on them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from web.timeline import plain_timeline

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(action: str, **after: Any) -> dict[str, Any]:
    return {"action": action, "entity": "x", "at": AT, "after": after}


def test_requests_and_decisions_on_them_are_told_in_plain_words(app: Flask) -> None:
    history = [
        event("message.received", name="recusal_requested", payload={"reason": "内部理由"}),
        event("task.completed", name="decide_recusal", data={"recusal_decision": "granted"}),
        event("task.completed", name="replace_arbitrator", data={}),
        event("message.received", name="postponement_requested"),
        event("task.completed", name="decide_postponement", data={"postponement_decision": "refused"}),
        event("message.received", name="advance_execution_requested"),
        event(
            "task.completed", name="decide_advance_execution", data={"advance_execution_decision": "granted"}
        ),
    ]
    with app.test_request_context("/"):
        texts = [e.text for e in plain_timeline(history, {})]
    assert texts == [
        "当事人申请仲裁员回避",
        "回避申请成立，将更换仲裁员",
        "仲裁庭已重新组成",
        "当事人申请延期开庭",
        "不准许延期开庭，按原定时间开庭",
        "申请人申请先予执行",
        "仲裁庭裁决先予执行，移送人民法院执行",
    ]
    assert "内部理由" not in " ".join(texts)  # the timeline tells what happened, not the file's contents
