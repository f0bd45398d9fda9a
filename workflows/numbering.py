"""Human case numbers: per case type and year, gap-free, safe under concurrency.

The counter row is incremented with an UPDATE … RETURNING inside the case-opening
transaction: the row lock serialises concurrent openings, and a rolled-back
opening rolls its number back too, so numbers never skip.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.db import upsert_insert
from workflows.models import CaseNumberCounter

# 案号 prefixes per case type (configurable per commission later); e.g. 仲〔2026〕12号
PREFIXES = {
    "mediation": "调",
    "arbitration": "仲",
    "inspection": "监",
    "petition": "访",
    "injury_recognition": "工伤认",
    "capacity_appraisal": "鉴",
    "injury_benefit_claim": "工伤待",
    "bundle": "一件事",
    "labour_contract": "合",
    "enquiry": "咨",
}


def next_serial(session: Session, case_type: str, year: int) -> int:
    """Reserve the next serial for (case_type, year) in the caller's transaction."""
    ins = upsert_insert(session, CaseNumberCounter)
    session.execute(
        ins.values(case_type=case_type, year=year, last_value=0).on_conflict_do_nothing(
            index_elements=[CaseNumberCounter.case_type, CaseNumberCounter.year]
        )
    )
    value = session.execute(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.case_type == case_type, CaseNumberCounter.year == year)
        .values(last_value=CaseNumberCounter.last_value + 1)
        .returning(CaseNumberCounter.last_value)
    ).scalar_one()
    return int(value)


def format_case_number(case_type: str, year: int, serial: int) -> str:
    prefix = PREFIXES.get(case_type, case_type)
    return f"{prefix}〔{year}〕{serial}号"


def current_serial(session: Session, case_type: str, year: int) -> int:
    value = session.execute(
        select(CaseNumberCounter.last_value).where(
            CaseNumberCounter.case_type == case_type, CaseNumberCounter.year == year
        )
    ).scalar()
    return int(value or 0)
