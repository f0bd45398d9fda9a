"""Sample data for labour-contract tests: a complete set of mandatory clauses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

MODEL_TEMPLATE = Path(__file__).resolve().parents[1] / "workflows" / "contract_templates" / "model.json"
WORKER_RESIDENT_ID = "110101199003071233"
EMPLOYER_USCC = "91110108MA01ABCD2X"

_CLAUSES: dict[str, Any] = {
    "employer": {
        "name": "北京某某科技有限公司",
        "address": "北京市海淀区中关村大街1号",
        "legal_representative": "赵某某",
        "uscc": EMPLOYER_USCC,
    },
    "worker": {"name": "王小明", "address": "北京市朝阳区某某路2号", "resident_id": WORKER_RESIDENT_ID},
    "term": {"kind": "fixed", "start_date": "2027-01-01", "end_date": "2029-12-31", "probation_months": 2},
    "job": {
        "position": "软件工程师",
        "duties": "负责软件开发和测试。",
        "place": "北京市海淀区",
        "region_code": "110108",
    },
    "working_time": {"system": "standard", "rest": "每周休息两日，依法享受法定节假日和带薪年休假。"},
    "pay": {"monthly_amount": "12000", "probation_amount": "10000", "pay_period": "monthly", "payday": 10},
    "social_insurance": {"description": "甲方依法为乙方缴纳五项社会保险。"},
    "protection": {
        "labour_protection": "甲方提供必要的劳动保护用品。",
        "working_conditions": "办公环境符合国家标准。",
        "occupational_hazards": "本岗位无职业病危害因素，甲方如实告知。",
    },
}


def sample_clauses() -> dict[str, Any]:
    return copy.deepcopy(_CLAUSES)


def model_template() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(MODEL_TEMPLATE.read_text(encoding="utf-8"))
    return content


def contract_data(clauses: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the renderer takes (the clauses as the domain checked them: amounts as strings)."""
    return {
        "contract_number": "LC-2027-000001",
        "verification_url": "https://laborcase.example/verify?code=LC7Q2M4X9K",
        "verification_code": "LC7Q2M4X9K",
        "template": model_template(),
        "clauses": clauses or sample_clauses(),
    }
