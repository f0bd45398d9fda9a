"""Python functions that BPMN service tasks call by name.

A service task names one of these in `spiffworkflow:serviceTaskOperator id="…"`;
its parameters are expressions over task data and arrive as keyword
arguments.  The result (JSON) lands in the task's result variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# keyword → topic; ordered from the most specific
_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("work_injury", ("工伤", "受伤", "职业病", "伤残")),
    ("wage_arrears", ("欠薪", "拖欠工资", "工资", "欠发", "讨薪")),
    ("social_insurance", ("社保", "社会保险", "养老保险", "医疗保险", "公积金")),
    ("labour_contract", ("劳动合同", "合同", "试用期", "解除", "辞退", "开除")),
    ("working_time", ("加班", "工时", "休息", "休假", "年假")),
)

_ROUTES = {
    "work_injury": "injury_office",
    "wage_arrears": "inspection_body",
    "social_insurance": "social_insurance_agency",
    "labour_contract": "arbitration_court",
    "working_time": "inspection_body",
    "other": "enquiry_desk",
}


def classify_enquiry(text: str) -> dict[str, Any]:
    """Sort a worker's enquiry into a topic and the body that usually handles it."""
    body = text or ""
    hits = [topic for topic, words in _TOPICS if any(w in body for w in words)]
    topic = hits[0] if hits else "other"
    return {"topic": topic, "also": hits[1:], "route_to": _ROUTES[topic]}


SERVICE_TASKS: dict[str, Callable[..., Any]] = {
    "classify_enquiry": classify_enquiry,
}
