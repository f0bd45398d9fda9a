"""A case's history in plain words, for the parties' portal.

The audit trail (CaseService.history) records every step for the record; a worker or an
employer wants to know what happened to *their* case: applied, accepted, served, defence in,
hearing set.  Internal steps (task claimed, deadline started, timer set) are left out; what
each step means is read from the step's name and its form data (bpmn/arbitration/forms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

Event = Mapping[str, Any]


@dataclass(frozen=True)
class Entry:
    at: datetime
    text: str


def party_label(role: str | None) -> str:
    """How the portal names a party role (申请人, 被申请人, …); None: the agency."""
    labels = {
        "applicant": _("申请人"),
        "respondent": _("被申请人"),
        "third_party": _("第三人"),
        "agent": _("代理人"),
    }
    return labels.get(role, role) if role else _("仲裁委员会")


def status_label(status: str) -> str:
    labels = {"open": _("办理中"), "suspended": _("中止"), "closed": _("已结案"), "withdrawn": _("已撤回")}
    return labels.get(status, status)


def _review(data: Mapping[str, Any]) -> str:
    decision = data.get("acceptance_decision")
    if decision == "accept":
        return _("仲裁委员会决定受理（受理日期 %(date)s）", date=data.get("accepted_on", ""))
    if decision == "refuse":
        return _("仲裁委员会决定不予受理")
    return _("仲裁委员会通知补正申请材料")


def _hearing_notice(data: Mapping[str, Any]) -> str:
    return _(
        "开庭通知：%(date)s %(time)s，地点 %(place)s",
        date=data.get("hearing_date", ""),
        time=data.get("hearing_time", ""),
        place=data.get("hearing_place", ""),
    )


def _hearing(data: Mapping[str, Any]) -> str | None:
    return {
        "held": _("仲裁庭开庭审理"),
        "applicant_absent": _("申请人未到庭，按撤回仲裁申请处理"),
        "respondent_absent": _("被申请人未到庭，缺席审理"),
    }.get(str(data.get("hearing_outcome")))


def _mediation(data: Mapping[str, Any]) -> str | None:
    return {
        "agreement": _("在仲裁庭主持下达成调解协议"),
        "no_agreement": _("仲裁庭调解未达成协议"),
    }.get(str(data.get("tribunal_mediation_result")))


def _approval(data: Mapping[str, Any]) -> str | None:
    return _("裁决书已审批") if data.get("award_approval") == "approve" else None


def _recusal(data: Mapping[str, Any]) -> str:
    if data.get("recusal_decision") == "granted":
        return _("回避申请成立，将更换仲裁员")
    return _("回避申请被驳回")


def _postponement(data: Mapping[str, Any]) -> str:
    if data.get("postponement_decision") == "granted":
        return _("准许延期开庭，将另行通知开庭时间")
    return _("不准许延期开庭，按原定时间开庭")


def _advance_execution(data: Mapping[str, Any]) -> str:
    if data.get("advance_execution_decision") == "granted":
        return _("仲裁庭裁决先予执行，移送人民法院执行")
    return _("先予执行申请被驳回")


_REQUESTS: dict[str, Callable[[], str]] = {
    "recusal_requested": lambda: _("当事人申请仲裁员回避"),
    "postponement_requested": lambda: _("当事人申请延期开庭"),
    "advance_execution_requested": lambda: _("申请人申请先予执行"),
}

_STEPS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "review_application": _review,
    "supplement_application": lambda _d: _("申请人已补正申请材料"),
    "serve_respondent": lambda _d: _("仲裁申请书副本已送达被申请人"),
    "form_tribunal": lambda _d: _("仲裁庭已组成"),
    "form_collegiate_tribunal": lambda _d: _("仲裁庭已组成"),
    "replace_arbitrator": lambda _d: _("仲裁庭已重新组成"),
    "decide_recusal": _recusal,
    "decide_postponement": _postponement,
    "decide_advance_execution": _advance_execution,
    "serve_defence": lambda _d: _("答辩书副本已送达申请人"),
    "notify_hearing": _hearing_notice,
    "conduct_hearing": _hearing,
    "mediate": _mediation,
    "serve_mediation_statement": lambda _d: _("调解书已送达"),
    "approve_award": _approval,
}


def _text(event: Event, documents: Mapping[str, str], timers: dict[str, str]) -> str | None:
    action, entity = event["action"], event["entity"]
    after: Mapping[str, Any] = event.get("after") or {}
    if action == "case.opened":
        return _("提交仲裁申请，案号 %(number)s", number=after.get("case_number", ""))
    if action == "task.completed":
        step = _STEPS.get(str(after.get("name")))
        return step(after.get("data") or {}) if step else None
    if action == "message.received" and after.get("name") == "defence_received":
        return _("被申请人提交答辩书")
    if action == "message.received" and after.get("name") in _REQUESTS:
        return _REQUESTS[str(after.get("name"))]()
    if action == "timer.started":
        timers[entity] = str(after.get("name", ""))
        return None
    if action == "timer.fired" and timers.get(entity) == "答辩期届满":
        return _("答辩期届满，被申请人未提交答辩书")
    if action == "evidence.submitted":
        party = after.get("party") or {}
        who = f"{party_label(party.get('role'))} {party.get('name', '')}".strip()
        return _("%(who)s提交证据：%(file)s", who=who, file=after.get("filename", ""))
    if action == "document.issued":
        title = documents.get(entity, _("文书"))
        return _("出具%(title)s（%(number)s）", title=title, number=after.get("number", ""))
    if action == "document.revoked":
        return _("%(title)s已撤销", title=documents.get(entity, _("文书")))
    if action == "case.closed":
        return _("案件已结案")
    return None


def plain_timeline(history: Iterable[Event], documents: Mapping[str, str]) -> list[Entry]:
    """What a party should know, oldest first.  `documents`: "document:<id>" -> its title."""
    timers: dict[str, str] = {}
    entries = []
    for event in history:
        text = _text(event, documents, timers)
        if text:
            entries.append(Entry(event["at"], text))
    return entries


def hearing_notice(history: Iterable[Event]) -> Mapping[str, Any] | None:
    """Date, time and place of the latest hearing notice, if one was served."""
    found = None
    for event in history:
        after = event.get("after") or {}
        if event["action"] == "task.completed" and after.get("name") == "notify_hearing":
            found = after.get("data") or None
    return found
