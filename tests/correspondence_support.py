"""A case for the portal correspondence tests (messages, service receipts, ratings).

The real arbitration process, a worker applicant and an employer respondent with its agent;
documents are issued through the issuing service over the in-memory fakes of its ports
(tests/unit/workflows/test_issuing.py), so steps that issue 文书 produce sealed, stored ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles

from tests.functional.test_arbitration_process import BPMN_DIR, Staff
from tests.support import fixture_system, make_employer
from tests.unit.workflows.issuing_fixtures import FakeRenderer, FakeSealer, FakeStore, FakeVerifier
from workflows import identity
from workflows.audit import Actor
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.db import Database
from workflows.ports import DocumentAdapters
from workflows.system import System, build_system

EMPLOYER = "广州某科技有限公司"
EMPLOYER_USCC = "91440101MA5CXXXX0X"  # not checked when a case is opened by staff


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Accounts are made per test: the cheapest password hash keeps that fast (import to use)."""
    previous = identity.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    identity.set_password_hasher(previous)


@dataclass
class PortalCase:
    system: System
    staff: Staff
    agent: Actor  # the respondent employer's agent
    case_id: int

    @property
    def clerk(self) -> Actor:
        return self.staff.clerk

    @property
    def worker(self) -> Actor:
        return self.staff.worker

    @property
    def other_worker(self) -> Actor:
        return self.staff.people.other_worker

    @property
    def other_clerk(self) -> Actor:
        return self.staff.people.other_clerk


def documents_system(db: Database, tmp_path: Path) -> System:
    """The services over the real processes, issuing documents through faked ports."""
    base = fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)
    adapters = DocumentAdapters(
        FakeRenderer(), FakeSealer(), FakeStore(), FakeVerifier(), "https://lc.test/v"
    )
    return build_system(base.settings, database=db, documents=adapters)


def open_portal_case(system: System, staff: Staff, employer_id: int) -> int:
    view = system.cases.open_case(
        staff.clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title=f"张三与{EMPLOYER}劳动报酬争议",
            organisation_id=staff.people.org_id,
            parties=[
                PartyInput("applicant", "张三", user_id=staff.worker.user_id),
                PartyInput("respondent", EMPLOYER, kind="organisation", organisation_id=employer_id),
            ],
            claims=[ClaimInput("wage_arrears", "支付2026年8月至10月拖欠工资")],
        ),
    )
    return view.id


def make_portal_case(db: Database, tmp_path: Path, staff: Staff, system: System | None = None) -> PortalCase:
    system = system or documents_system(db, tmp_path)
    employer_id, agent = make_employer(db, EMPLOYER, EMPLOYER_USCC, "hr_agent")
    return PortalCase(system, staff, agent, open_portal_case(system, staff, employer_id))
