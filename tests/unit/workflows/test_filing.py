"""Applying for arbitration online: the rules of the claim form (调解仲裁法 art.28), all or nothing."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from documents.schemas import uscc_ok
from integrations.storage.local import LocalFolderDocumentStore
from tests.functional.test_arbitration_process import BPMN_DIR
from tests.support import People, fixture_system, make_people
from tests.unit.workflows.test_evidence import objects, pdf_bytes
from workflows.db import Database
from workflows.errors import PermissionDeniedError, StorageUnavailableError, ValidationError
from workflows.evidence import Upload
from workflows.filing import ClaimFiling, ClaimLine, EvidenceLine, _amount
from workflows.identity import USCC_ALPHABET, is_valid_uscc, normalise_uscc, uscc_check_char
from workflows.models import Case, Evidence
from workflows.system import System


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: LocalFolderDocumentStore) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR, store=local_store)


@pytest.fixture
def people(db: Database) -> People:
    return make_people(db)


def filing(people: People, **changes: Any) -> ClaimFiling:
    base: dict[str, Any] = {
        "commission_id": people.org_id,
        "applicant_address": "广州市天河区某路1号",
        "employer_name": "广州某餐饮管理有限公司",
        "employer_uscc": "",
        "employer_address": "广州市越秀区某路2号",
        "facts": "2025年入职，单位拖欠三个月工资。",
        "claims": [ClaimLine("wage_arrears", "支付拖欠工资", "24000")],
    }
    base.update(changes)
    return ClaimFiling(**base)


def count(db: Database, model: Any) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


# -- unified social credit code (GB 32100-2015) -------------------------------------------------


def test_uscc_check_character_agrees_with_the_document_schemas() -> None:
    rng = random.Random(32100)
    for _ in range(500):
        first17 = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        code = first17 + uscc_check_char(first17)
        assert is_valid_uscc(code) and uscc_ok(code)
        wrong = first17 + next(c for c in USCC_ALPHABET if c != code[17])
        assert not is_valid_uscc(wrong) and not uscc_ok(wrong)
    assert is_valid_uscc("91350100M000100Y43")  # a published example
    assert normalise_uscc(" 9135 0100-m000100y43 ") == "91350100M000100Y43"
    assert not is_valid_uscc("91350100M000100Y4")  # 17 characters
    assert not is_valid_uscc("9135010OM000100Y43")  # the letter O is not in the code alphabet


# -- the form's rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("12,000.50", "12000.50"), ("¥ 3000", "3000.00"), ("8000元", "8000.00"), ("0", "0.00"), ("", None)],
)
def test_amounts_are_read_as_people_type_them(typed: str, amount: str | None) -> None:
    value, problems = _amount(typed, "/claims/0/amount")
    assert problems == [] and value == (Decimal(amount) if amount else None)


@pytest.mark.parametrize("typed", ["一万", "-5", "1.234", "NaN", "1e30"])
def test_amounts_that_are_not_money_are_refused(typed: str) -> None:
    value, problems = _amount(typed, "/claims/0/amount")
    assert value is None and [p.pointer for p in problems] == ["/claims/0/amount"]


def test_every_problem_is_reported_at_once_with_its_row(system: System, people: People, db: Database) -> None:
    bad = filing(
        people,
        commission_id=people.org_id + 100,
        applicant_address=" ",
        employer_name="",
        employer_uscc="91350100M000100Y44",
        facts="",
        claims=[
            ClaimLine(),
            ClaimLine("wage_arrears", amount="abc", period_start="2026-10-01", period_end="2026-09-01"),
            ClaimLine("other"),
            ClaimLine("perks"),
        ],
    )
    with pytest.raises(ValidationError) as caught:
        system.filing.file_claim(people.worker, bad)
    assert {p.pointer for p in caught.value.problems} == {
        "/commission_id",
        "/applicant_address",
        "/employer_name",
        "/employer_uscc",
        "/facts",
        "/claims/1/amount",
        "/claims/1/period_end",
        "/claims/2/description",
        "/claims/3/claim_type",
    }
    assert count(db, Case) == 0


def test_at_least_one_claim_is_needed(system: System, people: People) -> None:
    with pytest.raises(ValidationError) as caught:
        system.filing.file_claim(people.worker, filing(people, claims=[ClaimLine(), ClaimLine()]))
    assert [p.pointer for p in caught.value.problems] == ["/claims/0/claim_type"]


def test_an_organisation_picked_must_be_an_employer(system: System, people: People) -> None:
    with pytest.raises(ValidationError) as caught:
        system.filing.file_claim(people.worker, filing(people, employer_id=people.other_org_id))
    assert [p.pointer for p in caught.value.problems] == ["/employer_id"]
    assert system.filing.find_employers("仲裁委员会") == []  # commissions are not employers


def test_only_a_worker_applies_for_themself(system: System, people: People) -> None:
    with pytest.raises(PermissionDeniedError):
        system.filing.file_claim(people.clerk, filing(people))


def test_evidence_without_a_store_is_refused_before_anything_is_created(
    db: Database, tmp_path: Path, people: People
) -> None:
    bare = fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)
    files = [EvidenceLine(Upload("a.pdf", pdf_bytes()))]
    with pytest.raises(StorageUnavailableError):
        bare.filing.file_claim(people.worker, filing(people, evidence=files))
    assert count(db, Case) == 0
    assert bare.filing.file_claim(people.worker, filing(people)).case_type == "arbitration"  # no files: fine


def test_a_failure_after_the_files_are_stored_leaves_no_case_and_no_evidence(
    system: System,
    people: People,
    db: Database,
    local_store: LocalFolderDocumentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(system.cases, "open_in", broken)
    files = [EvidenceLine(Upload("a.pdf", pdf_bytes()), "合同")]
    with pytest.raises(RuntimeError):
        system.filing.file_claim(people.worker, filing(people, evidence=files))
    assert count(db, Case) == 0 and count(db, Evidence) == 0
    assert objects(local_store) == 1  # only an unreferenced object


def test_filed_case_has_the_worker_as_applicant_and_its_title(system: System, people: People) -> None:
    view = system.filing.file_claim(people.worker, filing(people, employer_uscc="91350100m000100y43"))
    assert view.title == "worker1与广州某餐饮管理有限公司劳动争议"
    applicant, respondent = view.parties
    assert (applicant["role"], applicant["user_id"], applicant["address"]) == (
        "applicant",
        people.worker.user_id,
        "广州市天河区某路1号",
    )
    assert (respondent["role"], respondent["kind"]) == ("respondent", "organisation")
    [claim] = view.claims
    assert (claim["claim_type"], claim["amount"]) == ("wage_arrears", Decimal("24000.00"))
    assert [e.name for e in system.filing.find_employers("91350100M000100Y43")] == ["广州某餐饮管理有限公司"]
    assert [e.name for e in system.filing.find_employers("餐饮")] == ["广州某餐饮管理有限公司"]
    assert system.filing.find_employers("%") == []  # too short, and wildcards are literal
